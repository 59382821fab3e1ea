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
   * An empty successor with room for `capacity` rows, for rows copied in pieces (copyInto). Its
   * base moves to `newest` (the series' newest count) once the counts have drifted half of
   * float32's exact range from it, so the differences stay small; until then it keeps this
   * store's base and width, and rows are copied as they are (the cheap, usual case).
   */
  successor(capacity: number, newest: number | null): RawStore {
    const next = new RawStore(capacity);
    if (this.isWide || newest === null || Math.abs(newest - this.base) < REBASE_AFTER) {
      if (this.isWide) {
        next.rows = new Float64Array(capacity).fill(NaN);
        next.isWide = true;
      }
      next.base = this.base;
      next.based = this.based;
    } else {
      next.base = newest;
      next.based = true;
    }
    return next;
  }

  /**
   * Copies this store's rows sources[from..to) into `next`'s rows from..to. A piece at a time: the
   * rows written here in between (a first value, a widening) may have changed how this store
   * holds them, so each piece checks that both still hold rows alike before copying them as they
   * are; otherwise it copies values (next.set widens the successor if it must).
   */
  copyInto(next: RawStore, sources: readonly number[], from: number, to: number): void {
    if (next.isWide === this.isWide && next.base === this.base && next.based === this.based) {
      if (isOneRun(sources, from, to)) {
        // One run of rows (nothing thinned): the engine's own copy.
        next.rows.set(this.rows.subarray(sources[from], sources[to - 1] + 1), from);
        return;
      }
      for (let i = from; i < to; i++) {
        next.rows[i] = this.rows[sources[i]];
      }
      return;
    }
    for (let i = from; i < to; i++) {
      next.set(i, this.get(sources[i]));
    }
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

/**
 * Whether sources[from..to) are consecutive rows (nothing thinned, the usual case of a
 * migration): then a copy needs no lookup in `sources` per row. Sources are strictly ascending.
 */
export function isOneRun(sources: readonly number[], from: number, to: number): boolean {
  return to > from && sources[to - 1] - sources[from] === to - 1 - from;
}
