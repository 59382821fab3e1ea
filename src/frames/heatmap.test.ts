// runqlat.json and lhist.json are tests/fixtures recorded from the real stack (pmproxy + pmcd +
// bpftrace PMDA + bpftrace 0.17): two fetches of a hist() and an lhist() a few seconds apart.
import { DataFrameType, FieldType, getFieldDisplayName } from '@grafana/data';

import { buildHeatmapRowsFrame } from './heatmap';
import { bufferWith, fixtureBuffer, T0 } from '../test/fixtures';

describe('buildHeatmapRowsFrame', () => {
  it('turns a real hist() into heatmap-rows: Time, then one field per bucket, lowest first', () => {
    const { buffer } = fixtureBuffer('runqlat.json', 'usecs');
    const frame = buildHeatmapRowsFrame(buffer, { refId: 'A', variable: '@usecs', rate: true });
    expect(frame.meta?.type).toBe(DataFrameType.HeatmapRows);
    expect(frame.meta?.type).toBe('heatmap-rows');
    expect(frame.refId).toBe('A');
    expect(frame.length).toBe(2);
    expect(frame.fields[0].type).toBe(FieldType.time);
    expect(frame.fields[0].values).toBe(buffer.times);
    // Each row is named by its exclusive upper boundary: 0-0 → 1, 2-3 → 4, 2048-4095 → 4096.
    const names = ['1', '2', '4', '8', '16', '32', '64', '128', '256', '512', '1024', '2048', '4096'];
    expect(frame.fields.slice(1).map((f) => f.name)).toEqual(names);
    expect(frame.fields.slice(1).map((f) => f.labels)).toEqual(names.map((le) => ({ le })));
    expect(frame.fields.slice(1).every((f) => f.type === FieldType.number)).toBe(true);
  });

  it('gives per-second rates per bucket by referencing the buffer’s rate columns', () => {
    const { buffer, samples } = fixtureBuffer('runqlat.json', 'usecs');
    const frame = buildHeatmapRowsFrame(buffer, { refId: 'A', variable: '@usecs', rate: true });
    const field = frame.fields.find((f) => f.name === '4')!; // the PMDA's 2-3 bucket
    expect(field.values).toBe(buffer.column('2-3', 'rate'));
    const dt = (samples[1].t - samples[0].t) / 1000;
    const expected = (samples[1].values.get('2-3')! - samples[0].values.get('2-3')!) / dt;
    expect(field.values[1]).toBeCloseTo(expected, 6);
    expect(expected).toBeGreaterThan(0);
    expect(field.values[0]).toBeNull();
  });

  it('names rows so that Grafana’s heatmap axis and tooltip read the bucket boundaries', () => {
    const { buffer } = fixtureBuffer('runqlat.json', 'usecs');
    const frame = buildHeatmapRowsFrame(buffer, { refId: 'A', variable: '@usecs', rate: true });
    // The heatmap uses the display names as tick labels (and the first label key as `le`).
    const display = frame.fields.slice(1).map((f) => getFieldDisplayName(f, frame, [frame]));
    expect(display.slice(0, 4)).toEqual(['1', '2', '4', '8']);
    for (const f of frame.fields.slice(1)) {
      expect(Object.keys(f.labels!)).toEqual(['le']);
      // Plain numbers: the panel formats them with its Y axis unit when the user sets one.
      expect(Number.isNaN(Number(getFieldDisplayName(f, frame, [frame])))).toBe(false);
    }
  });

  it('labels lhist()’s open buckets: below the min ends at 0, the top one at +Inf', () => {
    const { buffer } = fixtureBuffer('lhist.json', 'ret');
    const frame = buildHeatmapRowsFrame(buffer, { refId: 'A', variable: '@ret', rate: true });
    expect(frame.fields.slice(1).map((f) => f.name)).toEqual(['0', '250', '500', '750', '1000', '+Inf']);
    expect(frame.fields[6].labels).toEqual({ le: '+Inf' });
    expect(frame.fields[6].values).toBe(buffer.column('1000-inf', 'rate'));
  });

  it('shows raw cumulative counts when rate is off, and raw values for non-counters', () => {
    const { buffer, samples } = fixtureBuffer('lhist.json', 'ret');
    const raw = buildHeatmapRowsFrame(buffer, { refId: 'A', variable: '@ret', rate: false });
    expect(raw.fields[2].values).toBe(buffer.column('0-249', 'raw'));
    expect(raw.fields[2].values).toEqual([samples[0].values.get('0-249'), samples[1].values.get('0-249')]);

    const instant = bufferWith(false, [{ '0-0': 1, '1-1': 2 }]);
    const frame = buildHeatmapRowsFrame(instant, { refId: 'A', variable: '@x', rate: true });
    expect(frame.fields[1].values).toBe(instant.column('0-0', 'raw'));
  });

  it('gives missing buckets an empty row, so no row claims a range it does not count', () => {
    const b = bufferWith(true, [
      { '8-15': 1, '32-63': 2 },
      { '8-15': 3, '32-63': 5 },
    ]);
    const frame = buildHeatmapRowsFrame(b, { refId: 'A', variable: '@x', rate: true });
    // [0, 8) below the first bucket, [16, 32) between: empty rows named by their upper edge.
    expect(frame.fields.slice(1).map((f) => f.name)).toEqual(['8', '16', '32', '64']);
    expect(frame.fields[1].values).toEqual([null, null]);
    expect(frame.fields[3].values).toEqual([null, null]);
    expect(frame.fields[2].values).toBe(b.column('8-15', 'rate'));
    expect(frame.fields[4].values).toBe(b.column('32-63', 'rate'));
    expect(frame.fields.every((f) => f.values.length === frame.length)).toBe(true);
  });

  it('formats the boundaries with the bucketed values’ unit, and keeps it off the cell values', () => {
    const { buffer } = fixtureBuffer('runqlat.json', 'usecs');
    const frame = buildHeatmapRowsFrame(buffer, { refId: 'A', variable: '@usecs', rate: true, unit: 'µs' });
    const byName = new Map(frame.fields.map((f) => [f.name, f]));
    expect(getFieldDisplayName(byName.get('8')!, frame, [frame])).toBe('8 µs');
    expect(getFieldDisplayName(byName.get('1024')!, frame, [frame])).toBe('1.02 ms');
    expect(byName.get('1024')!.labels).toEqual({ le: '1024' });
    expect(frame.fields.every((f) => f.config.unit === undefined)).toBe(true);
  });

  it('drops keys that are not buckets', () => {
    const b = bufferWith(true, [{ '': 3, '0-0': 1, bash: 2 }]);
    const frame = buildHeatmapRowsFrame(b, { refId: 'A', variable: '@x', rate: false });
    expect(frame.fields.map((f) => f.name)).toEqual(['Time', '1']);
  });

  it('keeps an emitted frame’s rows while the buffer goes on appending', () => {
    const b = bufferWith(true, [{ '0-0': 1 }, { '0-0': 3 }]);
    const frame = buildHeatmapRowsFrame(b, { refId: 'A', variable: '@x', rate: true });
    const snapshot = frame.fields.map((f) => f.values.slice(0, frame.length));
    b.append(T0 + 5000, new Map([['0-0', 10]]));
    expect(frame.fields.map((f) => f.values.slice(0, frame.length))).toEqual(snapshot);
    expect(buildHeatmapRowsFrame(b, { refId: 'A', variable: '@x', rate: true }).length).toBe(3);
  });
});
