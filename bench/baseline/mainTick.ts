/**
 * The per-tick path as it was on main before issue 13 (kept to measure "before" in the same run as
 * "after", see bench/cpu-per-tick.bench.ts): the body edited then parsed, and the frame's names, legends
 * and labels made again for every key on every tick. The buffer is main's too (WideSeriesBuffer.ts
 * here: eviction by copying the retained rows every 25 % of the retention). Not used by the plugin.
 */
import { DataFrame, DataFrameType, Field, FieldType, Labels } from '@grafana/data';

import {
  defaultDisplayName,
  formatLegend,
  keyPartLabels,
  type TimeSeriesFrameOptions,
} from '../../src/frames/timeseries';
import type { SeriesColumn, WideSeriesBuffer } from './WideSeriesBuffer';

const TIMESTAMP = /("timestamp"\s*:\s*)(\d+)\.(\d+)/;

export function parsePmproxyJson<T>(text: string): T {
  const fixed = text.replace(TIMESTAMP, (_, prefix: string, sec: string, frac: string) => {
    return `${prefix}${sec}.${frac.padStart(9, '0')}`;
  });
  return JSON.parse(fixed) as T;
}

/**
 * One time-series-wide frame for one variable: a Time field then one number field per key.
 * The fields REFERENCE the buffer's columns (no copy): the cost is O(keys), whatever the retention.
 * Rows the buffer appends later show up past the frame's `length`; rows up to it never change.
 */
export function buildTimeSeriesFrame(buffer: WideSeriesBuffer, options: TimeSeriesFrameOptions): DataFrame {
  const kind = options.rate && buffer.counter ? 'rate' : 'raw';
  const fields: Field[] = [
    {
      name: 'Time',
      type: FieldType.time,
      config: {},
      // Grafana's Field.values is typed mutable; we hand it the buffer's array and never expect writes.
      values: buffer.times as number[],
    },
  ];

  for (const key of buffer.keys()) {
    const column = buffer.column(key, kind) as SeriesColumn;
    const keyLabels = keyPartLabels(key, options.keyNames);
    const labels: Labels | undefined =
      options.labels || keyLabels ? { ...options.labels, ...keyLabels?.labels } : undefined;
    const displayName = options.legendFormat
      ? formatLegend(options.legendFormat, {
          variable: options.variable,
          key,
          host: options.host,
          parts: keyLabels?.parts ?? [key],
          labels,
        })
      : defaultDisplayName(options.variable, key, keyLabels?.parts);

    const field: Field = {
      name: key === '' ? options.variable : key,
      type: FieldType.number,
      config: options.unit
        ? { displayNameFromDS: displayName, unit: options.unit }
        : { displayNameFromDS: displayName },
      values: column as Array<number | null>,
    };
    if (labels) {
      field.labels = labels;
    }
    fields.push(field);
  }

  return {
    refId: options.refId,
    name: options.variable,
    fields,
    length: buffer.length,
    meta: { type: DataFrameType.TimeSeriesWide, typeVersion: [0, 1] },
  };
}
