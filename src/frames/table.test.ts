// csvtable.json, execsnoop.json and syscount.json are tests/fixtures recorded from the real stack
// (pmproxy + pmcd + bpftrace PMDA + bpftrace 0.17): a CSV printf with table-retain-lines, a plain
// printf, and count() maps keyed by comm and by (comm, pid), two fetches a few seconds apart.
import { FieldType } from '@grafana/data';

import { buildCsvTableFrame, buildMapTableFrame, csvTextOf, looksLikeCsvTable } from './table';
import { bufferWith, fixtureBuffer, fixtureOutput, T0 } from '../test/fixtures';

describe('looksLikeCsvTable', () => {
  it('recognises the real CSV printf output', () => {
    expect(looksLikeCsvTable(fixtureOutput('csvtable.json', 0))).toBe(true);
    expect(looksLikeCsvTable(fixtureOutput('csvtable.json', 1))).toBe(true);
  });

  it('does not take plain printf text for a table', () => {
    expect(looksLikeCsvTable(fixtureOutput('execsnoop.json', 1))).toBe(false);
    expect(looksLikeCsvTable('tick 1, 2\ntick 2, 4\n')).toBe(false); // " 2" is no column name
    expect(looksLikeCsvTable('1,2\n3,4\n')).toBe(false);
    expect(looksLikeCsvTable('')).toBe(false);
  });

  it('needs a header of at least two non-empty names and a complete data line', () => {
    expect(looksLikeCsvTable('comm,count\nbash,3\n')).toBe(true);
    expect(looksLikeCsvTable('comm\nbash\n')).toBe(false);
    expect(looksLikeCsvTable('comm,\nbash,3\n')).toBe(false);
    expect(looksLikeCsvTable('comm,count\n')).toBe(false);
    expect(looksLikeCsvTable('comm,count\nbash,')).toBe(false); // the only data line is unfinished
  });

  it('needs every complete data line to have the header’s field count, but not the unfinished last one', () => {
    expect(looksLikeCsvTable('comm,count\nbash,3\nsshd,4,5\n')).toBe(false);
    expect(looksLikeCsvTable('comm,count\nbash,3\nss')).toBe(true);
    expect(looksLikeCsvTable('comm,file\nbash,"a,b"\n')).toBe(true);
    expect(looksLikeCsvTable('comm,count\r\nbash,3\r\n')).toBe(true);
  });
});

describe('buildCsvTableFrame', () => {
  it('builds a table from the real CSV output: header names, typed columns, quotes removed', () => {
    const frame = buildCsvTableFrame(fixtureOutput('csvtable.json', 0), { refId: 'A', variable: '@output' });
    expect(frame.refId).toBe('A');
    expect(frame.meta?.preferredVisualisationType).toBe('table');
    expect(frame.fields.map((f) => [f.name, f.type])).toEqual([
      ['comm', FieldType.string],
      ['pid', FieldType.number],
      ['file', FieldType.string],
    ]);
    expect(frame.length).toBe(5);
    expect(frame.fields[1].values).toEqual([25395, 25395, 25395, 25395, 25395]);
    expect(frame.fields[2].values[0]).toBe('/usr/lib/locale/C.utf8/LC_TIME');
  });

  it('leaves out a last line that is still being printed', () => {
    const frame = buildCsvTableFrame('comm,count\nbash,3\nsshd,4\nxyz,1', { refId: 'A', variable: '@output' });
    expect(frame.length).toBe(2);
    expect(frame.fields[0].values).toEqual(['bash', 'sshd']);
    expect(frame.fields[1].values).toEqual([3, 4]);
    const open = buildCsvTableFrame('comm,file\nbash,"a\nb', { refId: 'A', variable: '@output' });
    expect(open.length).toBe(0);
  });

  it('types a column number only when every non-empty value is a number', () => {
    const text = [
      'name,n,mixed,empty,mode,big,float',
      'a,1,1,,0644,18446744073709551615,1.5',
      'b,,x,,0755,1,-2e3',
      'c, 3 ,2,,0,2,.5',
      '',
    ].join('\n');
    const frame = buildCsvTableFrame(text, { refId: 'A', variable: '@output' });
    const byName = new Map(frame.fields.map((f) => [f.name, f]));
    expect(byName.get('n')!.type).toBe(FieldType.number);
    expect(byName.get('n')!.values).toEqual([1, null, 3]);
    expect(byName.get('mixed')!.type).toBe(FieldType.string);
    expect(byName.get('empty')!.type).toBe(FieldType.string);
    expect(byName.get('mode')!.values).toEqual(['0644', '0755', '0']); // leading zeros are kept
    expect(byName.get('big')!.type).toBe(FieldType.string); // a u64 a double cannot hold exactly
    expect(byName.get('float')!.values).toEqual([1.5, -2000, 0.5]);
  });

  it('trims values (", " between fields) and pads short rows', () => {
    const frame = buildCsvTableFrame('comm, count, note\nbash, 3\n', { refId: 'A', variable: '@output' });
    expect(frame.fields.map((f) => f.name)).toEqual(['comm', 'count', 'note']);
    expect(frame.fields.map((f) => f.values[0])).toEqual(['bash', 3, '']);
  });
});

describe('csvTextOf (a CSV table of the selected range)', () => {
  it('puts the header over the given lines, and never repeats it', () => {
    const text = 'comm,pid\nls,1\ncat,2\n';
    expect(csvTextOf(text, ['comm,pid', 'cat,2'])).toBe('comm,pid\ncat,2\n');
    const frame = buildCsvTableFrame(csvTextOf(text, []), { refId: 'A', variable: '@output' });
    expect(frame.fields.map((f) => f.name)).toEqual(['comm', 'pid']);
    expect(frame.length).toBe(0);
  });
});

describe('buildMapTableFrame', () => {
  it('numeric keys are number columns, so they sort 2 before 10; mixed keys stay strings', () => {
    const byId = buildMapTableFrame(
      bufferWith(true, [
        { '2': 1, '10': 1, '300': 1 },
        { '2': 5, '10': 9, '300': 2 },
      ]),
      {
        refId: 'A',
        variable: '@',
      }
    );
    expect(byId.fields[0]).toMatchObject({ name: 'key', type: FieldType.number });
    expect(byId.fields[0].values).toEqual([10, 2, 300]);
    const mixed = buildMapTableFrame(
      bufferWith(true, [
        { '2': 1, x: 1 },
        { '2': 5, x: 9 },
      ]),
      { refId: 'A', variable: '@' }
    );
    expect(mixed.fields[0]).toMatchObject({ type: FieldType.string, values: ['x', '2'] });
  });

  it('lists a real count() map by its increase between the samples, largest first', () => {
    const { buffer, samples } = fixtureBuffer('syscount.json', 'bycomm');
    const frame = buildMapTableFrame(buffer, { refId: 'A', variable: '@bycomm', keyNames: ['comm'] });
    expect(frame.meta?.preferredVisualisationType).toBe('table');
    expect(frame.fields.map((f) => [f.name, f.type])).toEqual([
      ['comm', FieldType.string],
      ['@bycomm', FieldType.number],
    ]);
    const [s0, s1] = samples;
    const expected = [...s1.values.keys()]
      .map((k) => [k, s1.values.get(k)! - (s0.values.get(k) ?? 0)] as const)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    expect(frame.fields[0].values).toEqual(expected.map((e) => e[0]));
    expect(frame.fields[1].values).toEqual(expected.map((e) => e[1]));
    expect(frame.fields[0].values.slice(0, 3)).toEqual(['ls', 'cat', 'sleep']); // as recorded
    // pmcd first appeared in the second fetch: all its 650 syscalls happened in between.
    expect(frame.fields[1].values[frame.fields[0].values.indexOf('pmcd')]).toBe(650);
  });

  it('splits a real (comm, pid) key into named columns, pids as numbers, and keeps the top N', () => {
    const { buffer } = fixtureBuffer('syscount.json', 'bycommpid');
    const frame = buildMapTableFrame(buffer, {
      refId: 'A',
      variable: '@bycommpid',
      keyNames: ['comm', 'pid'],
      topN: 5,
    });
    expect(frame.fields.map((f) => [f.name, f.type])).toEqual([
      ['comm', FieldType.string],
      ['pid', FieldType.number],
      ['@bycommpid', FieldType.number],
    ]);
    expect(frame.length).toBe(5);
    // As recorded: bpftrace itself, then the shell loop that ran ls/cat/sleep.
    expect(frame.fields[0].values.slice(0, 2)).toEqual(['bpftrace', 'bash']);
    expect(frame.fields[1].values.slice(0, 2)).toEqual([24448, 24450]);
    expect(frame.fields[2].values[1]).toBe(4884 - 2464);
    const values = frame.fields[2].values as number[];
    expect([...values].sort((a, b) => b - a)).toEqual(values);
    // Without names: key0, key1.
    const unnamed = buildMapTableFrame(buffer, { refId: 'A', variable: '@bycommpid', topN: 1 });
    expect(unnamed.fields.map((f) => f.name)).toEqual(['key0', 'key1', '@bycommpid']);
  });

  it('leaves out keys that did not grow in the range (short-lived pids long gone)', () => {
    const { buffer, samples } = fixtureBuffer('syscount.json', 'bycommpid');
    const frame = buildMapTableFrame(buffer, { refId: 'A', variable: '@bycommpid', keyNames: ['comm', 'pid'] });
    const unchanged = [...samples[1].values.keys()].filter(
      (k) => samples[1].values.get(k) === samples[0].values.get(k)
    );
    expect(unchanged.length).toBeGreaterThan(10);
    const keys = frame.fields[0].values.map((c, i) => `${c},${frame.fields[1].values[i]}`);
    expect(keys.some((k) => unchanged.includes(k))).toBe(false);
    expect((frame.fields[2].values as number[]).every((v) => v > 0)).toBe(true);
  });

  it('shows a scalar as a single value, without a key column', () => {
    const { buffer, samples } = fixtureBuffer('syscount.json', 'total');
    const frame = buildMapTableFrame(buffer, { refId: 'A', variable: '@total', valueName: 'syscalls' });
    expect(frame.fields.map((f) => f.name)).toEqual(['syscalls']);
    expect(frame.fields[0].values).toEqual([samples[1].values.get('')! - samples[0].values.get('')!]);
  });

  it('counts only the samples inside [from, to]', () => {
    const b = bufferWith(true, [
      { a: 0, b: 0 },
      { a: 10, b: 1 },
      { a: 11, b: 50 },
      { a: 12, b: 51 },
    ]);
    // The changes seen at T0+2000 and T0+3000 (see counterIncrease).
    const late = buildMapTableFrame(b, { refId: 'A', variable: '@x', from: T0 + 2000, to: Infinity });
    expect(late.fields[0].values).toEqual(['b', 'a']);
    expect(late.fields[1].values).toEqual([50, 2]);
    const early = buildMapTableFrame(b, { refId: 'A', variable: '@x', from: T0, to: T0 + 1000 });
    expect(early.fields[0].values).toEqual(['a', 'b']);
    expect(early.fields[1].values).toEqual([10, 1]);
  });

  it('orders equal values by key and applies the unit to the value column', () => {
    const b = bufferWith(true, [
      { zed: 0, amy: 0, bob: 0 },
      { zed: 5, amy: 5, bob: 9 },
    ]);
    const frame = buildMapTableFrame(b, { refId: 'A', variable: '@bytes', unit: 'bytes', topN: 2 });
    expect(frame.fields[0].name).toBe('key');
    expect(frame.fields[0].values).toEqual(['bob', 'amy']);
    expect(frame.fields[1].config.unit).toBe('bytes');
  });

  it('shows the latest value in the range for non-counters, zeros included', () => {
    const b = bufferWith(false, [
      { a: 7, b: 3, c: 1 },
      { a: 2, b: null, c: 0 },
      { a: null, b: null, c: null },
    ]);
    const frame = buildMapTableFrame(b, { refId: 'A', variable: '@max' });
    expect(frame.fields[0].values).toEqual(['b', 'a', 'c']);
    expect(frame.fields[1].values).toEqual([3, 2, 0]);
    const first = buildMapTableFrame(b, { refId: 'A', variable: '@max', from: T0, to: T0 });
    expect(first.fields[1].values).toEqual([7, 3, 1]);
  });

  it('keeps extra commas of a key in the last named part', () => {
    const b = bufferWith(false, [{ 'bash,12,extra': 1, 'sshd,7': 2 }]);
    const frame = buildMapTableFrame(b, { refId: 'A', variable: '@x', keyNames: ['comm', 'pid'] });
    expect(frame.fields[0].values).toEqual(['sshd', 'bash']);
    expect(frame.fields[1].values).toEqual(['7', '12,extra']);
  });
});
