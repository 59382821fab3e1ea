import { rawValueAt } from './rawStore';
import { SeriesColumn as SeriesColumnRef, WideSeriesBuffer } from './WideSeriesBuffer';

const T0 = 1_700_000_000_000;

/** The raw values of a key as numbers (null for none), read through values(). */
function read(b: WideSeriesBuffer, key: string): Array<number | null> {
  const raw = b.values(key)!;
  return Array.from({ length: raw.values.length }, (_, i) => rawValueAt(raw, i));
}

function m(entries: Record<string, number | null>): Map<string, number | null> {
  return new Map(Object.entries(entries));
}

/** Appends one row per entry, 1 s apart from T0. */
function fill(buffer: WideSeriesBuffer, rows: Array<Record<string, number | null>>, stepMs = 1000): void {
  rows.forEach((row, i) => buffer.append(T0 + i * stepMs, m(row)));
}

describe('WideSeriesBuffer', () => {
  describe('rates', () => {
    it('turns cumulative counts into per-second rates, first sample null', () => {
      const b = new WideSeriesBuffer({ retentionMs: 60_000, counter: true });
      fill(b, [{ a: 0 }, { a: 10 }, { a: 30 }, { a: 30 }]);
      expect(b.column('a', 'raw')).toEqual([0, 10, 30, 30]);
      expect(b.column('a', 'rate')).toEqual([null, 10, 20, 0]);
    });

    it('divides by the real interval between samples', () => {
      const b = new WideSeriesBuffer({ retentionMs: 60_000, counter: true });
      b.append(T0, m({ a: 100 }));
      b.append(T0 + 2000, m({ a: 200 }));
      b.append(T0 + 2500, m({ a: 210 }));
      expect(b.column('a', 'rate')).toEqual([null, 50, 20]);
    });

    it('divides by the span the caller knows; a span of NaN (not known) gives no rate, not a guess', () => {
      const b = new WideSeriesBuffer({ retentionMs: 60_000, counter: true });
      b.append(T0, m({ a: 0 }));
      // Two prints in one second of fetches: the counter grew by two seconds' worth.
      b.append(T0 + 1000, m({ a: 20 }), 2000);
      b.appendRow(T0 + 2000, ['a'], [{ value: 30 }], NaN);
      b.appendRow(T0 + 3000, ['a'], [{ value: 40 }]);
      expect(b.column('a', 'rate')).toEqual([null, 10, null, 10]);
      expect(b.column('a', 'raw')).toEqual([0, 20, 30, 40]);
    });

    it('gives a gap, not a negative spike, when a counter goes backwards (bpftrace clear())', () => {
      const b = new WideSeriesBuffer({ retentionMs: 60_000, counter: true });
      fill(b, [{ a: 100 }, { a: 150 }, { a: 5 }, { a: 25 }]);
      expect(b.column('a', 'rate')).toEqual([null, 50, null, 20]);
      expect(b.column('a', 'raw')).toEqual([100, 150, 5, 25]);
    });

    it('has no rate column for non-counters, and keeps decreasing values as they are', () => {
      const b = new WideSeriesBuffer({ retentionMs: 60_000, counter: false });
      fill(b, [{ a: 5 }, { a: 3 }, { a: 7 }]);
      expect(b.column('a', 'raw')).toEqual([5, 3, 7]);
      expect(b.column('a', 'rate')).toBeUndefined();
    });

    it('stores non-finite values as gaps', () => {
      const b = new WideSeriesBuffer({ retentionMs: 60_000, counter: true });
      fill(b, [{ a: 1 }, { a: NaN }, { a: 3 }, { a: 4 }]);
      expect(b.column('a', 'raw')).toEqual([1, null, 3, 4]);
      expect(b.column('a', 'rate')).toEqual([null, null, null, 1]);
    });
  });

  describe('appendRow', () => {
    it('gives a key that comes twice in one row its last value, like a Map would', () => {
      const b = new WideSeriesBuffer({ retentionMs: 60_000, counter: false });
      b.appendRow(T0, ['a', 'b', 'a'], [{ value: 1 }, { value: 2 }, { value: 3 }]);
      expect(b.keys()).toEqual(['a', 'b']);
      expect(b.column('a', 'raw')).toEqual([3]);
    });

    it('takes a value that is not a number (a string, null) as no value', () => {
      const b = new WideSeriesBuffer({ retentionMs: 60_000, counter: false });
      const keys = ['a', 'b'];
      b.appendRow(T0, keys, [{ value: 1 }, { value: 2 }]);
      b.appendRow(T0 + 1000, keys, [{ value: 'x' }, { value: null }]);
      b.appendRow(T0 + 2000, ['b'], [{ value: 5 }]);
      expect(b.column('a', 'raw')).toEqual([1, null, null]);
      expect(b.column('b', 'raw')).toEqual([2, null, 5]);
    });
  });

  describe('precision of raw counts', () => {
    it('keeps every count exact, past float32 (2^24) and up to 2^53, and rates from exact counts', () => {
      const b = new WideSeriesBuffer({ retentionMs: 60_000, counter: true });
      const big = 2 ** 53 - 1;
      fill(b, [
        { a: 16_777_215, b: 7 },
        { a: 16_777_217, b: 9 },
        { a: big - 4, b: 11 },
        { a: big, b: 11 },
      ]);
      expect(read(b, 'a')).toEqual([16_777_215, 16_777_217, big - 4, big]);
      expect(b.column('a', 'raw')).toEqual([16_777_215, 16_777_217, big - 4, big]);
      expect(b.column('a', 'rate')).toEqual([null, 2, big - 4 - 16_777_217, 4]);
      expect(read(b, 'b')).toEqual([7, 9, 11, 11]);
      expect(b.latest('a')).toBe(big);
    });

    it('keeps fractional raw values (a sum() of fractions, if a PMDA sends one) as they came', () => {
      const b = new WideSeriesBuffer({ retentionMs: 60_000, counter: true });
      fill(b, [{ a: 0.5 }, { a: 0.75 }, { a: 1.1 }]);
      expect(read(b, 'a')).toEqual([0.5, 0.75, 1.1]);
      expect(b.column('a', 'rate')![2]).toBeCloseTo(0.35, 12);
    });
  });

  describe('instances that come and go', () => {
    it('gives null to a key absent this tick, and no rate across the gap', () => {
      const b = new WideSeriesBuffer({ retentionMs: 60_000, counter: true });
      fill(b, [{ a: 1, b: 10 }, { a: 2, b: 20 }, { b: 30 }, { a: 4, b: 40 }, { a: 5, b: 50 }]);
      expect(b.column('a', 'raw')).toEqual([1, 2, null, 4, 5]);
      expect(b.column('a', 'rate')).toEqual([null, 1, null, null, 1]);
      expect(b.column('b', 'rate')).toEqual([null, 10, 10, 10, 10]);
    });

    it('treats an explicit null like an absent key', () => {
      const b = new WideSeriesBuffer({ retentionMs: 60_000, counter: true });
      fill(b, [{ a: 1 }, { a: null }, { a: 3 }]);
      expect(b.column('a', 'raw')).toEqual([1, null, 3]);
      expect(b.column('a', 'rate')).toEqual([null, null, null]);
    });

    it('back-fills a new key with nulls and keeps keys in first-seen order', () => {
      const b = new WideSeriesBuffer({ retentionMs: 60_000, counter: true });
      fill(b, [{ z: 1 }, { z: 2 }, { z: 3, a: 7 }, { z: 4, a: 9 }]);
      expect(b.keys()).toEqual(['z', 'a']);
      expect(b.length).toBe(4);
      expect(b.column('a', 'raw')).toEqual([null, null, 7, 9]);
      expect(b.column('a', 'rate')).toEqual([null, null, null, 2]);
      for (const key of b.keys()) {
        expect(b.column(key, 'raw')).toHaveLength(b.times.length);
        expect(b.column(key, 'rate')).toHaveLength(b.times.length);
      }
    });

    it('returns key lists as snapshots that later appends do not change', () => {
      const b = new WideSeriesBuffer({ retentionMs: 60_000, counter: false });
      b.append(T0, m({ a: 1 }));
      const before = b.keys();
      b.append(T0 + 1000, m({ a: 1, b: 2 }));
      expect(before).toEqual(['a']);
      expect(b.keys()).toEqual(['a', 'b']);
    });

    it('handles an empty fetch as a row of nulls', () => {
      const b = new WideSeriesBuffer({ retentionMs: 60_000, counter: false });
      fill(b, [{ a: 1 }, {}, { a: 3 }]);
      expect(b.times).toEqual([T0, T0 + 1000, T0 + 2000]);
      expect(b.column('a', 'raw')).toEqual([1, null, 3]);
    });

    it('uses the key "" for a scalar', () => {
      const b = new WideSeriesBuffer({ retentionMs: 60_000, counter: true });
      fill(b, [{ '': 4 }, { '': 6 }]);
      expect(b.keys()).toEqual(['']);
      expect(b.column('', 'rate')).toEqual([null, 2]);
    });
  });

  describe('timestamps', () => {
    it('ignores a timestamp equal to or older than the last one', () => {
      const b = new WideSeriesBuffer({ retentionMs: 60_000, counter: true });
      expect(b.append(T0, m({ a: 1 }))).toBe(true);
      expect(b.append(T0 + 1000, m({ a: 2 }))).toBe(true);
      expect(b.append(T0 + 1000, m({ a: 99, b: 1 }))).toBe(false);
      expect(b.append(T0 + 500, m({ a: 99 }))).toBe(false);
      expect(b.append(NaN, m({ a: 99 }))).toBe(false);
      expect(b.length).toBe(2);
      expect(b.keys()).toEqual(['a']);
      expect(b.column('a', 'raw')).toEqual([1, 2]);
      expect(b.lastTimestamp).toBe(T0 + 1000);
    });

    it('clear() forgets samples and keys', () => {
      const b = new WideSeriesBuffer({ retentionMs: 60_000, counter: true });
      fill(b, [{ a: 1 }, { a: 2 }]);
      b.clear();
      expect(b.length).toBe(0);
      expect(b.times).toEqual([]);
      expect(b.keys()).toEqual([]);
      expect(b.column('a', 'raw')).toBeUndefined();
      expect(b.lastTimestamp).toBeUndefined();
      // An older timestamp is accepted again after clear(), and starts a fresh rate.
      expect(b.append(T0, m({ a: 50 }))).toBe(true);
      expect(b.column('a', 'rate')).toEqual([null]);
    });

    it('refuses to thin the history of a counter with rates (rates are not recomputed for thinned rows)', () => {
      const coarsen = { afterMs: 60_000, stepMs: 10_000 };
      expect(() => new WideSeriesBuffer({ retentionMs: 600_000, counter: true, coarsen })).toThrow(RangeError);
      expect(() => new WideSeriesBuffer({ retentionMs: 600_000, counter: true, rates: false, coarsen })).not.toThrow();
    });

    it('rejects a retention that is not a positive number', () => {
      expect(() => new WideSeriesBuffer({ retentionMs: 0, counter: false })).toThrow(RangeError);
      expect(() => new WideSeriesBuffer({ retentionMs: NaN, counter: false })).toThrow(RangeError);
    });
  });

  describe('eviction', () => {
    const retentionMs = 60_000; // 60 rows at 1 s

    it('always covers the retention and bounds memory to 1.3 × the retained rows + 2', () => {
      const b = new WideSeriesBuffer({ retentionMs, counter: true });
      let maxLength = 0;
      for (let i = 0; i < 600; i++) {
        const t = T0 + i * 1000;
        b.append(t, m({ a: i, b: 2 * i }));
        maxLength = Math.max(maxLength, b.length);
        expect(b.times[b.length - 1]).toBe(t);
        // Covers the whole window once there is that much history.
        expect(b.times[0]).toBeLessThanOrEqual(Math.max(T0, t - retentionMs));
      }
      expect(maxLength).toBeLessThanOrEqual(1.3 * 60 + 2);
      expect(b.length).toBeLessThanOrEqual(1.3 * 60 + 2);
      expect(b.length).toBeGreaterThanOrEqual(61);
      for (const key of b.keys()) {
        expect(b.column(key, 'raw')).toHaveLength(b.length);
        expect(b.column(key, 'rate')).toHaveLength(b.length);
      }
      // Rows stay aligned with their times after eviction.
      const i0 = (b.times[0] - T0) / 1000;
      expect(b.column('a', 'raw')![0]).toBe(i0);
      expect(b.column('b', 'raw')![0]).toBe(2 * i0);
      expect(b.column('b', 'rate')![0]).toBe(2);
    });

    it('drops old rows in batches, not on every append', () => {
      const b = new WideSeriesBuffer({ retentionMs, counter: true });
      let swaps = 0;
      let times = b.times;
      for (let i = 0; i < 600; i++) {
        b.append(T0 + i * 1000, m({ a: i }));
        if (b.times !== times) {
          swaps++;
          times = b.times;
        }
      }
      // A swap every ~9 rows (SLACK 15 % of 60, plus the migration); one-per-append would be ~525.
      expect(swaps).toBeGreaterThan(20);
      expect(swaps).toBeLessThan(60);
    });

    it('never rewrites rows that a reader already holds: eviction swaps the arrays', () => {
      const b = new WideSeriesBuffer({ retentionMs, counter: true });
      for (let i = 0; i < 70; i++) {
        b.append(T0 + i * 1000, m({ a: i }));
      }
      const times = b.times;
      const rate = b.column('a', 'rate')!;
      const heldLength = b.length;
      const heldTimes = times.slice();
      const heldRate = rate.slice();
      for (let i = 70; i < 200; i++) {
        b.append(T0 + i * 1000, m({ a: i }));
      }
      expect(b.times).not.toBe(times);
      expect(times.slice(0, heldLength)).toEqual(heldTimes);
      expect(rate.slice(0, heldLength)).toEqual(heldRate);
    });

    it('forgets keys that have had no value for the whole retained window', () => {
      const b = new WideSeriesBuffer({ retentionMs, counter: true });
      b.append(T0, m({ gone: 1, stay: 1 }));
      for (let i = 1; i < 300; i++) {
        b.append(T0 + i * 1000, m({ stay: i }));
      }
      expect(b.keys()).toEqual(['stay']);
      expect(b.column('gone', 'raw')).toBeUndefined();
      // It comes back as a new key, back-filled.
      b.append(T0 + 300_000, m({ gone: 5, stay: 300 }));
      expect(b.keys()).toEqual(['stay', 'gone']);
      const gone = b.column('gone', 'raw')!;
      expect(gone).toHaveLength(b.length);
      expect(gone[gone.length - 1]).toBe(5);
      expect(gone.slice(0, -1).every((v) => v === null)).toBe(true);
    });

    it('copes with a pause longer than the retention', () => {
      const b = new WideSeriesBuffer({ retentionMs, counter: true });
      for (let i = 0; i < 10; i++) {
        b.append(T0 + i * 1000, m({ a: i }));
      }
      const later = T0 + 10 * retentionMs;
      b.append(later, m({ a: 100 }));
      b.append(later + 1000, m({ a: 101 }));
      // The newest row before the window is kept as its left edge; everything older is gone.
      expect(b.times[0]).toBeLessThanOrEqual(later + 1000 - retentionMs);
      expect(b.length).toBe(3);
      expect(b.column('a', 'rate')).toEqual([1, (100 - 9) / ((later - (T0 + 9000)) / 1000), 1]);
    });
  });

  describe('dropping old rows without a stall', () => {
    const retentionMs = 600_000; // 600 rows at 1 s

    /** A random stream: keys come and go, some appends skip seconds, a few values are null. */
    function stream(seed: number, count: number, from = 0) {
      let a = seed;
      const random = () => (a = (a * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      const rows: Array<{ t: number; values: Map<string, number | null> }> = [];
      let t = T0;
      const counts = new Map<string, number>();
      for (let i = 0; i < count; i++) {
        t += random() < 0.05 ? 1000 * (2 + Math.floor(random() * 30)) : 1000;
        const values = new Map<string, number | null>();
        for (let k = 0; k < 12; k++) {
          // Key k lives in some stretches of time only.
          if (Math.floor((t - T0) / 1000 / (100 + 37 * k)) % 3 === 2) {
            continue;
          }
          const key = `k${k}`;
          const v = (counts.get(key) ?? from) + Math.floor(random() * 10);
          counts.set(key, v);
          values.set(key, random() < 0.02 ? null : v);
        }
        rows.push({ t, values });
      }
      return rows;
    }

    it('holds, after every append, exactly the newest rows of everything appended, aligned', () => {
      const rows = stream(7, 3000);
      const b = new WideSeriesBuffer({ retentionMs, counter: true });
      rows.forEach(({ t, values }, i) => {
        b.append(t, values);
        const n = b.length;
        const firstRow = i + 1 - n;
        expect(b.times).toEqual(rows.slice(firstRow, i + 1).map((r) => r.t));
        // Covers the retention: the first row is at or before the window start.
        expect(b.times[0]).toBeLessThanOrEqual(Math.max(rows[0].t, t - retentionMs));
        if (i % 97 === 0) {
          for (const key of b.keys()) {
            const expected = rows.slice(firstRow, i + 1).map((r) => r.values.get(key) ?? null);
            expect(b.column(key, 'raw')).toEqual(expected);
            expect(b.column(key, 'rate')).toHaveLength(n);
          }
        }
      });
    });

    // From 0, and from 2^40 + 1 (counts float32 holds only as differences to a count of the series).
    it.each([0, 2 ** 40 + 1])(
      'keeps the raw values of a counter with rates apart, exact across migrations, until a frame asks for them (counts from %d)',
      (from) => {
        const rows = stream(5, 3000, from);
        const b = new WideSeriesBuffer({ retentionMs, counter: true });
        const expected = (key: string, i: number) =>
          rows.slice(i + 1 - b.length, i + 1).map((r) => r.values.get(key) ?? null);
        rows.forEach(({ t, values }, i) => {
          b.append(t, values);
          if (i % 89 === 0) {
            for (const key of b.keys()) {
              expect(read(b, key)).toEqual(expected(key, i));
              expect(b.latest(key)).toBe(values.get(key) ?? null);
            }
          }
          // A frame of counts (rate off) first asks for a key's plain column late in the run, each key
          // at another row (k0 at 1700, k1 at 1711, …: before, during and after migrations); from then
          // on the plain column is kept up as well.
          for (const key of b.keys()) {
            const first = 1700 + 11 * Number(key.slice(1));
            if (i === first || (i > first && i % 13 === 0)) {
              expect(b.column(key, 'raw')).toEqual(expected(key, i));
            }
          }
        });
      }
    );

    it('keeps a fast counter exact for hours, across migrations, compactions and moves of its base', () => {
      // 10,000-20,000 a row: the rows kept (up to ~700) always span less than float32's exact
      // range (2^24), but the counts leave it from any one base within ~1,100 rows; only a base
      // that moves keeps them narrow (rows before a move keep the old base until dropped), and
      // every row must read back exact.
      const b = new WideSeriesBuffer({ retentionMs, counter: true });
      let a = 11;
      const random = () => (a = (a * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      let count = 2 ** 33;
      const kept: Array<number | null> = [];
      for (let i = 0; i < 4000; i++) {
        count += 10_000 + Math.floor(random() * 10_000);
        const v = random() < 0.03 ? null : count;
        kept.push(v);
        b.append(T0 + i * 1000, m({ a: v }));
        if (i % 7 === 0) {
          expect(read(b, 'a')).toEqual(kept.slice(kept.length - b.length));
        }
      }
    });

    it('keeps a plain raw column asked for at any step of a migration, the series being copied included', () => {
      // A migration copies a series over several appends; a frame may ask for counts (the plain
      // raw column) at any of them. Asked at the 1st, 2nd, 10th … migrating append, for every
      // key: one of them is always the series being copied then.
      const rows = stream(3, 1500);
      for (const at of [1, 2, 10, 25, 40]) {
        const b = new WideSeriesBuffer({ retentionMs, counter: true });
        let migratingAppends = 0;
        let asked = false;
        rows.forEach(({ t, values }, i) => {
          b.append(t, values);
          migratingAppends += b.migrating ? 1 : 0;
          if (!asked && migratingAppends === at) {
            asked = true;
            b.keys().forEach((key) => b.column(key, 'raw'));
          }
          if (asked && i % 7 === 0) {
            for (const key of b.keys()) {
              const expected = rows.slice(i + 1 - b.length, i + 1).map((r) => r.values.get(key) ?? null);
              expect({ at, i, key, raw: b.column(key, 'raw') }).toEqual({ at, i, key, raw: expected });
            }
          }
        });
        expect({ at, asked }).toEqual({ at, asked: true });
      }
    });

    it('gives every row the rate and count it had, through migrations', () => {
      // Rows appended while a migration copies go to both the current and the successor arrays.
      const rows = stream(7, 3000);
      const b = new WideSeriesBuffer({ retentionMs, counter: true });
      const whole = new WideSeriesBuffer({ retentionMs: 1e9, counter: true }); // never drops a row
      rows.forEach(({ t, values }, i) => {
        b.append(t, values);
        whole.append(t, values);
        if (i % 7 === 0) {
          const n = b.length;
          const offset = whole.length - n;
          for (const key of b.keys()) {
            expect(b.column(key, 'rate')).toEqual(whole.column(key, 'rate')!.slice(offset));
            expect(read(b, key)).toEqual(read(whole, key).slice(offset));
          }
        }
      });
    });

    it('takes a fetch by position (appendRow) exactly as by name (append), keys coming and going', () => {
      const rows = stream(13, 3000);
      const byName = new WideSeriesBuffer({ retentionMs, counter: true });
      const byPosition = new WideSeriesBuffer({ retentionMs, counter: true });
      let keys: string[] = [];
      rows.forEach(({ t, values }, i) => {
        byName.append(t, values);
        // The same keys array while the keys stay, as the engine's InstanceNames hands them out.
        const now = [...values.keys()];
        if (now.join() !== keys.join()) {
          keys = now;
        }
        byPosition.appendRow(
          t,
          keys,
          keys.map((k) => ({ value: values.get(k) }))
        );
        if (i % 53 === 0) {
          expect(byPosition.times).toEqual(byName.times);
          expect(byPosition.keys()).toEqual(byName.keys());
          for (const key of byName.keys()) {
            expect(byPosition.column(key, 'rate')).toEqual(byName.column(key, 'rate'));
            expect(read(byPosition, key)).toEqual(read(byName, key));
          }
        }
      });
    });

    it('never changes a row a frame already holds, across migrations, new keys and dropped keys', () => {
      const rows = stream(11, 2500);
      const b = new WideSeriesBuffer({ retentionMs, counter: true });
      const held: Array<{
        times: readonly number[];
        snapshot: number[];
        columns: Array<[SeriesColumnRef, unknown[]]>;
      }> = [];
      rows.forEach(({ t, values }, i) => {
        b.append(t, values);
        if (i % 50 === 0) {
          const n = b.length;
          held.push({
            times: b.times,
            snapshot: b.times.slice(0, n),
            columns: b.keys().flatMap((k) => {
              const raw = b.column(k, 'raw')!;
              const rate = b.column(k, 'rate')!;
              return [
                [raw, raw.slice(0, n)],
                [rate, rate.slice(0, n)],
              ] as Array<[SeriesColumnRef, unknown[]]>;
            }),
          });
        }
      });
      for (const h of held) {
        const n = h.snapshot.length;
        expect(h.times.slice(0, n)).toEqual(h.snapshot);
        for (const [column, snapshot] of h.columns) {
          expect(column.slice(0, n)).toEqual(snapshot);
        }
      }
    });
  });

  describe('coarsen: thinning old history', () => {
    const options = { retentionMs: 600_000, counter: true, rates: false, coarsen: { afterMs: 60_000, stepMs: 10_000 } };

    it('keeps every row of the recent past and one per step before it, and the counts between kept rows', () => {
      const b = new WideSeriesBuffer(options);
      let total = 0;
      const totals = new Map<number, number>();
      for (let i = 0; i < 2000; i++) {
        total += i % 7; // cumulative: +0…+6 per second
        const t = T0 + i * 1000;
        totals.set(t, total);
        b.append(t, m({ a: total }));
        const times = b.times;
        const now = t;
        // Every second of the last minute is there.
        const recent = times.filter((x) => x > now - 60_000);
        expect(recent).toHaveLength(Math.min(i + 1, 60));
        // Older rows are at least a step apart (the first, the window's edge, aside).
        // (Thinning runs once the fine rows span 1.2 × afterMs, and takes a few appends.)
        const old = times.filter((x) => x <= now - 80_000);
        for (let k = 2; k < old.length; k++) {
          expect(old[k] - old[k - 1]).toBeGreaterThanOrEqual(10_000);
        }
        expect(times[0]).toBeLessThanOrEqual(Math.max(T0, now - 600_000));
        // Each kept row still holds the count at its time: increases between kept rows are exact.
        if (i % 101 === 0) {
          expect(b.column('a', 'raw')).toEqual(times.map((x) => totals.get(x)));
        }
      }
      // 10 minutes: ~54 thinned rows + ~60–72 fine ones, instead of 600.
      expect(b.length).toBeLessThan(140);
    });

    it('forgets a key whose last value left the retention, as without thinning', () => {
      const b = new WideSeriesBuffer(options);
      b.append(T0, m({ gone: 1, stay: 1 }));
      for (let i = 1; i < 1000; i++) {
        b.append(T0 + i * 1000, m({ stay: i }));
      }
      expect(b.keys()).toEqual(['stay']);
    });
  });

  describe("columns: every key's column in key order, for frames", () => {
    /** What columns() must equal at any moment: each key's own column. */
    const expectColumns = (b: WideSeriesBuffer) => {
      for (const kind of ['raw', 'rate'] as const) {
        const columns = b.columns(kind);
        expect(columns).toHaveLength(b.keys().length);
        b.keys().forEach((key, i) => expect(columns[i]).toBe(b.column(key, kind)));
      }
    };

    it('is the same array while keys and columns stay, the columns growing with each row', () => {
      const b = new WideSeriesBuffer({ retentionMs: 60_000, counter: true });
      fill(b, [
        { a: 1, b: 2 },
        { a: 3, b: 5 },
      ]);
      const before = b.columns('rate');
      b.append(T0 + 2000, m({ a: 6, b: 9 }));
      expect(b.columns('rate')).toBe(before);
      expect(before[0]).toEqual([null, 2, 3]);
      expectColumns(b);
    });

    it('follows keys that come and go, a migration swapping the columns, and clear()', () => {
      const b = new WideSeriesBuffer({ retentionMs: 20_000, counter: true });
      const seen = new Set<ReadonlyArray<SeriesColumnRef | undefined>>();
      for (let i = 0; i < 120; i++) {
        // `late` from row 30 on; `early` stops at row 50 and is forgotten once its rows are dropped.
        const row: Record<string, number | null> = { a: i * 2 };
        if (i >= 30) {
          row.late = i;
        }
        if (i < 50) {
          row.early = 100 + i;
        }
        b.append(T0 + i * 1000, m(row));
        seen.add(b.columns('rate'));
        expectColumns(b);
      }
      expect(b.keys()).toEqual(['a', 'late']);
      // New arrays only when something changed: far fewer than one per row.
      expect(seen.size).toBeGreaterThan(3);
      expect(seen.size).toBeLessThan(40);
      b.clear();
      expect(b.columns('raw')).toEqual([]);
    });
  });
});
