import { Diagnostic } from './diagnostics';
import { lint } from './lints';
import { ProbeCatalog } from './probeCatalog';

/**
 * The one rule for which scripts may reach the host, where bpftrace runs as root: a script with
 * an editor error is never registered. The query editor applies it before it commits a run, and
 * the datasource applies it to code it did not see typed (saved dashboards, provisioning, the
 * API), so both refuse exactly the same scripts.
 *
 * Contract:
 * - Pure and synchronous: the same `code` and `catalog` give the same answer; no I/O, no clock.
 * - Returns the lints (see `lint` in lints.ts) of severity 'error', sorted by position, each with
 *   its line, column and message; [] means the script may run. Warnings and infos never block:
 *   they describe scripts that run but may show little (avg(), a probe the host may not list).
 * - An empty or blank script gives [] (there is nothing to register; callers decide what an empty
 *   query means).
 * - `catalog` is the target host's probe list. Without it the host checks are skipped; none of
 *   them is an error today, so a caller without the list (the datasource) refuses the same
 *   scripts as the editor. A host check that becomes an error would block only where the list is
 *   known; move it to a warning if the datasource must agree.
 * - It knows only what the text says: bpftrace's own errors from a run are not included, since
 *   they come from the host after the fact.
 */
export function blockingDiagnostics(code: string, catalog?: ProbeCatalog): Diagnostic[] {
  return blockingOf(lint(code, { catalog }));
}

/** The diagnostics among `lints` that stop a run: for callers that already linted the text. */
export function blockingOf(lints: Diagnostic[]): Diagnostic[] {
  return lints.filter((d) => d.severity === 'error');
}
