import { WideSeriesBuffer } from '../buffers/WideSeriesBuffer';
import { DataFrame, DataQueryError, DataQueryResponse, LoadingState, QueryResultMetaNotice } from '@grafana/data';
import { LeasePhase } from '../engine/leaseMachine';
import { ScriptLease, VariableInfo } from '../engine/ScriptLease';
import { LogLineTracker } from '../buffers/LogLineTracker';
import { buildHeatmapRowsFrame } from '../frames/heatmap';
import { buildHistogramFrame } from '../frames/histogram';
import { buildLogFrame } from '../frames/logs';
import { buildCsvTableFrame, buildMapTableFrame, csvTextOf, looksLikeCsvTable } from '../frames/table';
import { buildTimeSeriesFrame } from '../frames/timeseries';
import { inferUnit, rateUnit } from './units';
import { JOIN_NOTICE, usesJoin } from '../scripts/joinOutput';
import { BpftraceQuery } from '../types';
import { flameGraphFrame } from './flameCompare';
import { keyNamesOf } from './keyNames';
import { withSliceLink } from './sliceLink';
import { newerModelNotice } from './migrate';
import { ProcessCost } from '../engine/processCost';
import { percentText } from '../shared/percent';
import { chooseView, Evidence, ViewFormat } from './view';

/** The script's state as the query editor reads it: `frames[0].meta.custom.bpflive`. */
export interface ScriptState {
  /** The PMDA's words for where the script is (registering, starting, started, stopped, error). */
  status: 'registering' | 'starting' | 'started' | 'stopped' | 'error';
  /** bpflive's own phase of the lease (docs/lifecycle.md). */
  phase?: LeasePhase;
  /** The PMDA's id of the script this query reads, once known. */
  scriptId?: string;
  probes?: number;
  /** The script's map variables as the PMDA exports them (`@syscalls`, `@output` …). */
  variables: string[];
  /** What Auto (or the chosen format) shows. */
  format?: ViewFormat;
  shown: string[];
  warnings: string[];
  /** What the user should know that is not a problem of the script (not started yet for a Viewer, no events). */
  info?: string;
  /** What the script's bpftrace process costs the host (the overhead meter), when measured. */
  cost?: ScriptCost;
}

/** The overhead meter: the bpftrace process's share of one CPU and its memory, and the budget. */
export interface ScriptCost extends ProcessCost {
  /** The datasource's CPU budget per script (share of one CPU), when it sets one. */
  budget?: number;
  /** Over the budget at the last sample. */
  overBudget?: boolean;
}

export interface ResponseContext {
  /** The hostspec, for $host in legends. */
  host?: string;
  /** The selected time range in ms; `to` is Infinity for a range that ends now. */
  from: number;
  to: number;
  /**
   * Whether this query tells the script's own news (warnings, progress, info). Several queries
   * of one panel often read one script (one query per map): Grafana shows every query's notices
   * together, so only the first of them tells it; each still has its own note and errors.
   */
  tellsScriptNews?: boolean;
  /** The dashboard variables written into the script (`$pid = 1, 2`), for a Viewer's "not running". */
  variables?: string;
  /**
   * The query runs on several hosts (its hostspec is a multi-value variable) and this response is
   * `host`'s: its series carry a `host` label and name the host, its frames and notices say which
   * host, and this host's failure is a warning on its own frames, not the query's error, so the
   * other hosts' data goes on being drawn.
   */
  oneOfHosts?: boolean;
  /** What the script costs the host (engine/Endpoint.ts costOf), for the overhead meter. */
  cost?: ScriptCost;
  /**
   * The buffers to draw instead of the lease's own: history stitched before the live rows
   * (query/history.ts) for a range that reaches before the live data.
   */
  buffers?: ReadonlyMap<string, WideSeriesBuffer>;
  /** What the range's history says (gaps, no recording, the series store down): query/historyState.ts. */
  historyNotices?: QueryResultMetaNotice[];
}

/**
 * What one query shows for its script now: the buffered data as frames in the chosen format,
 * and the script's state where the user looks — an error on this query only, warnings and
 * progress as frame notices.
 */
export function leaseResponse(query: BpftraceQuery, lease: ScriptLease, context: ResponseContext): DataQueryResponse {
  const buffers = context.buffers ?? lease.buffers;
  const view = chooseView(lease.variables, { format: query.format, map: query.map }, leaseEvidence(lease, buffers));
  const frames = view.variables
    .flatMap((v) => framesOf(view.format, v, query, lease, buffers, context))
    // The contract with tests and the corpus (view.ts): every frame says what it was drawn as.
    .map((f): DataFrame => ({ ...f, meta: { ...f.meta, custom: { ...f.meta?.custom, view: view.format } } }))
    .map((f) => (context.oneOfHosts ? hostFrame(f, context.host) : f));

  const news = context.tellsScriptNews !== false;
  const notices: QueryResultMetaNotice[] = news ? lease.warnings.map((text) => ({ severity: 'warning', text })) : [];
  if (view.note) {
    notices.push({ severity: view.problem ? 'warning' : 'info', text: view.note });
  }
  if (news && context.historyNotices) {
    notices.push(...context.historyNotices);
  }
  if (news && lease.variables.some((v) => v.text) && usesJoin(lease.text)) {
    notices.push({ severity: 'info', text: JOIN_NOTICE });
  }
  for (const v of view.variables) {
    const log = v.text ? lease.logs.get(v.name) : undefined;
    if (log && log.dropped > 0) {
      notices.push({
        severity: 'info',
        text: `${v.name}: showing the last ${log.maxLines} lines; ${log.dropped} older line${log.dropped === 1 ? ' was' : 's were'} dropped (the query's cap). Raise "Output lines" in the query options to keep more.`,
      });
    }
  }
  const progress = news ? progressNotice(lease, frames.length > 0) : undefined;
  if (progress) {
    notices.push(progress);
  }
  if (news && lease.info) {
    notices.push({ severity: 'info', text: lease.info });
  }
  const cost = news ? costNotice(context.cost) : undefined;
  if (cost) {
    notices.push(cost);
  }
  const newer = newerModelNotice(query);
  if (newer) {
    notices.push({ severity: 'warning', text: newer });
  }
  if (lease.phase === 'waiting' && context.variables) {
    notices.push({
      severity: 'info',
      text: `The script is written with the dashboard's variables (${context.variables}): each choice of values is a script of its own, which an Editor's panel must have started.`,
    });
  }
  const state: ScriptState = {
    status: statusOf(lease.phase),
    phase: lease.phase,
    scriptId: lease.scriptId,
    probes: lease.probes,
    variables: lease.variables.map((v) => v.name),
    format: view.format,
    shown: view.variables.map((v) => v.name),
    warnings: lease.warnings,
    info: lease.info,
    cost: context.cost,
  };
  if (frames.length === 0) {
    // Never a silent empty panel: an empty frame carries what is going on.
    const empty: DataFrame = { refId: query.refId, name: query.refId, fields: [], length: 0 };
    frames.push({ ...empty, meta: { custom: { view: view.format } } });
  }
  const errors: DataQueryError[] = [];
  if (lease.phase === 'failed' && lease.error) {
    if (context.oneOfHosts) {
      notices.unshift({ severity: 'warning', text: lease.error });
    } else {
      errors.push({ refId: query.refId, message: lease.error });
    }
  }
  // The first frame's own notices (a flame graph's comparison) stay, before the query's.
  notices.unshift(...(frames[0].meta?.notices ?? []));
  const told = unique(notices).map((n) => (context.oneOfHosts ? onHost(n, context.host) : n));
  frames[0] = {
    ...frames[0],
    meta: {
      ...frames[0].meta,
      notices: told.length ? told : undefined,
      custom: { ...frames[0].meta?.custom, bpflive: state },
    },
  };

  return {
    key: query.refId,
    state: LoadingState.Streaming,
    data: frames,
    errors: errors.length ? errors : undefined,
  };
}

function framesOf(
  format: ViewFormat,
  v: VariableInfo,
  query: BpftraceQuery,
  lease: ScriptLease,
  buffers: ReadonlyMap<string, WideSeriesBuffer>,
  context: ResponseContext
): DataFrame[] {
  const refId = query.refId;
  const unit = query.unit || inferUnit(v.name);
  const rate = v.counter && query.rate !== false;
  const range = { from: context.from, to: context.to };
  if (v.text) {
    const text = lease.texts.get(v.name);
    const log = lease.logs.get(v.name);
    if (format === 'table') {
      // The lines that arrived in the range (each stamped on arrival), under the header.
      const lines = log ? log.linesIn(range.from, range.to) : [];
      return text && looksLikeCsvTable(text)
        ? [buildCsvTableFrame(csvTextOf(text, lines), { refId, variable: v.name })]
        : [];
    }
    return log && (log.lineCount > 0 || log.partial) ? [buildLogFrame(log, { refId, variable: v.name, ...range })] : [];
  }
  const buffer = buffers.get(v.name);
  if (!buffer || (buffer.length === 0 && format !== 'flamegraph')) {
    // (A flame graph is built even empty: Grafana's flame graph panel fails on a frame without
    // its fields, and the builder gives a root with no samples.)
    return [];
  }
  switch (format) {
    case 'heatmap':
      return [withSliceLink(buildHeatmapRowsFrame(buffer, { refId, variable: v.name, rate, unit }))];
    case 'histogram':
      return [buildHistogramFrame(buffer, { refId, variable: v.name, ...latestInterval(buffer.times, range), unit })];
    case 'flamegraph':
      return [flameGraphFrame(buffer, query.flameGraph, refId, range, Date.now())];
    case 'table':
      return [
        buildMapTableFrame(buffer, {
          refId,
          variable: v.name,
          keyNames: keyNamesOf(lease.text, v.name),
          topN: query.topN,
          ...range,
          unit,
        }),
      ];
    default:
      return [
        buildTimeSeriesFrame(buffer, {
          refId,
          variable: v.name,
          rate,
          legendFormat: query.legendFormat,
          host: context.host,
          ...(context.oneOfHosts && context.host ? { labels: { host: context.host }, hostInName: true } : {}),
          unit: rate ? rateUnit(unit) : unit,
          keyNames: keyNamesOf(lease.text, v.name),
        }),
      ];
  }
}

/**
 * "Histogram (latest)": the newest interval between two samples in the range (the heatmap's
 * newest column), not the whole range.
 */
function latestInterval(times: readonly number[], range: { from: number; to: number }): { from: number; to: number } {
  let last = times.length - 1;
  while (last >= 0 && times[last] > range.to) {
    last--;
  }
  if (last < 1 || times[last - 1] < range.from) {
    return range; // fewer than two samples in the range: the builder says so (null counts)
  }
  return { from: times[last - 1], to: times[last] };
}

/** What the lease's data says so far, for Auto (view.ts). */
function leaseEvidence(lease: ScriptLease, buffers: ReadonlyMap<string, WideSeriesBuffer>): Evidence {
  return {
    isCsv: (v) => looksLikeCsvTable(lease.texts.get(v.name) ?? ''),
    size: (v) => (v.text ? linesOf(lease.logs.get(v.name)) : keysWithValues(buffers.get(v.name))),
  };
}

/** Lines printed, the unterminated last one too (a join() tool's events are all on it). */
function linesOf(log: LogLineTracker | undefined): number {
  return log ? log.lineCount + (log.partial ? 1 : 0) : 0;
}

/**
 * How many keys a map has shown: a keyed map's keys with a value in the buffer's history (the
 * buffer forgets a key once it has none left), not only those in the newest sample, so a map
 * the script clears now and then (`interval:s:5 { print(@); clear(@); }`) keeps its view (it
 * flipped from a table to lines for the second after each clear); a scalar counts once it is not
 * 0 (the PMDA reads 0 for a scalar not printed yet).
 */
function keysWithValues(buffer: WideSeriesBuffer | undefined): number {
  if (!buffer || buffer.length === 0) {
    return 0;
  }
  const keys = buffer.keys();
  if (keys.length === 1 && keys[0] === '') {
    return buffer.latest('') ? 1 : 0;
  }
  return keys.length - (keys.includes('') ? 1 : 0);
}

/** The PMDA-level word for a lease phase, as the editor's status line shows it. */
function statusOf(phase: LeasePhase): ScriptState['status'] {
  switch (phase) {
    case 'pending':
    case 'registering':
    case 'waiting':
      return 'registering';
    case 'starting':
    case 'restarting':
      return 'starting';
    case 'exited':
      return 'stopped';
    case 'failed':
      return 'error';
    default:
      return 'started';
  }
}

function progressNotice(lease: ScriptLease, hasData: boolean): QueryResultMetaNotice | undefined {
  switch (lease.phase) {
    case 'pending':
    case 'registering':
      return hasData ? undefined : { severity: 'info', text: 'Registering the script with the bpftrace PMDA…' };
    case 'starting':
      return hasData ? undefined : { severity: 'info', text: 'bpftrace is starting…' };
    case 'running':
      return hasData
        ? undefined
        : {
            severity: 'info',
            text: `bpftrace is running${lease.probes ? ` (${lease.probes} probes)` : ''}; waiting for its first values.`,
          };
    case 'exited':
      return {
        severity: 'info',
        text: `The script has stopped${lease.exitCode !== undefined ? ` (exit code ${lease.exitCode})` : ''}; showing its last data.`,
      };
    default:
      return undefined;
  }
}

/**
 * One host's frame among several hosts' frames of one query: its name says which host, and so
 * does `meta.custom.host` (annotations tag their events with it).
 */
function hostFrame(frame: DataFrame, host = ''): DataFrame {
  const meta = { ...frame.meta, custom: { ...frame.meta?.custom, host } };
  return frame.name ? { ...frame, name: `${host}: ${frame.name}`, meta } : { ...frame, meta };
}

/** The overhead meter as a notice: a warning over the budget, else a line of information. */
function costNotice(cost: ScriptCost | undefined): QueryResultMetaNotice | undefined {
  if (cost?.cpu === undefined) {
    return undefined;
  }
  const memory = cost.rssBytes === undefined ? '' : `, ${Math.round(cost.rssBytes / 1048576)} MiB resident`;
  const used = `${percentText(cost.cpu)} of one CPU${memory}`;
  if (cost.overBudget && cost.budget !== undefined) {
    return {
      severity: 'warning',
      text: `Over the CPU budget: this script's bpftrace uses ${used}; the datasource allows ${percentText(cost.budget)} per script. Fewer or rarer probes, a lower profile rate or a filter make it cheaper.`,
    };
  }
  return { severity: 'info', text: `Overhead: this script's bpftrace uses ${used}.` };
}

/** One host's notice, among the notices of the query's other hosts. */
function onHost(notice: QueryResultMetaNotice, host = ''): QueryResultMetaNotice {
  return { ...notice, text: `${host}: ${notice.text}` };
}

/** The same text once: a problem reported by two sources is still one problem. */
function unique(notices: QueryResultMetaNotice[]): QueryResultMetaNotice[] {
  const seen = new Set<string>();
  return notices.filter((n) => !seen.has(n.text) && seen.add(n.text));
}
