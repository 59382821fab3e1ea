import { BpftraceQuery } from '../types';
import { formerRecordingsNotice, recordingOf, withFormerRecording } from './recording';

const recorded: BpftraceQuery = { refId: 'A', code: 'BEGIN { @a = count(); }', record: true };

describe('recordings of a query', () => {
  it('a query without Record, or one that joins a named script, records nothing', () => {
    expect(recordingOf({ ...recorded, record: false })).toBeUndefined();
    expect(recordingOf({ ...recorded, scriptName: 'runq' })).toBeUndefined();
    expect(recordingOf(recorded)?.name).toMatch(/^bpflive_rec_/);
  });

  it('new code or a new name keeps the old recording’s name, newest first, and says where its history is', () => {
    const oldName = recordingOf(recorded)!.name;
    const renamed = withFormerRecording(recorded, { ...recorded, recordName: 'runq' });
    expect(renamed.formerRecordings).toEqual([oldName]);
    // New code under the user's name is the same name (the host says when it runs other code).
    expect(withFormerRecording(renamed, { ...renamed, code: 'BEGIN { @b = 1; }' }).formerRecordings).toEqual([oldName]);
    const recoded = withFormerRecording(renamed, {
      ...renamed,
      recordName: undefined,
      code: 'BEGIN { @b = count(); }',
    });
    expect(recoded.formerRecordings).toEqual(['bpflive_rec_runq', oldName]);
    expect(formerRecordingsNotice(recoded)).toMatch(
      /^Older history of this query is under its former recordings "bpflive_rec_runq", "bpflive_rec_[0-9a-f]{12}" .*nothing is lost/
    );
  });

  it('other edits, Record turned off, and a bad name change nothing', () => {
    expect(withFormerRecording(recorded, { ...recorded, legendFormat: '$key' }).formerRecordings).toBeUndefined();
    expect(withFormerRecording(recorded, { ...recorded, record: undefined }).formerRecordings).toBeUndefined();
    expect(withFormerRecording(recorded, { ...recorded, recordName: 'a-b' }).formerRecordings).toBeUndefined();
    expect(formerRecordingsNotice(recorded)).toBeUndefined();
  });
});
