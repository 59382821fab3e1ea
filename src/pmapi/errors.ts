import { PMPROXY_MAX_URL } from './limits';

/**
 * Everything pmproxy can answer besides success, sorted into the kinds a user can act on.
 * The original message is always kept: the kind says what to do, the message says what happened.
 */
export type PmapiErrorKind =
  /** No HTTP answer from pmproxy (connection refused, DNS, Grafana's proxy could not reach it). */
  | 'unreachable'
  /**
   * No answer was waited for: this page did not run while the request was out (the computer
   * slept, or the browser froze the tab), so its timeout fired on waking. Nothing is known of
   * pmproxy: the request is for sending again, and no one is to blame.
   */
  | 'interrupted'
  /** pmproxy answered but could not reach pmcd on the hostspec. */
  | 'pmcdUnreachable'
  /** SASL/basic-auth credentials were refused or are missing on an authenticated context. */
  | 'authFailed'
  /** The context id is no longer known to pmproxy (expired, or pmproxy restarted). */
  | 'unknownContext'
  /** The metric name does not exist in the PMNS (PMDA not installed, script gone). */
  | 'unknownMetric'
  /** pmcd or the PMDA refused the operation for this user. */
  | 'permissionDenied'
  /** The PMDA rejected a stored value ("Bad input to pmstore") or pmproxy the request. */
  | 'badInput'
  /** pmcd/PMDA IPC broke: once per context after a pmcd restart, or a PMDA that cannot answer. */
  | 'ipcFailure'
  /** The PMDA is out of step: it answers the previous request ("Resource temporarily unavailable"). */
  | 'pmdaOutOfStep'
  /** The request URL was too long for pmproxy (PMPROXY_MAX_URL). */
  | 'tooLong'
  /**
   * pmproxy's series API (/series/*) gave no answer in time: its key server (Redis/Valkey) is down
   * or not configured, or the series module is off. PCP 6.0.3 then never answers at all (see
   * pmapi/series.ts), so the client's own timeout decides.
   */
  | 'seriesUnavailable'
  /** Anything else: an unexpected status or body. */
  | 'unexpected';

export class PmapiError extends Error {
  constructor(
    readonly kind: PmapiErrorKind,
    message: string,
    /** HTTP status, 0 when there was no HTTP answer. */
    readonly status = 0
  ) {
    super(message);
    this.name = 'PmapiError';
  }
}

export function isPmapiError(e: unknown, kind?: PmapiErrorKind): e is PmapiError {
  return e instanceof PmapiError && (kind === undefined || e.kind === kind);
}

/** Matched against pmproxy's `message`, in order; the first hit decides. */
const MESSAGE_KINDS: Array<[RegExp, PmapiErrorKind]> = [
  [/unknown context identifier|expired context identifier|invalid context/i, 'unknownContext'],
  [/Authentication|authentication (required|failed)|No such process/i, 'authFailed'],
  [/No permission|Permission denied|not permitted/i, 'permissionDenied'],
  // An old context whose pmcd is gone: "cannot reconnect context: Connection timed out" (pmcd stopped).
  [
    /cannot connect to PMCD|cannot reconnect context|Connection refused|No route to host|Unknown host|Timeout waiting/i,
    'pmcdUnreachable',
  ],
  [/Unknown metric name|Unknown or illegal metric identifier|traversal failed - Unknown/i, 'unknownMetric'],
  [/IPC protocol failure/i, 'ipcFailure'],
  [/Bad input|failed to process URL|invalid|cannot parse given string/i, 'badInput'],
];

/**
 * Sorts a non-2xx answer. `body` is the raw text: pmproxy sends JSON `{message, success}`,
 * Grafana's proxy sends its own JSON or HTML when it cannot reach pmproxy.
 */
export function classifyHttpError(status: number, body: unknown, statusText = ''): PmapiError {
  const message = extractMessage(body) || statusText || `HTTP ${status}`;
  if (status === 0 || status === -1) {
    return new PmapiError('unreachable', message || 'no answer from pmproxy', status);
  }
  if (status === 414) {
    return new PmapiError(
      'tooLong',
      `${message} (pmproxy accepts at most ${PMPROXY_MAX_URL.toLocaleString('en-US')} characters per request)`,
      status
    );
  }
  if (/Resource temporarily unavailable/i.test(message)) {
    // Seen as a 401 on every registration while the PMDA answers one request behind.
    return new PmapiError('pmdaOutOfStep', message, status);
  }
  if (status === 401 || status === 403) {
    return new PmapiError('authFailed', message, status);
  }
  const fromPmproxy = typeof bodyObject(body)?.success === 'boolean';
  if (!fromPmproxy && (status === 502 || status === 503 || status === 504)) {
    // Grafana's data proxy answers these when the upstream pmproxy does not answer.
    return new PmapiError('unreachable', message, status);
  }
  for (const [pattern, kind] of MESSAGE_KINDS) {
    if (pattern.test(message)) {
      return new PmapiError(kind, message, status);
    }
  }
  return new PmapiError('unexpected', message, status);
}

function bodyObject(body: unknown): Record<string, unknown> | undefined {
  if (body && typeof body === 'object') {
    return body as Record<string, unknown>;
  }
  if (typeof body === 'string' && body.trim().startsWith('{')) {
    try {
      return JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function extractMessage(body: unknown): string {
  const obj = bodyObject(body);
  if (obj) {
    for (const key of ['message', 'error', 'err']) {
      if (typeof obj[key] === 'string' && obj[key]) {
        return obj[key] as string;
      }
    }
    return '';
  }
  if (typeof body === 'string') {
    // Strip HTML an intermediate proxy may send; keep it short.
    return body
      .replace(/<[^>]*>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 300);
  }
  return '';
}
