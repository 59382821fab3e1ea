/** One GET against pmproxy. Resolves with the raw body text of a 2xx answer, rejects with a PmapiError. */
export type PmapiTransport = (path: string, query: string) => Promise<string>;

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
