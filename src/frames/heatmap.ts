import { DataFrame, DataFrameType, Field, FieldType } from '@grafana/data';

import type { WideSeriesBuffer } from '../buffers/WideSeriesBuffer';
import { bucketSpans, exclusiveUpper, formatBoundary, orderBuckets } from './buckets';

export interface HeatmapRowsFrameOptions {
  refId: string;
  /** The bpftrace variable, with its '@'. */
  variable: string;
  /** Per-second rates per bucket (counters only; hist()/lhist() always are). */
  rate: boolean;
  /**
   * The unit of the values bpftrace bucketed (e.g. 'µs' for `@usecs = hist(…)`). It formats the
   * bucket boundaries on the Y axis; it is NOT set on the cell values, which are events (per second).
   */
  unit?: string;
}

/**
 * A `heatmap-rows` frame for a hist()/lhist() variable: Time, then one number field per bucket
 * from the lowest bucket to the highest, each REFERENCING the buffer's rate (or raw) column.
 *
 * How Grafana's heatmap panel (default options) reads it:
 * - `labels.le` on the bucket fields switches it to the "upper bound" layout: each row is drawn
 *   below its tick, the bottom edge is labelled "0.0", and each tick is labelled with the field's
 *   display name. So the display name is the bucket's EXCLUSIVE upper boundary — `8` for the PMDA's
 *   `4-7`, i.e. bpftrace's `[4, 8)` — and the axis reads 1, 2, 4, 8, … like bpftrace's own output.
 * - The tooltip shows "Bucket: <previous row's name> - <this row's name>", so a bucket missing
 *   from the buffer would make its neighbour claim the missing range too: gaps (and a first bucket
 *   starting above 0) get an empty row of their own.
 * - A display name that is a plain number is formatted by the panel's Y axis unit when the user
 *   sets one; when `unit` is given we format it ourselves (`1.02 ms`), as the panel cannot know.
 * - Limitation: for a first bucket open downwards (`-inf--1`) or starting below 0, the panel still
 *   labels the bottom edge "0.0".
 */
export function buildHeatmapRowsFrame(buffer: WideSeriesBuffer, options: HeatmapRowsFrameOptions): DataFrame {
  const kind = options.rate && buffer.hasRates ? 'rate' : 'raw';
  const fields: Field[] = [
    {
      name: 'Time',
      type: FieldType.time,
      config: {},
      // Grafana's Field.values is typed mutable; we hand it the buffer's array and never expect writes.
      values: buffer.times as number[],
    },
  ];

  // One shared all-null column for the gap rows: Grafana's heatmap hides null cells.
  let gapColumn: null[] | undefined;
  for (const span of bucketSpans(orderBuckets(buffer.keys()), { fromZero: true })) {
    const upper = exclusiveUpper(span);
    const name = upper === Infinity ? '+Inf' : String(upper);
    const values =
      span.key !== undefined
        ? (buffer.column(span.key, kind) as Array<number | null>)
        : (gapColumn ??= new Array<null>(buffer.length).fill(null));
    fields.push({
      name,
      type: FieldType.number,
      config: { displayNameFromDS: options.unit ? formatBoundary(upper, options.unit) : name },
      labels: { le: name },
      values,
    });
  }

  return {
    refId: options.refId,
    name: options.variable,
    fields,
    length: buffer.length,
    meta: { type: DataFrameType.HeatmapRows },
  };
}
