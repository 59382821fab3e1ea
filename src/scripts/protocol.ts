import { chunksByLength, PmapiClient } from '../pmapi/client';
import type { FetchResult } from '../pmapi/types';
import { PmapiError } from '../pmapi/errors';
import { PMPROXY_MAX_URL } from '../pmapi/limits';
import { CONTROL_DEREGISTER, CONTROL_REGISTER, INFO_SCRIPTS_JSON, INFO_TRACEPOINTS } from './names';

export type ScriptStatus = 'starting' | 'started' | 'stopping' | 'stopped' | 'error';

/** A variable as the PMDA found it in the script text. */
export interface ScriptVariable {
  single: boolean;
  /** PCP semantics: 1 counter, 3 instant. */
  semantics: number;
  /** PCP type: 3 U64, 6 string. */
  datatype: number;
  metrictype: string | null;
}

/** What the PMDA answers about a script after registering it (and in scripts_json). */
export interface ScriptRecord {
  script_id: string;
  username: string | null;
  persistent: boolean;
  created_at?: string;
  last_accessed_at?: string;
  code: string;
  metadata: {
    name: string | null;
    include: string[] | null;
    table_retain_lines: number | null;
    custom_output_block: boolean;
  };
  variables: Record<string, ScriptVariable>;
  state: { status: ScriptStatus; pid: number; exit_code: number; error: string; probes: number; data_bytes: number };
}

/** The PMDA refused a script; `message` is the PMDA's own reason where it gave one. */
export class ScriptRejectedError extends Error {
  constructor(
    message: string,
    readonly cause?: PmapiError,
    /** The PMDA's record of the refused registration (its variables are parsed even so). */
    readonly record?: Partial<ScriptRecord>
  ) {
    super(message);
    this.name = 'ScriptRejectedError';
  }
}

/**
 * Registers `code` and returns the PMDA's record of it (id, variables, first state). Store and
 * read-back share one context because the PMDA answers per pmcd context, and only once.
 */
export async function registerScript(client: PmapiClient, code: string): Promise<ScriptRecord> {
  const { storeError, readBack } = await client.storeAndReadBack(CONTROL_REGISTER, code);
  const record = parseReadBack<Partial<ScriptRecord>>(readBack?.instances[0]?.value);
  if (storeError) {
    if (storeError.kind === 'permissionDenied') {
      throw storeError;
    }
    const reason = record?.state?.error?.trim();
    throw new ScriptRejectedError(
      reason || `The bpftrace PMDA refused the script: ${storeError.message}`,
      storeError,
      record
    );
  }
  if (!record?.script_id || !record.state) {
    throw new PmapiError(
      'pmdaOutOfStep',
      'The bpftrace PMDA accepted the script but did not report it back; it may be out of step (restart pmcd).'
    );
  }
  return record as ScriptRecord;
}

/**
 * Deregisters scripts by id. The ids travel comma-joined in one URL, so a long list is split to
 * stay under pmproxy's 8,000 characters (about 296 ids would not fit). Resolves with whether the
 * PMDA knew none of some list (already gone: nothing left to do).
 */
export async function deregisterScripts(client: PmapiClient, ids: string[]): Promise<{ notFound: boolean }> {
  let notFound = false;
  for (const list of chunksByLength(ids, MAX_DEREGISTER_CHARS)) {
    const { storeError, readBack } = await client.storeAndReadBack(CONTROL_DEREGISTER, list.join(','));
    if (storeError?.kind === 'permissionDenied') {
      throw storeError;
    }
    const answer = parseReadBack<{ success?: string; error?: string }>(readBack?.instances[0]?.value);
    if (answer?.error && /not found/i.test(answer.error)) {
      notFound = true;
      continue;
    }
    if (storeError) {
      throw storeError;
    }
  }
  return { notFound };
}

/** Room for ids in a deregister URL, next to the context, name and encoding of the commas. */
const MAX_DEREGISTER_CHARS = PMPROXY_MAX_URL - 3000;

/**
 * The probes the host offers (the PMDA's `bpftrace.info.tracepoints`, from `bpftrace -l` at PMDA
 * start), as one comma-separated string; empty when the PMDA has none.
 */
export async function readProbeList(client: PmapiClient): Promise<string> {
  const result = await client.fetch([INFO_TRACEPOINTS]);
  const value = result.values.get(INFO_TRACEPOINTS)?.instances[0]?.value;
  // No host lists no probes at all: an empty answer is a PMDA that is restarting or out of step.
  // Taken as the host's list, it would make the editor say "this host lists no tracepoints".
  if (typeof value !== 'string' || value.trim() === '') {
    throw new Error(
      'The bpftrace PMDA sent no probe list (it may be restarting); completion and host checks wait for it.'
    );
  }
  return value;
}

/** The PMDA's list of scripts in a fetch that asked for `bpftrace.info.scripts_json`; undefined when it has none. */
export function scriptListOf(result: FetchResult): Array<Partial<ScriptRecord>> | undefined {
  return parseScriptList(result.values.get(INFO_SCRIPTS_JSON)?.instances[0]?.value);
}

/** The PMDA's list of every script on the host, read now (any client may read it). */
export async function readScriptList(client: PmapiClient): Promise<Array<Partial<ScriptRecord>> | undefined> {
  return scriptListOf(await client.fetch([INFO_SCRIPTS_JSON]));
}

/** The PMDA's list of scripts (`bpftrace.info.scripts_json`); unparseable text gives undefined. */
export function parseScriptList(value: unknown): Array<Partial<ScriptRecord>> | undefined {
  const list = parseReadBack<unknown>(value);
  if (typeof value === 'string' && value.trim() === '[]') {
    return [];
  }
  return Array.isArray(list) ? (list as Array<Partial<ScriptRecord>>) : undefined;
}

function parseReadBack<T>(value: unknown): T | undefined {
  if (typeof value !== 'string' || value.trim() === '' || value.trim() === '{}') {
    return undefined;
  }
  try {
    return JSON.parse(value) as T;
  } catch {
    return undefined;
  }
}
