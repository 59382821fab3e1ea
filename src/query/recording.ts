import {
  isRecordingName,
  PreparedRecording,
  prepareRecording,
  RECORDING_PREFIX,
  recordingNameError,
} from '../scripts/naming';
import type { BpftraceQuery } from '../types';

export { isRecordingName, recordingNameError };
export type { PreparedRecording };

/**
 * The named script a recorded query runs (scripts/naming.ts has the name rule), or undefined when
 * the query does not record: Record off, or a query that joins a script the host names itself.
 * Throws with the editor's words when the user's name breaks the rule.
 */
export function recordingOf(query: BpftraceQuery): PreparedRecording | undefined {
  if (!query.record || query.scriptName?.trim()) {
    return undefined;
  }
  return prepareRecording(query.code ?? '', { name: query.recordName, outputLines: query.outputLines });
}

/** How many former recordings a query remembers. */
const FORMER_KEPT = 5;

/**
 * `next` as the editor saves it after `previous`: when a recorded query's code or name changed (a
 * new recording), the old recording's name joins `formerRecordings`, so the query can say where
 * its older history is. Nothing else changes.
 */
export function withFormerRecording(previous: BpftraceQuery, next: BpftraceQuery): BpftraceQuery {
  const before = safeName(previous);
  const after = safeName(next);
  if (!before || !after || before === after) {
    return next;
  }
  const former = [before, ...(next.formerRecordings ?? []).filter((n) => n !== before && n !== after)];
  return { ...next, formerRecordings: former.slice(0, FORMER_KEPT) };
}

function safeName(query: BpftraceQuery): string | undefined {
  try {
    return recordingOf(query)?.name;
  } catch {
    return undefined;
  }
}

/** "Older history … is under …" for a recorded query whose range reaches before its recording. */
export function formerRecordingsNotice(query: BpftraceQuery): string | undefined {
  const former = (query.formerRecordings ?? []).filter(isRecordingName);
  if (!query.record || former.length === 0) {
    return undefined;
  }
  const names = former.map((n) => `"${n}"`).join(', ');
  const oldName = former[0].slice(RECORDING_PREFIX.length);
  return `Older history of this query is under its former recording${former.length > 1 ? 's' : ''} ${names} (its code or recording name changed since): nothing is lost. To see it, show the former recording in another query (Recording name "${oldName}" with the code it ran, or the Running scripts view while it runs).`;
}
