import { lastValueFrom } from 'rxjs';
import { getBackendSrv, isFetchError } from '@grafana/runtime';
import { classifyHttpError, PmapiError } from './errors';
import { PmapiTransport } from './request';

/**
 * Requests through Grafana's backend: with access mode "proxy" `baseUrl` is the datasource proxy
 * URL, so Grafana adds the basic-auth credentials from its secure storage and the browser never
 * sees them (pmproxy's CORS would refuse an Authorization header from the browser anyway).
 */
export function backendSrvTransport(baseUrl: string): PmapiTransport {
  const base = baseUrl.replace(/\/+$/, '');
  return async (path, query, method = 'GET') => {
    try {
      const response = await lastValueFrom(
        getBackendSrv().fetch<string>({
          url: `${base}${path}${query ? `?${query}` : ''}`,
          method,
          // Text, not JSON: pmproxy's timestamps need fixing before JSON.parse (see parseJson).
          responseType: 'text',
          showErrorAlert: false,
          showSuccessAlert: false,
          hideFromInspector: true,
        })
      );
      return typeof response.data === 'string' ? response.data : JSON.stringify(response.data);
    } catch (e) {
      if (isFetchError(e)) {
        throw classifyHttpError(e.status ?? 0, rawErrorBody(e.data), e.statusText);
      }
      throw new PmapiError('unreachable', e instanceof Error ? e.message : String(e));
    }
  };
}

/**
 * For a text request Grafana's backendSrv wraps a non-2xx body as
 * `{message: body, error: statusText, response: body}`: classify pmproxy's own body, not the wrapper.
 */
function rawErrorBody(data: unknown): unknown {
  if (data && typeof data === 'object' && typeof (data as { response?: unknown }).response === 'string') {
    return (data as { response: string }).response;
  }
  return data;
}
