import { DataFrame, FieldType } from '@grafana/data';

import type { SeriesColumn, WideSeriesBuffer } from '../buffers/WideSeriesBuffer';
import { bucketSpans, formatBucketRange, orderBuckets } from './buckets';

export interface HistogramFrameOptions {
  refId: string;
  /** The bpftrace variable, with its '@'. */
  variable: string;
  /** The selected time range in ms; `to` may be Infinity (a range that ends now). */
  from: number;
  to: number;
  /**
   * The unit of the values bpftrace bucketed (e.g. 'µs' for `@usecs = hist(…)`): it formats the
   * bucket labels. The counts themselves are plain numbers of events.
   */
  unit?: string;
}

/**
 * "Histogram (latest)": how many events fell into each bucket during [from, to], as a
 * `bucket` (string) / `count` (number) frame in bucket order, which Grafana's bar chart draws
 * with its default settings (a string field for the x axis, one bar series per number field).
 *
 * No xMin/xMax fields: the bar chart would draw every number field as another bar series, and the
 * histogram panel, which reads xMin/xMax, draws bars on a linear axis, where hist()'s power-of-two
 * buckets collapse into one bar at the right and open buckets (±Inf) cannot be placed at all.
 *
 * A count is null when the range holds fewer than two samples: one sample says nothing about how
 * much happened in between.
 */
export function buildHistogramFrame(buffer: WideSeriesBuffer, options: HistogramFrameOptions): DataFrame {
  const spans = bucketSpans(orderBuckets(buffer.keys()));
  const labels: string[] = [];
  const counts: Array<number | null> = [];
  const range = rowRange(buffer.times, options.from, options.to);
  const known = range.last - range.first >= 1;
  for (const span of spans) {
    labels.push(formatBucketRange(span, options.unit));
    if (!known) {
      counts.push(null);
    } else if (span.key === undefined) {
      // A gap between two buckets the PMDA reported: nothing was counted there.
      counts.push(0);
    } else {
      counts.push(increaseOverRows(buffer.column(span.key, 'raw') as SeriesColumn, range));
    }
  }
  return {
    refId: options.refId,
    name: options.variable,
    fields: [
      { name: 'bucket', type: FieldType.string, config: {}, values: labels },
      { name: 'count', type: FieldType.number, config: {}, values: counts },
    ],
    length: labels.length,
  };
}

/** Rows `first..last` (inclusive) of a time column that fall in a range; empty when last < first. */
export interface RowRange {
  first: number;
  last: number;
}

/** The rows with from <= time <= to, found by binary search (times are strictly increasing). */
export function rowRange(times: readonly number[], from: number, to: number): RowRange {
  return { first: lowerBound(times, from), last: lowerBound(times, to, true) - 1 };
}

/** The first index whose time is >= t (or > t when `after`); times.length when there is none. */
function lowerBound(times: readonly number[], t: number, after = false): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid] < t || (after && times[mid] === t)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

/**
 * How much a cumulative counter column grew during [from, to]: the sum over consecutive samples
 * that both lie in the range. Null when the range holds fewer than two samples.
 * See {@link increaseOverRows} for how resets and missing values count.
 */
export function counterIncrease(
  times: readonly number[],
  column: SeriesColumn,
  from: number,
  to: number
): number | null {
  const range = rowRange(times, from, to);
  return range.last - range.first >= 1 ? increaseOverRows(column, range) : null;
}

/**
 * The increase of a cumulative counter over rows first..last (at least two rows):
 * - cur >= prev: the difference;
 * - cur < prev: a reset (the script restarted, or cleared the map): counting restarted at 0, so
 *   everything counted since, `cur`, is new;
 * - no difference is ever taken across a null. A null is a key the fetch did not have: the engine
 *   only appends complete, fresh fetches, so the key was absent from the bpftrace map, whose
 *   counts start at 0. A value after a null therefore counts in full, like after a reset: a map
 *   key seen for the first time (a process that lived less than a tick, the one event in a rare
 *   latency bucket) would otherwise never be counted at all. A null after a value counts 0.
 */
function increaseOverRows(column: SeriesColumn, range: RowRange): number {
  let sum = 0;
  for (let i = range.first + 1; i <= range.last; i++) {
    const cur = column[i];
    if (cur === null || cur === undefined) {
      continue;
    }
    const prev = column[i - 1];
    sum += prev === null || prev === undefined || cur < prev ? cur : cur - prev;
  }
  return sum;
}
