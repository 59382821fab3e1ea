/**
 * What bpftrace says on stderr while a script runs: each failed action prints a line (`cat()` of a
 * missing file: "ERROR: failed to open file '…': No such file or directory", once per call; a
 * stack map that is full: "failed to look up stack id …"). The PMDA keeps all of stderr in the
 * script's `error` metric, so the text only grows; the lease reads it now and then and judges the
 * part that is new since its last look. The values of the actions that failed are missing from
 * the panel, and nothing else would say so.
 */

/** Whether a line of bpftrace's stderr is noise everywhere (RLIMIT_MEMLOCK where ulimit -l cannot be raised). */
export const isNoiseLine = (line: string) => /couldn't set RLIMIT_MEMLOCK|Unknown error -1: couldn't set/.test(line);
const STACK_LOOKUP = /failed to look up stack/i;
/** The example line quoted in a notice, at most this long. */
const QUOTE_CHARS = 200;

/** The notice for the error lines in `added` (stderr past the last look), or undefined for none. */
export function runtimeErrorNotice(added: string, secondsSinceLastLook: number | undefined): string | undefined {
  const lines = added
    .split('\n')
    .map((l) => l.trim())
    // WARNING lines are the start's attach problems (ScriptLease's own notice), but for stacks.
    .filter((l) => (/\bERROR\b/.test(l) && !/WARNING:/.test(l)) || STACK_LOOKUP.test(l))
    .filter((l) => !isNoiseLine(l));
  if (lines.length === 0) {
    return undefined;
  }
  const when = secondsSinceLastLook === undefined ? 'since it started' : `in the last ${secondsSinceLastLook} s`;
  const stacks = lines.filter((l) => STACK_LOOKUP.test(l)).length;
  if (stacks === lines.length) {
    return `bpftrace could not look up ${stacks} stack${stacks === 1 ? '' : 's'} ${when} (its stack map is full, or the process was gone): those samples are missing from the flame graph. Sample less often, or key on fewer stacks.`;
  }
  const example = lines.find((l) => !STACK_LOOKUP.test(l))!.replace(/^ERROR:\s*/, '');
  const quoted = example.length > QUOTE_CHARS ? `${example.slice(0, QUOTE_CHARS)}…` : example;
  return `bpftrace reported ${lines.length} error${lines.length === 1 ? '' : 's'} ${when} while running, e.g. "${quoted}": what those actions would have shown is missing. The script runs on.`;
}
