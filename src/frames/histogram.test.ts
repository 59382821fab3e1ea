// runqlat.json and lhist.json are tests/fixtures recorded from the real stack (pmproxy + pmcd +
// bpftrace PMDA + bpftrace 0.17): two fetches of a hist() and an lhist() a few seconds apart.
import { FieldType } from '@grafana/data';

import { buildHistogramFrame, counterIncrease, rowRange } from './histogram';
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

  it('counts only between samples inside the range, bounds included', () => {
    const b = bufferWith(true, [{ '0-0': 0 }, { '0-0': 10 }, { '0-0': 30 }, { '0-0': 60 }, { '0-0': 100 }]);
    const count = (from: number, to: number) =>
      buildHistogramFrame(b, { refId: 'A', variable: '@x', from, to }).fields[1].values[0];
    expect(count(T0 + 1000, T0 + 3000)).toBe(50); // 10 → 30 → 60
    expect(count(T0 + 500, T0 + 3500)).toBe(50);
    expect(count(T0, Infinity)).toBe(100);
    expect(count(T0 + 4000, Infinity)).toBeNull(); // one sample: nothing to compare it with
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

  it('is an empty bucket/count frame when there are no buckets', () => {
    const b = bufferWith(true, [{ '': 1 }, { '': 2 }]);
    const frame = buildHistogramFrame(b, { refId: 'A', variable: '@x', ...ALL });
    expect(frame.length).toBe(0);
    expect(frame.fields.map((f) => f.name)).toEqual(['bucket', 'count']);
  });
});

describe('counterIncrease', () => {
  const times = [0, 1000, 2000, 3000, 4000, 5000];

  it('sums the increases, counting a reset and a value after a gap from 0', () => {
    expect(counterIncrease(times, [1, 2, 4, 1, 3, 3], -Infinity, Infinity)).toBe(1 + 2 + 1 + 2 + 0);
    expect(counterIncrease(times, [1, 2, null, 7, 9, null], -Infinity, Infinity)).toBe(1 + 0 + 7 + 2 + 0);
    expect(counterIncrease(times, [null, null, null, null, null, null], -Infinity, Infinity)).toBe(0);
  });

  it('never takes a difference across a null', () => {
    // 5 → null → 6 is not "+1": the key was gone and came back counting from 0.
    expect(counterIncrease(times.slice(0, 3), [5, null, 6], -Infinity, Infinity)).toBe(6);
  });

  it('is null for a range with fewer than two samples', () => {
    expect(counterIncrease(times, [1, 2, 3, 4, 5, 6], 2500, 3500)).toBeNull();
    expect(counterIncrease([], [], -Infinity, Infinity)).toBeNull();
  });
});

describe('rowRange', () => {
  it('finds the rows inside [from, to], bounds included', () => {
    const times = [10, 20, 30, 40];
    expect(rowRange(times, 20, 30)).toEqual({ first: 1, last: 2 });
    expect(rowRange(times, 15, 35)).toEqual({ first: 1, last: 2 });
    expect(rowRange(times, -Infinity, Infinity)).toEqual({ first: 0, last: 3 });
    expect(rowRange(times, 41, 50)).toEqual({ first: 4, last: 3 });
    expect(rowRange(times, 0, 9)).toEqual({ first: 0, last: -1 });
  });
});
