/** The bpftrace PMDA's metric names (PCP 6.x). Only this folder spells them out. */
export const CONTROL_REGISTER = 'bpftrace.control.register';
export const CONTROL_DEREGISTER = 'bpftrace.control.deregister';
export const INFO_SCRIPTS_JSON = 'bpftrace.info.scripts_json';
export const INFO_TRACEPOINTS = 'bpftrace.info.tracepoints';

export type ScriptStateMetric = 'status' | 'pid' | 'exit_code' | 'error' | 'probes' | 'data_bytes' | 'code';

/** `bpftrace.scripts.<id or name>.<leaf>` */
export function scriptMetric(scriptKey: string, leaf: ScriptStateMetric): string {
  return `bpftrace.scripts.${scriptKey}.${leaf}`;
}

/** `@syscalls` → `bpftrace.scripts.<id>.data.syscalls`; a bare `@` is exported as `root`. */
export function dataMetric(scriptKey: string, variable: string): string {
  const bare = variable.replace(/^@/, '');
  return `bpftrace.scripts.${scriptKey}.data.${bare === '' ? 'root' : bare}`;
}
