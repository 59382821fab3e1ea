import { DataFrame, dateMath, dateTimeFormat, QueryResultMetaNotice } from '@grafana/data';

import type { WideSeriesBuffer } from '../buffers/WideSeriesBuffer';
import { buildFlameGraphFrame } from '../frames/flamegraph';
import { buildFlameGraphDiffFrame } from '../frames/flamegraphDiff';
import { FlameGraphOptions } from '../types';

/** A range in ms since the epoch; `to` may be Infinity (a range that ends now). */
export interface Range {
  from: number;
  to: number;
}

/**
 * What a flame-graph query shows: the flame graph of the range, or, when it compares, Grafana's
 * diff flame graph of a baseline against the range (frames/flamegraphDiff), with a notice that
 * names the baseline. A baseline the query cannot use is said as a warning, and the plain flame
 * graph is shown: one bad option never blanks the panel.
 */
export function flameGraphFrame(
  buffer: WideSeriesBuffer,
  options: FlameGraphOptions | undefined,
  refId: string,
  range: Range,
  now: number
): DataFrame {
  const { compare, baselineFrom, baselineTo, ...shape } = options ?? {};
  if (!compare || compare === 'none') {
    return buildFlameGraphFrame(buffer, { refId, ...range, ...shape });
  }
  const baseline = baselineOf(compare, range, now, baselineFrom, baselineTo);
  if ('problem' in baseline) {
    const frame = buildFlameGraphFrame(buffer, { refId, ...range, ...shape });
    return withNotice(frame, { severity: 'warning', text: `Not compared: ${baseline.problem}` });
  }
  const frame = buildFlameGraphDiffFrame(buffer, { refId, ...range, ...shape, baseline });
  const total = (name: string) => frame.fields.find((f) => f.name === name)!.values[0] as number;
  const which = compare === 'previous' ? 'the window before it' : 'the fixed baseline';
  const span = `${formatTime(baseline.from)} – ${formatTime(baseline.to)}`;
  return withNotice(
    frame,
    total('value') === 0
      ? {
          severity: 'warning',
          text: `Compared with ${which} (${span}), which holds no samples: the script was not running then, or that time is older than the history kept (Retention). The colours show no change.`,
        }
      : {
          severity: 'info',
          text: `Compared with ${which} (${span}): ${total('value')} samples then, ${total('valueRight')} in the range. Red grew, green shrank, as a share of each side's samples.`,
        }
  );
}

/**
 * The baseline of a comparison, or why there is none. 'previous' is the window of the range's
 * length that ends just before the range starts (a range that ends now has the length from its
 * start to now): the counter increase of each side is counted where it was seen
 * (buffers/increase), so the baseline ends a microsecond before the range, and a tick at the border
 * counts on one side only.
 */
export function baselineOf(
  compare: 'previous' | 'fixed',
  range: Range,
  now: number,
  fromText = '',
  toText = ''
): Range | { problem: string } {
  if (compare === 'previous') {
    const end = Number.isFinite(range.to) ? range.to : now;
    const length = end - range.from;
    if (!Number.isFinite(range.from) || !(length > 0)) {
      return { problem: 'the selected range has no length to compare with the window before it.' };
    }
    return { from: range.from - length, to: range.from - BORDER_MS };
  }
  const from = timeOf(fromText, false, now);
  const to = timeOf(toText, true, now);
  if (from === undefined || to === undefined) {
    const bad = from === undefined ? `start "${fromText}"` : `end "${toText}"`;
    return {
      problem: `the baseline's ${bad} is not a time. Write it as Grafana does: now-2h, 2026-12-03 17:00:00, or ms since the epoch.`,
    };
  }
  if (!(to > from)) {
    return { problem: "the baseline's end is not after its start." };
  }
  return { from, to };
}

/** Just under the resolution of sample times (pmproxy's timestamps are µs). */
const BORDER_MS = 0.001;

/** A time as the time picker reads it (`now-1h`, an absolute date), or ms since the epoch. */
function timeOf(text: string, roundUp: boolean, now: number): number | undefined {
  const t = text.trim();
  if (t === '') {
    return undefined;
  }
  if (/^\d+$/.test(t)) {
    return Number(t);
  }
  // Relative times are taken against the same "now" the range slides with.
  const parsed = dateMath.toDateTime(t, { roundUp, now });
  return parsed && parsed.isValid() ? parsed.valueOf() : undefined;
}

function formatTime(ms: number): string {
  return dateTimeFormat(ms, { format: 'YYYY-MM-DD HH:mm:ss' });
}

function withNotice(frame: DataFrame, notice: QueryResultMetaNotice): DataFrame {
  return { ...frame, meta: { ...frame.meta, notices: [...(frame.meta?.notices ?? []), notice] } };
}
