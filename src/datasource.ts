import { merge, Observable, of } from 'rxjs';
import {
  CoreApp,
  DataQueryRequest,
  DataQueryResponse,
  DataSourceApi,
  DataSourceInstanceSettings,
  LoadingState,
  TestDataSourceResponse,
} from '@grafana/data';
import { config, getTemplateSrv } from '@grafana/runtime';
import { Endpoint, ScriptBudget } from './engine/Endpoint';
import { holderKey } from './engine/holders';
import { checkEndpoint } from './health/checkEndpoint';
import { blockingDiagnostics } from './language/blocking';
import { annotationEvents, annotationQuery } from './query/annotations';
import { expandHosts, ReplaceVariables } from './query/hosts';
import { leaseResponse } from './query/leaseResponse';
import { migrateQuery } from './query/migrate';
import { ControlRoute, PmapiClient, proxyClient } from './pmapi';
import { endpointSettings, EndpointSettings } from './settings/settings';
import { BpfliveOptions, BpftraceQuery, DEFAULT_QUERY } from './types';

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
    return !query.hide && !!query.code?.trim();
  }

  /** A client with its own context, so a check never disturbs the contexts of live panels. */
  newClient(hostspec = this.settings.hostspec): PmapiClient {
    return proxyClient(this.url, { hostspec, pollIntervalMs: this.settings.pollIntervalMs, control: this.control });
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
    const targets = request.targets.filter((t) => this.filterQuery(t)).map(migrateQuery);
    // Queries of one panel that read one script: only the first tells the script's news.
    const seen = new Set<string>();
    return merge(
      ...targets.flatMap((target) => {
        // A multi-value hostspec runs the query on each of its hosts (query/hosts.ts).
        const hosts = expandHosts(target.hostspec, this.settings.hostspec, replaceVariables(), request.scopedVars);
        return hosts.map((host) => {
          const script = JSON.stringify([host, target.code.trim(), target.outputLines]);
          const first = !seen.has(script);
          seen.add(script);
          return this.safeStream(request, target, first, host, hosts.length > 1);
        });
      })
    );
  }

  /** One broken query never breaks the others of its panel: whatever it throws is its own error. */
  private safeStream(
    request: DataQueryRequest<BpftraceQuery>,
    target: BpftraceQuery,
    tellsScriptNews: boolean,
    host: string,
    oneOfHosts: boolean
  ): Observable<DataQueryResponse> {
    try {
      return this.stream(request, target, tellsScriptNews, host, oneOfHosts);
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
    host: string,
    oneOfHosts: boolean
  ): Observable<DataQueryResponse> {
    const refused = this.refusal ?? refusedCode(target.code);
    if (refused) {
      return of(errorResponse(target, refused));
    }
    return new Observable<DataQueryResponse>((subscriber) => {
      try {
        const range = rangeOf(request);
        const respond = () => {
          const response = leaseResponse(target, lease, {
            host,
            ...range(),
            tellsScriptNews,
            oneOfHosts,
          });
          // One stream per host: Grafana keeps the latest response per key, so each host has its own.
          return oneOfHosts ? { ...response, key: hostKey(target.refId, host) } : response;
        };
        const { lease, release } = this.endpointFor(host).subscribe(
          holderKey(request, target),
          target.code,
          () => subscriber.next(respond()),
          { outputLines: target.outputLines }
        );
        subscriber.next(respond());
        return release;
      } catch (e) {
        // One broken query never breaks the others of its panel: its error, on it alone.
        subscriber.next(
          errorResponse(target, `bpflive could not run this query: ${e instanceof Error ? e.message : String(e)}`)
        );
        return undefined;
      }
    });
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
    const report = await checkEndpoint(this.newClient());
    return {
      status: report.state === 'ok' ? 'success' : 'error',
      message: report.message,
      details: { message: `state: ${report.state}` },
    };
  }
}

/** Grafana's template service's replace; none where Grafana has not set one up (unit tests). */
function replaceVariables(): ReplaceVariables {
  const srv = getTemplateSrv();
  return srv ? (target, scopedVars, format) => srv.replace(target, scopedVars, format) : (target) => target;
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
