import { globToRegExp } from '../language/probeCatalog';
import { PmapiClient } from '../pmapi/client';
import { isPmapiError } from '../pmapi/errors';
import { MARKER_PREFIX } from '../scripts/naming';
import { dataMetric } from '../scripts/names';
import { stripComments } from '../scripts/prepare';
import { readProbeList, readScriptList, ScriptRecord } from '../scripts/protocol';

/**
 * One-off reads of what a host has, for dashboard variables (variable queries) and ad-hoc filter
 * values: its processes, probes, running scripts, a running map's keys, a PCP metric's instances.
 * Each is one or two requests on a client of its own; none registers anything, so a Viewer's
 * dashboard may run them all.
 */

/** At most this many values go back to a variable: Grafana's picker is no place for 100,000 probes. */
export const MAX_VALUES = 5000;

export interface Process {
  pid: number;
  comm: string;
}

/** The processes running now (PCP's proc PMDA: `proc.psinfo.cmd`, the command name by pid). */
export async function processesOf(client: PmapiClient): Promise<Process[]> {
  const result = await client.fetch(['proc.psinfo.cmd']);
  const values = result.values.get('proc.psinfo.cmd');
  if (!values) {
    throw new Error("The host has no proc.psinfo.cmd metric (PCP's proc PMDA): no process list.");
  }
  return values.instances
    .filter((i) => i.instance !== null && typeof i.value === 'string')
    .map((i) => ({ pid: i.instance!, comm: String(i.value) }));
}

/** The host's probes that match `pattern`, bpftrace's wildcard (`kprobe:vfs_*`); all when empty. */
export async function probesOf(client: PmapiClient, pattern = ''): Promise<string[]> {
  const all = (await readProbeList(client)).split(',').map((p) => p.trim());
  const match = globToRegExp(pattern.trim() || '*');
  return all.filter((p) => p !== '' && match.test(p)).slice(0, MAX_VALUES);
}

export interface RunningScript {
  id: string;
  /** The script's name when it has one, else its id. */
  name: string;
  /** The first line of its code (for a picker's text). */
  firstLine: string;
  status?: string;
}

/** The scripts the PMDA runs now (`bpftrace.info.scripts_json`): bpflive's and everyone's. */
export async function scriptsOf(client: PmapiClient): Promise<RunningScript[]> {
  return (await scriptRecords(client)).map((s) => ({
    id: s.script_id ?? '',
    name: s.metadata?.name || s.script_id || '',
    firstLine: firstCodeLine(s.code ?? ''),
    status: s.state?.status,
  }));
}

/**
 * The keys a running script's map has now (the instances of its data metric), so a dashboard can
 * offer "pick a process this script has seen". `script` is a script's id or name, or its code as
 * a query holds it (matched against what the PMDA runs, comments and bpflive's lines aside).
 */
export async function mapKeysOf(client: PmapiClient, script: string, map: string): Promise<string[]> {
  const records = await scriptRecords(client);
  const wanted = script.trim();
  const body = stripComments(wanted).trim();
  const found =
    records.find((r) => r.script_id === wanted || (r.metadata?.name && r.metadata.name === wanted)) ??
    records.find((r) => userBody(r.code ?? '') === body);
  if (!found?.script_id) {
    throw new Error(
      `No running script ${wanted.includes('\n') ? 'with that code' : `"${wanted}"`} on the host: start it first (a panel that runs it), or name it by id.`
    );
  }
  const metric = dataMetric(found.script_id, map.startsWith('@') ? map : `@${map}`);
  return instancesOf(client, metric);
}

/** A PCP metric's instance names (`kernel.percpu.cpu.user` → cpu0, cpu1 …). */
export async function instancesOf(client: PmapiClient, metric: string): Promise<string[]> {
  try {
    const indom = await client.indom(metric);
    return indom.instances.map((i) => i.name).slice(0, MAX_VALUES);
  } catch (e) {
    // /pmapi/indom says "<name> - failed to lookup metric" (pmproxy 6.0.3), not "Unknown metric name".
    if (isPmapiError(e, 'unknownMetric') || /failed to lookup metric/i.test(e instanceof Error ? e.message : '')) {
      throw new Error(`The host has no metric ${metric}.`);
    }
    throw e;
  }
}

/** pmcd's own name for the host a client reaches (`pmcd.hostname`). */
export async function hostnameOf(client: PmapiClient): Promise<string | undefined> {
  const value = (await client.fetch(['pmcd.hostname'])).values.get('pmcd.hostname')?.instances[0]?.value;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

async function scriptRecords(client: PmapiClient): Promise<Array<Partial<ScriptRecord>>> {
  const list = await readScriptList(client);
  if (!list) {
    throw new Error('The bpftrace PMDA sent no script list (it may be restarting, or not installed on the host).');
  }
  return list;
}

/** A script's code as the user wrote it: bpflive's trailing lines (retain lines, marker) left out. */
function userBody(code: string): string {
  const lines = code.split('\n');
  while (lines.length > 0 && /^\/\/\s*(?:table-retain-lines\s*:|bpflive: )/.test(lines[lines.length - 1])) {
    lines.pop();
  }
  return stripComments(lines.join('\n')).trim();
}

/** The first line of code, comments and bpflive's marker left out (a picker's or a table's glance at a script). */
export function firstCodeLine(code: string): string {
  return (
    stripComments(code)
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '' && !l.startsWith(MARKER_PREFIX.trim())) ?? ''
  );
}
