import { rawValueAt } from '../buffers/rawStore';
import { WideSeriesBuffer } from '../buffers/WideSeriesBuffer';
import type { HistorySample, ScriptHistory } from '../engine/History';
import { STACK_HISTORY, VariableInfo } from '../engine/ScriptLease';
import { upperBound } from '../shared/sorted';

/**
 * Seamless ranges (issue 17, docs/history.md "The stitching rule"): a recorded script's past from
 * the series store and its present from the live poll, in ONE WideSeriesBuffer per map, so every
 * frame builder (time series, heatmap, histogram, flame graph, table) draws history exactly as it
 * draws live data.
 *
 * The rule: the live buffer covers [L0, now]. History fills [from, L0) with its samples whose time
 * is before L0 − interval/2, so the sample pmlogger took of the same print as the first live tick
 * is not drawn twice. Two samples more than two recording intervals apart are a gap: a null row
 * between them (a counter's next rate is then a gap too, never one averaged over the hole), and
 * a notice names the gap. The same holds at the seam: the first live rate counts from the last
 * history sample when it is within two intervals, else a gap.
 *
 * The merged buffers are this query's own (the lease's live buffers are never touched); each tick
 * copies the live rows newer than the merged buffer's last row. Frames sent before stay as they
 * were: a WideSeriesBuffer's arrays only grow.
 */

/** A stretch of the range the recording does not cover (pmlogger paused, the host down). */
export interface HistoryGap {
  from: number;
  to: number;
}

export interface StitchOptions {
  /** The range's start (ms). Samples before it are not kept (but one just before, for a first rate). */
  from: number;
  /** The range's end (ms; Infinity for a range ending now): live rows after it are not copied. */
  to: number;
  /** The live poll's interval, ms. */
  pollIntervalMs: number;
  /** The live buffers keep this much; the merged ones keep at least the range too. */
  retentionMs: number;
  /**
   * When the history was read (ms). Samples of the last seconds before it may not have reached the
   * series store yet (pmlogger's flush, pmproxy's discovery): a seam within that lag is store
   * delay, not a hole in the recording, and is drawn joined (the first live rate is then the
   * average over the longer step, still exact), not as a gap.
   */
  loadedAt?: number;
}

/** How far behind the live data the series store may be: pmlogger's flush and pmproxy's load. */
export const STORE_LAG_MS = 5000;

/** Two samples further apart than this many intervals have a gap between them. */
const GAP_INTERVALS = 2;

/**
 * A query's view of a script over a range that reaches before its live data: per map, a buffer of
 * history then live rows. Made once per (query, range) when the history arrives; `buffers()` on
 * every tick.
 */
export class StitchedHistory {
  private readonly merged = new Map<string, WideSeriesBuffer>();
  private readonly gapList: HistoryGap[] = [];
  private lateSeam = false;
  /** The first sample the history holds in the range, over all maps. */
  readonly firstSample?: number;

  constructor(
    private readonly history: ScriptHistory,
    private readonly options: StitchOptions
  ) {
    let first = Infinity;
    for (const samples of history.samples.values()) {
      const i = firstInRange(samples, options.from);
      if (i < samples.length) {
        first = Math.min(first, samples[i].t);
      }
    }
    this.firstSample = Number.isFinite(first) ? first : undefined;
  }

  /**
   * Whether a seam was joined over the store's lag (the history's last seconds before the live
   * data were not in the series store yet when it was read): a read later fills it.
   */
  get seamAwaitsStore(): boolean {
    return this.lateSeam;
  }

  /** The gaps of the recording in the range, oldest first (each once, whichever map showed it). */
  get gaps(): readonly HistoryGap[] {
    return this.gapList;
  }

  /**
   * The buffers to draw for `variables`: history then the live rows of `live`, brought up to date
   * with the live rows that came since the last call. A map the history does not hold is drawn
   * from its live buffer alone.
   */
  buffers(
    variables: readonly VariableInfo[],
    live: ReadonlyMap<string, WideSeriesBuffer>
  ): Map<string, WideSeriesBuffer> {
    const out = new Map(live);
    for (const v of variables) {
      const liveBuffer = live.get(v.name);
      const samples = this.history.samples.get(v.name);
      if (v.text || !liveBuffer || !samples || samples.length === 0) {
        continue;
      }
      let merged = this.merged.get(v.name);
      if (!merged) {
        merged = this.start(v, samples, liveBuffer);
        this.merged.set(v.name, merged);
      }
      copyLiveRows(merged, liveBuffer, this.options.to);
      out.set(v.name, merged);
    }
    return out;
  }

  /** A new merged buffer with the history before the live buffer's first row, and a gap at the seam if due. */
  private start(v: VariableInfo, samples: readonly HistorySample[], live: WideSeriesBuffer): WideSeriesBuffer {
    const { from, to, pollIntervalMs } = this.options;
    const span = Number.isFinite(to) ? to - from : Date.now() - from;
    const merged = new WideSeriesBuffer({
      // The range, and what the live buffer keeps: the merged rows drop out as the live ones do.
      retentionMs: Math.max(this.options.retentionMs, span + 2 * pollIntervalMs),
      counter: v.counter,
      ...(v.metrictype === 'stacks' ? STACK_HISTORY : {}),
    });
    const interval = Math.max(this.history.intervalMs, 1);
    const l0 = live.length > 0 ? live.times[0] : Infinity;
    // Before L0 − interval/2: pmlogger's sample of the print the first live tick read is not drawn twice.
    const before = l0 - Math.max(interval, pollIntervalMs) / 2;
    let previous: number | undefined;
    // One sample before `from` too: the first rate in the range counts from it.
    for (let i = Math.max(0, firstInRange(samples, from) - 1); i < samples.length && samples[i].t < before; i++) {
      const s = samples[i];
      if (s.t > to) {
        break;
      }
      if (previous !== undefined && s.t - previous > GAP_INTERVALS * interval) {
        this.gap(merged, previous, s.t, interval);
      }
      merged.append(s.t, s.values);
      previous = s.t;
    }
    if (previous !== undefined && Number.isFinite(l0) && l0 <= to) {
      const seamInterval = Math.max(interval, pollIntervalMs);
      const storeLag = this.options.loadedAt !== undefined && previous >= this.options.loadedAt - STORE_LAG_MS;
      if (l0 - previous > GAP_INTERVALS * seamInterval) {
        if (storeLag) {
          this.lateSeam = true;
        } else {
          this.gap(merged, previous, l0, seamInterval);
        }
      }
    }
    return merged;
  }

  /** A null row just after `after`: the panel draws a gap, and a counter's next rate is a gap too. */
  private gap(merged: WideSeriesBuffer, after: number, until: number, interval: number) {
    merged.append(Math.min(after + interval, (after + until) / 2), new Map());
    if (!this.gapList.some((g) => g.from === after && g.to === until)) {
      this.gapList.push({ from: after, to: until });
      this.gapList.sort((a, b) => a.from - b.from);
    }
  }
}

/** The live rows newer than the merged buffer's last (and not after `to`), appended by their raw values. */
function copyLiveRows(merged: WideSeriesBuffer, live: WideSeriesBuffer, to: number) {
  const times = live.times;
  const last = merged.lastTimestamp ?? -Infinity;
  let i = upperBound(times, last);
  if (i >= times.length || times[i] > to) {
    return;
  }
  const keys = live.keys();
  const columns = keys.map((k) => live.values(k));
  for (; i < times.length && times[i] <= to; i++) {
    const row = new Map<string, number | null>();
    keys.forEach((key, j) => {
      const c = columns[j];
      row.set(key, c ? rawValueAt(c, i) : null);
    });
    merged.append(times[i], row);
  }
}

/** The first sample at or after `t`. */
function firstInRange(samples: readonly HistorySample[], t: number): number {
  let lo = 0;
  let hi = samples.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (samples[mid].t < t) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

/** `14:02:07`: a time of day for notices, in the browser's zone. */
export function clockText(t: number): string {
  const d = new Date(t);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** "not recorded between 14:02:07 and 14:09:31" for each gap (the first three, then how many more). */
export function gapNotice(gaps: readonly HistoryGap[]): string | undefined {
  if (gaps.length === 0) {
    return undefined;
  }
  const shown = gaps.slice(0, 3).map((g) => `between ${clockText(g.from)} and ${clockText(g.to)}`);
  const more = gaps.length > 3 ? ` and ${gaps.length - 3} more time${gaps.length === 4 ? '' : 's'}` : '';
  return `Not recorded ${shown.join(', ')}${more} (the recording paused: pmlogger or the host was down); drawn as a gap.`;
}
