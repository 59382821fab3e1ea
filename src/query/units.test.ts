// Variable names as bpftrace tools and the fixtures recorded from the real stack use them
// (tests/fixtures/runqlat.json: @usecs; syscount.json: @bycomm, @total).
import { formattedValueToString, getValueFormat, getValueFormatterIndex } from '@grafana/data';

import { inferUnit, rateUnit } from './units';

describe('inferUnit', () => {
  it.each([
    ['@ns', 'ns'],
    ['@nsecs', 'ns'],
    ['@latency_ns', 'ns'],
    ['@lat_ns', 'ns'],
    ['@latencyNs', 'ns'],
    ['@us', 'µs'],
    ['@usecs', 'µs'],
    ['@latency_us', 'µs'],
    ['@usecs_by_comm', 'µs'],
    ['@ms', 'ms'],
    ['@msecs', 'ms'],
    ['@secs', 's'],
    ['@bytes', 'bytes'],
    ['@read_bytes', 'bytes'],
    ['@readBytes', 'bytes'],
    ['@bytes_read', 'bytes'],
    ['@kbytes', 'kbytes'],
    ['@kb', 'kbytes'],
    ['@mbytes', 'mbytes'],
    ['@pct', 'percent'],
    ['@percent', 'percent'],
    ['@cpu_percent', 'percent'],
    ['usecs', 'µs'],
  ])('%s → %s', (variable, unit) => {
    expect(inferUnit(variable)).toBe(unit);
  });

  it.each([
    '@s', // generic, and often a start time
    '@sec',
    '@size', // bytes? elements? pages?
    '@len',
    '@lat',
    '@bycomm',
    '@total',
    '@syscalls',
    '@status', // ends in "us" but is not microseconds
    '@bus',
    '@cpus',
    '@bytes_per_sec', // a rate of bytes, not bytes
    '@ns_count',
    '@reads_ps',
    '@ns_hist', // too short to trust at the front
    '@',
    '',
  ])('%s → undefined', (variable) => {
    expect(inferUnit(variable)).toBeUndefined();
  });

  it('returns only unit ids Grafana knows, which scale the values', () => {
    const known = getValueFormatterIndex();
    for (const name of ['@ns', '@us', '@ms', '@secs', '@bytes', '@kb', '@mb', '@pct']) {
      expect(known[inferUnit(name)!]).toBeDefined();
    }
    expect(getValueFormat(inferUnit('@usecs')!)(2000).suffix).toBe(' ms');
    expect(getValueFormat(inferUnit('@nsecs')!)(2000).suffix).toBe(' µs');
    expect(getValueFormat(inferUnit('@read_bytes')!)(2048).suffix).toBe(' KiB');
  });
});

describe('rateUnit: a rate says /s', () => {
  const shown = (unit: string, value: number) => formattedValueToString(getValueFormat(unit)(value, 1));
  it('counts per second, scaled', () => {
    expect(shown(rateUnit(undefined), 12345.6)).toBe('12.3K /s');
    expect(shown(rateUnit(undefined), 3)).toMatch(/^3(\.0)? ?\/s$/);
  });
  it("Grafana's own per-second unit where it has one, else the unit with /s", () => {
    expect(shown(rateUnit('bytes'), 2048)).toBe('2.0 KiB/s');
    expect(shown(rateUnit('ns'), 500)).toBe('500.0 ns/s');
  });
});
