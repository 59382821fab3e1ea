/**
 * Which version of the script runs, in words for the status line. The editor holds two texts:
 * the committed one (query.code, what Grafana runs on every refresh) and the draft being typed,
 * which reaches the host only on an explicit run. Users must be able to tell them apart at a
 * glance, since the panel shows the committed one. Pure, so that every case is tested.
 */

export type RunVersionKind =
  /** Nothing committed yet, or nothing has run it. */
  | 'none'
  /** The editor shows what runs. */
  | 'current'
  /** The editor shows changes that do not run. */
  | 'edited'
  /** A run was asked for and refused: the draft has errors. */
  | 'refused';

export interface RunVersion {
  kind: RunVersionKind;
  text: string;
}

export interface RunVersionInput {
  /** query.code: what runs. */
  committed: string;
  /** The text in the editor. */
  draft: string;
  /** When this editor last ran `committed`; undefined when it came with the query (a saved dashboard). */
  ranAt?: Date;
  /** The panel has a response for this query: the committed code did run. */
  reported: boolean;
  /** How many errors in the draft stop it from running (blockingDiagnostics). */
  blocking: number;
  /** A run of the draft was asked for (or live run tried) and refused for those errors. */
  refused: boolean;
  liveRun: boolean;
}

export function runVersion(v: RunVersionInput): RunVersion {
  const edited = v.draft !== v.committed;
  // Live run refuses on its own, so with it on an erroneous edit says so without waiting.
  if (v.blocking > 0 && (v.refused || (v.liveRun && edited))) {
    return { kind: 'refused', text: notRunMessage(v.blocking) };
  }
  const how = v.liveRun ? 'runs when you stop typing' : 'Shift+Enter or Run to run';
  if (edited) {
    if (v.committed.trim() === '') {
      return { kind: 'edited', text: `Not run yet — ${v.liveRun ? how : `${how} it`}` };
    }
    if (v.liveRun) {
      return { kind: 'edited', text: `Edited — ${how}` };
    }
    const since = v.ranAt || v.reported ? ' since it ran' : '';
    return { kind: 'edited', text: `Edited${since} — ${how} these changes` };
  }
  if (v.committed.trim() === '') {
    return { kind: 'none', text: 'Not run yet' };
  }
  if (v.ranAt) {
    return { kind: 'current', text: `Running the code you ran at ${clock(v.ranAt)}` };
  }
  if (v.reported) {
    return { kind: 'current', text: 'Running the saved code' };
  }
  return { kind: 'none', text: `Not run yet — ${how} it` };
}

/** What the status says when a run is refused; the count is of blockingDiagnostics. */
export function notRunMessage(errors: number): string {
  return `Not run: fix the ${errors} ${errors === 1 ? 'error' : 'errors'} marked in the editor`;
}

/** 10:42:13, in the browser's time zone: what the user's clock said when they ran it. */
function clock(at: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}`;
}
