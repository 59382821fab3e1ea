/**
 * Grafana's backendSrv.fetch, reduced to what bpflive uses, on Node's fetch (undici keeps the
 * connection alive, as a browser does). Installed with setBackendSrv so the integration tests run
 * the plugin's real transport (src/pmapi/transport.ts) against the real pmproxy.
 *
 * Requests to the datasource proxy go through the same gate Grafana's proxy applies: the routes
 * of src/plugin.json, decided by tests/proxy/dataProxy.ts for the user's role and the
 * datasource's jsonData. A refused request fails like Grafana's 403 and never reaches pmproxy; an
 * allowed one goes to the route's target with its method (a POST with an empty body) and, as
 * Grafana does, the datasource's basic auth added on the server side. Every proxy request is
 * recorded in `proxyLog` for tests to assert on.
 */
import { Observable } from 'rxjs';
import { BackendSrv, BackendSrvRequest, FetchResponse, setBackendSrv } from '@grafana/runtime';
import pluginJson from '../../src/plugin.json';
import { decide, ProxyRoute, Role } from '../proxy/dataProxy';
import * as stack from './stack';

export const PROXY_PATH = '/api/datasources/proxy/uid/bpflive';

const ROUTES: ProxyRoute[] = pluginJson.routes;

export interface ProxyLogEntry {
  method: string;
  /** The path relative to the proxy URL, with its query, as the plugin sent it. */
  path: string;
  allowed: boolean;
  /** Grafana's refusal (403) or pmproxy's answer; 502 when pmproxy did not answer. */
  status?: number;
  /** Where Grafana would have sent it (allowed requests only). */
  target?: string;
  role: Role;
}

/** Every datasource-proxy request since the last clearProxyLog(), oldest first. */
export const proxyLog: ProxyLogEntry[] = [];

export function clearProxyLog() {
  proxyLog.length = 0;
}

export interface NodeBackendSrvOptions {
  /** The signed-in user's role, asked per request; default Editor. */
  role?: () => Role;
  /** The datasource's jsonData as Grafana's proxy sees it (route templates read it); default {}. */
  jsonData?: () => Record<string, unknown>;
  /**
   * A fault: requests for which this says true get what Grafana's proxy answers when pmproxy does
   * not answer (502 Bad Gateway), and never reach pmproxy. `path` is the proxied path with its query.
   */
  unanswered?: (method: string, path: string, body: string | undefined) => boolean;
}

/**
 * `user:password` for the stack's SASL user, if tests/integration/stack.ts offers it. Read through
 * the module object so this file compiles and runs whether or not that export exists yet.
 */
function stackBasicAuth(): (() => string | undefined) | undefined {
  const provider = (stack as unknown as { stackCredentials?: () => unknown }).stackCredentials;
  if (typeof provider !== 'function') {
    return undefined;
  }
  return () => {
    const c = provider();
    if (typeof c === 'string') {
      return c || undefined;
    }
    if (c && typeof c === 'object') {
      const { user, username, password } = c as { user?: string; username?: string; password?: string };
      const name = user ?? username;
      return name !== undefined && password !== undefined ? `${name}:${password}` : undefined;
    }
    return undefined;
  };
}

/** A query string from backendSrv's `params`, as Grafana's frontend serialises them. */
function withParams(url: string, params: BackendSrvRequest['params']): string {
  const entries = Object.entries((params ?? {}) as Record<string, unknown>).filter(
    ([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)
  );
  if (entries.length === 0) {
    return url;
  }
  const q = entries
    .flatMap(([k, v]) =>
      (Array.isArray(v) ? v : [v]).map((x) => `${encodeURIComponent(k)}=${encodeURIComponent(String(x))}`)
    )
    .join('&');
  return `${url}${url.includes('?') ? '&' : '?'}${q}`;
}

export function installNodeBackendSrv(
  upstream: () => string,
  basicAuth: (() => string | undefined) | undefined = stackBasicAuth(),
  options: NodeBackendSrvOptions = {}
) {
  const fetchImpl = <T>(request: BackendSrvRequest): Observable<FetchResponse<T>> =>
    new Observable((subscriber) => {
      const method = (request.method ?? 'GET').toUpperCase();
      const url = withParams(request.url, request.params);
      let target = url;
      let entry: ProxyLogEntry | undefined;
      if (url === PROXY_PATH || url.startsWith(PROXY_PATH + '/') || url.startsWith(PROXY_PATH + '?')) {
        const role = options.role?.() ?? 'Editor';
        const decision = decide({
          routes: ROUTES,
          method,
          url,
          role,
          datasourceUrl: upstream(),
          jsonData: options.jsonData?.() ?? {},
        });
        entry = { method, path: url.slice(PROXY_PATH.length).replace(/^\//, ''), allowed: decision.allowed, role };
        proxyLog.push(entry);
        if (!decision.allowed) {
          entry.status = decision.status;
          // Grafana's JsonApiErr body; backendSrv hands it to the caller as `data`.
          subscriber.error({
            status: decision.status,
            statusText: decision.status === 403 ? 'Forbidden' : 'Bad Request',
            data: { message: decision.message },
            config: request,
          });
          return;
        }
        entry.target = target = decision.target;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries((request.headers ?? {}) as Record<string, unknown>)) {
        if (typeof v === 'string') {
          headers[k] = v;
        }
      }
      // Grafana's backendSrv marks a POST/PUT/PATCH as JSON when the caller did not say.
      if (
        ['POST', 'PUT', 'PATCH'].includes(method) &&
        !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')
      ) {
        headers['Content-Type'] = 'application/json';
      }
      const auth = basicAuth?.();
      if (auth) {
        headers.Authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
      }
      const body =
        request.data === undefined || request.data === null
          ? undefined
          : typeof request.data === 'string'
            ? request.data
            : JSON.stringify(request.data);
      if (entry && options.unanswered?.(method, entry.path, body)) {
        entry.status = 502;
        subscriber.error({ status: 502, statusText: 'Bad Gateway', data: { message: 'Bad Gateway' }, config: request });
        return;
      }
      // Grafana's proxy (Go's http.Transport) resends an idempotent request once when a pooled
      // keep-alive connection turns out dead, e.g. after pmproxy restarted; so do we, for GET only.
      const send = () => fetch(target, { method, headers, body });
      const first = send();
      (method === 'GET' || method === 'HEAD' ? first.catch(() => send()) : first)
        .then(async (res) => {
          if (entry) {
            entry.status = res.status;
          }
          const text = await res.text();
          let data: unknown = text;
          if (request.responseType !== 'text') {
            try {
              data = JSON.parse(text);
            } catch {
              data = text;
            }
          }
          if (!res.ok) {
            // As Grafana's backendSrv does for a text request: the body wrapped, not parsed.
            const wrapped =
              request.responseType === 'text' ? { message: text, error: res.statusText, response: text } : data;
            subscriber.error({ status: res.status, statusText: res.statusText, data: wrapped, config: request });
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
            config: request,
          });
          subscriber.complete();
        })
        .catch((e: Error) => {
          if (entry) {
            entry.status = 502;
          }
          // What Grafana's proxy answers when its upstream does not.
          subscriber.error({
            status: 502,
            statusText: 'Bad Gateway',
            data: { message: `Bad Gateway: ${e.message}` },
            config: request,
          });
        });
    });
  setBackendSrv({ fetch: fetchImpl } as unknown as BackendSrv);
}
