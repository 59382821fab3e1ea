import { DataFrame, DataFrameType, FieldType } from '@grafana/data';

import type { LogLineTracker } from '../buffers/LogLineTracker';

export interface LogFrameOptions {
  refId: string;
  variable: string;
  /** The selected time range in ms (`to` may be Infinity): only lines that arrived in it. */
  from?: number;
  to?: number;
}

/**
 * Appended to the body of the last line while bpftrace has not ended it with '\n' yet: a printf
 * without '\n', or a line whose end the PMDA lost (join() prints its own message type, which the
 * PMDA drops, newline included). The row is replaced by the complete line once it comes.
 */
export const PARTIAL_MARK = ' [partial: no newline yet]';

/** Nanoseconds of the partial row: after every complete line of its tick. */
const PARTIAL_NANOS = 999_999;

/**
 * A log-lines frame (Grafana's logs panel) of the printf lines that arrived in the range, and the
 * unterminated last line (marked PARTIAL_MARK) if it arrived in it. Each line's position within
 * its tick goes into the time field's nanoseconds, so Grafana keeps the lines of one tick in
 * order in either sort order. The whole history without a partial line references the tracker's
 * columns (no copy; they are only appended to, so the frame's rows never change).
 */
export function buildLogFrame(log: LogLineTracker, options: LogFrameOptions): DataFrame {
  const { times, nanos, bodies, ids } = log.columns;
  const [start, end] = log.rowsIn(options.from ?? -Infinity, options.to ?? Infinity);
  const whole = start === 0 && end === bodies.length;
  const line = log.partialLine;
  const partial =
    line && line.at >= (options.from ?? -Infinity) && line.at <= (options.to ?? Infinity) ? line : undefined;
  // Grafana's Field.values is typed mutable; we hand it the tracker's arrays and never expect writes.
  const pick = <T>(column: readonly T[], extra: T): T[] => {
    const rows = (whole ? column : column.slice(start, end)) as T[];
    return partial ? [...rows, extra] : rows;
  };
  const bodyValues = pick(bodies, `${partial?.text}${PARTIAL_MARK}`);
  return {
    refId: options.refId,
    name: options.variable,
    fields: [
      {
        name: 'timestamp',
        type: FieldType.time,
        config: {},
        values: pick(times, partial?.at ?? 0),
        nanos: pick(nanos, PARTIAL_NANOS),
      },
      { name: 'body', type: FieldType.string, config: {}, values: bodyValues },
      { name: 'id', type: FieldType.string, config: {}, values: pick(ids, partial?.id ?? '') },
    ],
    length: bodyValues.length,
    meta: { type: DataFrameType.LogLines, typeVersion: [0, 0], preferredVisualisationType: 'logs' },
  };
}
