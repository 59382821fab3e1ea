/**
 * Grafana's backendSrv.fetch, reduced to what bpflive uses, on Node's fetch (undici keeps the
 * connection alive, as a browser does). Installed with setBackendSrv so the integration tests run
 * the plugin's real transport (src/pmapi/transport.ts) against the real pmproxy. Like Grafana's
 * datasource proxy, it maps the proxy path to the upstream URL and adds basic auth on the server
 * side.
 */
import { Observable } from 'rxjs';
import { BackendSrv, BackendSrvRequest, FetchResponse, setBackendSrv } from '@grafana/runtime';

export const PROXY_PATH = '/api/datasources/proxy/uid/bpflive';

export function installNodeBackendSrv(upstream: () => string, basicAuth?: () => string | undefined) {
  const fetchImpl = <T>(options: BackendSrvRequest): Observable<FetchResponse<T>> =>
    new Observable((subscriber) => {
      const target = options.url.startsWith(PROXY_PATH)
        ? upstream() + options.url.slice(PROXY_PATH.length)
        : options.url;
      const headers: Record<string, string> = {};
      const auth = basicAuth?.();
      if (auth) {
        headers.Authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
      }
      // Grafana's proxy (Go's http.Transport) resends an idempotent request once when a pooled
      // keep-alive connection turns out dead, e.g. after pmproxy restarted; so do we.
      const send = () => fetch(target, { method: options.method ?? 'GET', headers });
      send()
        .catch(() => send())
        .then(async (res) => {
          const text = await res.text();
          let data: unknown = text;
          if (options.responseType !== 'text') {
            try {
              data = JSON.parse(text);
            } catch {
              data = text;
            }
          }
          if (!res.ok) {
            // As Grafana's backendSrv does for a text request: the body wrapped, not parsed.
            const wrapped =
              options.responseType === 'text' ? { message: text, error: res.statusText, response: text } : data;
            subscriber.error({ status: res.status, statusText: res.statusText, data: wrapped, config: options });
            return;
          }
          subscriber.next({
            data: data as T,
            status: res.status,
            statusText: res.statusText,
            ok: true,
            headers: res.headers as unknown as Headers,
            redirected: false,
            type: 'basic',
            url: target,
            config: options,
          });
          subscriber.complete();
        })
        .catch((e: Error) => {
          // What Grafana's proxy answers when its upstream does not.
          subscriber.error({
            status: 502,
            statusText: 'Bad Gateway',
            data: { message: `Bad Gateway: ${e.message}` },
            config: options,
          });
        });
    });
  setBackendSrv({ fetch: fetchImpl } as unknown as BackendSrv);
}
