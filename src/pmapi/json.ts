/**
 * pmproxy prints the fetch timestamp as seconds '.' nanoseconds WITHOUT zero padding:
 * `1795320850.6659325` means .006659325 s. Read as a JSON number that is off by up to a second,
 * so the top-level `timestamp` is read again from its digits after parsing. The body itself is
 * parsed as it came (a fetch of big maps is megabytes: no edited copy of it is made).
 */
const TIMESTAMP = /"timestamp"\s*:\s*(\d+)\.(\d+)/g;

export function parsePmproxyJson<T>(text: string): T {
  const parsed = JSON.parse(text) as T;
  const doc = parsed as { timestamp?: unknown } | null;
  if (doc !== null && typeof doc === 'object' && typeof doc.timestamp === 'number') {
    // The first "timestamp" whose digits make the top-level value (pmproxy prints it first).
    TIMESTAMP.lastIndex = 0;
    for (let m = TIMESTAMP.exec(text); m; m = TIMESTAMP.exec(text)) {
      if (doc.timestamp === Number(`${m[1]}.${m[2]}`)) {
        doc.timestamp = paddedSeconds(m[1], m[2]);
        break;
      }
    }
  }
  return parsed;
}

/** Seconds from pmproxy's digits: `whole` '.' `fraction`, the fraction being nanoseconds without zero padding. */
export function paddedSeconds(whole: string, fraction: string): number {
  return Number(`${whole}.${fraction.padStart(9, '0')}`);
}

/** Epoch milliseconds from pmproxy's `timestamp` (seconds, already padded by parsePmproxyJson). */
export function timestampToMs(timestamp: number | { s: number; us: number } | undefined, fallback: number): number {
  if (typeof timestamp === 'number' && Number.isFinite(timestamp)) {
    return Math.round(timestamp * 1000);
  }
  if (timestamp && typeof timestamp === 'object' && typeof timestamp.s === 'number') {
    return timestamp.s * 1000 + Math.round((timestamp.us ?? 0) / 1000);
  }
  return fallback;
}
