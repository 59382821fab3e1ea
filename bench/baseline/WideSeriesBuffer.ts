// main's WideSeriesBuffer before issue 13, unchanged: the "before" of bench/cpu-per-tick.bench.ts. Not used by the plugin.
/**
 * Bounded history of ONE bpftrace variable: a shared time column and, per instance (map key),
 * a column of raw values and, for counters, a column of per-second rates computed at append time.
 *
 * Invariants the frame builders rely on:
 * - `times` is strictly increasing; every column has exactly `length` entries.
 * - Between two evictions the columns only grow by `push`: an entry, once written, never changes.
 *   Eviction replaces the arrays (it does not splice them), so a DataFrame that references the
 *   columns keeps seeing its own rows unchanged; only new rows appear past its `length`.
 * - Work per append is O(keys); eviction copies the retained rows once per ~25 % of the
 *   retention, so it is O(keys) amortized too.
 */

/** A column of values; null is a gap (no sample, counter reset, first sample of a counter). */
export type SeriesColumn = ReadonlyArray<number | null>;

export type ColumnKind = 'raw' | 'rate';

export interface WideSeriesBufferOptions {
  /** How far back to keep samples, in ms. The buffer always covers at least this much. */
  retentionMs: number;
  /** Cumulative values (count(), hist(), lhist()): keep a rate column too. */
  counter: boolean;
}

interface Series {
  raw: Array<number | null>;
  /** Present only for counters. */
  rate?: Array<number | null>;
}

/** Eviction waits until the oldest sample is this fraction of the retention past due. */
const EVICTION_SLACK = 0.25;

export class WideSeriesBuffer {
  readonly retentionMs: number;
  readonly counter: boolean;

  private timeColumn: number[] = [];
  private series = new Map<string, Series>();
  /** Copy-on-write: replaced (never mutated) when keys are added or dropped. */
  private keyList: readonly string[] = [];
  private versionCounter = 0;

  constructor({ retentionMs, counter }: WideSeriesBufferOptions) {
    if (!(retentionMs > 0) || !Number.isFinite(retentionMs)) {
      throw new RangeError(`retentionMs must be a positive finite number, got ${retentionMs}`);
    }
    this.retentionMs = retentionMs;
    this.counter = counter;
  }

  /** Shared time column (ms since epoch), ascending. Re-read it after each append: eviction swaps it. */
  get times(): readonly number[] {
    return this.timeColumn;
  }

  /** Number of rows (samples) in every column. */
  get length(): number {
    return this.timeColumn.length;
  }

  /** Timestamp of the newest row, or undefined when empty. */
  get lastTimestamp(): number | undefined {
    const n = this.timeColumn.length;
    return n > 0 ? this.timeColumn[n - 1] : undefined;
  }

  /** Changes on every accepted append and on clear(): compare it to skip rebuilding. */
  get version(): number {
    return this.versionCounter;
  }

  /** Instance names in first-seen order (stable, so series keep their colours). An immutable snapshot. */
  keys(): readonly string[] {
    return this.keyList;
  }

  /**
   * The column of one key, or undefined for an unknown key or for 'rate' on a non-counter.
   * Re-read it after each append: eviction swaps it.
   */
  column(key: string, kind: ColumnKind): SeriesColumn | undefined {
    const s = this.series.get(key);
    if (!s) {
      return undefined;
    }
    return kind === 'raw' ? s.raw : s.rate;
  }

  /**
   * Adds one fetch. Keys missing from `values` get null this row; a key never seen before is
   * back-filled with nulls. Non-finite numbers are stored as null. A timestamp that is not newer
   * than the last one (a duplicate fetch) is ignored.
   *
   * `spanMs` is the time the change since the previous sample covers, when the caller knows it
   * better than the gap between timestamps: bpftrace prints once per interval, and a fetch that
   * lands just after two prints carries two intervals of counts in about one interval of time.
   *
   * @returns whether the sample was accepted.
   */
  append(timestampMs: number, values: ReadonlyMap<string, number | null>, spanMs?: number): boolean {
    if (!Number.isFinite(timestampMs)) {
      return false;
    }
    const times = this.timeColumn;
    const n = times.length;
    if (n > 0 && timestampMs <= times[n - 1]) {
      return false;
    }
    const dtSeconds = n > 0 ? (spanMs !== undefined && spanMs > 0 ? spanMs : timestampMs - times[n - 1]) / 1000 : 0;

    // Existing keys: one push per column.
    for (const [key, s] of this.series) {
      const v = values.get(key);
      this.pushValue(s, v === undefined ? null : v, dtSeconds);
    }

    // New keys: back-fill once, then push.
    if (values.size > 0 && this.hasNewKey(values)) {
      let added: string[] | undefined;
      for (const [key, v] of values) {
        if (this.series.has(key)) {
          continue;
        }
        const s: Series = { raw: nulls(n) };
        if (this.counter) {
          s.rate = nulls(n);
        }
        this.pushValue(s, v, dtSeconds);
        this.series.set(key, s);
        (added ??= []).push(key);
      }
      if (added) {
        this.keyList = [...this.keyList, ...added];
      }
    }

    times.push(timestampMs);
    this.versionCounter++;

    if (timestampMs - times[0] > this.retentionMs * (1 + EVICTION_SLACK)) {
      this.evict(timestampMs);
    }
    return true;
  }

  /** Forgets every sample and key. */
  clear(): void {
    this.timeColumn = [];
    this.series = new Map();
    this.keyList = [];
    this.versionCounter++;
  }

  private hasNewKey(values: ReadonlyMap<string, number | null>): boolean {
    if (values.size > this.series.size) {
      return true;
    }
    for (const key of values.keys()) {
      if (!this.series.has(key)) {
        return true;
      }
    }
    return false;
  }

  private pushValue(s: Series, value: number | null, dtSeconds: number): void {
    const v = value !== null && Number.isFinite(value) ? value : null;
    const raw = s.raw;
    if (s.rate) {
      const prev = raw.length > 0 ? raw[raw.length - 1] : null;
      // No previous sample, a gap before, or a reset (clear(), restart): a gap, never a negative spike.
      s.rate.push(v !== null && prev !== null && v >= prev && dtSeconds > 0 ? (v - prev) / dtSeconds : null);
    }
    raw.push(v);
  }

  /**
   * Drops rows older than the retention, keeping the newest row at or before the window start so
   * the series still reaches the window's left edge. Keys with no value left are forgotten.
   */
  private evict(nowMs: number): void {
    const times = this.timeColumn;
    const boundary = nowMs - this.retentionMs;
    // Last index with times[i] <= boundary (times is strictly increasing).
    let lo = 0;
    let hi = times.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (times[mid] <= boundary) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    const start = lo;
    if (start === 0) {
      return;
    }
    this.timeColumn = times.slice(start);
    let dropped = false;
    for (const [key, s] of this.series) {
      const raw = s.raw.slice(start);
      if (allNull(raw)) {
        this.series.delete(key);
        dropped = true;
        continue;
      }
      s.raw = raw;
      if (s.rate) {
        s.rate = s.rate.slice(start);
      }
    }
    if (dropped) {
      this.keyList = this.keyList.filter((k) => this.series.has(k));
    }
  }
}

function nulls(n: number): Array<number | null> {
  const a: Array<number | null> = [];
  for (let i = 0; i < n; i++) {
    a.push(null);
  }
  return a;
}

function allNull(a: ReadonlyArray<number | null>): boolean {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== null) {
      return false;
    }
  }
  return true;
}
