// The rule the integration tests hold a steady counter's panel to (tests/integration/steadyRates):
// it must let a print bpftrace read late pass, and fail every miscount of bpflive's.
import { expectSteadyRates } from '../integration/steadyRates';

const TEN = { perSecond: 10, tolerance: 2.5, excessLimit: 3 };

describe('a steady counter’s rates', () => {
  it('on time: pass, nothing to report', () => {
    expect(expectSteadyRates([10, 9, 11, 10], TEN, [])).toBeUndefined();
  });

  it('one print read late (more than a second’s counts, then less): pass, reported', () => {
    expect(expectSteadyRates([10, 19, 1, 10], TEN, [])).toMatch(/2 rate\(s\) off .*19\.0, 1\.0/);
  });

  it('a print missed (a second’s counts shown in one): fails, naming the counts of prints', () => {
    const counts = [{ elapsedMs: 1999, bytes: 40, prints: 1 }];
    expect(() => expectSteadyRates([10, 20, 10], TEN, counts)).toThrow(/do not add up.*"elapsedMs":1999/);
  });

  it('a print counted twice (half the rate, for good): fails', () => {
    expect(() => expectSteadyRates([10, 5, 10, 10], TEN, [])).toThrow(/do not add up/);
  });

  it('fewer counts than the seconds’ worth may be allowed apart (a ticker that lost fires)', () => {
    const lossy = { perSecond: 10, tolerance: 1, excessLimit: 5, shortfallLimit: 10 };
    expect(expectSteadyRates([10, 8, 10, 8, 10, 9, 10], lossy, [])).toMatch(/2 rate\(s\) off/);
    expect(() => expectSteadyRates([10, 20, 10, 10], lossy, [])).toThrow(/do not add up/);
  });

  it('rates off again and again, or beyond what one late print explains: fail', () => {
    expect(() => expectSteadyRates([5, 15, 5, 15, 10], TEN, [])).toThrow(/4 rates off/);
    expect(() => expectSteadyRates([10, 30, -10, 10], TEN, [])).toThrow(/below 0 or beyond twice the truth: 30, -10/);
  });
});
