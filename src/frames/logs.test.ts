import { DataFrameType, FieldType } from '@grafana/data';

import { LogLineTracker } from '../buffers/LogLineTracker';
import { buildLogFrame, PARTIAL_MARK } from './logs';
import { T0 } from '../test/fixtures';

const frameOf = (t: LogLineTracker, from?: number, to?: number) =>
  buildLogFrame(t, { refId: 'A', variable: '@output', from, to });

describe('buildLogFrame', () => {
  it('builds a log-lines frame Grafana’s logs panel reads', () => {
    const t = new LogLineTracker();
    t.update('a\nb\n', T0);
    const frame = buildLogFrame(t, { refId: 'B', variable: '@output' });
    expect(frame.refId).toBe('B');
    expect(frame.meta?.type).toBe(DataFrameType.LogLines);
    expect(frame.meta?.preferredVisualisationType).toBe('logs');
    expect(frame.fields.map((f) => [f.name, f.type])).toEqual([
      ['timestamp', FieldType.time],
      ['body', FieldType.string],
      ['id', FieldType.string],
    ]);
    expect(frame.length).toBe(2);
    expect(frame.fields[1].values).toEqual(['a', 'b']);
    expect(frame.fields[2].values).toEqual([`${T0}_0`, `${T0}_1`]);
    // Same millisecond: the nanoseconds keep the lines of one tick in order.
    expect(frame.fields[0].nanos).toEqual([0, 1]);
  });

  it('never changes a frame handed out before, when lines come and old ones are dropped', () => {
    const t = new LogLineTracker({ maxLines: 3 });
    t.update('1\n2\n', T0);
    const before = frameOf(t);
    const snapshot = before.fields.map((f) => f.values.slice(0, before.length));
    t.update('1\n2\n3\n', T0 + 1000);
    t.update('1\n2\n3\n4\n5\n', T0 + 2000);
    expect(frameOf(t).fields[1].values).toEqual(['3', '4', '5']);
    expect(before.fields.map((f) => f.values.slice(0, before.length))).toEqual(snapshot);
  });

  it('shows an unterminated last line marked partial, and replaces it once the line completes', () => {
    const t = new LogLineTracker();
    t.update('HEADER\n123 ls', T0);
    const open = frameOf(t);
    expect(open.fields[1].values).toEqual(['HEADER', `123 ls${PARTIAL_MARK}`]);
    expect(open.length).toBe(2);
    const partialId = open.fields[2].values[1];

    t.update('HEADER\n123 ls -l /etc\n', T0 + 1000);
    const done = frameOf(t);
    expect(done.fields[1].values).toEqual(['HEADER', '123 ls -l /etc']);
    expect(done.fields[2].values).not.toContain(partialId);
    // The complete line did not change the frame that showed it partial.
    expect(open.fields[1].values).toEqual(['HEADER', `123 ls${PARTIAL_MARK}`]);
  });

  it('scopes lines to the selected time range (partial line included when it arrived in it)', () => {
    const t = new LogLineTracker();
    t.update('a\n', T0);
    t.update('a\nb\nc\n', T0 + 1000);
    t.update('a\nb\nc\nd\ne', T0 + 2000);
    const inRange = (from: number, to: number) => frameOf(t, from, to).fields[1].values;
    expect(inRange(T0 + 500, T0 + 1500)).toEqual(['b', 'c']);
    expect(inRange(T0 + 1000, Infinity)).toEqual(['b', 'c', 'd', `e${PARTIAL_MARK}`]);
    expect(inRange(T0 - 10_000, T0 - 1)).toEqual([]);
    expect(frameOf(t, T0, T0).length).toBe(1);
    expect(frameOf(t, T0 + 2000, T0 + 2000).fields[0].values).toEqual([T0 + 2000, T0 + 2000]);
  });
});
