import { merge, Observable, of } from 'rxjs';
import {
  AdHocVariableFilter,
  CoreApp,
  DataFrame,
  DataQueryRequest,
  DataQueryResponse,
  DataSourceApi,
  DataSourceInstanceSettings,
  LoadingState,
  MetricFindValue,
  ScopedVars,
  TestDataSourceResponse,
} from '@grafana/data';
import { config, getTemplateSrv } from '@grafana/runtime';
import { Endpoint, ScriptBudget } from './engine/Endpoint';
import { SeriesCluster } from './engine/SeriesCluster';
import { holderKey } from './engine/holders';
import { hostnameOf, instancesOf, mapKeysOf, probesOf, processesOf, scriptsOf } from './engine/lookups';
import { checkEndpoint } from './health/checkEndpoint';
import { checkSeriesStore } from './health/seriesStore';
import { blockingDiagnostics } from './language/blocking';
import { annotationEvents, annotationQuery } from './query/annotations';
import { leaseResponse, ScriptCost } from './query/leaseResponse';
import { alternativesFormat, expandAlternatives } from './query/metricNamesOf';
import { clusterResponse } from './query/clusterResponse';
import { metricResponse } from './query/metricResponse';
import { runningScriptsResponse } from './query/runningScripts';
import { queryDisplayText } from './query/displayText';
import { QueryHistory } from './query/historyState';
import { formerRecordingsNotice, isRecordingName, PreparedRecording, recordingOf } from './query/recording';
import { migrateQuery } from './query/migrate';
import {
  AD_HOC_KEYS,
  interpolateHostspec,
  interpolateLegend,
  interpolateScript,
  referencedVariables,
  Replacement,
  templateSource,
  TemplateService,
} from './query/variables';
import { ControlRoute, isPmapiError, PmapiClient, proxyClient, proxySeriesClient, SeriesClient } from './pmapi';
import { endpointSettings, EndpointSettings } from './settings/settings';
import {
  BpfliveOptions,
  BpfliveVariableQuery,
  BpftraceQuery,
  DEFAULT_QUERY,
  isMetricQuery,
  QUERY_TYPE_RUNNING_SCRIPTS,
} from './types';

/** Why this datasource refuses to work at all, in words for every query and Save & test. */
const DIRECT_ACCESS_REFUSED =
  'This datasource uses access mode "direct" (browser): bpflive refuses it, because the pmcd credentials would live in the browser and nothing on the server would check who starts root scripts. Set the access mode to "Server" (proxy) in the datasource settings.';

export class DataSource extends DataSourceApi<BpftraceQuery, BpfliveOptions> {
  readonly settings: EndpointSettings;
  /** Grafana's proxy path for this datasource (access mode proxy), not pmproxy's own URL. */
  private readonly url: string;
  /** Scripts are shared (and swept) only among clients of this datasource. */
  private readonly namespace: string;
  private readonly refusal?: string;
  /** Which control route this session's stores take, or none: decided once per page load. */
  private readonly control?: ControlRoute;

  constructor(instanceSettings: DataSourceInstanceSettings<BpfliveOptions>) {
    super(instanceSettings);
    this.url = instanceSettings.url ?? '';
    this.settings = endpointSettings(instanceSettings.jsonData);
    this.namespace = instanceSettings.uid || 'default';
    this.refusal = instanceSettings.access === 'direct' ? DIRECT_ACCESS_REFUSED : undefined;
    this.control = this.controlRoute();
    // Annotations from a script: its printf lines, one annotation each (query/annotations.ts).
    // The editor is the query editor; the script runs, and streams, like a panel's.
    this.annotations = {
      getDefaultQuery: () => DEFAULT_QUERY,
      prepareQuery: (anno) => annotationQuery(anno.target),
      processEvents: (_anno, frames) => of(annotationEvents(frames)),
    };
  }

  /**
   * Where this session's stores go, or undefined when it may send none. The routes in plugin.json
   * make Grafana's server enforce the same rule; this only keeps a Viewer's browser from sending
   * requests that would be refused (and from showing a 403 for them).
   */
  private controlRoute(): ControlRoute | undefined {
    const user = config.bootData?.user;
    const role = user?.orgRole;
    if (user?.isGrafanaAdmin || role === 'Admin' || role === 'Editor') {
      return 'editor';
    }
    return this.settings.allowViewersToRun ? 'viewer' : undefined;
  }

  /** The cap counts every script this datasource holds, on all its hosts. */
  private readonly budget: ScriptBudget = {
    max: 0,
    used: () => [...this.endpoints.values()].reduce((n, e) => n + e.scriptsHeld, 0),
  };

  getDefaultQuery(_: CoreApp): Partial<BpftraceQuery> {
    return DEFAULT_QUERY;
  }

  filterQuery(query: BpftraceQuery): boolean {
    if (query.hide) {
      return false;
    }
    if (query.queryType === QUERY_TYPE_RUNNING_SCRIPTS) {
      return true;
    }
    return isMetricQuery(query) ? !!query.metrics?.trim() : !!(query.scriptName?.trim() || query.code?.trim());
  }

  /** A client with its own context, so a check never disturbs the contexts of live panels. */
  newClient(hostspec = this.settings.hostspec): PmapiClient {
    return proxyClient(this.url, { hostspec, pollIntervalMs: this.settings.pollIntervalMs, control: this.control });
  }

  /** pmproxy's series API (what pmlogger recorded), shared by every host's history; made on first use. */
  private seriesClient?: SeriesClient;
  private get series(): SeriesClient {
    this.seriesClient ??= proxySeriesClient(this.url);
    return this.seriesClient;
  }

  /** One Endpoint per pmcd host this datasource's pmproxy reaches (the default, or a query's own). */
  private readonly endpoints = new Map<string, Endpoint>();

  /** The scripts and the poll loop for `hostspec` (default: the datasource's), made on first use. */
  endpointFor(hostspec?: string): Endpoint {
    const host = hostspec?.trim() || this.settings.hostspec;
    let endpoint = this.endpoints.get(host);
    if (!endpoint) {
      this.budget.max = this.settings.maxScripts;
      endpoint = new Endpoint(this.newClient(host), {
        pollIntervalMs: this.settings.pollIntervalMs,
        retentionMs: this.settings.retentionMs,
        namespace: this.namespace,
        budget: this.budget,
        cpuBudget: this.settings.cpuBudget,
        stopOverBudget: this.settings.stopOverBudget,
        mayRecord: this.mayRecord,
        series: this.series,
      });
      this.endpoints.set(host, endpoint);
    }
    return endpoint;
  }

  get endpoint(): Endpoint {
    return this.endpointFor();
  }

  // A closing tab does not deregister its scripts: it cannot tell whether another viewer reads
  // them, and stopping someone else's panel is worse than a script that runs a minute longer.
  // Scripts are unnamed, so the PMDA expires them once nobody reads them (script_expiry_time).

  /**
   * Live: one Observable per query that emits on every poll tick (keyed by refId, state
   * Streaming), starting with everything buffered so far. Unsubscribing releases the script
   * after a grace period, so refreshes and time-range changes reuse it.
   */
  query(request: DataQueryRequest<BpftraceQuery>): Observable<DataQueryResponse> {
    // Migrated first: whether a query runs is decided on the current model.
    const targets = request.targets.map(migrateQuery).filter((t) => this.filterQuery(t));
    const filters = request.filters ?? this.adHocFilters();
    // Queries of one panel that read one script: only the first tells the script's news.
    const seen = new Set<string>();
    return merge(
      ...targets.flatMap((raw) => {
        let interpolated: Interpolation;
        try {
          interpolated = this.interpolate(raw, request.scopedVars, filters);
        } catch (e) {
          return [of(errorResponse(raw, e instanceof Error ? e.message : String(e)))];
        }
        const { query: target, hosts } = interpolated;
        if (isMetricQuery(target) && target.metricSource === 'series') {
          // The series store reads all the query's hosts at once: one stream, not one per host.
          return [this.seriesStream(request, target, hosts)];
        }
        const variables = describeReplaced(interpolated.replaced);
        // A multi-value Host field runs the query on each of its hosts, a stream per host.
        return hosts.map((host) => {
          const script = JSON.stringify([
            host,
            (target.code ?? '').trim(),
            target.outputLines,
            target.scriptName,
            target.record && (target.recordName ?? ''),
          ]);
          const first = !seen.has(script);
          seen.add(script);
          return this.safeStream(request, target, first, { host, oneOfHosts: hosts.length > 1, variables });
        });
      })
    );
  }

  // ------------------------------------------------------------------ dashboard variables

  /**
   * The query with the dashboard's variables, a repeated panel's scoped variables and ad-hoc
   * filters written in (query/variables.ts has the rules, docs/variables.md the table). Throws a
   * VariableError naming the variable whose value may not go where it is used.
   */
  applyTemplateVariables(query: BpftraceQuery, scopedVars: ScopedVars, filters?: AdHocVariableFilter[]): BpftraceQuery {
    return this.interpolate(query, scopedVars, filters ?? this.adHocFilters()).query;
  }

  /** For "Explore" from a panel: the panel's queries with the values it shows written in. */
  interpolateVariablesInQueries(
    queries: BpftraceQuery[],
    scopedVars: ScopedVars,
    filters?: AdHocVariableFilter[]
  ): BpftraceQuery[] {
    return queries.map((q) => {
      try {
        return this.applyTemplateVariables(q, scopedVars, filters);
      } catch {
        // Explore runs it and shows the same error there.
        return q;
      }
    });
  }

  /** What interpolation makes of a query, and which variables it wrote where (the editor shows it). */
  interpolate(query: BpftraceQuery, scopedVars: ScopedVars = {}, filters: AdHocVariableFilter[] = []): Interpolation {
    const source = templateSource(templateService(), scopedVars);
    const { code, replaced } = interpolateScript(query.code ?? '', source, filters);
    const spec = query.hostspec?.trim() ?? '';
    const hostVariables = spec ? referencedVariables(spec, source) : [];
    // One host per value of a multi-value variable (or "All"): the query runs on each of them.
    const hosts = hostVariables.length > 0 ? interpolateHostspec(spec, source) : [spec || this.settings.hostspec];
    for (const name of hostVariables) {
      replaced.push({ name, values: source.values(name), line: 0, where: 'hostspec' });
    }
    const hostspec = hosts.length === 1 ? hosts[0] : query.hostspec;
    const legendFormat = query.legendFormat && interpolateLegend(query.legendFormat, query.code ?? '', source);
    // Metric names only select what is read (no code runs): any value goes in, one name per value.
    const metrics =
      query.metrics && expandAlternatives(templateService().replace(query.metrics, scopedVars, alternativesFormat));
    return { query: { ...query, code, hostspec, legendFormat, ...(metrics ? { metrics } : {}) }, hosts, replaced };
  }

  /** The ad-hoc filters of the dashboard for this datasource (when the request does not carry them). */
  private adHocFilters(): AdHocVariableFilter[] {
    const srv = templateService() as { getAdhocFilters?: (name: string) => AdHocVariableFilter[] };
    return srv.getAdhocFilters?.(this.name) ?? [];
  }

  /** Ad-hoc filters bpflive can apply to every probe: the process name and id. */
  async getTagKeys(): Promise<MetricFindValue[]> {
    return AD_HOC_KEYS.map((text) => ({ text }));
  }

  /** The processes running on the datasource's host now (PCP's proc metrics), by name or id. */
  async getTagValues(options: { key: string }): Promise<MetricFindValue[]> {
    const processes = await processesOf(this.newClient());
    const values = options.key === 'pid' ? processes.map((p) => String(p.pid)) : processes.map((p) => p.comm);
    return [...new Set(values)].sort(naturalOrder).map((text) => ({ text }));
  }

  /**
   * The values of a dashboard variable of this datasource (its variable query): hosts, a host's
   * probes, its running scripts, a running map's keys, a PCP metric's instances, processes. Every
   * field may name other variables (`probes of $host`). Reads only: a Viewer's dashboard runs it.
   */
  async variableValues(query: BpfliveVariableQuery, scopedVars: ScopedVars = {}): Promise<MetricFindValue[]> {
    if (this.refusal) {
      throw new Error(this.refusal);
    }
    const srv = templateService();
    const text = (value: string | undefined) => srv.replace(value ?? '', scopedVars).trim();
    const hostspec = query.hostspec?.trim()
      ? interpolateHostspec(query.hostspec, templateSource(srv, scopedVars))[0]
      : undefined;
    const client = this.newClient(hostspec || this.settings.hostspec);
    const plain = (values: string[]) => values.map((v) => ({ text: v, value: v }));
    switch (query.kind) {
      case 'hosts':
        return this.reachableHosts();
      case 'recordedHosts':
        // The fleet pmlogger farms, from the series store: no pmcd is asked.
        return plain(((await this.series.labelValues(['hostname'])).hostname ?? []).map(String).sort(naturalOrder));
      case 'probes':
        return plain(await probesOf(client, text(query.pattern)));
      case 'scripts':
        return (await scriptsOf(client)).map((s) => ({ text: `${s.name}: ${s.firstLine}`, value: s.id }));
      case 'mapKeys':
        return plain(await mapKeysOf(client, text(query.script), text(query.map)));
      case 'instances':
        return plain(await instancesOf(client, text(query.metric)));
      case 'processes':
        return (await processesOf(client)).map((p) => ({ text: `${p.comm} (${p.pid})`, value: String(p.pid) }));
      default:
        throw new Error(`Unknown variable query kind ${JSON.stringify((query as { kind?: unknown }).kind)}.`);
    }
  }

  /**
   * The hosts of the settings whose pmcd answers, each with pmcd's own name for it: the value is
   * the hostspec a query uses, the text says which machine it is when the two differ.
   */
  private async reachableHosts(): Promise<MetricFindValue[]> {
    const answers = await Promise.all(
      this.settings.hosts.map(async (host) => {
        try {
          const name = await withinMs(HOST_ANSWER_MS, hostnameOf(this.newClient(host)));
          return { text: name && name !== host ? `${host} (${name})` : host, value: host };
        } catch {
          return undefined;
        }
      })
    );
    return answers.filter((a): a is { text: string; value: string } => a !== undefined);
  }

  /** One line for Explore's query history: the script's first line of code, and its host. */
  getQueryDisplayText(query: BpftraceQuery): string {
    return queryDisplayText(query);
  }

  /** One broken query never breaks the others of its panel: whatever it throws is its own error. */
  private safeStream(
    request: DataQueryRequest<BpftraceQuery>,
    target: BpftraceQuery,
    tellsScriptNews: boolean,
    context: StreamContext
  ): Observable<DataQueryResponse> {
    try {
      return this.stream(request, target, tellsScriptNews, context);
    } catch (e) {
      return of(
        errorResponse(target, `bpflive could not run this query: ${e instanceof Error ? e.message : String(e)}`)
      );
    }
  }

  private stream(
    request: DataQueryRequest<BpftraceQuery>,
    target: BpftraceQuery,
    tellsScriptNews: boolean,
    { host, oneOfHosts, variables }: StreamContext
  ): Observable<DataQueryResponse> {
    if (isMetricQuery(target)) {
      return this.metricStream(request, target, { host, oneOfHosts });
    }
    if (target.queryType === QUERY_TYPE_RUNNING_SCRIPTS) {
      return this.runningScripts(target, host, oneOfHosts);
    }
    const joinName = target.scriptName?.trim() || undefined;
    // A named script's code is the host's, not this query's: nothing of it is sent.
    const refused = this.refusal ?? (joinName ? undefined : refusedCode(target.code));
    if (refused) {
      return of(errorResponse(target, refused));
    }
    let record: PreparedRecording | undefined;
    try {
      record = recordingOf(target);
    } catch (e) {
      return of(errorResponse(target, e instanceof Error ? e.message : String(e)));
    }
    return new Observable<DataQueryResponse>((subscriber) => {
      try {
        const range = rangeOf(request);
        const endpoint = this.endpointFor(host);
        // The range's past from the series store for a named script (docs/history.md), read once per stream.
        const history = new QueryHistory({
          load: endpoint.history && ((r) => endpoint.history!.load(r)),
          pollIntervalMs: this.settings.pollIntervalMs,
          retentionMs: this.settings.retentionMs,
          onChange: () => subscriber.next(respond()),
          olderHistory: formerRecordingsNotice(target),
        });
        const respond = () => {
          const cost = this.costOf(endpoint, lease);
          const now = range();
          const past = history.view(lease, now);
          const response = leaseResponse(target, lease, {
            host,
            ...now,
            tellsScriptNews,
            oneOfHosts,
            variables,
            cost,
            buffers: past.buffers,
            historyNotices: past.notices,
          });
          // One stream per host: Grafana keeps the latest response per key, so each host has its own.
          return oneOfHosts ? { ...response, key: hostKey(target.refId, host) } : response;
        };
        const { lease, release } = endpoint.subscribe(
          holderKey(request, target),
          target.code,
          () => subscriber.next(respond()),
          { outputLines: target.outputLines, joinName, record }
        );
        subscriber.next(respond());
        return () => {
          history.dispose();
          release();
        };
      } catch (e) {
        // One broken query never breaks the others of its panel: its error, on it alone.
        subscriber.next(
          errorResponse(target, `bpflive could not run this query: ${e instanceof Error ? e.message : String(e)}`)
        );
        return undefined;
      }
    });
  }

  /** A PCP metric query: its metrics ride the host's poll tick, each tick one response. */
  private metricStream(
    request: DataQueryRequest<BpftraceQuery>,
    target: BpftraceQuery,
    { host, oneOfHosts }: Pick<StreamContext, 'host' | 'oneOfHosts'>
  ): Observable<DataQueryResponse> {
    if (this.refusal) {
      return of(errorResponse(target, this.refusal));
    }
    return new Observable<DataQueryResponse>((subscriber) => {
      const respond = () => {
        const response = metricResponse(target, watch, { host, oneOfHosts });
        return oneOfHosts ? { ...response, key: hostKey(target.refId, host) } : response;
      };
      const { watch, release } = this.endpointFor(host).watchMetrics(
        holderKey(request, target),
        { metrics: target.metrics ?? '', instances: target.instances },
        () => subscriber.next(respond())
      );
      subscriber.next(respond());
      return release;
    });
  }

  /** Reads of the series store, with what it learnt of series ids kept for the page's life. */
  private cluster?: SeriesCluster;

  /**
   * A PCP metric query from the series store: what pmlogger recorded for all `hosts` (`*`: every
   * host it records), read once per run of the query, i.e. on Grafana's refresh, not every tick.
   */
  private seriesStream(
    request: DataQueryRequest<BpftraceQuery>,
    target: BpftraceQuery,
    hosts: string[]
  ): Observable<DataQueryResponse> {
    if (this.refusal) {
      return of(errorResponse(target, this.refusal));
    }
    this.cluster ??= new SeriesCluster(this.series, (spec) =>
      withinMs(HOST_ANSWER_MS, hostnameOf(this.newClient(spec)))
    );
    const cluster = this.cluster;
    const range = { from: request.range.from.valueOf(), to: request.range.to.valueOf() };
    const all = hosts.some((h) => h.trim() === '*');
    return new Observable<DataQueryResponse>((subscriber) => {
      let live = true;
      cluster
        .read({ metrics: target.metrics ?? '', instances: target.instances, hosts: all ? undefined : hosts, ...range })
        .then((read) => clusterResponse(target, read, range, all || hosts.length > 1))
        .catch((e) =>
          errorResponse(
            target,
            isPmapiError(e, 'seriesUnavailable')
              ? `The series store is unavailable: ${e.message}`
              : `bpflive could not read the series store: ${e instanceof Error ? e.message : String(e)}`
          )
        )
        .then((response) => {
          if (live) {
            subscriber.next(response);
            subscriber.complete();
          }
        });
      return () => {
        live = false;
      };
    });
  }

  /**
   * The next level of the host's PCP namespace under `prefix` ('' for the top): the metric
   * editor's completion. Read on the host's endpoint client (a read, no script).
   */
  metricChildren(prefix: string, hostspec?: string): Promise<{ leaf: string[]; nonleaf: string[] }> {
    return this.endpointFor(hostspec).client.children(prefix);
  }

  /** The overhead meter of a query's script: its bpftrace's CPU and memory, against the budget. */
  private costOf(endpoint: Endpoint, lease: Parameters<Endpoint['costOf']>[0]): ScriptCost | undefined {
    const cost = endpoint.costOf(lease);
    return cost && { ...cost, budget: this.settings.cpuBudget, overBudget: endpoint.isOverBudget(lease) };
  }

  /**
   * The "Running scripts" query: the host's every script as a table, from the tick's fetch (the
   * PMDA's list every tick, the proc metrics every few). It reads only: a Viewer's panel runs it.
   */
  private runningScripts(target: BpftraceQuery, host: string, oneOfHosts: boolean): Observable<DataQueryResponse> {
    if (this.refusal) {
      return of(errorResponse(target, this.refusal));
    }
    return new Observable<DataQueryResponse>((subscriber) => {
      const endpoint = this.endpointFor(host);
      const respond = () => {
        const response = runningScriptsResponse(target, endpoint.scriptsOnHost, {
          namespace: this.namespace,
          costOf: (pid) => endpoint.costs.of(pid),
          cpuBudget: this.settings.cpuBudget,
          procAvailable: endpoint.costs.available,
          transportError: endpoint.transportError ?? endpoint.pmdaNotRunning,
          now: Date.now(),
        });
        // One table per host, each named after it, under its own key (Grafana keeps the latest per key).
        return oneOfHosts
          ? {
              ...response,
              key: hostKey(target.refId, host),
              data: response.data.map((f: DataFrame) => ({ ...f, name: `${host}: ${f.name}` })),
            }
          : response;
      };
      subscriber.next(respond());
      return endpoint.addReader({ onTick: () => subscriber.next(respond()) });
    });
  }

  /** Whether this session may stop scripts (Editors, Admins; Viewers only with the Admin's opt-in). */
  get mayStopScripts(): boolean {
    return this.control !== undefined && !this.refusal;
  }

  /**
   * Whether this session may start and stop recordings: an Editor's or Admin's only, on the Editor
   * control route. Not a Viewer's even when the admin lets Viewers run scripts: a recording runs
   * on after the tab closes (docs/history.md). Grafana's server enforces the route itself.
   */
  get mayRecord(): boolean {
    return this.control === 'editor' && !this.refusal;
  }

  /**
   * Stops a recording (the query editor's "Stop recording", after the user confirmed): deregisters
   * the named script on the host through the Editor control route. A Viewer's browser sends
   * nothing. Its history stays in the series store.
   */
  async stopRecording(name: string, hostspec?: string): Promise<void> {
    if (!this.mayRecord) {
      throw new Error(this.refusal ?? 'Only an Editor or Admin may stop a recording.');
    }
    if (!isRecordingName(name)) {
      throw new Error(`"${name}" is not a bpflive recording.`);
    }
    await this.endpointFor(hostspec).stopScript(name);
  }

  /**
   * Stops a script on a host by its id (the Running scripts view's Stop). Sent only on the control
   * route of this session's role: a Viewer's browser sends nothing, and Grafana's proxy would
   * refuse it anyway (plugin.json: control/store is Editor only).
   */
  async stopScript(scriptId: string, hostspec?: string): Promise<void> {
    if (this.refusal) {
      throw new Error(this.refusal);
    }
    await this.endpointFor(hostspec).stopScript(scriptId);
  }

  /**
   * The probes the target host offers (the PMDA's `bpftrace.info.tracepoints`, from `bpftrace -l`
   * at PMDA start), as one comma-separated string. The editor's probe catalog caches it.
   */
  fetchProbeList(hostspec?: string): Promise<string> {
    return this.endpointFor(hostspec).probeList();
  }

  async testDatasource(): Promise<TestDataSourceResponse> {
    if (this.refusal) {
      return { status: 'error', message: this.refusal };
    }
    // The series store is optional (live data never needs it): its sentence informs, never fails the test.
    const [report, series] = await Promise.all([checkEndpoint(this.newClient()), checkSeriesStore(this.series)]);
    const reachable = report.state !== 'pmproxyUnreachable';
    return {
      status: report.state === 'ok' ? 'success' : 'error',
      message: reachable ? `${report.message} ${series.sentence}` : report.message,
      details: { message: `state: ${report.state}`, verboseMessage: reachable ? series.sentence : undefined },
    };
  }
}

/** The response key of one host's stream of a query that runs on several hosts. */
export function hostKey(refId: string, host: string): string {
  return `${refId}@${host}`;
}

/** Code that must not reach the host: the editor's own rule (blockingDiagnostics), for saved code too. */
function refusedCode(code: string): string | undefined {
  const errors = blockingDiagnostics(code);
  if (errors.length === 0) {
    return undefined;
  }
  const where = errors.map((d) => `line ${d.startLine}: ${d.message}`).join('; ');
  return `Not run: the script has ${errors.length === 1 ? 'an error' : `${errors.length} errors`} the editor marks (${where}). Fix ${errors.length === 1 ? 'it' : 'them'} and run the query again.`;
}

/** Grafana's template service; none (no variables) where Grafana has not set one up, as in unit tests. */
function templateService(): TemplateService {
  return getTemplateSrv() ?? { getVariables: () => [], replace: (text: string) => text };
}

/** `$pid = 1, 2; $comm = bash`, or undefined when no variable was written in. */
function describeReplaced(replaced: Replacement[]): string | undefined {
  const parts = replaced.map((r) => `${r.where === 'filter' ? r.name : `$${r.name}`} = ${r.values.join(', ')}`);
  return parts.length ? parts.join('; ') : undefined;
}

/** A query as it runs, and the variables written into it. */
export interface Interpolation {
  /** The query with its variables written in (its hostspec too when that names one host). */
  query: BpftraceQuery;
  /** The hosts it runs on: one, or one per value of a multi-value variable in its Host field. */
  hosts: string[];
  replaced: Replacement[];
}

/** Which host one stream of a query reads, and what the panel should be told about it. */
interface StreamContext {
  host: string;
  /** The query runs on several hosts and this is one of them (query/leaseResponse.ts labels it). */
  oneOfHosts: boolean;
  /** The dashboard variables written into the script, said to a Viewer waiting for it. */
  variables?: string;
}

/** A host whose pmcd has not answered in this time is left out of a Hosts variable (pmproxy may wait far longer). */
const HOST_ANSWER_MS = 5000;

function withinMs<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const naturalOrder = new Intl.Collator(undefined, { numeric: true }).compare;

function errorResponse(target: BpftraceQuery, message: string): DataQueryResponse {
  return {
    key: target.refId,
    state: LoadingState.Error,
    data: [{ refId: target.refId, name: target.refId, fields: [], length: 0 }],
    errors: [{ refId: target.refId, message }],
  };
}

/**
 * The selected range at each emission: a range that ends "now" slides with the stream (the
 * request's own from/to were fixed when the query started), so histograms and flame graphs of
 * "the last 5 minutes" stay the last 5 minutes.
 */
function rangeOf(request: DataQueryRequest<BpftraceQuery>): () => { from: number; to: number } {
  const from = request.range?.from.valueOf() ?? 0;
  const to = request.range?.to.valueOf() ?? Date.now();
  const rawTo = request.range?.raw.to;
  const endsNow = typeof rawTo === 'string' && rawTo.startsWith('now');
  return endsNow ? () => ({ from: Date.now() - (to - from), to: Infinity }) : () => ({ from, to });
}
