import { RawStore } from './rawStore';

/** Rows 0..n-1 read back. */
const rows = (s: RawStore, n: number) => Array.from({ length: n }, (_, i) => s.get(i));

/** A successor holding `sources`, copied in one piece. */
function copyRows(s: RawStore, sources: number[], capacity: number, newest: number | null): RawStore {
  const next = s.successor(capacity, newest);
  s.copyInto(next, sources, 0, sources.length);
  return next;
}

describe('RawStore', () => {
  it('keeps large counts exact in float32 while they differ from the first by less than 2^24', () => {
    const s = new RawStore(4);
    const base = 2 ** 40 + 3;
    const counts = [base, base + 1, null, base + 16_777_215, base - 16_777_216];
    counts.forEach((v, i) => s.set(i, v));
    expect(rows(s, counts.length)).toEqual(counts);
    expect(s.wide).toBe(false);
    // Read without a copy: values + offset.
    const { values, offset } = s.view(2);
    expect(Array.from(values, (x) => x + offset)).toEqual([base, base + 1]);
  });

  it('widens to float64 at the first value float32 would round, and every value stays exact', () => {
    const s = new RawStore(2);
    s.set(0, 1000);
    s.set(1, 1000 + 2 ** 24 + 1);
    expect(s.wide).toBe(true);
    s.set(2, 0.1);
    s.set(3, 2 ** 53 - 1);
    expect(rows(s, 4)).toEqual([1000, 1000 + 2 ** 24 + 1, 0.1, 2 ** 53 - 1]);
  });

  it('copies chosen rows to a successor based on the newest count, so a long-running count stays narrow', () => {
    const s = new RawStore(8);
    const start = 5_000_000_000;
    for (let i = 0; i < 8; i++) {
      s.set(i, start + i * 4_000_001);
    }
    // The last differs from the first by 28 M (> 2^24, odd: not a float32): this store widened.
    expect(s.wide).toBe(true);
    const next = copyRows(s, [5, 6, 7], 6, start + 7 * 4_000_001);
    expect(next.wide).toBe(true); // a wide store's successor stays wide
    expect(rows(next, 3)).toEqual([5, 6, 7].map((i) => start + i * 4_000_001));
    const narrow = new RawStore(4);
    [start, start + 10, null, start + 30].forEach((v, i) => narrow.set(i, v));
    const moved = copyRows(narrow, [1, 2, 3], 5, start + 30);
    expect(moved.wide).toBe(false);
    expect(rows(moved, 3)).toEqual([start + 10, null, start + 30]);
    moved.set(3, start + 30 + 16_000_001);
    expect(moved.wide).toBe(false);
    expect(moved.get(3)).toBe(start + 30 + 16_000_001);
  });

  it('copies a run of rows and thinned rows alike, with no value in the room after them', () => {
    for (const wide of [false, true]) {
      const s = new RawStore(6);
      const values = [10, null, 12, 13.1, null, 15]; // 13.1 - 10 is no float32: wide
      values.forEach((v, i) => s.set(i, wide || v === null ? v : Math.round(v)));
      expect(s.wide).toBe(wide);
      const run = copyRows(s, [2, 3, 4, 5], 8, s.get(5));
      const thinned = copyRows(s, [0, 2, 5], 8, s.get(5));
      expect(rows(run, 6)).toEqual([2, 3, 4, 5].map((i) => s.get(i)).concat([null, null]));
      expect(rows(thinned, 5)).toEqual([0, 2, 5].map((i) => s.get(i)).concat([null, null]));
    }
  });

  it('moves the base to the newest count once the counts drift from it, so a growing count stays narrow', () => {
    const s = new RawStore(4);
    const start = 7_000_000_001;
    [start, start + 4_500_001, start + 9_000_001].forEach((v, i) => s.set(i, v));
    const next = copyRows(s, [1, 2], 4, start + 9_000_001);
    expect(rows(next, 2)).toEqual([start + 4_500_001, start + 9_000_001]);
    // 16 M past the newest: 25 M past the first count, which float32 could not hold as a difference.
    next.set(2, start + 25_000_003);
    expect(next.wide).toBe(false);
    expect(rows(next, 3)).toEqual([start + 4_500_001, start + 9_000_001, start + 25_000_003]);
    // Without moving the base (the same store, written on) it widens.
    s.set(3, start + 25_000_003);
    expect(s.wide).toBe(true);
  });

  it('copies in pieces exactly, when the source gets its first value or widens between two pieces', () => {
    // A migration copies a series over several appends; rows written to the source meanwhile
    // (its first count ever, or one that widens it) change how the source holds its rows.
    const cases: Array<{ name: string; before: Array<number | null>; between: Array<number | null> }> = [
      { name: 'first value between pieces', before: [null, null, null], between: [0, 5, 9] },
      { name: 'first value, not 0', before: [null, null], between: [2 ** 40, 2 ** 40 + 1] },
      { name: 'widens between pieces', before: [100, 101, 102], between: [100 + 2 ** 24 + 1, 0.5] },
    ];
    for (const { name, before, between } of cases) {
      const s = new RawStore(16);
      before.forEach((v, i) => s.set(i, v));
      const sources = before.map((_, i) => i);
      const next = s.successor(16, s.get(before.length - 1));
      s.copyInto(next, sources, 0, 1);
      between.forEach((v, j) => {
        s.set(before.length + j, v);
        sources.push(before.length + j);
      });
      s.copyInto(next, sources, 1, sources.length);
      // The successor is written on as the series goes on.
      next.set(sources.length, 7);
      const expected = [...before, ...between, 7];
      expect({ name, rows: rows(next, expected.length) }).toEqual({ name, rows: expected });
    }
  });

  it('makes a plain array of its rows, null for none', () => {
    const s = new RawStore(3);
    [7, null, 2 ** 33].forEach((v, i) => s.set(i, v));
    expect(s.plain(3)).toEqual([7, null, 2 ** 33]);
  });
});
