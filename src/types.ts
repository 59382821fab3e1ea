import { DataSourceJsonData } from '@grafana/data';
import { DataQuery } from '@grafana/schema';

/** How a query's data is shown. Auto picks from the PMDA's metrictype label and the data. */
export type QueryFormat = 'auto' | 'timeseries' | 'heatmap' | 'histogram' | 'table' | 'logs' | 'flamegraph';

export interface FlameGraphOptions {
  /** Other key parts of a stack map (comm, pid …) become the top levels under the root. */
  keyPartsAsRoots?: boolean;
  /** Leave out stacks that end in the idle loop (cpuidle_enter_state, do_idle …). */
  hideIdle?: boolean;
  /** Leave out frames bpftrace could not resolve (`0x7f…`). */
  hideUnresolved?: boolean;
  /** Leave out stacks with fewer samples than this over the range. */
  minSamples?: number;
  /**
   * Compare the selected range with a baseline, drawn as Grafana's diff flame graph: 'previous'
   * (the window of equal length just before the range), 'fixed' (baselineFrom–baselineTo), or
   * 'none' (the default: a plain flame graph).
   */
  compare?: FlameGraphCompare;
  /** compare 'fixed': the baseline's start and end as Grafana reads times (`now-2h`, `2026-12-03 17:00:00`, ms since the epoch). */
  baselineFrom?: string;
  baselineTo?: string;
}

export type FlameGraphCompare = 'none' | 'previous' | 'fixed';

/**
 * The version of the saved query model. 1 (or absent): the map to show was `variable`; 2: it is
 * `map` ("Variable" clashed with Grafana's dashboard variables). query/migrate.ts upgrades.
 */
export const QUERY_MODEL_VERSION = 2;

/**
 * The kinds of query (DataQuery's own `queryType`): absent or 'script' is a bpftrace script (every
 * query saved before query types existed), 'metric' a PCP metric query, 'runningScripts' the list
 * of scripts running on a host (not a script). A new optional field, so no model version change.
 */
export const QUERY_TYPE_SCRIPT = 'script';
export const QUERY_TYPE_METRIC = 'metric';
export const QUERY_TYPE_RUNNING_SCRIPTS = 'runningScripts';

/** Where a PCP metric query reads its values: each host live, or pmproxy's series store. */
export type MetricSource = 'live' | 'series';

/** Whether a query reads PCP metrics rather than running a script. */
export function isMetricQuery(query: Pick<BpftraceQuery, 'queryType'>): boolean {
  return query.queryType === QUERY_TYPE_METRIC;
}

/** One panel query: a bpftrace script (or, by queryType, PCP metrics) and how to show it. */
export interface BpftraceQuery extends DataQuery {
  /** The query model's version (QUERY_MODEL_VERSION); absent in queries saved before it existed. */
  version?: number;
  /** The bpftrace script, as the user wrote it. */
  code: string;
  /** Default 'auto'. */
  format?: QueryFormat;
  /** Which map to show (`@lat`, or `@output` for printf output); Auto picks and says which. */
  map?: string;
  /** Counters (count(), hist(), lhist()) as per-second rates; default true. */
  rate?: boolean;
  /** Series names with $var, $key, $key0…, $instance, $host and labels; default `@var[key]`. */
  legendFormat?: string;
  /** Grafana unit id (ns, µs, bytes …); inferred from the variable name when empty. */
  unit?: string;
  /** Tables of maps: keep only the N largest rows. */
  topN?: number;
  flameGraph?: FlameGraphOptions;
  hostspec?: string;
  /**
   * Editor only: run the script once typing stops, when the editor finds no error in it. Off
   * (the default), a script runs only when the user asks (Shift+Enter, Run, leaving the editor),
   * since a half-typed script would be registered with a bpftrace that runs as root.
   */
  liveRun?: boolean;
  /**
   * Lines of printf output the PMDA keeps between two reads (its `table-retain-lines`), unless
   * the script sets it itself; default 2000. Without a bound the PMDA keeps every line since the
   * start and sends all of it on every tick.
   */
  outputLines?: number;
  /** PCP metric queries: metric names, globs (`disk.dev.*`) or subtrees, by commas or spaces. */
  metrics?: string;
  /** PCP metric queries: instance names to show, globs separated by `|` or a `/regex/`; all when empty. */
  instances?: string;
  /**
   * PCP metric queries: where the values come from. 'live' (default) polls each host's pmcd every
   * tick; 'series' reads what pmlogger recorded for all the query's hosts from pmproxy's series
   * store, one query per refresh however many hosts (query/seriesCluster.ts).
   */
  metricSource?: MetricSource;
  /** Series store: mark hosts whose mean over the range lies outside their peers' mean ± k·σ. */
  outliers?: boolean;
  /** The k of `outliers`; default 2. */
  outlierK?: number;
  /**
   * Show a script the host already runs, by its name (the PMDA's autostart and named scripts) or
   * id, instead of `code`: the query joins it and never registers, restarts or stops it.
   */
  scriptName?: string;
  /**
   * Record the script (issue 17): it runs as the named script `bpflive_rec_<name>` that pmlogger
   * records, outlives the tab, and gives past ranges their history. Off by default. Only an Editor
   * starts or stops a recording; a Viewer's panel joins it when it runs.
   */
  record?: boolean;
  /** The recording's name after `bpflive_rec_` (letters, digits, _); a hash of the code when empty. */
  recordName?: string;
  /**
   * The recordings this query ran before its code or recording name changed, newest first (set by
   * the editor): their history stays under those names, and the query says so.
   */
  formerRecordings?: string[];
}

/** What a dashboard variable of this datasource lists (see src/components/VariableQueryEditor.tsx). */
export type VariableQueryKind =
  'hosts' | 'recordedHosts' | 'probes' | 'scripts' | 'mapKeys' | 'instances' | 'processes';

/** A variable query: which list, on which host; the fields that kind needs. `$var` allowed in each. */
export interface BpfliveVariableQuery extends DataQuery {
  kind: VariableQueryKind;
  /** The pmcd host (default: the datasource's). */
  hostspec?: string;
  /** probes: bpftrace's wildcard, e.g. `kprobe:vfs_*`. */
  pattern?: string;
  /** mapKeys: a running script's id or name, or its code. */
  script?: string;
  /** mapKeys: the map, e.g. `@bytes`. */
  map?: string;
  /** instances: a PCP metric, e.g. `kernel.percpu.cpu.user`. */
  metric?: string;
}

export const DEFAULT_QUERY: Partial<BpftraceQuery> = {
  // A new query is born in the current model, so no migration ever mistakes it for an old one.
  version: QUERY_MODEL_VERSION,
  code: '',
};

/** Datasource settings (jsonData). URL and basic auth live in Grafana's own HTTP settings. */
export interface BpfliveOptions extends DataSourceJsonData {
  /** pmcd host as pmproxy reaches it; pmproxy's own host when empty. */
  hostspec?: string;
  /** Seconds between polls of pmproxy. The PMDA refreshes once a second, so at least 1. */
  pollIntervalSec?: number;
  /** How much history the browser keeps per series, e.g. `30m`, `2h`. */
  retention?: string;
  /**
   * Admin opt-in: Viewers may register, start, stop and deregister scripts, i.e. run root code on
   * the target host. Grafana's proxy reads this flag itself (the viewer-control route in
   * plugin.json), so it takes effect server-side, not only in the browser. Keep it a boolean: the
   * route's Go template takes any non-empty value, even the string "false", as on.
   */
  allowViewersToRun?: boolean;
  /** At most this many scripts running at once from this client for this datasource. */
  maxScripts?: number;
  /**
   * Other pmcd hosts this pmproxy reaches (comma- or space-separated hostspecs): what a "Hosts"
   * variable query offers, next to the default host.
   */
  hosts?: string;
  /**
   * CPU budget per script, in percent of one CPU (5 = 5 %): a script of this datasource whose
   * bpftrace process uses more gets a warning. Empty: no budget.
   */
  cpuBudgetPercent?: number;
  /** Admin's choice, default off: a script over the CPU budget at two samples in a row is stopped. */
  stopOverBudget?: boolean;
}

export const DEFAULT_HOSTSPEC = 'localhost';
export const DEFAULT_POLL_INTERVAL_SEC = 1;
export const DEFAULT_RETENTION = '30m';
export const DEFAULT_URL = 'http://localhost:44322';
export const DEFAULT_ALLOW_VIEWERS_TO_RUN = false;
export const DEFAULT_MAX_SCRIPTS = 50;
