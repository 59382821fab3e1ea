/**
 * What a panel of a steady counter must show, as far as bpftrace can deliver it.
 *
 * On a loaded 2-core VM, bpftrace's timers fire late: the test's own `interval:ms:100` counter
 * then loses fires (seen: 7 in a second), and a print can come late (bpftrace reads a map in user
 * space when it gets to the print event: that second holds more than a second of counts and the
 * next one less). No count of prints can tell either from a real change, so such rates are
 * allowed: at most two, none above twice the truth (a print over a second late would leave it to
 * the next sample), the next one anywhere down to 0.
 *
 * What bpflive must get right is that the counts add up. A late print moves counts from one second
 * to the next; a print bpflive missed or counted twice adds or loses a second's worth for good. So
 * the rates together must hold their seconds' worth, within `excessLimit` (the caller's window may
 * cut a late print in two at either end). A second bpftrace did not print (seen in CI: a gap of 2 s
 * with one print, both seconds' counts in it) is bpflive's to count as two (engine/printCount.ts):
 * counted as one, it is a second's worth too many.
 */
import type { PrintCount } from '../../src/engine/printCount';

export interface SteadyRateCheck {
  /** The true rate, per second. */
  perSecond: number;
  /** How far a rate of an on-time print may be from the truth. */
  tolerance: number;
  /** How many counts the rates together may hold beyond (or short of) their seconds' worth. */
  excessLimit: number;
  /**
   * How many counts they may hold short of it, if not excessLimit: a ticker that loses fires under
   * load makes fewer counts, for real.
   */
  shortfallLimit?: number;
}

/** How many counts the rates hold beyond their seconds' worth. */
export function excessCounts(rates: readonly number[], perSecond: number): number {
  return rates.reduce((sum, r) => sum + r, 0) - perSecond * rates.length;
}

/**
 * Throws, naming the rates and the counts of prints behind them, unless `rates` are what a steady
 * counter of `check.perSecond` must show. Rates off that are allowed (a late print) are returned,
 * described the same way, for the test's report: a pattern in them would show a miscount.
 */
export function expectSteadyRates(
  rates: readonly number[],
  check: SteadyRateCheck,
  printCounts: readonly PrintCount[] | undefined
): string | undefined {
  const { perSecond, tolerance, excessLimit, shortfallLimit = excessLimit } = check;
  const off = rates.filter((r) => Math.abs(r - perSecond) > tolerance);
  const wild = rates.filter((r) => r < 0 || r > (perSecond + tolerance) * 2);
  const excess = excessCounts(rates, perSecond);
  const faults = [
    off.length > 2 ? `${off.length} rates off by more than ${tolerance} (at most 2: one late print)` : '',
    wild.length > 0 ? `rates below 0 or beyond twice the truth: ${wild.join(', ')}` : '',
    excess > excessLimit || excess < -shortfallLimit
      ? `the counts do not add up: ${excess.toFixed(1)} beyond their seconds’ worth`
      : '',
  ].filter(Boolean);
  const described = `rates ${rates.map((r) => r.toFixed(1)).join(', ')}; prints counted ${JSON.stringify(printCounts)}`;
  if (faults.length > 0) {
    throw new Error(`${faults.join('; ')} (true rate ${perSecond}/s). The ${described}`);
  }
  return off.length > 0 ? `${off.length} rate(s) off (a late print): ${described}` : undefined;
}
