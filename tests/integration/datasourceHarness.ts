/** Drives the real DataSource class the way Grafana's query runner does, for integration tests. */
import {
  DataFrame,
  DataQueryRequest,
  DataQueryResponse,
  DataSourceInstanceSettings,
  dateTime,
  OrgRole,
  ScopedVars,
} from '@grafana/data';
import { config, setTemplateSrv, TemplateSrv } from '@grafana/runtime';
import { Subscription } from 'rxjs';
import { DataSource } from '../../src/datasource';
import { prepareScript } from '../../src/scripts/naming';
import { BpfliveOptions, BpftraceQuery } from '../../src/types';
import { PROXY_PATH } from './nodeBackendSrv';

export type GrafanaRole = 'Viewer' | 'Editor' | 'Admin';

/**
 * A datasource as a browser of a user with `role` constructs it (the role comes from Grafana's
 * boot data). `uid` is the datasource's: clients of one uid share scripts, like browsers of one
 * Grafana datasource do.
 */
/** Every datasource a test made: a leak report says what their engines still hold (engineView). */
const dataSources = new Set<DataSource>();

/**
 * What the engines of this file's datasources hold now (leases by phase, script id and holders;
 * stops kept): when a test finds a script left, this says whether the engine still holds it.
 */
export function engineView(): string {
  const parts: string[] = [];
  [...dataSources].forEach((ds, i) => {
    const e = ds.endpoint;
    const leases = e.leaseKeys.map((key) => {
      const l = e.lease(key)!;
      return `${l.phase} ${l.scriptId ?? '-'} holders [${[...l.holders].join(', ')}]`;
    });
    if (leases.length > 0 || e.stops.pending) {
      parts.push(
        `datasource ${i + 1}: leases ${leases.join('; ') || 'none'}; stops kept ${e.stops.ids.join(', ') || 'none'}; ${e.diagnostics()}`
      );
    }
  });
  return parts.join(' | ') || 'no lease held, no stop kept';
}

export function newDataSource(jsonData: BpfliveOptions = {}, options: { role?: GrafanaRole; uid?: string } = {}) {
  const bootData = (config.bootData ??= {} as typeof config.bootData);
  bootData.user = { ...bootData.user, orgRole: (options.role ?? 'Editor') as OrgRole, isGrafanaAdmin: false };
  const ds = new DataSource({
    id: 1,
    uid: options.uid ?? 'bpflive',
    type: 'bpflive-bpftrace-datasource',
    name: 'bpftrace',
    url: PROXY_PATH,
    access: 'proxy',
    jsonData,
    meta: {} as DataSourceInstanceSettings['meta'],
    readOnly: false,
  } as DataSourceInstanceSettings<BpfliveOptions>);
  dataSources.add(ds);
  return ds;
}

/**
 * The dashboard's variables, as Grafana's template service writes them into a query: `$name`
 * and `${name}`, a repeated panel's scoped value first, a multi-value variable handed to the
 * caller's format function as the array of its values. Unknown names stay as written.
 */
export function useDashboardVariables(variables: Record<string, string[]>) {
  const replace = (target?: string, scopedVars?: ScopedVars, format?: unknown) =>
    (target ?? '').replace(/\$(\w+)|\$\{(\w+)\}/g, (whole, a?: string, b?: string) => {
      const name = (a ?? b)!;
      const value = scopedVars?.[name]?.value ?? variables[name];
      if (value === undefined) {
        return whole;
      }
      return typeof format === 'function' ? format(value) : String(value);
    });
  // Grafana's service lists the dashboard's variables: bpflive writes in only names it lists.
  const names = Object.keys(variables);
  setTemplateSrv({
    replace,
    getVariables: () => names.map((name) => ({ name, type: 'custom' })),
    containsTemplate: (target?: string) => names.some((n) => new RegExp(`\\$(${n}\\b|\\{${n}\\})`).test(target ?? '')),
  } as unknown as TemplateSrv);
}

let requestCounter = 0;

export function request(
  targets: Array<Partial<BpftraceQuery> & { code: string }>,
  panelId = 1,
  dashboardUID = 'dash'
): DataQueryRequest<BpftraceQuery> {
  const now = dateTime();
  return {
    requestId: `Q${++requestCounter}`,
    dashboardUID,
    panelId,
    app: 'dashboard',
    interval: '1s',
    intervalMs: 1000,
    range: { from: dateTime(now).subtract(5, 'minutes'), to: now, raw: { from: 'now-5m', to: 'now' } },
    scopedVars: {},
    targets: targets.map((t, i) => ({ refId: String.fromCharCode(65 + i), ...t })),
    timezone: 'utc',
    startTime: Date.now(),
  } as DataQueryRequest<BpftraceQuery>;
}

/** Whether `run` shows at least `n` values (not gaps) for `refId`. */
export const hasData = (run: PanelRun, refId = 'A', n = 1) => run.values(refId).filter((v) => v !== null).length >= n;

/** Every run not stopped yet: a test that fails half-way still closes its panels (stopAllRuns). */
const openRuns = new Set<PanelRun>();

export function stopAllRuns() {
  for (const run of openRuns) {
    run.stop();
  }
}

/** Subscribes like a panel and keeps the latest response per refId (as runRequest does). */
export class PanelRun {
  readonly latest = new Map<string, DataQueryResponse>();
  emissions = 0;
  private readonly subscription: Subscription;

  /** Per refId, when each new sample (a longer series ending in a value) arrived, in ms. */
  readonly arrivals = new Map<string, number[]>();

  constructor(ds: DataSource, req: DataQueryRequest<BpftraceQuery>) {
    openRuns.add(this);
    this.subscription = ds.query(req).subscribe((response) => {
      this.emissions++;
      const refId = response.key ?? 'A';
      this.latest.set(refId, response);
      // Frames reference the buffers' columns, which grow in place: remember lengths, not frames.
      const now = this.values(refId);
      if (now.length > (this.lengths.get(refId) ?? 0) && now[now.length - 1] !== null) {
        this.arrivals.set(refId, [...(this.arrivals.get(refId) ?? []), Date.now()]);
      }
      this.lengths.set(refId, now.length);
      const texts = this.notices(refId).join(' | ');
      const log = this.noticeLog.get(refId) ?? [];
      if (log.at(-1)?.texts !== texts) {
        log.push({ t: Date.now(), texts });
        this.noticeLog.set(refId, log);
      }
    });
  }

  /** Per refId, each change of its notices (joined with ' | '), when it arrived: for failure messages. */
  readonly noticeLog = new Map<string, Array<{ t: number; texts: string }>>();

  /**
   * Whether a notice matching `pattern` was shown at any moment since `since`: a passing notice
   * can last less than a poll of waitFor (a PMDA restart's "gone on the host" was seen for 400 ms).
   */
  sawNotice(since: number, pattern: RegExp, refId = 'A'): boolean {
    return (this.noticeLog.get(refId) ?? []).some((e) => e.t >= since && pattern.test(e.texts));
  }

  /** What this query's notices said from `since` on, one line per change ("+ms: texts"). */
  noticesSince(since: number, refId = 'A'): string {
    const log = this.noticeLog.get(refId) ?? [];
    const before = log.filter((e) => e.t < since).at(-1);
    const lines = [...(before ? [{ ...before, t: since }] : []), ...log.filter((e) => e.t >= since)];
    return lines.map((e) => `+${e.t - since} ms: ${e.texts || '(none)'}`).join('\n');
  }

  private readonly lengths = new Map<string, number>();

  /** How many samples arrived after `since`. */
  arrivalsSince(since: number, refId = 'A'): number {
    return (this.arrivals.get(refId) ?? []).filter((t) => t >= since).length;
  }

  /** The longest time between two arrivals of data after `since` (ms), for gap checks. */
  longestGapSince(since: number, refId = 'A'): number {
    const times = (this.arrivals.get(refId) ?? []).filter((t) => t >= since);
    return times.slice(1).reduce((max, t, i) => Math.max(max, t - times[i]), 0);
  }

  /** When the first sample after `since` arrived, or undefined. */
  firstArrivalAfter(since: number, refId = 'A'): number | undefined {
    return (this.arrivals.get(refId) ?? []).find((t) => t > since);
  }

  /** Texts of this query's notices (warnings and infos) in its latest response. */
  notices(refId = 'A'): string[] {
    return this.frames(refId).flatMap((f) => (f.meta?.notices ?? []).map((n) => n.text));
  }

  frames(refId = 'A'): DataFrame[] {
    return this.latest.get(refId)?.data ?? [];
  }

  /** Values of the first value field of the first frame (the series of a scalar). */
  values(refId = 'A'): Array<number | null> {
    const frame = this.frames(refId).find((f) => f.fields.length > 1);
    return (frame?.fields[1]?.values ?? []) as Array<number | null>;
  }

  errors(refId = 'A') {
    return this.latest.get(refId)?.errors ?? [];
  }

  stop() {
    openRuns.delete(this);
    this.subscription.unsubscribe();
  }
}

/** The lease of `ds`'s engine that runs `code` (as a panel of this installation registers it). */
export function leaseOf(ds: DataSource, code: string) {
  return ds.endpoint.lease(prepareScript(code, { namespace: 'bpflive' }).key);
}
