import { isPmapiError } from '../pmapi/errors';
import type { VariableInfo } from './ScriptLease';

/**
 * A named script's past, read from pmproxy's series API (what pmlogger recorded of
 * `bpftrace.scripts.<name>.data.*` and pmproxy loaded into its key server): the samples of each of
 * its maps in a window, by map key, on the browser's clock. query/history.ts stitches them before
 * the live buffers; docs/history.md has the rule.
 *
 * The series client is pmapi/series.ts (SeriesClient); only the reads used here are named, so
 * a test hands in recorded answers.
 */
export interface SeriesReader {
  samplesMatching(
    expr: string,
    window: { startMs: number; finishMs: number; intervalSec?: number }
  ): Promise<HistorySeriesSample[]>;
  instances(series: string[]): Promise<Array<{ series: string; instance: string; name: string }>>;
}

/** One sample as pmproxy's series API sends it (pmapi/series.ts SeriesSample). */
export interface HistorySeriesSample {
  series: string;
  instance?: string;
  timestampMs: number;
  value: string;
}

/** One sample of one map: its time on the browser's clock, and its values by key ('' for a map without keys). */
export interface HistorySample {
  t: number;
  values: ReadonlyMap<string, number | null>;
}

/** What the series store holds of a script in a window, by map name (`@lat`). */
export interface ScriptHistory {
  samples: ReadonlyMap<string, readonly HistorySample[]>;
  /** The recording's interval, as its samples are spaced (the median), in ms; 1000 when unknown. */
  intervalMs: number;
}

export interface HistoryRequest {
  /** The PMDA's name of the script (`bpflive_rec_…`, or a named script the store may hold). */
  scriptName: string;
  variables: readonly VariableInfo[];
  /** The window, ms on the browser's clock. */
  from: number;
  to: number;
}

/**
 * At most about this many samples per series and range: a longer range (a day of a 1 s recording
 * is 86,400) is read at a coarser spacing pmproxy picks (`interval`), as a panel has no more
 * pixels than that. Counters stay exact: a rate is the increase over the wider step.
 */
export const MAX_HISTORY_POINTS = 3600;

/** How many finished windows (ranges wholly in the past) are kept: a refresh reads none again. */
const KEPT_WINDOWS = 16;

/**
 * Reads script history for one pmcd host. Only samples of that host's pmcd (its `hostname` label):
 * pmlogger farms may hold the same script name from many hosts.
 */
export class HistoryLoader {
  private readonly done = new Map<string, Promise<ScriptHistory>>();

  constructor(
    private readonly series: SeriesReader,
    /** pmcd's hostname for this endpoint (the series' `hostname` label), when known. */
    private readonly hostname: () => Promise<string | undefined>,
    /** Browser time minus pmproxy's (Endpoint's clock offset): history is drawn on the live clock. */
    private readonly clockOffset: () => number,
    private readonly now: () => number = Date.now
  ) {}

  /**
   * The script's samples in [from, to]. A window wholly in the past is read once and kept (a
   * refresh, another panel of the same range); others are read each time asked (the caller asks
   * once per query and range).
   */
  load(request: HistoryRequest): Promise<ScriptHistory> {
    const finished = request.to < this.now() - 60_000;
    const key = JSON.stringify([request.scriptName, request.variables.map((v) => v.metric), request.from, request.to]);
    const kept = finished ? this.done.get(key) : undefined;
    if (kept) {
      return kept;
    }
    // Read again once when the first read's answer was not waited for (the page was asleep): the
    // store is not to blame, and the page is awake now.
    const loading = this.read(request).catch((e: unknown) => {
      if (isPmapiError(e, 'interrupted')) {
        return this.read(request);
      }
      throw e;
    });
    if (finished) {
      this.done.set(key, loading);
      loading.catch(() => this.done.delete(key));
      while (this.done.size > KEPT_WINDOWS) {
        this.done.delete(this.done.keys().next().value!);
      }
    }
    return loading;
  }

  private async read({ variables, from, to }: HistoryRequest): Promise<ScriptHistory> {
    const offset = this.clockOffset();
    const hostname = await this.hostname();
    const filter = hostname && !/["\\]/.test(hostname) ? `{hostname=="${hostname}"}` : '';
    const maps = variables.filter((v) => !v.text);
    const spanSec = (to - from) / 1000;
    const window = {
      startMs: from - offset,
      finishMs: to - offset,
      ...(spanSec > MAX_HISTORY_POINTS ? { intervalSec: Math.ceil(spanSec / MAX_HISTORY_POINTS) } : {}),
    };
    // By ids, never the windowed expression that crashed pmproxy 6.0.3 (pmapi/series.ts samplesMatching).
    const answers = await Promise.all(maps.map((v) => this.series.samplesMatching(`${v.metric}${filter}`, window)));
    // Instance names (map keys), one request for every map that has instances.
    const keyed = [...new Set(answers.flatMap((a) => a.filter((s) => s.instance).map((s) => s.series)))];
    const names = new Map<string, string>();
    if (keyed.length > 0) {
      for (const i of await this.series.instances(keyed)) {
        names.set(i.instance, i.name);
      }
    }
    const samples = new Map<string, HistorySample[]>();
    let intervalMs: number | undefined;
    let most = 0;
    maps.forEach((v, j) => {
      const rows = rowsOf(answers[j], names, offset);
      samples.set(v.name, rows);
      if (rows.length > most) {
        most = rows.length;
        intervalMs = medianStep(rows.map((r) => r.t));
      }
    });
    return { samples, intervalMs: intervalMs ?? 1000 };
  }
}

/** Samples of one map grouped by time (every key pmlogger took at one moment is one row), ascending. */
function rowsOf(
  answer: readonly HistorySeriesSample[],
  names: ReadonlyMap<string, string>,
  offset: number
): HistorySample[] {
  const byTime = new Map<number, Map<string, number | null>>();
  for (const s of answer) {
    const key = s.instance === undefined ? '' : names.get(s.instance);
    if (key === undefined) {
      continue; // an instance the store could not name: no key to draw it under
    }
    const t = s.timestampMs + offset;
    let row = byTime.get(t);
    if (!row) {
      row = new Map();
      byTime.set(t, row);
    }
    const n = Number(s.value);
    row.set(key, s.value.trim() !== '' && Number.isFinite(n) ? n : null);
  }
  return [...byTime.entries()].sort((a, b) => a[0] - b[0]).map(([t, values]) => ({ t, values }));
}

/** The median spacing of ascending times (ms): a recording's interval, robust to its gaps. */
export function medianStep(times: readonly number[]): number | undefined {
  const steps: number[] = [];
  for (let i = 1; i < times.length; i++) {
    if (times[i] > times[i - 1]) {
      steps.push(times[i] - times[i - 1]);
    }
  }
  if (steps.length === 0) {
    return undefined;
  }
  steps.sort((a, b) => a - b);
  return steps[steps.length >> 1];
}
