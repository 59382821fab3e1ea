import { DataFrame, DataQueryResponse, Field, FieldType, LoadingState, QueryResultMetaNotice } from '@grafana/data';
import { ProcessCost } from '../engine/processCost';
import { percentText } from '../shared/percent';
import { firstCodeLine } from '../engine/lookups';
import { namespaceOf } from '../scripts/naming';
import type { ScriptRecord } from '../scripts/protocol';
import { BpftraceQuery } from '../types';

/**
 * The "Running scripts" query: every bpftrace script the host's PMDA runs, as one table — who
 * registered it, its state, age, last read, probes, output rate, and what its bpftrace process
 * costs (CPU share of one CPU, resident memory, from PCP's proc metrics by the PMDA's pid).
 */

/** Who registered a script, as far as the PMDA's record tells. */
export type ScriptOrigin = 'bpflive' | 'bpflive (other datasource)' | 'PMDA autostart' | 'named script' | 'other tool';

export interface HostScriptsSnapshot {
  records: Array<Partial<ScriptRecord>>;
  /** When the list was read (ms). */
  t: number;
  /** The list before it, for output rates. */
  previous?: { records: Array<Partial<ScriptRecord>>; t: number };
}

export interface RunningScriptsContext {
  /** This datasource's namespace (its uid): its own scripts carry it in their marker line. */
  namespace: string;
  costOf: (pid: number | undefined) => ProcessCost | undefined;
  /** The CPU budget per script (share of one CPU), when the datasource sets one. */
  cpuBudget?: number;
  /** Whether the host answered the proc metrics (undefined before the first sample). */
  procAvailable?: boolean;
  /** Why the list may not be current: pmproxy did not answer the last tick, or the PMDA is not running. */
  transportError?: string;
  now: number;
}

const NAME_DIRECTIVE = /^\/\/\s*name\s*:/m;

/**
 * bpflive's scripts carry its marker line; a name without a `// name:` line in the code can only
 * come from the PMDA's autostart directory (the file's name); a `// name:` line is a named script
 * registered through bpftrace.control.register by someone else; the rest is another tool's.
 */
export function originOf(record: Partial<ScriptRecord>, namespace: string): ScriptOrigin {
  const code = record.code ?? '';
  const ns = namespaceOf(code);
  if (ns !== undefined) {
    return ns === namespace ? 'bpflive' : 'bpflive (other datasource)';
  }
  if (record.metadata?.name) {
    return NAME_DIRECTIVE.test(code) ? 'named script' : 'PMDA autostart';
  }
  return 'other tool';
}

export interface RunningScriptRow {
  id: string;
  name: string;
  origin: ScriptOrigin;
  user: string;
  state: string;
  ageSec?: number;
  lastReadSec?: number;
  probes?: number;
  outputBytesPerSec?: number;
  pid?: number;
  cpu?: number;
  rssBytes?: number;
  overBudget: boolean;
  code: string;
}

export function runningScriptRows(snapshot: HostScriptsSnapshot, context: RunningScriptsContext): RunningScriptRow[] {
  const before = new Map((snapshot.previous?.records ?? []).map((r) => [r.script_id, r.state?.data_bytes]));
  const seconds = snapshot.previous ? (snapshot.t - snapshot.previous.t) / 1000 : 0;
  return snapshot.records
    .filter((r) => r.script_id)
    .map((r) => {
      const pid = r.state?.pid && r.state.pid > 0 ? r.state.pid : undefined;
      const running = r.state?.status === 'started' || r.state?.status === 'starting';
      const cost = running ? context.costOf(pid) : undefined;
      const bytes = r.state?.data_bytes;
      const earlier = before.get(r.script_id);
      const budget = context.cpuBudget;
      return {
        id: r.script_id!,
        name: r.metadata?.name || r.script_id!,
        origin: originOf(r, context.namespace),
        user: r.username ?? '',
        state: stateOf(r),
        ageSec: secondsSince(r.created_at, context.now),
        lastReadSec: secondsSince(r.last_accessed_at, context.now),
        probes: r.state?.probes,
        outputBytesPerSec:
          seconds > 0 && typeof bytes === 'number' && typeof earlier === 'number' && bytes >= earlier
            ? (bytes - earlier) / seconds
            : undefined,
        pid: running ? pid : undefined,
        cpu: cost?.cpu,
        rssBytes: cost?.rssBytes,
        overBudget: budget !== undefined && budget > 0 && cost?.cpu !== undefined && cost.cpu > budget,
        code: firstCodeLine(r.code ?? ''),
      };
    });
}

/**
 * What the PMDA says of a script's state. It refreshes a script's state only when that script's
 * own metrics are read (measured, PCP 6.0.3): a script nobody has read since it was registered
 * shows "starting" with no pid for as long as nobody reads it, while its bpftrace runs. The view
 * does not read it to find out (a read keeps a script alive: it would never expire), so it says
 * what it knows.
 */
function stateOf(r: Partial<ScriptRecord>): string {
  const status = r.state?.status ?? 'unknown';
  const neverRead =
    status === 'starting' &&
    !(r.state?.pid && r.state.pid > 0) &&
    r.created_at !== undefined &&
    r.last_accessed_at !== undefined &&
    Math.abs(Date.parse(`${r.last_accessed_at}Z`) - Date.parse(`${r.created_at}Z`)) < 1000;
  return neverRead ? 'unknown (never read: the PMDA reports a state once a script is read)' : status;
}

/** The PMDA writes times as ISO text without a zone (the host's UTC); undefined when unreadable. */
function secondsSince(text: string | undefined, now: number): number | undefined {
  if (!text) {
    return undefined;
  }
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
  return Number.isFinite(ms) ? Math.max(0, Math.round((now - ms) / 1000)) : undefined;
}

/** The table a panel shows, one row per script. Column names are what users read (and sort by). */
export function runningScriptsFrame(refId: string, rows: RunningScriptRow[]): DataFrame {
  const column = <T>(name: string, type: FieldType, pick: (r: RunningScriptRow) => T, unit?: string): Field => ({
    name,
    type,
    values: rows.map(pick),
    config: unit ? { unit } : {},
  });
  const fields: Field[] = [
    column('Name', FieldType.string, (r) => r.name),
    column('Registered by', FieldType.string, (r) => r.origin),
    column('User', FieldType.string, (r) => r.user),
    column('State', FieldType.string, (r) => (r.overBudget ? `${r.state} (over CPU budget)` : r.state)),
    column('Age', FieldType.number, (r) => r.ageSec ?? null, 's'),
    column('Last read', FieldType.number, (r) => r.lastReadSec ?? null, 's'),
    column('Probes', FieldType.number, (r) => r.probes ?? null),
    column('Output', FieldType.number, (r) => r.outputBytesPerSec ?? null, 'Bps'),
    column('PID', FieldType.number, (r) => r.pid ?? null),
    column('CPU', FieldType.number, (r) => r.cpu ?? null, 'percentunit'),
    column('Memory', FieldType.number, (r) => r.rssBytes ?? null, 'bytes'),
    column('Code', FieldType.string, (r) => r.code),
    column('Script id', FieldType.string, (r) => r.id),
  ];
  return { refId, name: 'Running scripts', fields, length: rows.length, meta: { custom: { view: 'runningScripts' } } };
}

/** The query's response: the table, and what the user should know about it. */
export function runningScriptsResponse(
  query: BpftraceQuery,
  snapshot: HostScriptsSnapshot | undefined,
  context: RunningScriptsContext
): DataQueryResponse {
  const notices: QueryResultMetaNotice[] = [];
  if (context.transportError) {
    notices.push({ severity: 'warning', text: `The list is not current: ${context.transportError}` });
  }
  if (context.procAvailable === false) {
    notices.push({
      severity: 'info',
      text: "The host's pmcd has no proc metrics (PCP's proc PMDA): CPU and memory of the scripts' processes are not shown.",
    });
  }
  if (!snapshot) {
    const frame: DataFrame = { refId: query.refId, name: 'Running scripts', fields: [], length: 0 };
    return {
      key: query.refId,
      state: LoadingState.Streaming,
      data: [
        {
          ...frame,
          meta: { notices: [{ severity: 'info', text: "Reading the bpftrace PMDA's list of scripts …" }, ...notices] },
        },
      ],
    };
  }
  const rows = runningScriptRows(snapshot, context);
  const over = rows.filter((r) => r.overBudget);
  if (over.length > 0 && context.cpuBudget) {
    notices.push({
      severity: 'warning',
      text: `Over the CPU budget of ${percentText(context.cpuBudget)} per script: ${over.map((r) => `${r.name} (${percentText(r.cpu ?? 0)})`).join(', ')}.`,
    });
  }
  const frame = runningScriptsFrame(query.refId, rows);
  return {
    key: query.refId,
    state: LoadingState.Streaming,
    data: [{ ...frame, meta: { ...frame.meta, notices: notices.length ? notices : undefined } }],
  };
}
