import { estimatePrints } from './printCount';

describe('estimatePrints', () => {
  it('one print a second, fetches a second apart', () => {
    expect(estimatePrints(1000, 100, 100, false).prints).toBe(1);
  });

  it('two prints in about one second: the bytes tell', () => {
    expect(estimatePrints(1020, 200, 100, false).prints).toBe(2);
  });

  it('one print over two seconds (a tick saw none): the bytes tell', () => {
    expect(estimatePrints(2000, 100, 100, false).prints).toBe(1);
  });

  it('a PMDA that fell behind hands over several prints at once: the bytes count them', () => {
    expect(estimatePrints(2000, 500, 100, false).prints).toBe(5);
  });

  it('never far more prints than the time allows, never fewer than one', () => {
    expect(estimatePrints(1000, 10_000, 100, false).prints).toBe(6);
    expect(estimatePrints(1000, 10, 100, false).prints).toBe(1);
  });

  it('scripts that print text go by time alone (their bytes vary with events)', () => {
    expect(estimatePrints(1000, 5000, 100, true).prints).toBe(1);
    expect(estimatePrints(3000, 100, 100, true).prints).toBe(3);
  });

  it('learns the size of a print from the first one', () => {
    expect(estimatePrints(1000, 120, undefined, false)).toEqual({ prints: 1, bytesPerPrint: 120 });
  });

  it('does not learn the size from a slow first gap, whose count of prints is a guess', () => {
    // 2.1 s, but bpftrace printed once (its next print was late): learning 60 bytes would make
    // every later 120-byte print count as two, and every later rate half the truth.
    expect(estimatePrints(2100, 120, undefined, false)).toEqual({ prints: 2, bytesPerPrint: undefined });
    let size: number | undefined;
    const prints: number[] = [];
    for (const [ms, bytes] of [
      [2100, 120],
      [1000, 120],
      [1000, 120],
      [1000, 120],
    ]) {
      const e = estimatePrints(ms, bytes, size, false);
      size = e.bytesPerPrint;
      prints.push(e.prints);
    }
    expect(prints.slice(1)).toEqual([1, 1, 1]);
  });
});
