/**
 * The raw values (cumulative counts) of one series of a counter with rates, compact and exact.
 *
 * Frames draw a counter's rates, so its raw values need no plain array (see WideSeriesBuffer) and
 * are kept here in a typed array, NaN for no value:
 * - Float32 rows hold the difference to `base`, a count of the series itself (its first, then,
 *   at a compaction after dropping old rows, its newest). A count of 2^40 takes 4 bytes as long as the counts kept differ
 *   from it by less than 2^24 (16,777,216): a key that counts fewer than ~9,300 events a second
 *   over a 30-minute retention.
 * - A value whose difference float32 would round (a key counting faster, a fraction) widens the
 *   store to Float64 rows holding the values themselves, for good.
 * No value is ever rounded: every row reads back exactly as it was written.
 */
export class RawStore {
  private rows: Float32Array | Float64Array;
  /**
   * Where row 0 is in `rows`. Dropping old rows only moves it (dropFront); compact() moves the
   * rows back to the front later, a few series per append, so no append copies every store and
   * no store ever needs a second array (see WideSeriesBuffer's Migration).
   */
  private head = 0;
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

  /** Entries its array has room for (rows, dropped rows not yet compacted, and room): for tests. */
  get capacity(): number {
    return this.rows.length;
  }

  /** Row `row`'s value (null for none). */
  get(row: number): number | null {
    const x = this.rows[this.head + row];
    return x === x ? x + this.base : null;
  }

  /** Writes row `row` (rows are written in order; room is made when there is none). */
  set(row: number, value: number | null): void {
    const at = this.head + row;
    if (at >= this.rows.length) {
      this.grow(Math.max(16, Math.ceil(at * 1.5)));
    }
    if (value === null) {
      this.rows[at] = NaN;
      return;
    }
    if (!this.based) {
      this.base = this.isWide ? 0 : value;
      this.based = true;
    }
    if (!this.isWide && !fits(value, this.base)) {
      this.widen();
    }
    this.rows[at] = value - this.base;
  }

  /** Forgets the first `count` rows: row `count` becomes row 0. No copy (see head). */
  dropFront(count: number): void {
    this.head += count;
  }

  /**
   * Moves the first `n` rows to the front of the array, into an array of `capacity` entries if
   * the present one is too small or over a quarter too big for it (the first stores grew by half
   * at a time), with no value in the room after them. Its base moves to `newest` (the series'
   * newest count) once the counts have drifted half of float32's exact range from it and every
   * row kept still fits a difference to it, so a long-running count stays narrow.
   */
  compact(n: number, capacity: number, newest: number | null): void {
    const from = this.head;
    const old = this.rows;
    const size = Math.max(n, capacity);
    const rows =
      old.length < size || old.length > size * 1.25 ? new (old.constructor as typeof Float64Array)(size) : old;
    const rebase =
      !this.isWide && newest !== null && Math.abs(newest - this.base) >= REBASE_AFTER && this.allFit(n, newest);
    if (rebase) {
      // Forward: each row is read before a lower index of the same array is written. The same
      // arithmetic as fits(), which allFit checked for every row.
      const base = this.base;
      for (let i = 0; i < n; i++) {
        rows[i] = old[from + i] + base - newest!;
      }
      this.base = newest!;
    } else if (rows === old) {
      if (from > 0) {
        rows.copyWithin(0, from, from + n);
      }
    } else {
      rows.set(old.subarray(from, from + n));
    }
    rows.fill(NaN, n, rows === old ? Math.min(old.length, from + n) : size);
    this.rows = rows;
    this.head = 0;
  }

  /** `n` rows from row `from` as a plain array (null for none), with room for `capacity` entries. */
  plain(n: number, capacity = n, from = 0): Array<number | null> {
    const a = new Array<number | null>(Math.max(n, capacity));
    for (let i = 0; i < n; i++) {
      a[i] = this.get(from + i);
    }
    a.length = n;
    return a;
  }

  /**
   * The first `n` rows to read at once: row i's value is values[i] + offset (NaN: none). No copy.
   */
  view(n: number): { values: ArrayLike<number>; offset: number } {
    return { values: this.rows.subarray(this.head, this.head + n), offset: this.base };
  }

  /** Whether every one of the first `n` rows is exact as a float32 difference to `base`. */
  private allFit(n: number, base: number): boolean {
    for (let i = 0; i < n; i++) {
      const x = this.rows[this.head + i];
      if (x === x && !fits(x + this.base, base)) {
        return false;
      }
    }
    return true;
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
