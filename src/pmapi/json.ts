/**
 * pmproxy prints the fetch timestamp as seconds '.' nanoseconds WITHOUT zero padding:
 * `1795320850.6659325` means .006659325 s. Read as a JSON number that is off by up to a second,
 * so the fraction is padded to 9 digits in the text before parsing.
 */
const TIMESTAMP = /("timestamp"\s*:\s*)(\d+)\.(\d+)/;

export function parsePmproxyJson<T>(text: string): T {
  const fixed = text.replace(TIMESTAMP, (_, prefix: string, sec: string, frac: string) => {
    return `${prefix}${sec}.${frac.padStart(9, '0')}`;
  });
  return JSON.parse(fixed) as T;
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
