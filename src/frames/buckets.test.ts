// The bucket names under test come from tests/fixtures/*.json, recorded from the real stack
// (pmproxy + pmcd + bpftrace PMDA + bpftrace 0.17): runqlat.json (hist) and lhist.json (lhist).
import { readFileSync } from 'fs';
import { join } from 'path';

import {
  bucketSpans,
  exclusiveUpper,
  formatBoundary,
  formatBucketRange,
  orderBuckets,
  parseBucketName,
} from './buckets';

/** Instance names of a fixture's data metric, in the order the PMDA listed them. */
function fixtureInstanceNames(file: string, variable: string): string[] {
  const fixture = JSON.parse(readFileSync(join(__dirname, '../../tests/fixtures', file), 'utf8'));
  const indoms: Record<string, string> = fixture.samples[1].indom;
  const metric = Object.keys(indoms).find((m) => m.endsWith(`.data.${variable}`))!;
  return JSON.parse(indoms[metric]).instances.map((i: { name: string }) => i.name);
}

describe('parseBucketName', () => {
  it.each([
    ['0-0', 0, 0],
    ['1-1', 1, 1],
    ['2-3', 2, 3],
    ['4-7', 4, 7],
    ['1024-2047', 1024, 2047],
    ['0-249', 0, 249],
    ['250-499', 250, 499],
    ['-inf--1', -Infinity, -1],
    ['1000-inf', 1000, Infinity],
    ['-8--5', -8, -5],
    ['-4--3', -4, -3],
    ['-1-0', -1, 0],
    ['-inf-0', -Infinity, 0],
    ['-10-inf', -10, Infinity],
  ])('%s → [%d, %d]', (name, lower, upper) => {
    expect(parseBucketName(name)).toEqual({ lower, upper });
  });

  it.each([
    '',
    'bash',
    'bash,1234',
    '1-',
    '-1',
    '4',
    'inf-5',
    '1--inf',
    '5-3',
    '1-2-3',
    '1.5-2',
    'a-b',
    '-inf',
    '2 - 3',
    '--1-2',
  ])('rejects %j', (name) => {
    expect(parseBucketName(name)).toBeUndefined();
  });

  it('parses every bucket name the PMDA gave for a real hist() and lhist()', () => {
    const hist = fixtureInstanceNames('runqlat.json', 'usecs');
    const lhist = fixtureInstanceNames('lhist.json', 'ret');
    expect(hist.length).toBeGreaterThan(5);
    for (const name of [...hist, ...lhist]) {
      expect(parseBucketName(name)).toBeDefined();
    }
  });
});

describe('orderBuckets', () => {
  it('orders the real hist() buckets, which the PMDA lists out of order', () => {
    const names = fixtureInstanceNames('runqlat.json', 'usecs');
    expect(names[0]).toBe('1024-2047'); // as recorded: not in value order
    expect(orderBuckets(names).map((b) => b.key)).toEqual([
      '0-0',
      '1-1',
      '2-3',
      '4-7',
      '8-15',
      '16-31',
      '32-63',
      '64-127',
      '128-255',
      '256-511',
      '512-1023',
      '1024-2047',
      '2048-4095',
    ]);
  });

  it('puts lhist()’s open buckets at the ends', () => {
    const ordered = orderBuckets(fixtureInstanceNames('lhist.json', 'ret'));
    expect(ordered.map((b) => b.key)).toEqual(['-inf--1', '0-249', '250-499', '500-749', '750-999', '1000-inf']);
    expect(ordered[0]).toEqual({ key: '-inf--1', lower: -Infinity, upper: -1 });
    expect(ordered[5]).toEqual({ key: '1000-inf', lower: 1000, upper: Infinity });
  });

  it('orders negative buckets numerically, not as text, and drops keys that are not buckets', () => {
    expect(orderBuckets(['0-3', '-4--1', 'bash', '', '-8--5', '4-inf', '-inf--9']).map((b) => b.key)).toEqual([
      '-inf--9',
      '-8--5',
      '-4--1',
      '0-3',
      '4-inf',
    ]);
  });
});

describe('bucket labels', () => {
  it('gives the exclusive upper boundary, as bpftrace prints it', () => {
    expect(exclusiveUpper({ upper: 7 })).toBe(8);
    expect(exclusiveUpper({ upper: 0 })).toBe(1);
    expect(exclusiveUpper({ upper: -1 })).toBe(0);
    expect(exclusiveUpper({ upper: Infinity })).toBe(Infinity);
  });

  it('formats boundaries like bpftrace without a unit, like Grafana with one', () => {
    expect(formatBoundary(0)).toBe('0');
    expect(formatBoundary(8)).toBe('8');
    expect(formatBoundary(1000)).toBe('1000');
    expect(formatBoundary(1024)).toBe('1K');
    expect(formatBoundary(3072)).toBe('3K');
    expect(formatBoundary(1048576)).toBe('1M');
    expect(formatBoundary(-2048)).toBe('-2K');
    expect(formatBoundary(Infinity)).toBe('+Inf');
    expect(formatBoundary(-Infinity)).toBe('-Inf');
    expect(formatBoundary(1024, 'µs')).toBe('1.02 ms');
    expect(formatBoundary(1024, 'bytes')).toBe('1 KiB');
  });

  it('formats ranges half-open like bpftrace', () => {
    expect(formatBucketRange({ lower: 0, upper: 0 })).toBe('[0]');
    expect(formatBucketRange({ lower: 4, upper: 7 })).toBe('[4, 8)');
    expect(formatBucketRange({ lower: 1024, upper: 2047 })).toBe('[1K, 2K)');
    expect(formatBucketRange({ lower: -Infinity, upper: -1 })).toBe('(-Inf, 0)');
    expect(formatBucketRange({ lower: 1000, upper: Infinity })).toBe('[1000, +Inf)');
    expect(formatBucketRange({ lower: 512, upper: 1023 }, 'µs')).toBe('[512 µs, 1.02 ms)');
  });
});

describe('bucketSpans', () => {
  it('makes gaps between buckets explicit so that each span starts where the previous ends', () => {
    const spans = bucketSpans(orderBuckets(['2-3', '16-31', '32-63']));
    expect(spans).toEqual([
      { key: '2-3', lower: 2, upper: 3 },
      { lower: 4, upper: 15 },
      { key: '16-31', lower: 16, upper: 31 },
      { key: '32-63', lower: 32, upper: 63 },
    ]);
  });

  it('adds a span from 0 to a first bucket above 0 only when asked', () => {
    expect(bucketSpans(orderBuckets(['8-15']), { fromZero: true })).toEqual([
      { lower: 0, upper: 7 },
      { key: '8-15', lower: 8, upper: 15 },
    ]);
    expect(bucketSpans(orderBuckets(['8-15']))).toEqual([{ key: '8-15', lower: 8, upper: 15 }]);
    expect(bucketSpans(orderBuckets(['-inf--1', '0-249']), { fromZero: true }).map((s) => s.key)).toEqual([
      '-inf--1',
      '0-249',
    ]);
  });

  it('leaves contiguous buckets alone', () => {
    const ordered = orderBuckets(fixtureInstanceNames('lhist.json', 'ret'));
    expect(bucketSpans(ordered, { fromZero: true }).every((s) => s.key !== undefined)).toBe(true);
  });
});
