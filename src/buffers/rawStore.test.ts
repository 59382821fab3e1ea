import { RawStore } from './rawStore';

/** Rows 0..n-1 read back. */
const rows = (s: RawStore, n: number) => Array.from({ length: n }, (_, i) => s.get(i));

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

  it('drops old rows without a copy, and reads and writes the rows after them in place', () => {
    for (const wide of [false, true]) {
      const s = new RawStore(8);
      const values = [10, null, 12, wide ? 13.1 : 13, null, 15];
      values.forEach((v, i) => s.set(i, v));
      expect(s.wide).toBe(wide);
      s.dropFront(2);
      expect(rows(s, 4)).toEqual(values.slice(2));
      const { values: view, offset } = s.view(4);
      expect(Array.from(view, (x) => (x === x ? x + offset : null))).toEqual(values.slice(2));
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
      s.compact(10, capacity, 1029);
      expect(s.capacity).toBe(moved ? capacity : 40);
      expect(rows(s, 10)).toEqual(Array.from({ length: 10 }, (_, i) => ((20 + i) % 7 === 0 ? null : 1020 + i)));
      const room = Math.min(20, s.capacity);
      expect(rows(s, room).slice(10)).toEqual(new Array(room - 10).fill(null));
      s.set(10, 2000);
      expect(s.get(10)).toBe(2000);
    }
  });

  it('moves the base to the newest count at a compaction once the counts drift, so a growing count stays narrow', () => {
    const s = new RawStore(4);
    const start = 7_000_000_001;
    [start, start + 4_500_001, start + 9_000_001].forEach((v, i) => s.set(i, v));
    s.dropFront(1);
    s.compact(2, 4, start + 9_000_001);
    expect(rows(s, 2)).toEqual([start + 4_500_001, start + 9_000_001]);
    // 16 M past the newest: 25 M past the first count, which float32 could not hold as a difference.
    s.set(2, start + 25_000_003);
    expect(s.wide).toBe(false);
    expect(rows(s, 3)).toEqual([start + 4_500_001, start + 9_000_001, start + 25_000_003]);
    // Without the compaction (the same counts, written on) it widens.
    const kept = new RawStore(4);
    [start, start + 4_500_001, start + 9_000_001, start + 25_000_003].forEach((v, i) => kept.set(i, v));
    expect(kept.wide).toBe(true);
  });

  it('keeps its base when a kept row would not be exact as a difference to the newest count', () => {
    const s = new RawStore(4);
    const start = 2 ** 30;
    // The newest count is 9.4 M past the base (over 2^23: a move is due), but start + 0.5 is not
    // exact as a float32 difference to it (-9,399,999.5 needs 25 bits): the base stays.
    [start, start + 0.5, start + 9_400_000].forEach((v, i) => s.set(i, v));
    expect(s.wide).toBe(false);
    s.compact(3, 4, start + 9_400_000);
    expect(rows(s, 3)).toEqual([start, start + 0.5, start + 9_400_000]);
    expect(s.wide).toBe(false);
  });

  it('stays wide once wide, through drops and compactions, every value exact', () => {
    const s = new RawStore(8);
    const start = 5_000_000_000;
    for (let i = 0; i < 8; i++) {
      s.set(i, start + i * 4_000_001);
    }
    // The last differs from the first by 28 M (> 2^24, odd: not a float32): this store widened.
    expect(s.wide).toBe(true);
    s.dropFront(5);
    s.compact(3, 6, start + 7 * 4_000_001);
    expect(s.wide).toBe(true);
    expect(rows(s, 3)).toEqual([5, 6, 7].map((i) => start + i * 4_000_001));
  });

  it('makes a plain array of its rows, null for none', () => {
    const s = new RawStore(3);
    [7, null, 2 ** 33].forEach((v, i) => s.set(i, v));
    expect(s.plain(3)).toEqual([7, null, 2 ** 33]);
  });
});
