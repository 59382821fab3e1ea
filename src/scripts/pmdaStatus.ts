import type { FetchResult } from '../pmapi/types';

/**
 * Whether pmcd has the bpftrace PMDA running, from `pmcd.agent.status` (one instance per PMDA,
 * numbered by its domain).
 *
 * Scripts cannot tell: when the PMDA process dies, a pmproxy context that already read a script's
 * metrics goes on answering their last values (measured on PCP 6.0.3: status "started" and the
 * same data_bytes seconds after a kill -9 of the PMDA), so the script only looks silent. pmcd
 * starts a dead PMDA again (PMCD_RESTART_AGENTS=1 in PCP's packages), but restarts agents at most
 * once a minute: a PMDA that dies again soon after is back only up to a minute later (measured:
 * 28 s and 54 s).
 */
export const PMCD_AGENT_STATUS = 'pmcd.agent.status';

/** The bpftrace PMDA's domain (PCP's stdpmid): its instance in pmcd.agent.status. */
export const BPFTRACE_DOMAIN = 151;

/** The PMDA's status word (0 while it runs), or undefined when the result does not have it. */
export function bpftraceAgentStatus(result: FetchResult): number | undefined {
  const value = result.values.get(PMCD_AGENT_STATUS)?.instances.find((i) => i.instance === BPFTRACE_DOMAIN)?.value;
  return typeof value === 'number' ? value : undefined;
}

/** The status word in words: pmcd.agent.status's help describes three bit fields. */
export function describeAgentStatus(status: number): string {
  const state = status & 0xff;
  const exitStatus = (status >> 8) & 0xff;
  const signal = (status >> 16) & 0xff;
  const parts: string[] = [];
  if (state & 1) {
    parts.push('starting, not ready yet');
  }
  if (state & 2) {
    parts.push('it exited');
  }
  if (state & 4) {
    parts.push('it could not be started');
  }
  if (state & 8) {
    parts.push('pmcd lost contact with it (it crashed, was killed or hung)');
  }
  if (signal) {
    parts.push(`signal ${signal}`);
  }
  if (exitStatus) {
    parts.push(`exit status ${exitStatus}`);
  }
  return parts.length ? parts.join(', ') : `status ${status}`;
}
