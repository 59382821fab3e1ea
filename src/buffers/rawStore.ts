/**
 * Raw values to read at once (not to hand to a frame): row i's value is values[i] + offset, or
 * values[i] + olderOffset for the rows before `older` (a store's rows written before its base
 * last moved, see RawStore); null or NaN is no value. As many rows as the buffer has; not kept up
 * to date. Read a row with rawValueAt.
 */
export interface RawValues {
  values: ArrayLike<number | null>;
  offset: number;
  /** Rows before this one are differences to olderOffset (0: none). */
  older: number;
  olderOffset: number;
}

/** Row i of `raw` (see RawValues), or null for none. */
export function rawValueAt(raw: RawValues, i: number): number | null {
  const x = raw.values[i];
  // (null or NaN is no value: NaN is the one value not equal to itself.)
  return x === null || x === undefined || x !== x ? null : x + (i < raw.older ? raw.olderOffset : raw.offset);
}

/**
 * The raw values of one series of a counter with rates, compact and exact.
 *
 * Frames draw a counter's rates, so its raw values need no plain array (see WideSeriesBuffer) and
 * are kept here in a typed array, NaN for no value:
 * - Float32 rows hold the difference to `base`, a count of the series itself (its first, then
 *   each count that has drifted 2^23 from the base: see set). A count of 2^40 takes 4 bytes as
 *   long as the counts differ from their base by less than 2^24 (16,777,216).
 * - A value whose difference float32 would round (a key counting over 2^24 per retention, a
 *   fraction) widens the store to Float64 rows holding the values themselves, for good.
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
  /** What a Float32 row is the difference to (0 for Float64 rows), from index `split` on. */
  private base = 0;
  /**
   * The index of `rows` where the base last moved: the rows before it (those not dropped yet)
   * are differences to `before`. Moving the base rewrites no row, so it costs an append nothing.
   * Rewriting them (as a compaction once did, checking every row first) took ~83 µs for 7,700
   * rows in optimized code, and 0.4–1 ms before V8 had optimized it, which it seldom had: a store
   * moves its base once an hour or so. It tripled the p99 of the appends that compact stores
   * (bench/base-move, 200×7200: 0.12–0.37 ms, now 0.04–0.09).
   */
  private split = 0;
  private before = 0;
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
    const at = this.head + row;
    const x = this.rows[at];
    return x === x ? x + (at < this.split ? this.before : this.base) : null;
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
    if (!this.isWide && Math.abs(value - this.base) >= MOVE_BASE_AFTER && this.split <= this.head) {
      // Drifted half of float32's exact range, and no row of an older base is kept: this count
      // becomes the base of the rows from here on. The rows before keep theirs (see split).
      this.before = this.base;
      this.base = value;
      this.split = at;
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
   * at a time), with no value in the room after them.
   */
  compact(n: number, capacity: number): void {
    const from = this.head;
    const old = this.rows;
    const size = Math.max(n, capacity);
    const rows =
      old.length < size || old.length > size * 1.25 ? new (old.constructor as typeof Float64Array)(size) : old;
    if (rows === old) {
      if (from > 0) {
        rows.copyWithin(0, from, from + n);
      }
    } else {
      rows.set(old.subarray(from, from + n));
    }
    rows.fill(NaN, n, rows === old ? Math.min(old.length, from + n) : size);
    this.rows = rows;
    this.head = 0;
    this.split = Math.max(0, this.split - from);
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

  /** The first `n` rows to read at once (see RawValues; NaN: none). No copy. */
  view(n: number): RawValues {
    return {
      values: this.rows.subarray(this.head, this.head + n),
      offset: this.base,
      older: Math.max(0, this.split - this.head),
      olderOffset: this.before,
    };
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
      rows[i] = this.rows[i] + (i < this.split ? this.before : this.base);
    }
    this.rows = rows;
    this.base = 0;
    this.split = 0;
    this.isWide = true;
  }
}

/**
 * How far a count may drift from the base before it becomes the base (2^23): half of float32's
 * exact range, so the counts after it have the other half before the store must widen, time for
 * the rows of the base before to be dropped (a count that grows less than about 2^24 per
 * retention never widens).
 */
const MOVE_BASE_AFTER = 2 ** 23;

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
