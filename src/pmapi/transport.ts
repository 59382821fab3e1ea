import { lastValueFrom, timeout, TimeoutError } from 'rxjs';
import { getBackendSrv, isFetchError } from '@grafana/runtime';
import { interruptedBySleep } from './asleep';
import { classifyHttpError, PmapiError } from './errors';
import { PmapiTransport } from './request';

/**
 * How long a request may go unanswered before it counts as pmproxy unreachable. Without it a
 * pmproxy that hangs (stopped, swapping, a half-open connection) held a panel's last data on
 * screen with no word for as long as Grafana's data proxy waits (30 s by default, and as long as
 * an admin sets), and the tick after it waited as long again. Longer than pmcd's own request
 * timeout, which pmproxy answers after 10 s with "Timeout waiting for a response from PMCD"
 * (measured on the stack, a pmcd stopped with SIGSTOP): when pmcd is what hangs, pmproxy's
 * answer, which says so, comes first. A PMDA that hangs is cut off by pmcd sooner (5 s).
 */
export const REQUEST_TIMEOUT_MS = 15_000;

/**
 * Requests through Grafana's backend: with access mode "proxy" `baseUrl` is the datasource proxy
 * URL, so Grafana adds the basic-auth credentials from its secure storage and the browser never
 * sees them (pmproxy's CORS would refuse an Authorization header from the browser anyway).
 */
export function backendSrvTransport(baseUrl: string, timeoutMs = REQUEST_TIMEOUT_MS): PmapiTransport {
  const base = baseUrl.replace(/\/+$/, '');
  return async (path, query, method = 'GET') => {
    const sentAt = Date.now();
    try {
      const response = await lastValueFrom(
        getBackendSrv()
          .fetch<string>({
            url: `${base}${path}${query ? `?${query}` : ''}`,
            method,
            // Text, not JSON: pmproxy's timestamps need fixing before JSON.parse (see parseJson).
            responseType: 'text',
            showErrorAlert: false,
            showSuccessAlert: false,
            hideFromInspector: true,
          })
          // Unsubscribing, as timeout() does, makes backendSrv abort the HTTP request.
          .pipe(timeout({ first: timeoutMs }))
      );
      return typeof response.data === 'string' ? response.data : JSON.stringify(response.data);
    } catch (e) {
      if (e instanceof TimeoutError) {
        // A timeout that fired on waking came before the answer that may be waiting to be read.
        throw (
          interruptedBySleep(sentAt + timeoutMs) ?? new PmapiError('unreachable', `no answer in ${timeoutMs / 1000} s`)
        );
      }
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
