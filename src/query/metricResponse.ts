import { DataFrame, DataQueryResponse, LoadingState, QueryResultMetaNotice } from '@grafana/data';
import { isCounterSemantics, MetricWatch, WatchedMetric } from '../engine/MetricWatch';
import { buildTimeSeriesFrame } from '../frames/timeseries';
import { BpftraceQuery } from '../types';
import { grafanaUnitOfPcp } from './pcpUnits';
import { rateUnit } from './units';

/** What the metric editor reads of a running metric query: `frames[0].meta.custom.pcp`. */
export interface MetricState {
  phase: MetricWatch['phase'];
  /** Each metric read, with PCP's descriptor words for it. */
  metrics: Array<{ name: string; sem: string; units: string; oneline?: string }>;
}

export interface MetricResponseContext {
  host?: string;
  /** The query runs on several hosts and this is one (see leaseResponse's ResponseContext). */
  oneOfHosts?: boolean;
}

/** What a metric frame is built from: a watched metric, or one read from the series store. */
export interface MetricSeries {
  name: string;
  sem: string;
  units: string;
  buffer: WatchedMetric['buffer'];
}

/**
 * One metric's time series frame: a counter (PCP semantics) as its per-second rate unless the
 * query turns rates off, the unit from PCP's units or the query's, named `metric[instance]` and,
 * on one of several hosts, labelled and prefixed with the host. The live path and the series
 * store's path (clusterResponse.ts) both draw with it, so their legends are the same.
 */
export function metricFrame(query: BpftraceQuery, m: MetricSeries, context: MetricResponseContext): DataFrame {
  const rate = isCounterSemantics(m.sem) && query.rate !== false;
  const unit = query.unit || grafanaUnitOfPcp(m.units);
  const frame = buildTimeSeriesFrame(m.buffer, {
    refId: query.refId,
    variable: m.name,
    rate,
    legendFormat: query.legendFormat,
    host: context.host,
    labels: context.oneOfHosts ? { metric: m.name, host: context.host ?? '' } : { metric: m.name },
    hostInName: context.oneOfHosts,
    unit: rate ? rateUnit(unit) : unit,
  });
  return context.oneOfHosts ? { ...frame, name: `${context.host}: ${frame.name}` } : frame;
}

/**
 * What a PCP metric query shows now: a time series frame per metric, from the same buffers and
 * frame builder as a script's maps. A counter (PCP semantics) is drawn as its per-second rate
 * unless the query turns rates off; its unit comes from PCP's unit metadata (Kbyte → KiB/s for a
 * counter's rate), or the query's Unit field. Series are named `metric[instance]` (`$metric`,
 * `$instance` in a legend).
 */
export function metricResponse(
  query: BpftraceQuery,
  watch: MetricWatch,
  context: MetricResponseContext
): DataQueryResponse {
  const frames: DataFrame[] = watch.metrics.map((m) => metricFrame(query, m, context));
  const notices: QueryResultMetaNotice[] = watch.notices.map((text) => ({ severity: 'warning', text }));
  if (watch.phase === 'failed' && watch.error && context.oneOfHosts) {
    // One host's failure is a warning on its own frames: the other hosts go on.
    notices.unshift({ severity: 'warning', text: watch.error });
  }
  if (watch.phase === 'resolving') {
    notices.push({ severity: 'info', text: `Looking up ${query.metrics?.trim()} on the host…` });
  }
  const state: MetricState = {
    phase: watch.phase,
    metrics: watch.metrics.map(({ name, sem, units, oneline }) => ({ name, sem, units, oneline })),
  };
  if (frames.length === 0) {
    // Never a silent empty panel: an empty frame carries what is going on.
    frames.push({ refId: query.refId, name: query.refId, fields: [], length: 0 });
  }
  const told = context.oneOfHosts ? notices.map((n) => ({ ...n, text: `${context.host}: ${n.text}` })) : notices;
  frames[0] = {
    ...frames[0],
    meta: {
      ...frames[0].meta,
      notices: told.length ? told : undefined,
      custom: { ...frames[0].meta?.custom, pcp: state },
    },
  };
  const failed = watch.phase === 'failed' && watch.error;
  return {
    key: query.refId,
    state: failed && !context.oneOfHosts ? LoadingState.Error : LoadingState.Streaming,
    data: frames,
    errors: failed && !context.oneOfHosts ? [{ refId: query.refId, message: watch.error! }] : undefined,
  };
}
