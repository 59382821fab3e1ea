import { DataFrame, DataQueryError, DataQueryResponse, LoadingState, QueryResultMetaNotice } from '@grafana/data';
import { ScriptLease } from '../engine/ScriptLease';
import { buildTimeSeriesFrame } from '../frames/timeseries';
import { BpftraceQuery } from '../types';

/** The script's state as the query editor reads it: `frames[0].meta.custom.bpflive`. */
export interface ScriptState {
  status: ScriptLease['status'];
  probes?: number;
  /** The script's map variables as the PMDA exports them (`@syscalls`, `@output` …). */
  variables: string[];
  warnings: string[];
}

/**
 * What one query shows for its script now: the buffered data as frames, and the script's state
 * where the user looks — an error on this query only, warnings and progress as frame notices.
 */
export function leaseResponse(query: BpftraceQuery, lease: ScriptLease, host?: string): DataQueryResponse {
  const frames: DataFrame[] = [];
  for (const v of lease.variables) {
    const buffer = lease.buffers.get(v.name);
    if (!buffer || buffer.length === 0) {
      continue;
    }
    frames.push(
      buildTimeSeriesFrame(buffer, {
        refId: query.refId,
        variable: v.name,
        rate: v.counter && query.rate !== false,
        legendFormat: query.legendFormat,
        host,
      })
    );
  }

  const notices: QueryResultMetaNotice[] = lease.warnings.map((text) => ({ severity: 'warning', text }));
  const progress = progressNotice(lease, frames.length > 0);
  if (progress) {
    notices.push(progress);
  }
  const state: ScriptState = {
    status: lease.status,
    probes: lease.probes,
    variables: lease.variables.map((v) => v.name),
    warnings: lease.warnings,
  };
  if (frames.length === 0) {
    // Never a silent empty panel: an empty frame carries what is going on.
    frames.push({
      refId: query.refId,
      name: query.refId,
      fields: [],
      length: 0,
      meta: { notices, custom: { bpflive: state } },
    });
  } else {
    frames[0] = {
      ...frames[0],
      meta: {
        ...frames[0].meta,
        notices: notices.length ? notices : undefined,
        custom: { ...frames[0].meta?.custom, bpflive: state },
      },
    };
  }

  const errors: DataQueryError[] = [];
  if (lease.status === 'error' && lease.error) {
    errors.push({ refId: query.refId, message: lease.error });
  }
  return {
    key: query.refId,
    state: LoadingState.Streaming,
    data: frames,
    errors: errors.length ? errors : undefined,
  };
}

function progressNotice(lease: ScriptLease, hasData: boolean): QueryResultMetaNotice | undefined {
  switch (lease.status) {
    case 'registering':
      return { severity: 'info', text: 'Registering the script with the bpftrace PMDA…' };
    case 'starting':
      return { severity: 'info', text: 'bpftrace is starting…' };
    case 'started':
      return hasData
        ? undefined
        : {
            severity: 'info',
            text: `bpftrace is running${lease.probes ? ` (${lease.probes} probes)` : ''}; waiting for its first values.`,
          };
    case 'stopped':
      return {
        severity: 'info',
        text: `The script has stopped${lease.exitCode !== undefined ? ` (exit code ${lease.exitCode})` : ''}; showing its last data.`,
      };
    default:
      return undefined;
  }
}
