import { DataFrame, DataQueryResponse, LoadingState, QueryResultMetaNotice } from '@grafana/data';
import { isCounterSemantics } from '../engine/MetricWatch';
import {
  DEFAULT_OUTLIER_K,
  GroupValue,
  MIN_PEERS,
  OutlierRow,
  outlierRows,
  outlierTableFrame,
  rangeMean,
} from '../frames/outliers';
import { BpftraceQuery } from '../types';
import { metricFrame } from './metricResponse';
import { grafanaUnitOfPcp } from './pcpUnits';
import type { ClusterRead } from '../engine/SeriesCluster';
import { rateUnit } from './units';

/** Outlier series are drawn in this color, whatever the panel's palette. */
export const OUTLIER_COLOR = 'red';
const OUTLIER_SUFFIX = ' (outlier)';

/**
 * What a metric query over the series store shows: a frame per host and metric, drawn and named
 * as the live path draws them (metricFrame), and with the outlier view on either the outlier
 * hosts' series flagged (name suffix, red) or, in table format, the outlier table.
 */
export function clusterResponse(
  query: BpftraceQuery,
  read: ClusterRead,
  range: { from: number; to: number },
  severalHosts: boolean
): DataQueryResponse {
  const notices: QueryResultMetaNotice[] = read.notices.map((text) => ({ severity: 'warning', text }));
  const rows = query.outliers ? outliersOf(query, read, range) : undefined;
  let frames: DataFrame[];
  if (rows && query.format === 'table') {
    const units = new Set(read.hosts.flatMap((h) => h.metrics.map((m) => unitOf(query, m.units, m.sem))));
    frames = [outlierTableFrame(query.refId, rows, units.size === 1 ? [...units][0] : undefined)];
  } else {
    const flagged = new Set((rows ?? []).filter((r) => r.outlier).map((r) => groupKey(r.host, r.series)));
    frames = read.hosts.flatMap((h) =>
      h.metrics.map((m) => {
        const frame = metricFrame(query, m, { host: h.host, oneOfHosts: severalHosts });
        return flagged.size
          ? flagFrame(frame, m.buffer.keys(), (key) => flagged.has(groupKey(h.host, seriesName(m.name, key))))
          : frame;
      })
    );
  }
  if (rows) {
    notices.push(outlierNotice(rows, query.outlierK ?? DEFAULT_OUTLIER_K));
  }
  if (frames.length === 0) {
    // Never a silent empty panel: the notices say why there is nothing.
    frames.push({ refId: query.refId, name: query.refId, fields: [], length: 0 });
    if (notices.length === 0) {
      notices.push({ severity: 'warning', text: 'The series store has no samples of these metrics in this range.' });
    }
  }
  frames[0] = { ...frames[0], meta: { ...frames[0].meta, notices: notices.length ? notices : undefined } };
  return { key: query.refId, state: LoadingState.Done, data: frames };
}

function unitOf(query: BpftraceQuery, units: string, sem: string): string | undefined {
  const unit = query.unit || grafanaUnitOfPcp(units);
  return isCounterSemantics(sem) && query.rate !== false ? rateUnit(unit) : unit;
}

/** `metric[instance]`, or the metric alone for a metric without instances. */
function seriesName(metric: string, key: string): string {
  return key === '' ? metric : `${metric}[${key}]`;
}

function groupKey(host: string, series: string): string {
  return `${host}\u0000${series}`;
}

/** Each host's mean of each series over the range, grouped by series, against its peers. */
function outliersOf(query: BpftraceQuery, read: ClusterRead, range: { from: number; to: number }): OutlierRow[] {
  const values: GroupValue[] = [];
  for (const h of read.hosts) {
    for (const m of h.metrics) {
      const counter = isCounterSemantics(m.sem) && query.rate !== false;
      for (const key of m.buffer.keys()) {
        const raw = m.buffer.values(key);
        const mean = raw && rangeMean(m.buffer.times, raw, counter, range.from, range.to);
        if (mean !== null && mean !== undefined) {
          values.push({ host: h.host, series: seriesName(m.name, key), value: mean });
        }
      }
    }
  }
  return outlierRows(values, query.outlierK ?? DEFAULT_OUTLIER_K);
}

function outlierNotice(rows: OutlierRow[], k: number): QueryResultMetaNotice {
  if (rows.length === 0) {
    return {
      severity: 'info',
      text: `Outliers are judged against peers: a series needs data from at least ${MIN_PEERS + 1} hosts in this range.`,
    };
  }
  const out = rows.filter((r) => r.outlier);
  const listed = out
    .slice(0, 5)
    .map((r) => `${r.host} ${r.series} (z ${Number.isFinite(r.z) ? r.z.toFixed(1) : r.z > 0 ? '+∞' : '−∞'})`)
    .join(', ');
  return {
    severity: out.length ? 'warning' : 'info',
    text: out.length
      ? `Outside their peers' mean ± ${k}σ: ${listed}${out.length > 5 ? ` and ${out.length - 5} more` : ''}.`
      : `No host lies outside its peers' mean ± ${k}σ in this range.`,
  };
}

/** The frame with the flagged series renamed `… (outlier)` and drawn red. */
function flagFrame(frame: DataFrame, keys: readonly string[], flagged: (key: string) => boolean): DataFrame {
  return {
    ...frame,
    fields: frame.fields.map((f, i) => {
      if (i === 0 || !flagged(keys[i - 1])) {
        return f;
      }
      const name = f.config.displayNameFromDS ?? f.name;
      return {
        ...f,
        labels: { ...f.labels, outlier: 'true' },
        config: {
          ...f.config,
          displayNameFromDS: `${name}${OUTLIER_SUFFIX}`,
          color: { mode: 'fixed', fixedColor: OUTLIER_COLOR },
        },
      };
    }),
  };
}
