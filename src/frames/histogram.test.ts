// runqlat.json and lhist.json are tests/fixtures recorded from the real stack (pmproxy + pmcd +
// bpftrace PMDA + bpftrace 0.17): two fetches of a hist() and an lhist() a few seconds apart.
import { FieldType } from '@grafana/data';

import { buildHistogramFrame } from './histogram';
import { bufferWith, fixtureBuffer, T0 } from '../test/fixtures';

const ALL = { from: -Infinity, to: Infinity };

describe('buildHistogramFrame', () => {
  it('counts the events per bucket of a real hist() between its two samples, in bucket order', () => {
    const { buffer, samples } = fixtureBuffer('runqlat.json', 'usecs');
    const frame = buildHistogramFrame(buffer, { refId: 'A', variable: '@usecs', from: samples[0].t, to: samples[1].t });
    expect(frame.refId).toBe('A');
    expect(frame.fields.map((f) => [f.name, f.type])).toEqual([
      ['bucket', FieldType.string],
      ['count', FieldType.number],
    ]);
    expect(frame.fields[0].values).toEqual([
      '[0]',
      '[1]',
      '[2, 4)',
      '[4, 8)',
      '[8, 16)',
      '[16, 32)',
      '[32, 64)',
      '[64, 128)',
      '[128, 256)',
      '[256, 512)',
      '[512, 1K)',
      '[1K, 2K)',
      '[2K, 4K)',
    ]);
    const keys = ['0-0', '1-1', '2-3', '4-7', '8-15', '16-31', '32-63', '64-127', '128-255', '256-511', '512-1023'];
    const expected = keys.map((k) => samples[1].values.get(k)! - samples[0].values.get(k)!);
    expect(frame.fields[1].values.slice(0, keys.length)).toEqual(expected);
    expect(frame.fields[1].values.slice(0, 4)).toEqual([29, 64, 288, 208]); // as recorded
    expect(frame.length).toBe(13);
  });

  it('labels lhist() buckets, open ends included', () => {
    const { buffer } = fixtureBuffer('lhist.json', 'ret');
    const frame = buildHistogramFrame(buffer, { refId: 'A', variable: '@ret', ...ALL });
    expect(frame.fields[0].values).toEqual([
      '(-Inf, 0)',
      '[0, 250)',
      '[250, 500)',
      '[500, 750)',
      '[750, 1000)',
      '[1000, +Inf)',
    ]);
    expect(frame.fields[1].values).toEqual([3037, 16933, 64, 2, 620, 5605]);
  });

  it('formats the labels with the bucketed values’ unit', () => {
    const { buffer } = fixtureBuffer('runqlat.json', 'usecs');
    const frame = buildHistogramFrame(buffer, { refId: 'A', variable: '@usecs', ...ALL, unit: 'µs' });
    expect(frame.fields[0].values[3]).toBe('[4 µs, 8 µs)');
    expect(frame.fields[1].config.unit).toBeUndefined();
  });

  it('counts the increases seen inside the range, bounds included (see buffers/increase)', () => {
    const b = bufferWith(true, [{ '0-0': 0 }, { '0-0': 10 }, { '0-0': 30 }, { '0-0': 60 }, { '0-0': 100 }]);
    const count = (from: number, to: number) =>
      buildHistogramFrame(b, { refId: 'A', variable: '@x', from, to }).fields[1].values[0];
    expect(count(T0 + 1000, T0 + 3000)).toBe(60); // seen at T0+1000 (0 → 10), then → 30 → 60
    expect(count(T0 + 500, T0 + 3500)).toBe(60);
    expect(count(T0 + 1001, T0 + 3000)).toBe(50);
    expect(count(T0, Infinity)).toBe(100);
    expect(count(T0 + 4000, Infinity)).toBe(40); // one print tells its tick: 60 → 100
    expect(count(T0, T0 + 999)).toBeNull(); // only row 0: what it holds happened before the buffer
    expect(count(T0 + 10_000, Infinity)).toBeNull();
  });

  it('counts a reset as counting restarted at 0, and a bucket that appears in full', () => {
    const b = bufferWith(true, [
      { '0-0': 5, '1-1': null },
      { '0-0': 8, '1-1': null },
      { '0-0': 3, '1-1': 2 }, // 0-0 reset (script restarted); 1-1 appears with 2 events
      { '0-0': 6, '1-1': 2 },
    ]);
    const frame = buildHistogramFrame(b, { refId: 'A', variable: '@x', ...ALL });
    expect(frame.fields[1].values).toEqual([3 + 3 + 3, 2]);
  });

  it('shows a bucket missing between two others as a zero bar', () => {
    const b = bufferWith(true, [
      { '1-1': 1, '8-15': 1 },
      { '1-1': 2, '8-15': 4 },
    ]);
    const frame = buildHistogramFrame(b, { refId: 'A', variable: '@x', ...ALL });
    expect(frame.fields[0].values).toEqual(['[1]', '[2, 8)', '[8, 16)']);
    expect(frame.fields[1].values).toEqual([1, 0, 3]);
  });

  it('shows the newest print in the range of a histogram the script clears every second', () => {
    // Each print holds one second's counts (interval:s:1 { print(@); clear(@); }): no increases.
    const b = bufferWith(false, [
      { '1-1': 5, '2-3': 1 },
      { '1-1': 3, '2-3': 4 },
      { '1-1': 6, '2-3': null },
    ]);
    const counts = (from: number, to: number) =>
      buildHistogramFrame(b, { refId: 'A', variable: '@x', from, to }).fields[1].values;
    expect(counts(-Infinity, Infinity)).toEqual([6, 0]); // a bucket the newest print lacks: none counted
    expect(counts(T0, T0 + 1000)).toEqual([3, 4]);
    expect(counts(T0 + 5000, Infinity)).toEqual([null, null]);
  });

  it('is an empty bucket/count frame when there are no buckets', () => {
    const b = bufferWith(true, [{ '': 1 }, { '': 2 }]);
    const frame = buildHistogramFrame(b, { refId: 'A', variable: '@x', ...ALL });
    expect(frame.length).toBe(0);
    expect(frame.fields.map((f) => f.name)).toEqual(['bucket', 'count']);
  });
});
