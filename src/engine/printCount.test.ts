import { PrintCounter } from './printCount';

/** The counts for a run of gaps of [elapsed ms, bytes read]; undefined where none can be told. */
function counts(gaps: Array<[number, number]>, printsText = false, counter = new PrintCounter()) {
  return gaps.map(([ms, bytes]) => counter.count(ms, bytes, printsText));
}

/** A counter that knows a print is 40 bytes (as `@ticks = count()` prints, measured on 0.17). */
function knowing40() {
  const counter = new PrintCounter();
  counts(
    [
      [1000, 40],
      [1000, 40],
    ],
    false,
    counter
  );
  return counter;
}

describe('PrintCounter', () => {
  it('one print a second, fetches a second apart: one each, from the second gap on', () => {
    expect(
      counts([
        [994, 40],
        [1001, 40],
        [1000, 40],
        [1000, 41],
      ])
    ).toEqual([undefined, 1, 1, 1]);
  });

  it('tells nothing from one slow gap before the size is known: one print in two seconds is not two', () => {
    // The clocks in phase: the fetch between saw no new print, this one only the first of two.
    // Counting two (as the time says) would show half the rate.
    const counter = new PrintCounter();
    expect(counter.count(2000, 40, false)).toBeUndefined();
    // The next gap: the smallest (40) explains the stretch's 80 bytes in 3 s within one print.
    expect(counter.count(1000, 40, false)).toBe(1);
    expect(counter.count(2000, 40, false)).toBe(1);
    expect(counter.count(1000, 80, false)).toBe(2);
  });

  it('clocks in phase, two prints in the first second: learnt from the smaller gap, not the first', () => {
    expect(
      counts([
        [1000, 80],
        [1000, 40],
        [1000, 80],
        [2000, 40],
      ])
    ).toEqual([undefined, 1, 2, 1]);
  });

  it('a print read in two halves (two maps, fetched between them) does not halve the size', () => {
    // 20 bytes would make every later print count as two; 80 bytes over 2 s say 40.
    expect(
      counts([
        [1000, 20],
        [1000, 60],
        [1000, 40],
        [1000, 40],
      ])
    ).toEqual([undefined, 2, 1, 1]);
  });

  it('two prints in about one second: the bytes tell', () => {
    expect(knowing40().count(1020, 80, false)).toBe(2);
  });

  it('clocks in phase, one print over two seconds (a tick saw none): the bytes tell', () => {
    // A second with two prints shows the phases together: a sample can miss a print by jitter.
    const counter = knowing40();
    expect(counts([[1000, 80]], false, counter)).toEqual([2]);
    expect(counter.count(2000, 40, false)).toBe(1);
  });

  it('clocks out of phase, one print over two seconds: a print bpftrace did not make, counted by the clock', () => {
    // As CI recorded beside a noisy script: a gap of 2 s with one print's bytes, then one print a
    // second again. The map's counts cover both seconds: one print would show twice the rate.
    const counter = knowing40();
    const gaps: Array<[number, number]> = [
      [1000, 40],
      [2001, 41],
      [1000, 41],
      [1002, 41],
    ];
    expect(counts(gaps, false, counter)).toEqual([1, 2, 1, 1]);
    // And again later: the phases are still apart.
    expect(counts(gaps, false, counter)).toEqual([1, 2, 1, 1]);
  });

  it('the first one counted by the clock when the clocks drift into phase: the next gap still gets its two prints', () => {
    const counter = knowing40();
    // Misjudged once (the clean gaps said out of phase): 2. The print it did not hold comes now.
    expect(counts([[2000, 40]], false, counter)).toEqual([2]);
    expect(counter.count(1000, 80, false)).toBe(2);
    // In phase from here: the bytes count.
    expect(
      counts(
        Array(5)
          .fill([
            [1000, 40],
            [2000, 40],
            [1000, 80],
          ])
          .flat(),
        false,
        counter
      )
    ).toEqual(Array(5).fill([1, 1, 2]).flat());
  });

  it('seen in phase, the clocks are trusted out of phase again only after a window of clean gaps', () => {
    const counter = knowing40();
    expect(counts([[1000, 80]], false, counter)).toEqual([2]);
    // Sparse flips of clocks still near each other's phase: each counted by the bytes.
    const clean: Array<[number, number]> = Array(10).fill([1000, 40]);
    expect(counts([...clean, [2000, 40], [1000, 80]], false, counter)).toEqual([...Array(10).fill(1), 1, 2]);
    // 22 clean gaps (20 s and the two any start needs): apart again.
    expect(counts([...Array(22).fill([1000, 40]), [2000, 40]], false, counter)).toEqual([...Array(22).fill(1), 2]);
  });

  it('a fetch half a second late, one print short of its rounded seconds, is counted by the bytes', () => {
    // Prints at x.8 s, fetches at x.0: the one due at 1.0 comes at 1.6 and sees one print, rightly.
    const counter = knowing40();
    expect(
      counts(
        [
          [1000, 40],
          [1600, 40],
          [400, 40],
        ],
        false,
        counter
      )
    ).toEqual([1, 1, 1]);
  });

  it('more than one print short is a stall, not prints bpftrace did not make: the bytes tell', () => {
    expect(knowing40().count(3000, 40, false)).toBe(1);
  });

  it('a PMDA that fell behind hands over several prints at once: the bytes count them', () => {
    const counter = knowing40();
    // One print in 3 s (two more wait in the PMDA), then those two and one more in 1 s.
    expect(counter.count(3000, 40, false)).toBe(1);
    expect(counter.count(1000, 120, false)).toBe(3);
    expect(counts(Array(10).fill([1000, 40]), false, counter)).toEqual(Array(10).fill(1));
  });

  it('never more prints than the clock allows: a stretch of samples holds one more than its seconds at most', () => {
    // After 1 s (one print) and now 1 s more: 2 prints at most, whatever the bytes say.
    expect(knowing40().count(1000, 4000, false)).toBe(2);
    expect(knowing40().count(1000, 4, false)).toBe(1);
  });

  it('a map whose size doubled at once counts one print a second again from the next sample', () => {
    // Every print is now 80 bytes: by bytes two prints a second, and the smoothing would agree
    // (80 / 2 = 40). bpftrace's clock allows one more than the seconds once, then one a second.
    const after = counts(Array(14).fill([1000, 80]), false, knowing40());
    expect(after[0]).toBe(2);
    expect(after.slice(1)).toEqual(Array(13).fill(1));
  });

  it('a map that grows 30 % a second (keys still coming) counts one print a second, but once in 20 s', () => {
    const gaps: Array<[number, number]> = Array.from({ length: 40 }, (_, i) => [1000, Math.round(40 * 1.3 ** (i + 1))]);
    const after = counts(gaps, false, knowing40());
    expect(after.filter((n) => n !== 1).length).toBeLessThanOrEqual(2);
    expect(after.every((n) => n === 1 || n === 2)).toBe(true);
  });

  it('the clocks in phase for good: one second with two prints, two seconds with one, each counted right', () => {
    const counter = knowing40();
    const gaps: Array<[number, number]> = [];
    for (let i = 0; i < 10; i++) {
      gaps.push([1000, 40], [1000, 80], [2000, 40]);
    }
    expect(counts(gaps, false, counter)).toEqual(Array(10).fill([1, 2, 1]).flat());
  });

  it('scripts that print text go by time alone (their bytes vary with events)', () => {
    expect(
      counts(
        [
          [1000, 5000],
          [3000, 100],
        ],
        true
      )
    ).toEqual([1, 3]);
  });

  it('a script that starts again (a PMDA restart) counts at once while it prints as before', () => {
    const counter = knowing40();
    counter.reset();
    expect(
      counts(
        [
          [1000, 41],
          [1000, 80],
          [2000, 40],
        ],
        false,
        counter
      )
    ).toEqual([1, 2, 1]);
  });

  it('starting again with prints of another size, the size is learnt afresh, not carried over', () => {
    // A keyed map starts empty again: 120-byte prints become 20-byte ones. 20 / 120 is no whole
    // number of prints: carried over, every gap would count one print whatever it held.
    const counter = new PrintCounter();
    counts(
      [
        [1000, 120],
        [1000, 120],
      ],
      false,
      counter
    );
    counter.reset();
    expect(
      counts(
        [
          [1000, 20],
          [1000, 40],
          [1000, 20],
        ],
        false,
        counter
      )
    ).toEqual([undefined, 2, 1]);
  });

  it('keeps the last 30 counts, oldest first, for diagnosis', () => {
    const counter = new PrintCounter();
    counts(
      Array.from({ length: 35 }, (_, i): [number, number] => [1000, i === 34 ? 80 : 40]),
      false,
      counter
    );
    const trail = counter.lastCounts();
    expect(trail).toHaveLength(30);
    expect(trail[29]).toEqual({ elapsedMs: 1000, bytes: 80, prints: 2 });
    expect(trail.slice(0, 29).every((c) => c.bytes === 40 && c.prints === 1)).toBe(true);
  });
});
