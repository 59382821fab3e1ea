import { PanelData } from '@grafana/data';
import type { ScriptState } from '../query/leaseResponse';
import { BpftraceQuery } from '../types';

/** What the query editor reads from the panel's data for its own query (refId). */
export interface QueryRun {
  /** The script's state (`frames[0].meta.custom.bpflive`), once a response arrived. */
  state?: ScriptState;
  /** Errors for this query: bpftrace's or the PMDA's words. */
  errors: string[];
  /** The code these results are for (from the request, else undefined). */
  code?: string;
}

export function queryRunOf(data: PanelData | undefined, refId: string): QueryRun {
  if (!data) {
    return { errors: [] };
  }
  let state: ScriptState | undefined;
  for (const frame of data.series ?? []) {
    if (frame.refId === refId) {
      const custom = frame.meta?.custom as { bpflive?: ScriptState } | undefined;
      if (custom?.bpflive) {
        state = custom.bpflive;
        break;
      }
    }
  }
  const all = data.errors ?? [];
  const errors = all
    .filter((e) => e.refId === refId || (e.refId === undefined && all.length === 1))
    .map((e) => e.message ?? e.data?.message ?? '')
    .filter((m) => m !== '');
  const target = data.request?.targets?.find((t) => t.refId === refId) as BpftraceQuery | undefined;
  return { state, errors, code: target?.code };
}
