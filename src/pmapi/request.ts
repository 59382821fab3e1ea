/**
 * One request to pmproxy (through Grafana's proxy): reads are GET, control stores are POST with
 * an empty body (see CONTROL_PATHS). Resolves with the raw body text of a 2xx answer, rejects
 * with a PmapiError.
 */
export type PmapiTransport = (path: string, query: string, method?: 'GET' | 'POST') => Promise<string>;

/**
 * Where a store goes, by who may send it. plugin.json's routes make Grafana's server enforce it:
 * `control/store` only for Editors and Admins, `viewer-control/store` for Viewers only when the
 * Admin allowed it in the datasource settings; both reach pmproxy's /pmapi/store. POST, because
 * Grafana's CSRF check refuses a cross-site POST while a GET can be triggered by any link.
 */
export const CONTROL_PATHS = { editor: '/control/store', viewer: '/viewer-control/store' } as const;

export type QueryParams = Record<string, string | number | undefined>;

/**
 * Builds the query string ourselves: the script text travels in `value=`, and pmproxy rejects an
 * unencoded `+` or `=` inside it, so every value goes through encodeURIComponent.
 */
export function encodeQuery(params: QueryParams): string {
  return Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
}
