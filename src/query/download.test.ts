import { DataFrame, FieldType, readCSV } from '@grafana/data';

import { WideSeriesBuffer } from '../buffers/WideSeriesBuffer';
import { buildFlameGraphFrame } from '../frames/flamegraph';
import { downloadOf } from './download';

const T0 = Date.UTC(2026, 11, 3, 17, 0, 0);
const NOW = new Date(T0 + 1234);

function flameFrame(host?: string): DataFrame {
  const b = new WideSeriesBuffer({ retentionMs: 3_600_000, counter: true });
  b.append(T0, new Map());
  b.append(T0 + 1000, new Map([['\n    f+1\n    main+2\n', 3]]));
  const frame = buildFlameGraphFrame(b, { refId: 'A', from: -Infinity, to: Infinity });
  return { ...frame, meta: { ...frame.meta, custom: { view: 'flamegraph', ...(host ? { host } : {}) } } };
}

function tableFrame(rows: Array<[string, number]>, host?: string): DataFrame {
  return {
    refId: 'A',
    fields: [
      { name: 'comm', type: FieldType.string, config: {}, values: rows.map((r) => r[0]) },
      { name: 'count', type: FieldType.number, config: {}, values: rows.map((r) => r[1]) },
    ],
    length: rows.length,
    meta: { custom: { view: 'table', ...(host ? { host } : {}) } },
  };
}

describe('downloadOf', () => {
  it('a flame graph downloads as folded stacks, root first, named after the query and the time', () => {
    const d = downloadOf([flameFrame()], 'A', NOW)!;
    expect(d).toMatchObject({
      label: 'Download folded stacks',
      filename: 'bpflive-A-2026-12-03T17-00-01Z.folded',
      mime: 'text/plain',
    });
    expect(d.content()).toBe('main;f 3\n');
  });

  it('a flame graph on several hosts: one file, each line opened by its host', () => {
    expect(downloadOf([flameFrame('alpha'), flameFrame('localhost:44331')], 'A', NOW)!.content()).toBe(
      'alpha;main;f 3\nlocalhost:44331;main;f 3\n'
    );
  });

  it('a table downloads as CSV that reads back to the same rows; several hosts get a host column', () => {
    const one = downloadOf(
      [
        tableFrame([
          ['bash', 3],
          ['a, "b"', 1],
        ]),
      ],
      'A',
      NOW
    )!;
    expect(one).toMatchObject({ label: 'Download CSV', filename: 'bpflive-A-2026-12-03T17-00-01Z.csv' });
    const [read] = readCSV(one.content());
    expect(read.fields.map((f) => [f.name, f.values])).toEqual([
      ['comm', ['bash', 'a, "b"']],
      ['count', [3, 1]],
    ]);
    const two = downloadOf([tableFrame([['bash', 3]], 'alpha'), tableFrame([['sshd', 2]], 'beta')], 'A', NOW)!;
    expect(two.content().trim().split('\r\n')).toEqual(['"host","comm","count"', 'alpha,bash,3', 'beta,sshd,2']);
  });

  it('nothing for other formats, other queries, or frames without rows', () => {
    const series: DataFrame = { ...tableFrame([['x', 1]]), meta: { custom: { view: 'timeseries' } } };
    expect(downloadOf([series], 'A', NOW)).toBeUndefined();
    expect(downloadOf([flameFrame()], 'B', NOW)).toBeUndefined();
    expect(downloadOf([tableFrame([])], 'A', NOW)).toBeUndefined();
  });
});
