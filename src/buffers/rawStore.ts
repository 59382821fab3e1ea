/**
 * The raw values (cumulative counts) of one series of a counter with rates, compact and exact.
 *
 * Frames draw a counter's rates, so its raw values need no plain array (see WideSeriesBuffer) and
 * are kept here in a typed array, NaN for no value:
 * - Float32 rows hold the difference to `base`, a count of the series itself (its first, then at
 *   each migration its newest). A count of 2^40 takes 4 bytes as long as the counts kept differ
 *   from it by less than 2^24 (16,777,216): a key that counts fewer than ~9,300 events a second
 *   over a 30-minute retention.
 * - A value whose difference float32 would round (a key counting faster, a fraction) widens the
 *   store to Float64 rows holding the values themselves, for good.
 * No value is ever rounded: every row reads back exactly as it was written.
 */
export class RawStore {
  private rows: Float32Array | Float64Array;
  /** What a Float32 row is the difference to (0 for Float64 rows). */
  private base = 0;
  /** Whether `base` is set (the first value sets it). */
  private based = false;
  /** Whether `rows` is a Float64Array (a field: read on every write). */
  private isWide = false;

  constructor(capacity: number) {
    this.rows = new Float32Array(capacity).fill(NaN);
  }

  /** Rows hold float64 (see above): for tests and memory figures. */
  get wide(): boolean {
    return this.isWide;
  }

  /** Row `row`'s value (null for none). */
  get(row: number): number | null {
    const x = this.rows[row];
    return x === x ? x + this.base : null;
  }

  /** Writes row `row` (rows are written in order; room is made when there is none). */
  set(row: number, value: number | null): void {
    if (row >= this.rows.length) {
      this.grow(Math.max(16, Math.ceil(row * 1.5)));
    }
    if (value === null) {
      this.rows[row] = NaN;
      return;
    }
    if (!this.based) {
      this.base = this.isWide ? 0 : value;
      this.based = true;
    }
    if (!this.isWide && !fits(value, this.base)) {
      this.widen();
    }
    this.rows[row] = value - this.base;
  }

  /**
   * A successor holding this store's rows `sources` (in that order), with room for `capacity`
   * rows. Its base moves to `newest` (the series' newest count) once the counts have drifted half
   * of float32's exact range from it, so the differences stay small; until then rows are copied
   * as they are (the cheap, usual case).
   */
  copyRows(sources: readonly number[], capacity: number, newest: number | null): RawStore {
    const next = new RawStore(capacity);
    if (this.isWide || newest === null || Math.abs(newest - this.base) < REBASE_AFTER) {
      if (this.isWide) {
        next.rows = new Float64Array(capacity).fill(NaN);
        next.isWide = true;
      }
      next.base = this.base;
      next.based = this.based;
      const n = sources.length;
      if (n > 0 && sources[n - 1] - sources[0] === n - 1) {
        // One run of rows (nothing thinned): the engine's own copy.
        next.rows.set(this.rows.subarray(sources[0], sources[0] + n));
        return next;
      }
      for (let i = 0; i < n; i++) {
        next.rows[i] = this.rows[sources[i]];
      }
      return next;
    }
    next.base = newest;
    next.based = true;
    for (let i = 0; i < sources.length; i++) {
      const v = this.get(sources[i]);
      if (v !== null && !next.isWide && !fits(v, next.base)) {
        next.widen();
      }
      next.rows[i] = v === null ? NaN : v - next.base;
    }
    return next;
  }

  /** The first `n` rows as a plain array (null for none), with room for `capacity` entries. */
  plain(n: number, capacity = n): Array<number | null> {
    const a = new Array<number | null>(Math.max(n, capacity));
    for (let i = 0; i < n; i++) {
      a[i] = this.get(i);
    }
    a.length = n;
    return a;
  }

  /**
   * The first `n` rows to read at once: row i's value is values[i] + offset (NaN: none). No copy.
   */
  view(n: number): { values: ArrayLike<number>; offset: number } {
    return { values: this.rows.subarray(0, n), offset: this.base };
  }

  private grow(capacity: number): void {
    const rows = new (this.rows.constructor as typeof Float64Array)(capacity).fill(NaN);
    rows.set(this.rows);
    this.rows = rows;
  }

  /** Float64 rows holding the values themselves (exact: each row was checked when written). */
  private widen(): void {
    const rows = new Float64Array(this.rows.length);
    for (let i = 0; i < rows.length; i++) {
      rows[i] = this.rows[i] + this.base;
    }
    this.rows = rows;
    this.base = 0;
    this.isWide = true;
  }
}

/** How far the newest count may drift from the base before a successor moves it (2^23). */
const REBASE_AFTER = 2 ** 23;

/** Whether `value - base` is a float32 that gives back exactly `value`. */
function fits(value: number, base: number): boolean {
  const d = value - base;
  return Math.fround(d) === d && d + base === value;
}
