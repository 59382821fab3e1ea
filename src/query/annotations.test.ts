import { DataFrame } from '@grafana/data';
import { LogLineTracker } from '../buffers/LogLineTracker';
import { buildLogFrame } from '../frames/logs';
import { annotationEvents, annotationQuery } from './annotations';

/** The log-lines frame bpflive draws for printf output, from the real tracker. */
function printed(chunks: Array<[number, string]>): DataFrame {
  const log = new LogLineTracker({ maxLines: 1000 });
  for (const [t, text] of chunks) {
    log.update(text, t);
  }
  return buildLogFrame(log, { refId: 'Anno', variable: '@output' });
}

describe('annotations from a script', () => {
  it('one annotation per printed line, at the time it arrived, with its #words as tags', () => {
    const frame = printed([
      [1000, '#oom killed java (pid 4242)\n'],
      [2000, '#oom killed java (pid 4242)\n#oom #restart killed node pid=7 #oom\n'],
    ]);
    expect(annotationEvents([frame])).toEqual([
      { time: 1000, text: '#oom killed java (pid 4242)', tags: ['oom'] },
      { time: 2000, text: '#oom #restart killed node pid=7 #oom', tags: ['oom', 'restart'] },
    ]);
  });

  it('a line without #words has no tags; a "#" inside a word is no tag; blank lines are no annotation', () => {
    const frame = printed([[5000, 'disk sda slow\n\nissue#12 seen\n']]);
    expect(annotationEvents([frame])).toEqual([
      { time: 5000, text: 'disk sda slow', tags: [] },
      { time: 5000, text: 'issue#12 seen', tags: [] },
    ]);
  });

  it('on a query that runs on several hosts, the host a line came from is a tag too', () => {
    const frame = printed([[1000, '#oom killed java\n']]);
    const onBeta: DataFrame = { ...frame, meta: { ...frame.meta, custom: { host: 'beta:44331' } } };
    expect(annotationEvents([onBeta])).toEqual([{ time: 1000, text: '#oom killed java', tags: ['oom', 'beta:44331'] }]);
  });

  it('a line still being printed waits for its newline', () => {
    const frame = printed([[1000, 'first\nsecond, half']]);
    expect(annotationEvents([frame]).map((e) => e.text)).toEqual(['first']);
  });

  it('frames that are not printf lines (maps, an empty frame with notices) give none', () => {
    const empty: DataFrame = { refId: 'Anno', fields: [], length: 0, meta: { notices: [] } };
    expect(annotationEvents([empty])).toEqual([]);
  });

  it('the annotation query shows the printf lines; an empty script runs nothing', () => {
    expect(annotationQuery({ refId: '', code: 'BEGIN { printf("x\\n"); }', format: 'table' })).toEqual({
      refId: 'Anno',
      code: 'BEGIN { printf("x\\n"); }',
      format: 'logs',
      map: '@output',
    });
    expect(annotationQuery({ refId: 'A', code: '  ' })).toBeUndefined();
    expect(annotationQuery(undefined)).toBeUndefined();
  });
});
