import { merge, Observable } from 'rxjs';
import {
  CoreApp,
  DataQueryRequest,
  DataQueryResponse,
  DataSourceApi,
  DataSourceInstanceSettings,
  TestDataSourceResponse,
} from '@grafana/data';
import { Endpoint } from './engine/Endpoint';
import { holderKey } from './engine/holders';
import { checkEndpoint } from './health/checkEndpoint';
import { leaseResponse } from './query/leaseResponse';
import { CONTROL_DEREGISTER, INFO_TRACEPOINTS } from './scripts/names';
import { backendSrvTransport, encodeQuery, PmapiClient } from './pmapi';
import { endpointSettings, EndpointSettings } from './settings/settings';
import { BpfliveOptions, BpftraceQuery, DEFAULT_QUERY } from './types';

export class DataSource extends DataSourceApi<BpftraceQuery, BpfliveOptions> {
  readonly settings: EndpointSettings;
  /** Grafana's proxy path for this datasource (access mode proxy), not pmproxy's own URL. */
  private readonly url: string;

  constructor(instanceSettings: DataSourceInstanceSettings<BpfliveOptions>) {
    super(instanceSettings);
    this.url = instanceSettings.url ?? '';
    this.settings = endpointSettings(instanceSettings.jsonData);
  }

  getDefaultQuery(_: CoreApp): Partial<BpftraceQuery> {
    return DEFAULT_QUERY;
  }

  filterQuery(query: BpftraceQuery): boolean {
    return !query.hide && !!query.code?.trim();
  }

  /** A client with its own context, so a check never disturbs the contexts of live panels. */
  newClient(hostspec = this.settings.hostspec): PmapiClient {
    return new PmapiClient(backendSrvTransport(this.url), {
      hostspec,
      polltimeoutSec: Math.max(30, Math.ceil((this.settings.pollIntervalMs * 10) / 1000)),
    });
  }

  /** One Endpoint per pmcd host this datasource's pmproxy reaches (the default, or a query's own). */
  private readonly endpoints = new Map<string, Endpoint>();

  /** The scripts and the poll loop for `hostspec` (default: the datasource's), made on first use. */
  endpointFor(hostspec?: string): Endpoint {
    const host = hostspec?.trim() || this.settings.hostspec;
    let endpoint = this.endpoints.get(host);
    if (!endpoint) {
      if (this.endpoints.size === 0) {
        this.deregisterOnPageHide();
      }
      endpoint = new Endpoint(this.newClient(host), {
        pollIntervalMs: this.settings.pollIntervalMs,
        retentionMs: this.settings.retentionMs,
      });
      this.endpoints.set(host, endpoint);
    }
    return endpoint;
  }

  get endpoint(): Endpoint {
    return this.endpointFor();
  }

  /**
   * A closing tab gets no grace period, and bpflive's scripts are named, so the PMDA never
   * expires them: on `pagehide` the page asks pmproxy, through Grafana's proxy, to deregister
   * them, with a keepalive request that outlives the page. A viewer in another browser that
   * shared a script registers it again on its next tick. (Any bpflive client also sweeps
   * abandoned scripts, for the cases where this request does not get through.)
   */
  private deregisterOnPageHide() {
    if (typeof window === 'undefined' || typeof fetch !== 'function') {
      return;
    }
    window.addEventListener('pagehide', () => {
      for (const [hostspec, endpoint] of this.endpoints) {
        const names = endpoint.scriptNames();
        if (names.length === 0) {
          continue;
        }
        const query = encodeQuery({ hostspec, name: CONTROL_DEREGISTER, value: names.join(',') });
        void fetch(`${this.url}/pmapi/store?${query}`, {
          method: 'GET',
          keepalive: true,
          credentials: 'same-origin',
        }).catch(() => undefined);
      }
    });
  }

  /**
   * Live: one Observable per query that emits on every poll tick (keyed by refId, state
   * Streaming), starting with everything buffered so far. Unsubscribing releases the script
   * after a grace period, so refreshes and time-range changes reuse it.
   */
  query(request: DataQueryRequest<BpftraceQuery>): Observable<DataQueryResponse> {
    const targets = request.targets.filter((t) => this.filterQuery(t));
    return merge(...targets.map((target) => this.stream(request, target)));
  }

  private stream(request: DataQueryRequest<BpftraceQuery>, target: BpftraceQuery): Observable<DataQueryResponse> {
    return new Observable<DataQueryResponse>((subscriber) => {
      const host = target.hostspec?.trim() || this.settings.hostspec;
      const range = rangeOf(request);
      const respond = () => leaseResponse(target, lease, { host, ...range() });
      const { lease, release } = this.endpointFor(host).subscribe(holderKey(request, target), target.code, () =>
        subscriber.next(respond())
      );
      subscriber.next(respond());
      return release;
    });
  }

  /**
   * The probes the target host offers (the PMDA's `bpftrace.info.tracepoints`, from `bpftrace -l`
   * at PMDA start), as one comma-separated string. The editor's probe catalog caches it.
   */
  async fetchProbeList(hostspec?: string): Promise<string> {
    const result = await this.endpointFor(hostspec).client.fetch([INFO_TRACEPOINTS]);
    const value = result.values.get(INFO_TRACEPOINTS)?.instances[0]?.value;
    return typeof value === 'string' ? value : '';
  }

  async testDatasource(): Promise<TestDataSourceResponse> {
    const report = await checkEndpoint(this.newClient());
    return {
      status: report.state === 'ok' ? 'success' : 'error',
      message: report.message,
      details: { message: `state: ${report.state}` },
    };
  }
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
