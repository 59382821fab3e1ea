import { upperBound } from '../shared/sorted';
import { isOneRun, RawStore, RawValues } from './rawStore';

/**
 * Bounded history of ONE bpftrace variable: a shared time column and, per instance (map key),
 * a column of raw values and, for counters, a column of per-second rates computed at append time.
 *
 * Where the columns live: what a frame draws is a plain array (Grafana's panels copy a field's
 * values with `values.map`, which on a typed array would turn a gap, null, into 0). A counter
 * with rates draws its rates, so its raw values are kept apart in a typed array (rawStore.ts:
 * mostly half the bytes, exact, and outside the JS heap the garbage collector copies); a plain
 * array of them is made only if a frame asks for them as a column (counts instead of rates).
 *
 * Invariants the frame builders rely on:
 * - `times` is strictly increasing; every column has exactly `length` entries.
 * - An entry, once written, never changes: the arrays only grow by appending. Dropping old rows
 *   swaps in new arrays (never a splice), so a DataFrame that references the columns keeps
 *   seeing its own rows unchanged; only rows past its `length` appear later.
 * - Work per append is O(keys) plus, while old rows are being dropped, a bounded number of rows
 *   copied, with no stall: the successor arrays are filled a budget of rows per append (see
 *   Migration) and swapped in once all are, so no append copies the whole history.
 */

/** A column of values; null is a gap (no sample, counter reset, first sample of a counter). */
export type SeriesColumn = ReadonlyArray<number | null>;

export type { RawValues };

export type ColumnKind = 'raw' | 'rate';

export interface WideSeriesBufferOptions {
  /** How far back to keep samples, in ms. The buffer always covers at least this much. */
  retentionMs: number;
  /** Cumulative values (count(), hist(), lhist()). */
  counter: boolean;
  /**
   * Keep a per-second rate column for a counter (default: true). A stack map's rates are never
   * shown (a flame graph counts increases over a range), so it goes without, at half the memory.
   */
  rates?: boolean;
  /**
   * Thin out history older than `afterMs` to one row per `stepMs` (the rows in between are
   * dropped). For cumulative counts little is lost but resolution: the increase between two kept
   * rows holds every event between them (unless the counter was reset in between: then only
   * those since the reset). Rate columns are not recomputed, so it is meant for buffers
   * without rates (stack maps: a 10k-stack profile over 30 minutes would take ~150 MB at 1 s).
   */
  coarsen?: { afterMs: number; stepMs: number };
}

interface Series {
  /**
   * The raw values as a plain array: always without rates (frames draw them); for a counter with
   * rates only once asked for as a column, then kept up like the others.
   */
  raw?: Array<number | null>;
  /** A counter with rates: its raw values (see RawStore). */
  store?: RawStore;
  /** Present only for counters with rates. */
  rate?: Array<number | null>;
  /** The newest row's raw value (null for none): the next rate is counted from it. */
  latest: number | null;
  /** Row of the newest non-null raw value, -1 for none: a key with none left is forgotten. */
  lastSeen: number;
  /** Rows appended (the buffer's length once this row is complete). */
  rows: number;
  /**
   * The successor arrays while a migration runs (see Migration). A store has none: it drops its
   * old rows in place (see RawStore.dropFront and Compaction).
   */
  nextRaw?: Array<number | null>;
  nextRate?: Array<number | null>;
}

/**
 * Dropping rows (older than the retention, or thinned, see `coarsen`), spread over appends: each
 * append copies `budget` more of the rows listed in `sources` into successor arrays, series after
 * series (a series may take several appends: see Copying), and once every series is copied the
 * successors replace the current arrays. A budget of rows rather than of whole series spreads the
 * copy evenly however long the columns are: at 200 series × 7200 rows, a whole series per append
 * made every fifth tick twice as slow as the others. Each successor is allocated once at its
 * expected final size, so neither the copy nor the appends after the swap reallocate it.
 */
interface Migration {
  /** First row of the current arrays the successor keeps. */
  start: number;
  /** The current rows the successor keeps, ascending; rows appended meanwhile are added. */
  sources: number[];
  /** First entry of `sources` that is a fine row (not thinned by this or an earlier migration). */
  fineFrom: number;
  /** The series to copy, as they were when it started (later keys start migrated). */
  pending: Series[];
  /** Appends it is to take (see MIGRATION_SPEED). */
  appends: number;
  /**
   * The series being copied, if one is under way. Always present (undefined when none), so every
   * migration has one shape: pushValue reads the migration for every value, and a property added
   * later threw its optimized code away at each migration. The slower code meanwhile boxed each
   * rate it stored (measured: 4× the heap numbers, +0.5 MiB in a 200×1800 buffer).
   */
  copying: Copying | undefined;
  /** Rows (entries of `sources`) copied per append, all of a series' columns at once. */
  budget: number;
  capacity: number;
  /** The successor time column, complete from the start (one array is cheap to copy). */
  times: number[];
}

/**
 * A series whose successor arrays are partly filled: sources[0..copied). Until they are complete
 * they stay here, not on the series, so the rows appended meanwhile go to the current arrays only
 * (sources grows by them, and they are copied like the others); once complete they move to the
 * series, which from then on gets each new row twice, in both.
 */
interface Copying {
  series: Series;
  copied: number;
  raw?: Array<number | null>;
  rate?: Array<number | null>;
}

/**
 * After a swap, the stores (counters with rates) still hold the dropped rows ahead of their own
 * (RawStore.dropFront); each append moves a few of them to the front of their arrays, so that the
 * room those rows took is free again before the next migration, and no append moves them all.
 * Before RawStore worked this way, each migration made every series a successor store and
 * copied its rows, a third of a migrating append's cost (2000 × 1800: 0.11 of 0.33 ms).
 */
interface Compaction {
  series: Series[];
  /** Series compacted per append. */
  perAppend: number;
  /** The room each store gets: its rows until the next swap and the appends until compacted. */
  capacity: number;
}

/** The series of one keys array, by position: valid while the buffer's key list is the same. */
interface RowOrder {
  keys: readonly string[];
  keyList: readonly string[];
  series: Series[];
  /** Whether the keys are every key of the buffer (else the others get a gap). */
  all: boolean;
}

/** A value as the PMDA gave it: a number, or no value. */
function asNumber(value: unknown): number | null {
  return typeof value === 'number' ? value : null;
}

/**
 * A migration starts when the oldest row is this fraction of the retention past due. Memory is
 * about (1 + 2 × SLACK) × the retained rows (the arrays' room) plus a successor during a
 * migration; less slack means more frequent migrations (15 %: a 200×1800 counter buffer ~5.6 MiB).
 */
const SLACK = 0.15;
/**
 * A migration copies its rows within about this fraction of the rows it drops (in appends), so
 * about this fraction of the appends copy rows. Slower means fewer rows per append but successors
 * held longer. At 0.35, an append that copied cost 1.7–2× one that did not, and a third of them did:
 * they set the p99 (bench/cpu-per-tick, 2000×1800: p99 3.6–5.3× the median). At 0.5: 1.8–2.9×, and
 * the 200×1800 buffer's median memory over an eviction cycle 5.66–5.72 MiB against 5.41–5.77
 * (alternated runs). Past one half, the median memory is that of a buffer with its successor half
 * made (at 0.9: 7.5 MiB).
 */
const MIGRATION_SPEED = 0.5;

export class WideSeriesBuffer {
  readonly retentionMs: number;
  readonly counter: boolean;
  /** Whether counters have a 'rate' column. */
  readonly hasRates: boolean;

  private timeColumn: number[] = [];
  private series = new Map<string, Series>();
  /** Copy-on-write: replaced (never mutated) when keys are added or dropped. */
  private keyList: readonly string[] = [];
  /** appendRow's series by position for the last keys array (see orderOf). */
  private rowOrder?: RowOrder;
  /** columns()' answer per kind, for one key list; forgotten when a swap replaces the columns. */
  private readonly columnLists = new Map<ColumnKind, { keyList: readonly string[]; columns: SeriesColumn[] }>();
  private migration?: Migration;
  private compaction?: Compaction;
  /** First row that `coarsen` has not thinned yet. */
  private fineFrom = 0;
  private readonly coarsen?: { afterMs: number; stepMs: number };

  constructor({ retentionMs, counter, rates = true, coarsen }: WideSeriesBufferOptions) {
    if (!(retentionMs > 0) || !Number.isFinite(retentionMs)) {
      throw new RangeError(`retentionMs must be a positive finite number, got ${retentionMs}`);
    }
    this.retentionMs = retentionMs;
    this.counter = counter;
    this.hasRates = counter && rates;
    if (coarsen && coarsen.afterMs > 0 && coarsen.stepMs > 0) {
      if (this.hasRates) {
        // Rates are not recomputed for thinned rows, and a store drops only a run of its oldest.
        throw new RangeError('coarsen is for buffers without rates (set rates: false)');
      }
      this.coarsen = coarsen;
    }
  }

  /** Shared time column (ms since epoch), ascending. Re-read it after each append: a migration swaps it. */
  get times(): readonly number[] {
    return this.timeColumn;
  }

  /** Number of rows (samples) in every column. */
  get length(): number {
    return this.timeColumn.length;
  }

  /** Whether old rows are being dropped (see Migration): the bench tells those appends apart. */
  get migrating(): boolean {
    return this.migration !== undefined;
  }

  /** Whether stores are being compacted after a swap (see Compaction): the bench tells those apart too. */
  get compacting(): boolean {
    return this.compaction !== undefined;
  }

  /** Timestamp of the newest row, or undefined when empty. */
  get lastTimestamp(): number | undefined {
    const n = this.timeColumn.length;
    return n > 0 ? this.timeColumn[n - 1] : undefined;
  }

  /** Instance names in first-seen order (stable, so series keep their colours). An immutable snapshot. */
  keys(): readonly string[] {
    return this.keyList;
  }

  /**
   * The column of one key as a plain array a frame may reference, or undefined for an unknown key
   * or for 'rate' without rates. Re-read it after each append: a migration swaps it. (The first
   * 'raw' of a counter with rates makes that plain array; to read values, `values` costs less.)
   */
  column(key: string, kind: ColumnKind): SeriesColumn | undefined {
    const s = this.series.get(key);
    if (!s) {
      return undefined;
    }
    return kind === 'raw' ? this.plainRaw(s) : s.rate;
  }

  /**
   * Every key's column, in keys() order: what a frame references, with no lookup per key. The
   * same array while the keys and the columns stay (until a key comes or goes, or a migration
   * swaps the columns), so a tick's frame of 2,000 series costs no 2,000 map lookups (they were
   * over half of building it). Read-only; re-read after each append, as column().
   */
  columns(kind: 'raw'): readonly SeriesColumn[];
  columns(kind: ColumnKind): ReadonlyArray<SeriesColumn | undefined>;
  columns(kind: ColumnKind): ReadonlyArray<SeriesColumn | undefined> {
    const known = this.columnLists.get(kind);
    if (known && known.keyList === this.keyList) {
      return known.columns;
    }
    const columns = this.keyList.map((key) => this.column(key, kind)!);
    this.columnLists.set(kind, { keyList: this.keyList, columns });
    return columns;
  }

  /** The raw values of one key to read now (see RawValues), or undefined for an unknown key. */
  values(key: string): RawValues | undefined {
    const s = this.series.get(key);
    if (!s) {
      return undefined;
    }
    return s.raw ? { values: s.raw, offset: 0, older: 0, olderOffset: 0 } : s.store!.view(this.timeColumn.length);
  }

  /** The newest row's raw value of one key (null for none, or an unknown key). */
  latest(key: string): number | null {
    return this.series.get(key)?.latest ?? null;
  }

  /**
   * Adds one fetch. Keys missing from `values` get null this row; a key never seen before is
   * back-filled with nulls. Non-finite numbers are stored as null. A timestamp that is not newer
   * than the last one (a duplicate fetch) is ignored.
   *
   * `spanMs` is the time the change since the previous sample covers, when the caller knows it
   * better than the gap between timestamps: bpftrace prints once per interval, and a fetch that
   * lands just after two prints carries two intervals of counts in about one interval of time.
   * NaN when the caller knows the timestamps are wrong but not the span: the row gets no rate.
   *
   * @returns whether the sample was accepted.
   */
  append(timestampMs: number, values: ReadonlyMap<string, number | null>, spanMs?: number): boolean {
    const dtSeconds = this.secondsSince(timestampMs, spanMs);
    if (dtSeconds === undefined) {
      return false;
    }
    const n = this.timeColumn.length;
    // One pass over the known keys; counting the hits tells whether `values` has new ones.
    let known = 0;
    for (const [key, s] of this.series) {
      const v = values.get(key);
      if (v !== undefined) {
        known++;
      }
      this.pushValue(s, v === undefined ? null : v, dtSeconds, n);
    }
    if (known < values.size) {
      this.addKeys(values, dtSeconds, n);
    }
    this.endRow(timestampMs);
    return true;
  }

  /**
   * `append` for a fetch as it comes: `row[j].value` is the value of `keys[j]` (a number; anything
   * else is no value). The way a tick takes: while the same `keys` array comes again (the engine's
   * InstanceNames hands out the same one while a map's keys stay), each value goes to its series
   * by position, with no lookup and nothing built per tick.
   */
  appendRow(
    timestampMs: number,
    keys: readonly string[],
    row: ReadonlyArray<{ readonly value: unknown }>,
    spanMs?: number
  ): boolean {
    const order = this.orderOf(keys);
    if (!order) {
      // A key twice in one row (or a new key): the general way.
      const values = new Map<string, number | null>();
      keys.forEach((key, j) => values.set(key, asNumber(row[j].value)));
      return this.append(timestampMs, values, spanMs);
    }
    const dtSeconds = this.secondsSince(timestampMs, spanMs);
    if (dtSeconds === undefined) {
      return false;
    }
    const n = this.timeColumn.length;
    for (let j = 0; j < order.series.length; j++) {
      this.pushValue(order.series[j], asNumber(row[j].value), dtSeconds, n);
    }
    if (!order.all) {
      // Known keys this row does not have: a gap.
      for (const s of this.series.values()) {
        if (s.rows <= n) {
          this.pushValue(s, null, dtSeconds, n);
        }
      }
    }
    this.endRow(timestampMs);
    return true;
  }

  /** The time since the last row in s (or the span given), or undefined for a timestamp to ignore. */
  private secondsSince(timestampMs: number, spanMs: number | undefined): number | undefined {
    const times = this.timeColumn;
    const n = times.length;
    if (!Number.isFinite(timestampMs) || (n > 0 && timestampMs <= times[n - 1])) {
      return undefined;
    }
    // A span of NaN gives NaN seconds, which no rate takes (see pushValue).
    return n > 0 ? (spanMs === undefined ? timestampMs - times[n - 1] : spanMs) / 1000 : 0;
  }

  /**
   * The series of `keys` by position, made once per keys array and kept while the buffer's keys
   * stay; undefined when a key is new or comes twice (then `append` sorts it out).
   */
  private orderOf(keys: readonly string[]): RowOrder | undefined {
    const cached = this.rowOrder;
    if (cached && cached.keys === keys && cached.keyList === this.keyList) {
      return cached;
    }
    const series: Series[] = new Array(keys.length);
    const seen = new Set<Series>();
    for (let j = 0; j < keys.length; j++) {
      const s = this.series.get(keys[j]);
      if (!s || seen.has(s)) {
        return undefined;
      }
      seen.add(s);
      series[j] = s;
    }
    this.rowOrder = { keys, keyList: this.keyList, series, all: series.length === this.series.size };
    return this.rowOrder;
  }

  /** The row's time, and dropping old rows when due. */
  private endRow(timestampMs: number): void {
    const times = this.timeColumn;
    const n = times.length;
    times.push(timestampMs);

    if (this.compaction) {
      this.compact(this.compaction, this.compaction.perAppend);
    }
    if (this.migration) {
      this.migration.sources.push(n);
      this.migration.times.push(timestampMs);
      this.migrate(this.migration);
    } else if (
      timestampMs - times[0] > this.retentionMs * (1 + SLACK) ||
      (this.coarsen && timestampMs - times[this.fineFrom] > this.coarsen.afterMs * (1 + SLACK))
    ) {
      this.startMigration(timestampMs);
    }
  }

  /** Forgets every sample and key. */
  clear(): void {
    this.timeColumn = [];
    this.series = new Map();
    this.keyList = [];
    this.rowOrder = undefined;
    this.columnLists.clear();
    this.migration = undefined;
    this.compaction = undefined;
    this.fineFrom = 0;
  }

  /** Keys of `values` seen for the first time: back-filled with nulls, then this row's value. */
  private addKeys(values: ReadonlyMap<string, number | null>, dtSeconds: number, n: number): void {
    const added: string[] = [];
    for (const [key, v] of values) {
      if (this.series.has(key)) {
        continue;
      }
      const s: Series = { latest: null, lastSeen: -1, rows: n };
      const m = this.migration;
      if (this.hasRates) {
        s.store = new RawStore(n + 1);
        s.rate = nulls(n);
      } else {
        s.raw = nulls(n);
      }
      if (m) {
        // As if migrated already: null for every row the successor holds so far.
        if (s.rate) {
          s.nextRate = nulls(m.sources.length, m.capacity);
        } else {
          s.nextRaw = nulls(m.sources.length, m.capacity);
        }
      }
      this.pushValue(s, v, dtSeconds, n);
      this.series.set(key, s);
      added.push(key);
    }
    this.keyList = [...this.keyList, ...added];
  }

  private pushValue(s: Series, value: number | null, dtSeconds: number, row: number): void {
    const v = value !== null && Number.isFinite(value) ? value : null;
    if (s.rate) {
      const prev = s.latest;
      // No previous sample, a gap before, or a reset (clear(), restart): a gap, never a negative spike.
      const rate = v !== null && prev !== null && v >= prev && dtSeconds > 0 ? (v - prev) / dtSeconds : null;
      s.rate.push(rate);
      s.nextRate?.push(rate);
    }
    s.store?.set(row, v);
    s.raw?.push(v);
    s.nextRaw?.push(v);
    s.latest = v;
    s.rows = row + 1;
    if (v !== null) {
      s.lastSeen = row;
    }
  }

  /** The plain raw column of a series, made from its store the first time (see Series.raw). */
  private plainRaw(s: Series): Array<number | null> {
    if (!s.raw) {
      s.raw = s.store!.plain(this.timeColumn.length);
      const m = this.migration;
      if (m && s.nextRate) {
        // Already copied: its successor rows are the store's from the migration's start.
        s.nextRaw = s.store!.plain(m.sources.length, m.capacity, m.start);
      }
    }
    return s.raw;
  }

  /**
   * Plans dropping the rows older than the retention, keeping the newest row at or before the
   * window start so the series still reaches the window's left edge; and thinning (coarsen) the
   * fine rows older than its `afterMs` to one per `stepMs`.
   */
  private startMigration(nowMs: number): void {
    const times = this.timeColumn;
    const n = times.length;
    const start = Math.max(0, upperBound(times, nowMs - this.retentionMs) - 1);
    // Rows before coarseEnd are thinned (those from fineFrom on; earlier ones were already).
    const coarseEnd = this.coarsen ? Math.max(start, upperBound(times, nowMs - this.coarsen.afterMs)) : start;
    if (start === 0 && coarseEnd <= this.fineFrom) {
      return; // nothing to drop yet (a gap after the first row)
    }
    const sources: number[] = [];
    let lastKept = -Infinity;
    for (let r = start; r < coarseEnd; r++) {
      if (r < this.fineFrom || r === start || times[r] >= lastKept + this.coarsen!.stepMs) {
        sources.push(r);
        lastKept = times[r];
      }
    }
    const fineFrom = sources.length;
    for (let r = coarseEnd; r < n; r++) {
      sources.push(r);
    }
    const dropped = n - sources.length;
    if (dropped <= 0) {
      this.fineFrom = coarseEnd; // every row before it is as coarse as it gets
      return;
    }
    const appends = Math.max(1, Math.floor(dropped * MIGRATION_SPEED));
    if (this.compaction) {
      // Rarely (a retention of a few rows): the last swap's stores, before this one's.
      this.compact(this.compaction, this.compaction.series.length);
    }
    // Room for the rows that come during the migration and until the next one starts.
    const capacity = sources.length + appends + dropped + 16;
    const pending = [...this.series.values()];
    const m: Migration = {
      start,
      sources,
      fineFrom,
      pending,
      appends,
      copying: undefined,
      // Each series' rows when its copy ends are at most those of the last append.
      budget: Math.ceil((pending.length * (sources.length + appends)) / appends),
      capacity,
      times: withLength(copyRows(times, preallocated(capacity), sources, 0, sources.length), sources.length),
    };
    this.migration = m;
    this.migrate(m);
  }

  /** Copies `budget` more rows into successor arrays; swaps them all in once every series is copied. */
  private migrate(m: Migration): void {
    let budget = m.budget;
    while (budget > 0 && (m.copying || m.pending.length > 0)) {
      const c = (m.copying ??= this.startCopy(m, m.pending.pop()!));
      const s = c.series;
      const from = c.copied;
      const to = Math.min(m.sources.length, from + budget);
      if (c.raw) {
        copyRows(s.raw!, c.raw, m.sources, from, to);
      }
      if (c.rate) {
        copyRows(s.rate!, c.rate, m.sources, from, to);
      }
      c.copied = to;
      budget -= to - from;
      if (to === m.sources.length) {
        this.endCopy(m, c);
      }
    }
    if (!m.copying && m.pending.length === 0) {
      this.swap(m);
    }
  }

  /**
   * Successor arrays for one series, empty, at the migration's capacity. The appends that start
   * one are the slowest of a migration: at 200 × 7200, 48–55 µs against ~20 for those that only
   * copy (append alone, Node 20); making the arrays takes ~30 µs of it, the Float32Array ~18 (2 µs
   * when made and dropped at once). Measured and dropped: counting the making in the row budget
   * (the appends that start a series copy fewer rows; the migrations then ran past their
   * capacity and some appends took 20–28 ms), and views on one preallocated buffer (startCopy
   * 31 → 20 µs, yet the appends that start a series stayed at ~48 µs: the first rows copied into
   * fresh arrays cost the rest).
   *
   * The successors are what makes a migration's scavenges slow: they live on, so each young
   * collection copies them (2000 × 1800: pauses of 1.6–4.4 ms, one every ~14 ticks, against ticks
   * of ~0.42 ms). Also measured and dropped: making the successors 16 at a time instead of one by
   * one. In the bench every scavenge then fell between ticks (0 of 57 inside one, against 9–10),
   * which took the p99 from 3.9–4.9× the median to 1.6–2.5×, with the same pauses. A browser
   * pauses for them all the same, wherever they fall: it moved the pauses, not removed them.
   */
  private startCopy(m: Migration, s: Series): Copying {
    return {
      series: s,
      copied: 0,
      raw: s.raw && preallocated(m.capacity),
      rate: s.rate && preallocated(m.capacity),
    };
  }

  /** A series' successors are complete: they go to the series, which writes each new row to them too. */
  private endCopy(m: Migration, c: Copying): void {
    const s = c.series;
    const rows = m.sources.length;
    // Only the properties the series has columns for: one set to undefined would give this
    // series another shape than its peers, which pushValue reads for every value (see copying).
    if (c.rate) {
      s.nextRate = withLength(c.rate, rows);
    }
    if (c.raw) {
      s.nextRaw = withLength(c.raw, rows);
    } else if (s.raw && s.store) {
      // A frame asked for the plain raw column while this series was being copied: the store's
      // rows from the migration's start (a store's rows are one run: no coarsen with rates).
      s.nextRaw = s.store.plain(rows, m.capacity, m.start);
    }
    m.copying = undefined;
  }

  /** The successor arrays become the columns; keys with no value left are forgotten. */
  private swap(m: Migration): void {
    this.migration = undefined;
    this.columnLists.clear();
    const rows = m.sources.length;
    this.timeColumn = withLength(m.times, rows);
    this.fineFrom = m.fineFrom;
    let dropped = false;
    const stores: Series[] = [];
    for (const [key, s] of this.series) {
      if (s.lastSeen < m.start) {
        this.series.delete(key);
        dropped = true;
        continue;
      }
      if (s.raw) {
        s.raw = withLength(s.nextRaw!, rows);
        s.nextRaw = undefined;
      }
      if (s.store) {
        s.store.dropFront(m.start);
        stores.push(s);
      }
      if (s.rate) {
        s.rate = withLength(s.nextRate!, rows);
        s.nextRate = undefined;
      }
      // Its row now (or the kept row before it, when thinning dropped that row).
      s.lastSeen = Math.max(0, upperBound(m.sources, s.lastSeen) - 1);
      s.rows = rows;
    }
    if (dropped) {
      this.keyList = this.keyList.filter((k) => this.series.has(k));
    }
    if (stores.length > 0) {
      // Within half the appends the migration took; the room: the rows until the next swap (the
      // migration's capacity) and those appended until a store is compacted.
      const appends = Math.max(1, Math.ceil(m.appends / 2));
      this.compaction = {
        series: stores,
        perAppend: Math.ceil(stores.length / appends),
        capacity: m.capacity + appends,
      };
    }
  }

  /** Moves `count` more stores' rows to the front of their arrays (see Compaction). */
  private compact(c: Compaction, count: number): void {
    const rows = this.timeColumn.length;
    for (let i = 0; i < count && c.series.length > 0; i++) {
      const s = c.series.pop()!;
      s.store!.compact(rows, c.capacity);
    }
    if (c.series.length === 0) {
      this.compaction = undefined;
    }
  }
}

/** `n` nulls, in an array with room for `capacity` entries. */
function nulls(n: number, capacity = n): Array<number | null> {
  const a: Array<number | null> = preallocated(Math.max(n, capacity));
  for (let i = 0; i < n; i++) {
    a[i] = null;
  }
  return withLength(a, n);
}

/**
 * An empty array whose backing store has room for `capacity` entries: writes up to there (by
 * index, then push) never reallocate. (Shortening the length keeps the store while it is less
 * than about twice the length, which withLength's callers respect.)
 */
function preallocated<T>(capacity: number): T[] {
  return new Array<T>(capacity);
}

function withLength<T>(a: T[], n: number): T[] {
  a.length = n;
  return a;
}

/**
 * dst[i] = src[sources[i]] for i in [from, to). The caller sets dst's length once it is complete
 * (not after each piece: shortening a preallocated array to a piece would give up its room).
 */
function copyRows<T>(src: readonly T[], dst: T[], sources: readonly number[], from: number, to: number): T[] {
  if (isOneRun(sources, from, to)) {
    const offset = sources[from] - from;
    for (let i = from; i < to; i++) {
      dst[i] = src[i + offset];
    }
    return dst;
  }
  for (let i = from; i < to; i++) {
    dst[i] = src[sources[i]];
  }
  return dst;
}
