/** Drives the real DataSource class the way Grafana's query runner does, for integration tests. */
import { DataFrame, DataQueryRequest, DataQueryResponse, DataSourceInstanceSettings, dateTime } from '@grafana/data';
import { Subscription } from 'rxjs';
import { DataSource } from '../../src/datasource';
import { BpfliveOptions, BpftraceQuery } from '../../src/types';
import { PROXY_PATH } from './nodeBackendSrv';

export function newDataSource(jsonData: BpfliveOptions = {}) {
  return new DataSource({
    id: 1,
    uid: 'bpflive',
    type: 'bpflive-bpftrace-datasource',
    name: 'bpftrace',
    url: PROXY_PATH,
    access: 'proxy',
    jsonData,
    meta: {} as DataSourceInstanceSettings['meta'],
    readOnly: false,
  } as DataSourceInstanceSettings<BpfliveOptions>);
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

/** Subscribes like a panel and keeps the latest response per refId (as runRequest does). */
export class PanelRun {
  readonly latest = new Map<string, DataQueryResponse>();
  emissions = 0;
  private readonly subscription: Subscription;

  constructor(ds: DataSource, req: DataQueryRequest<BpftraceQuery>) {
    this.subscription = ds.query(req).subscribe((response) => {
      this.emissions++;
      this.latest.set(response.key ?? 'A', response);
    });
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
    this.subscription.unsubscribe();
  }
}
