/**
 * Grafana unit ids for words that, as a whole variable name or as its last word, say the unit
 * beyond reasonable doubt. Words are split at '_' and at camelCase humps: `@latency_ns`,
 * `@latencyNs`, `@read_bytes`, `@usecs`.
 */
const UNIT_WORDS: Record<string, string> = {
  ns: 'ns',
  nsec: 'ns',
  nsecs: 'ns',
  nanos: 'ns',
  nanoseconds: 'ns',
  us: 'µs',
  usec: 'µs',
  usecs: 'µs',
  micros: 'µs',
  microseconds: 'µs',
  ms: 'ms',
  msec: 'ms',
  msecs: 'ms',
  millis: 'ms',
  milliseconds: 'ms',
  secs: 's',
  seconds: 's',
  bytes: 'bytes',
  kbytes: 'kbytes',
  kb: 'kbytes',
  kib: 'kbytes',
  mbytes: 'mbytes',
  mb: 'mbytes',
  mib: 'mbytes',
  pct: 'percent',
  percent: 'percent',
};

/**
 * Long, unambiguous unit words may also open the name (`@bytes_read`, `@usecs_by_comm`);
 * two-letter ones only close it (`@lat_us`), where they cannot be the start of another word.
 */
const LEADING_OK = new Set(['nsecs', 'usecs', 'msecs', 'bytes', 'kbytes', 'mbytes', 'percent']);

/** Words that make the value a rate or a ratio of the unit, not the unit: `@bytes_per_sec`. */
const NOT_THE_UNIT = new Set(['per', 'ps', 'rate', 'ratio', 'count', 'cnt']);

/**
 * The Grafana unit a bpftrace variable's name makes obvious, or undefined. Conservative: a wrong
 * unit misleads more than none, so generic or ambiguous names get none — `@s`, `@sec`, `@size`,
 * `@len`, `@lat` — and neither do rates (`@bytes_per_sec`) or counts of a unit (`@count_bytes`).
 * Note `@us` is taken as microseconds, though some scripts use it for user stacks (`@us[ustack]`):
 * a stack-keyed map is shown as a flame graph or table, where the unit does not apply.
 */
export function inferUnit(variable: string): string | undefined {
  const words = splitWords(variable.replace(/^@/, ''));
  if (words.length === 0 || words.some((w) => NOT_THE_UNIT.has(w))) {
    return undefined;
  }
  const last = UNIT_WORDS[words[words.length - 1]];
  if (last) {
    return last;
  }
  const first = words[0];
  return LEADING_OK.has(first) ? UNIT_WORDS[first] : undefined;
}

/** `latency_ns` → [latency, ns]; `readBytes` → [read, bytes]; digits and other characters split too. */
function splitWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter((w) => w.length > 0);
}

/** Grafana's per-second units for the units whose rate it names. */
const PER_SECOND: Record<string, string> = {
  bytes: 'binBps',
  decbytes: 'Bps',
  kbytes: 'KiBs',
  mbytes: 'MiBs',
};

/**
 * The unit of a counter shown as a per-second rate: "/s" on it, so `1.2 K /s` never reads as a
 * total. Grafana's own per-second unit where it has one (bytes → B/s); otherwise a count unit with
 * "/s" after the unit (Grafana's `count:` custom unit keeps the K/M scaling).
 */
export function rateUnit(unit: string | undefined): string {
  if (!unit || unit === 'none' || unit === 'short') {
    return 'count:/s';
  }
  return PER_SECOND[unit] ?? `count:${unit}/s`;
}
