import { DataFrame, FieldType } from '@grafana/data';

import { increaseOverRows, increaseRows } from '../buffers/increase';
import { rawValueAt } from '../buffers/rawStore';
import type { RawValues, WideSeriesBuffer } from '../buffers/WideSeriesBuffer';
import { upperBound } from '../shared/sorted';
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
 * The counts are the increases seen during [from, to] (see counterIncrease in buffers/increase),
 * null when the range holds no sample that tells one. A histogram the script clears every period
 * (not a counter: each print holds one period's counts) shows its newest print in the range.
 */
export function buildHistogramFrame(buffer: WideSeriesBuffer, options: HistogramFrameOptions): DataFrame {
  const spans = bucketSpans(orderBuckets(buffer.keys()));
  const labels: string[] = [];
  const counts: Array<number | null> = [];
  const rows = increaseRows(buffer.times, options.from, options.to);
  // Cleared every period: the newest print in the range holds its counts (a bucket it lacks: 0).
  const newest = buffer.counter ? -1 : upperBound(buffer.times, options.to) - 1;
  const perPeriod = !buffer.counter && newest >= 0 && buffer.times[newest] >= options.from;
  const known = perPeriod || (buffer.counter && rows.first <= rows.last);
  for (const span of spans) {
    labels.push(formatBucketRange(span, options.unit));
    if (!known) {
      counts.push(null);
    } else if (span.key === undefined) {
      // A gap between two buckets the PMDA reported: nothing was counted there.
      counts.push(0);
    } else if (perPeriod) {
      counts.push(rawValueAt(buffer.values(span.key) as RawValues, newest) ?? 0);
    } else {
      counts.push(increaseOverRows(buffer.values(span.key) as RawValues, rows));
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

/** Kept here for the table builder, which reads it from this file. */
export { counterIncrease } from '../buffers/increase';
