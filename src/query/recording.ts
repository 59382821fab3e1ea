import { isRecordingName, PreparedRecording, prepareRecording, recordingNameError } from '../scripts/naming';
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
