import { counterIncrease, increaseOverRows, increaseRows, latestInRange } from './increase';

// Five prints one second apart; the counter grows by 1, 2, 4, 8 between them.
const times = [1000, 2000, 3000, 4000, 5000];
const counts = [10, 11, 13, 17, 25];

describe('counterIncrease at the edges of a range', () => {
  it('counts the change seen at a row whose time is the range start, against the row before it', () => {
    // [2000, 3000] holds the changes seen at 2000 (+1) and at 3000 (+2).
    expect(counterIncrease(times, counts, 2000, 3000)).toBe(3);
  });

  it('includes a row at the range end and leaves out one just past it', () => {
    expect(counterIncrease(times, counts, 2500, 4000)).toBe(2 + 4);
    expect(counterIncrease(times, counts, 2500, 3999)).toBe(2);
  });

  it('splits the events of adjacent ranges between them, none lost or counted twice', () => {
    const whole = counterIncrease(times, counts, 1000, 5000);
    const left = counterIncrease(times, counts, 1000, 2999);
    const right = counterIncrease(times, counts, 3000, 5000);
    expect(whole).toBe(25 - 10);
    expect(left! + right!).toBe(whole);
  });

  it('tells the one tick a range holding a single print saw', () => {
    expect(counterIncrease(times, counts, 3500, 4500)).toBe(4);
  });

  it('never counts row 0 (what it accumulated before is unknown), and is null without a counted row', () => {
    expect(counterIncrease(times, counts, 0, 1000)).toBeNull();
    expect(counterIncrease(times, counts, 0, 2000)).toBe(1);
    expect(counterIncrease(times, counts, 5001, 9000)).toBeNull();
    expect(counterIncrease([], [], -Infinity, Infinity)).toBeNull();
  });

  it('counts a reset and a value after a null from 0, and never takes a difference across a null', () => {
    const t = [1, 2, 3, 4, 5, 6];
    expect(counterIncrease(t, [1, 2, 4, 1, 3, 3], -Infinity, Infinity)).toBe(1 + 2 + 1 + 2 + 0);
    expect(counterIncrease(t, [1, 2, null, 7, 9, null], -Infinity, Infinity)).toBe(1 + 0 + 7 + 2 + 0);
    // 5 → null → 6 is not "+1": the key was gone and came back counting from 0.
    expect(counterIncrease(t.slice(0, 3), [5, null, 6], -Infinity, Infinity)).toBe(6);
    expect(counterIncrease(t, [null, null, null, null, null, null], -Infinity, Infinity)).toBe(0);
  });
});

describe('increaseRows', () => {
  it('finds the rows inside [from, to], bounds included, row 0 left out', () => {
    const t = [10, 20, 30, 40];
    expect(increaseRows(t, 20, 30)).toEqual({ first: 1, last: 2 });
    expect(increaseRows(t, 15, 35)).toEqual({ first: 1, last: 2 });
    expect(increaseRows(t, -Infinity, Infinity)).toEqual({ first: 1, last: 3 });
    expect(increaseRows(t, 41, 50)).toEqual({ first: 4, last: 3 });
    expect(increaseRows(t, 0, 9)).toEqual({ first: 1, last: -1 });
    expect(increaseOverRows([1, 2], { first: 4, last: 3 })).toBe(0);
  });
});

describe('increaseOverRows (a stack map: cumulative counts → samples in rows first..last)', () => {
  it('sums the increases, counts a reset as the new value, and a missing key as zero', () => {
    //          0     1  2  3  4     5  6
    const col = [5, 7, 7, 2, null, 4, 9];
    const over = (first: number, last: number) => increaseOverRows(col, { first, last });
    expect(over(1, 6)).toBe(2 + 0 + 2 + 0 + 4 + 5);
    expect(over(1, 1)).toBe(2);
    expect(over(3, 3)).toBe(2); // 7 → 2: reset (clear()), 2 new samples
    expect(over(4, 4)).toBe(0);
    expect(over(5, 5)).toBe(4); // absent, then 4: 4 new samples
    expect(over(2, 1)).toBe(0);
  });

  it('a key first seen mid-stream counts in full (back-filled nulls before it)', () => {
    expect(increaseOverRows([null, null, 3, 3, 5], { first: 1, last: 4 })).toBe(5);
  });
});

describe('latestInRange: what a map that is no running total holds for a range', () => {
  it('takes the newest row with a value inside the range, bounds included; null for none', () => {
    const values = [1, null, 3, NaN, 5];
    expect(latestInRange(times, values, 1000, 5000)).toBe(5);
    expect(latestInRange(times, values, 1000, 4999)).toBe(3); // NaN is no value
    expect(latestInRange(times, values, 2000, 2000)).toBeNull();
    expect(latestInRange(times, values, 6000, Infinity)).toBeNull();
  });

  it('reads raw values whose older rows have another base, across the row where the base moved', () => {
    const big = 2 ** 40;
    // Rows 0-2 are differences to `big`, rows 3-4 to `big + 20`: 10, 11, 13, 17, 25 over big.
    const raw = { values: new Float32Array([10, 11, 13, -3, 5]), offset: big + 20, older: 3, olderOffset: big };
    expect(counterIncrease(times, raw, -Infinity, Infinity)).toBe(25 - 10);
    expect(counterIncrease(times, raw, 4000, 4000)).toBe(4);
    expect(latestInRange(times, raw, 0, 3000)).toBe(big + 13);
    // A reset at the move: the count after it counts in full.
    const reset = { values: new Float32Array([10, 11, 13, 2, 5]), offset: 0, older: 3, olderOffset: big };
    expect(counterIncrease(times, reset, -Infinity, Infinity)).toBe(1 + 2 + 2 + 3);
  });

  it('reads a buffer’s raw values with their offset', () => {
    expect(
      latestInRange(
        times,
        { values: new Float32Array([1, 2, NaN, NaN, NaN]), offset: 2 ** 40, older: 0, olderOffset: 0 },
        0,
        5000
      )
    ).toBe(2 + 2 ** 40);
  });
});
