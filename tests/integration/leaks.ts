/**
 * What a test checks after the product had its turn: no bpftrace left on the host. A leak FAILS
 * the test. Only then, so that the next test starts clean, the leftovers are deregistered through
 * the PMDA with the stack's credentials — never killed by name, which would hide the very leak a
 * user would hit.
 */
import { readFileSync } from 'node:fs';

import { backendSrvTransport, CONTROL_PATHS, PmapiClient } from '../../src/pmapi';
import { namespaceOf } from '../../src/scripts/naming';
import { deregisterScripts, readScriptList, ScriptRecord } from '../../src/scripts/protocol';
import { engineView, stopAllRuns } from './datasourceHarness';
import { PROXY_PATH } from './nodeBackendSrv';
import { bpftracePids, bpftraceProcesses, PMPROXY, SECOND_HOSTSPEC, stackUp, waitFor } from './stack';

/** A client as an Admin's browser has it (through the emulated Grafana proxy), on a fresh context. */
export function adminClient(hostspec = 'localhost'): PmapiClient {
  return new PmapiClient(backendSrvTransport(PROXY_PATH), {
    hostspec,
    polltimeoutSec: 30,
    controlPath: CONTROL_PATHS.editor,
  });
}

/** The PMDA's own list of scripts on pmcd host `hostspec`, read on a fresh context. */
export async function scriptsOnHost(hostspec = 'localhost'): Promise<Array<Partial<ScriptRecord>>> {
  return (await readScriptList(adminClient(hostspec))) ?? [];
}

/** Scripts bpflive made for datasources of uid `namespace`. */
export async function scriptsOf(namespace = 'bpflive'): Promise<Array<Partial<ScriptRecord>>> {
  return (await scriptsOnHost()).filter((r) => namespaceOf(r.code ?? '') === namespace);
}

function sleep(ms: number): Promise<false> {
  return new Promise((resolve) => setTimeout(() => resolve(false), ms));
}

/**
 * The scripts registered on `clients`' hosts (a host that does not answer lists none). One client
 * (one pmproxy context) per host for a whole wait, one host after the other: a fresh context for
 * every read of every poll is a burst of pmcd connections that pmproxy 6.0.3 does not need.
 */
async function scriptsLeft(clients: PmapiClient[]): Promise<Array<Partial<ScriptRecord>>> {
  const left: Array<Partial<ScriptRecord>> = [];
  for (const client of clients) {
    left.push(...((await readScriptList(client).catch(() => undefined)) ?? []));
  }
  return left;
}

/**
 * `hosts`: the pmcd hosts the test used (the second pmcd of `pcp-stack.sh up --second-host`
 * too): bpftrace processes are counted on this machine, whichever pmcd started them, and the
 * leftovers of each host are deregistered on that host.
 */
export async function expectNothingLeft(
  timeoutMs = 30_000,
  // Both pmcd of the stack by default: a process is counted whichever started it, so its script
  // must be looked for on both (a host that is down lists none).
  hosts: string[] = ['localhost', SECOND_HOSTSPEC]
): Promise<void> {
  // A test that failed half-way closes its panels now, as a user would; the product must then
  // stop everything by itself.
  stopAllRuns();
  // pmproxy 6.0.3 sometimes segfaults in libuv (seen under large printf fetches): bring it back
  // so one crash fails one test, not every later one.
  if (
    !(await fetch(`${PMPROXY}/pmapi/context`)
      .then((r) => r.ok)
      .catch(() => false))
  ) {
    stackUp();
  }
  try {
    await waitFor('no bpftrace left', () => bpftracePids().length === 0, timeoutMs);
    const clients = hosts.map((host) => adminClient(host));
    // A script that failed (bpftrace refused it) has no process but stays in the PMDA's list until
    // its lease deregisters it after the grace period: left there, the next test (or the next
    // user's list of running scripts) finds it. Nothing registered may stay either.
    await waitFor(
      'no script left registered',
      async () => (await scriptsLeft(clients)).length === 0 || (await sleep(750)),
      timeoutMs
    );
  } catch {
    // Read before the cleanup below: what this client's engines still hold of what was left.
    const engine = engineView();
    const left: Array<Partial<ScriptRecord>> = [];
    for (const host of hosts) {
      const mine = await scriptsOnHost(host).catch(() => []);
      left.push(...mine);
      // The PMDA deregisters a named script (a recording) only by its name.
      const ids = mine.map((r) => r.metadata?.name || r.script_id).filter((id): id is string => !!id);
      await deregisterScripts(adminClient(host), ids).catch(() => undefined);
    }
    const pids = bpftracePids();
    throw new Error(
      `leaked bpftrace: ${pids.length} process(es) and ${left.length} script(s) registered ${timeoutMs / 1000} s after the panels closed; scripts on the hosts: ${
        left.map((r) => `${r.script_id} (${r.state?.status}): ${(r.code ?? '').split('\n')[0]}`).join('; ') || 'none'
      }; processes: ${bpftraceProcesses()}; engine: ${engine}; the PMDA's log of them:\n${pmdaLogOf(left)}`
    );
  }
}

/**
 * The main PMDA's log lines (this stack's, as pmcd writes it) that name the scripts left, and its
 * errors: whether each was registered twice, stopped, or had a stop the process manager missed.
 * pmcd starts the log anew at each PMDA restart and keeps one before it (.prev).
 */
function pmdaLogOf(left: Array<Partial<ScriptRecord>>): string {
  const ids = left.map((r) => r.script_id).filter((id): id is string => !!id);
  const lines: string[] = [];
  for (const file of ['/var/log/pcp/pmcd/bpftrace.log.prev', '/var/log/pcp/pmcd/bpftrace.log']) {
    try {
      lines.push(...readFileSync(file, 'utf8').split('\n'));
    } catch {
      // Not on this machine, or not readable: the report goes without it.
    }
  }
  const named = lines.filter((l) => ids.some((id) => l.includes(id)) || / Error: /.test(l));
  return named.slice(-20).join('\n') || '(nothing)';
}
