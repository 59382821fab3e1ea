import { RawStore, rawValueAt } from './rawStore';

/** Rows 0..n-1 read back. */
const rows = (s: RawStore, n: number) => Array.from({ length: n }, (_, i) => s.get(i));

/** Rows 0..n-1 read through a view, as the frames read them. */
const viewed = (s: RawStore, n: number) => {
  const view = s.view(n);
  return Array.from({ length: n }, (_, i) => rawValueAt(view, i));
};

describe('RawStore', () => {
  it('keeps large counts exact in float32 while they differ from their base by less than 2^24', () => {
    const s = new RawStore(4);
    const base = 2 ** 40 + 3;
    // The sixth (2^24 - 1 past the first) becomes the base; the seventh differs from it by as much.
    const counts = [base, base + 1, null, base + 8_388_607, base - 8_388_607, base + 16_777_215, base];
    counts.forEach((v, i) => s.set(i, v));
    expect(rows(s, counts.length)).toEqual(counts);
    expect(s.wide).toBe(false);
    // Read without a copy: the rows before the sixth are differences to the first count.
    const view = s.view(counts.length);
    expect(view).toMatchObject({ offset: base + 16_777_215, older: 5, olderOffset: base });
    expect(viewed(s, counts.length)).toEqual(counts);
  });

  it('widens to float64 at the first value float32 would round, and every value stays exact', () => {
    const s = new RawStore(2);
    s.set(0, 1000);
    // 2^23 past the first: the base (see below); row 0 keeps the first as its base.
    s.set(1, 1000 + 2 ** 23 + 1);
    expect(s.wide).toBe(false);
    // 2^24 + 1 past the base, odd: no float32, and the base cannot move while row 0 is kept.
    s.set(2, 1000 + 2 ** 23 + 1 + 2 ** 24 + 1);
    expect(s.wide).toBe(true);
    s.set(3, 0.1);
    s.set(4, 2 ** 53 - 1);
    expect(rows(s, 5)).toEqual([1000, 1000 + 2 ** 23 + 1, 1000 + 2 ** 23 + 1 + 2 ** 24 + 1, 0.1, 2 ** 53 - 1]);
    expect(viewed(s, 5)).toEqual(rows(s, 5));
  });

  it('drops old rows without a copy, and reads and writes the rows after them in place', () => {
    for (const wide of [false, true]) {
      const s = new RawStore(8);
      const values = [10, null, 12, wide ? 13.1 : 13, null, 15];
      values.forEach((v, i) => s.set(i, v));
      expect(s.wide).toBe(wide);
      s.dropFront(2);
      expect(rows(s, 4)).toEqual(values.slice(2));
      expect(viewed(s, 4)).toEqual(values.slice(2));
      // Rows written before the next compaction: past the dropped ones, growing the array if need be.
      [16, 17, null, 19].forEach((v, i) => s.set(4 + i, v));
      expect(rows(s, 8)).toEqual([...values.slice(2), 16, 17, null, 19]);
      expect(s.plain(3, 3, 4)).toEqual([16, 17, null]);
    }
  });

  it('compacts in place when the array fits, else into one of the size asked, with no value after the rows', () => {
    for (const [capacity, moved] of [
      [40, false], // 40 entries asked, 40 there: in place
      [10, true], // the array is over a quarter too big: a smaller one
      [60, true], // too small: a bigger one
    ] as const) {
      const s = new RawStore(40);
      for (let i = 0; i < 30; i++) {
        s.set(i, i % 7 === 0 ? null : 1000 + i);
      }
      s.dropFront(20);
      s.compact(10, capacity);
      expect(s.capacity).toBe(moved ? capacity : 40);
      expect(rows(s, 10)).toEqual(Array.from({ length: 10 }, (_, i) => ((20 + i) % 7 === 0 ? null : 1020 + i)));
      const room = Math.min(20, s.capacity);
      expect(rows(s, room).slice(10)).toEqual(new Array(room - 10).fill(null));
      s.set(10, 2000);
      expect(s.get(10)).toBe(2000);
    }
  });

  it('moves its base to a count 2^23 past it, rewriting no row, so a growing count stays narrow', () => {
    const s = new RawStore(8);
    const start = 7_000_000_001;
    const counts = [start, start + 4_500_001, start + 9_000_001, start + 13_000_001];
    counts.forEach((v, i) => s.set(i, v));
    // 25 M past the first count, which float32 could not hold as a difference: 16 M past the
    // count that became the base (the third, 9 M past the first).
    s.set(4, start + 25_000_003);
    expect(s.wide).toBe(false);
    expect(rows(s, 5)).toEqual([...counts, start + 25_000_003]);
    expect(viewed(s, 5)).toEqual([...counts, start + 25_000_003]);
    // Through a drop and a compaction, the rows of each base read back the same.
    s.dropFront(1);
    s.compact(4, 8);
    expect(rows(s, 4)).toEqual([...counts.slice(1), start + 25_000_003]);
    expect(viewed(s, 4)).toEqual([...counts.slice(1), start + 25_000_003]);
  });

  it('moves its base again only once the rows of the older base are dropped', () => {
    const counts = [0, 5_000_000, 10_000_000, 15_000_000, 20_000_000, 25_000_000, 27_000_001];
    // Row 2 (10 M) became the base. Rows 0 and 1 are kept: at row 4 (20 M) the base stays, and
    // row 6 (17 M past it, odd: no float32) widens the store.
    const kept = new RawStore(8);
    counts.forEach((v, i) => kept.set(i, v));
    expect(kept.wide).toBe(true);
    expect(rows(kept, 7)).toEqual(counts);
    // The same counts with rows 0 and 1 dropped before row 4: row 4 becomes the base, and the
    // store stays narrow through row 6.
    const dropped = new RawStore(8);
    counts.slice(0, 4).forEach((v, i) => dropped.set(i, v));
    dropped.dropFront(2);
    counts.slice(4).forEach((v, i) => dropped.set(2 + i, v));
    expect(dropped.wide).toBe(false);
    expect(viewed(dropped, 5)).toEqual(counts.slice(2));
  });

  it('moves its base to a count reset far below it, rather than widening', () => {
    const s = new RawStore(4);
    const big = 2 ** 40;
    [big, big + 1, 3, 5].forEach((v, i) => s.set(i, v));
    expect(s.wide).toBe(false);
    expect(viewed(s, 4)).toEqual([big, big + 1, 3, 5]);
  });

  it('widens with rows of two bases, every value exact', () => {
    const s = new RawStore(4);
    const start = 2 ** 30;
    [start, start + 0.5, start + 9_400_000, start + 9_400_000.25].forEach((v, i) => s.set(i, v));
    expect(s.wide).toBe(false);
    s.set(4, start + 9_400_000 + 2 ** 24 + 1);
    expect(s.wide).toBe(true);
    expect(viewed(s, 5)).toEqual([
      start,
      start + 0.5,
      start + 9_400_000,
      start + 9_400_000.25,
      start + 9_400_000 + 2 ** 24 + 1,
    ]);
  });

  it('stays wide once wide, through drops and compactions, every value exact', () => {
    const s = new RawStore(8);
    const start = 5_000_000_000;
    const counts = [0, 1, 2, 3, 0.25, 5, 6, 7].map((i) => start + (i === 0.25 ? i : i * 4_000_001));
    counts.forEach((v, i) => s.set(i, v));
    // Row 3 became the base; row 4 is 12 M below it and a fraction (no float32), and rows 0-2
    // keep the base from moving back: this store widened.
    expect(s.wide).toBe(true);
    s.dropFront(5);
    s.compact(3, 6);
    expect(s.wide).toBe(true);
    expect(rows(s, 3)).toEqual(counts.slice(5));
    expect(viewed(s, 3)).toEqual(counts.slice(5));
  });

  it('makes a plain array of its rows, null for none', () => {
    const s = new RawStore(3);
    [7, null, 2 ** 33].forEach((v, i) => s.set(i, v));
    expect(s.plain(3)).toEqual([7, null, 2 ** 33]);
  });
});
