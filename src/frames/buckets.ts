import { formattedValueToString, getValueFormat } from '@grafana/data';

/**
 * The buckets of a bpftrace `hist()` / `lhist()` as the bpftrace PMDA names its instances.
 *
 * The PMDA names a bucket by its two INCLUSIVE integer bounds joined by '-': `0-0`, `1-1`, `2-3`,
 * `4-7`, `1024-2047`; lhist's `0-249`, `250-499`; open ends are `-inf` / `inf`: `-inf--1`,
 * `1000-inf`; negative bounds keep their sign: `-8--5`, `-1-0`. bpftrace itself prints the same
 * bucket as `[4, 8)`: the values are integers, so "4 to 7 inclusive" is "4 up to 8".
 */
export interface Bucket {
  /** The instance name, as the buffer's key. */
  key: string;
  /** Inclusive lower bound; -Infinity for the open bucket below lhist's min (and hist's `-inf--1`). */
  lower: number;
  /** Inclusive upper bound; Infinity for the open bucket at the top of an lhist. */
  upper: number;
}

/** One bound: an integer with an optional minus, or an infinity. */
const BOUND = '(-?\\d+|-inf|inf)';
/** The whole name: bound '-' bound. The separator is the first '-' that follows a complete bound. */
const BUCKET_NAME = new RegExp(`^${BOUND}-${BOUND}$`);

/**
 * Parses a PMDA bucket name into its inclusive bounds, or undefined when it is not one
 * (a scalar's '' key, a map key, a malformed or inverted range).
 */
export function parseBucketName(name: string): { lower: number; upper: number } | undefined {
  const m = BUCKET_NAME.exec(name.trim());
  if (!m) {
    return undefined;
  }
  const lower = parseBound(m[1]);
  const upper = parseBound(m[2]);
  // A lower end can only be open downwards and an upper end only upwards; lower <= upper.
  if (lower === Infinity || upper === -Infinity || lower > upper) {
    return undefined;
  }
  return { lower, upper };
}

function parseBound(text: string): number {
  if (text === 'inf') {
    return Infinity;
  }
  if (text === '-inf') {
    return -Infinity;
  }
  return Number(text);
}

/**
 * The buckets among `keys`, ordered by lower bound then upper bound (then name, so the order never
 * depends on the order the PMDA listed them in). Keys that are not bucket names are dropped.
 */
export function orderBuckets(keys: readonly string[]): Bucket[] {
  const buckets: Bucket[] = [];
  for (const key of keys) {
    const bounds = parseBucketName(key);
    if (bounds) {
      buckets.push({ key, ...bounds });
    }
  }
  return buckets.sort((a, b) => a.lower - b.lower || a.upper - b.upper || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * The exclusive upper boundary of a bucket: `4-7` ends at 8. This is the number bpftrace prints
 * (`[4, 8)`) and the one a heatmap axis wants between two rows. Infinity stays Infinity.
 */
export function exclusiveUpper(bucket: { upper: number }): number {
  return Number.isFinite(bucket.upper) ? bucket.upper + 1 : bucket.upper;
}

/**
 * A row of a histogram display: a bucket the buffer has, or a GAP between two of them (`key`
 * undefined) that no bucket covers. bpftrace prints every bucket between the lowest and the
 * highest non-empty one, so a gap only appears when the buffer lacks a bucket (it dropped an
 * empty column, or the script restarted with other values); its count is known to be zero.
 */
export interface BucketSpan {
  key?: string;
  lower: number;
  upper: number;
}

/**
 * The ordered buckets with their gaps made explicit, so that each span's lower edge is the
 * previous span's upper edge (which is what labels like "4 - 8" on an axis assume).
 * With `fromZero`, a gap from 0 up to a first bucket that starts above 0 is added as well:
 * Grafana's heatmap labels the bottom edge "0".
 */
export function bucketSpans(buckets: readonly Bucket[], options: { fromZero?: boolean } = {}): BucketSpan[] {
  const spans: BucketSpan[] = [];
  let previousUpper: number | undefined;
  for (const b of buckets) {
    if (previousUpper === undefined) {
      if (options.fromZero && Number.isFinite(b.lower) && b.lower > 0) {
        spans.push({ lower: 0, upper: b.lower - 1 });
      }
    } else if (Number.isFinite(previousUpper) && b.lower > previousUpper + 1) {
      spans.push({ lower: previousUpper + 1, upper: b.lower - 1 });
    }
    spans.push({ key: b.key, lower: b.lower, upper: b.upper });
    previousUpper = previousUpper === undefined ? b.upper : Math.max(previousUpper, b.upper);
  }
  return spans;
}

const BINARY_SUFFIXES = ['', 'K', 'M', 'G', 'T', 'P', 'E'];

/**
 * A boundary as text. With a Grafana unit id it is formatted the way Grafana formats that unit
 * (`1024` µs → `1.02 ms`, bytes → `1 KiB`); without one, the way bpftrace prints its buckets:
 * exact multiples of 1024 get a K/M/G… suffix (`1K`, `2M`), everything else stays as it is.
 */
export function formatBoundary(value: number, unit?: string): string {
  if (value === Infinity) {
    return '+Inf';
  }
  if (value === -Infinity) {
    return '-Inf';
  }
  if (unit) {
    return formattedValueToString(getValueFormat(unit)(value));
  }
  let n = value;
  let i = 0;
  while (n !== 0 && Number.isInteger(n / 1024) && i < BINARY_SUFFIXES.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n}${BINARY_SUFFIXES[i]}`;
}

/**
 * A readable range for a bucket (inclusive bounds in, half-open text out, like bpftrace):
 * `[4, 8)`, `[1K, 2K)`, `[0]` for a one-value bucket, `(-Inf, 0)`, `[1000, +Inf)`.
 */
export function formatBucketRange(span: { lower: number; upper: number }, unit?: string): string {
  if (span.lower === span.upper) {
    return `[${formatBoundary(span.lower, unit)}]`;
  }
  const open = span.lower === -Infinity ? '(' : '[';
  return `${open}${formatBoundary(span.lower, unit)}, ${formatBoundary(exclusiveUpper(span), unit)})`;
}
