import { lowerBound, upperBound } from '../shared/sorted';
import { RawValues, rawValueAt } from './rawStore';
import type { SeriesColumn } from './WideSeriesBuffer';

/**
 * How much a cumulative counter grew during a time range: the one definition the histogram,
 * the flame graph and the top-N table share.
 *
 * An increase is counted at the time it was SEEN: row r (r >= 1) whose time lies in [from, to]
 * contributes its change against row r-1, which may lie before `from`. This is what the rate
 * column shows at row r, so the histogram or flame graph of a range holds exactly the events
 * the time series draws over that range, and two adjacent ranges split the events between them
 * without losing or doubling the tick at their border. (Counting only pairs of rows that both
 * lie in the range, as the histogram once did, drops the first tick of every range: a range
 * holding one sample would say nothing although the sample tells a whole tick's events.)
 *
 * How a row's change counts:
 * - cur >= prev: the difference;
 * - cur < prev: a reset (the script restarted, or cleared the map): counting restarted at 0, so
 *   everything counted since, `cur`, is new;
 * - no difference is ever taken across a null. A null is a key the fetch did not have: the engine
 *   only appends complete, fresh fetches, so the key was absent from the bpftrace map, whose
 *   counts start at 0. A value after a null therefore counts in full, like after a reset: a map
 *   key seen for the first time (a process that lived less than a tick, the one event in a rare
 *   latency bucket) would otherwise never be counted at all. A null counts 0.
 * Row 0 never counts: nothing tells what its value accumulated since.
 */

/** The rows whose changes count in [from, to]: first..last inclusive, first >= 1; empty when last < first. */
export interface IncreaseRows {
  first: number;
  last: number;
}

/** The rows with from <= time <= to, row 0 left out (times are strictly increasing). */
export function increaseRows(times: ArrayLike<number>, from: number, to: number): IncreaseRows {
  return { first: Math.max(1, lowerBound(times, from)), last: upperBound(times, to) - 1 };
}

/**
 * The increase of a counter over rows first..last (see above); 0 for an empty range. A plain
 * column, or a buffer's RawValues.
 */
export function increaseOverRows(column: SeriesColumn | RawValues, rows: IncreaseRows): number {
  const raw = asRawValues(column);
  let sum = 0;
  let prev = rows.first > 0 ? rawValueAt(raw, rows.first - 1) : null;
  for (let r = rows.first; r <= rows.last; r++) {
    const cur = rawValueAt(raw, r);
    if (cur !== null) {
      sum += prev === null || cur < prev ? cur : cur - prev;
    }
    prev = cur;
  }
  return sum;
}

/** The increase during [from, to], or null when no row of the range tells one (see above). */
export function counterIncrease(
  times: ArrayLike<number>,
  column: SeriesColumn | RawValues,
  from: number,
  to: number
): number | null {
  const rows = increaseRows(times, from, to);
  return rows.first <= rows.last ? increaseOverRows(column, rows) : null;
}

/**
 * The newest value at a row with from <= time <= to, or null when none has one: what a map that is
 * not a running total (a max(), or counts per period the script clears) holds for the range.
 */
export function latestInRange(
  times: ArrayLike<number>,
  column: SeriesColumn | RawValues,
  from: number,
  to: number
): number | null {
  const raw = asRawValues(column);
  for (let i = times.length - 1; i >= 0 && times[i] >= from; i--) {
    const v = times[i] <= to ? rawValueAt(raw, i) : null;
    if (v !== null) {
      return v;
    }
  }
  return null;
}

/** A plain column read as RawValues (offset 0), or RawValues as they are. */
function asRawValues(column: SeriesColumn | RawValues): RawValues {
  return 'offset' in column ? column : { values: column, offset: 0, older: 0, olderOffset: 0 };
}
