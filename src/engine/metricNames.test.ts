import { Children } from '../pmapi/types';
import { expandMetricPattern, MAX_METRICS, metricPatterns, TooManyMetricsError } from './metricNames';

// A part of the CI stack's namespace as /pmapi/children answered it (pmproxy 6.0.3, Debian 12),
// shortened to a few leaves per node.
const NAMESPACE: Record<string, Pick<Children, 'leaf' | 'nonleaf'>> = {
  '': { leaf: [], nonleaf: ['kernel', 'disk', 'pmcd'] },
  kernel: { leaf: [], nonleaf: ['all'] },
  'kernel.all': { leaf: ['load', 'sysfork', 'nprocs'], nonleaf: ['cpu'] },
  'kernel.all.cpu': { leaf: ['user', 'sys', 'idle'], nonleaf: ['wait', 'irq'] },
  'kernel.all.cpu.wait': { leaf: ['total'], nonleaf: [] },
  'kernel.all.cpu.irq': { leaf: ['soft', 'hard'], nonleaf: [] },
  disk: { leaf: [], nonleaf: ['dev', 'all', 'dm'] },
  'disk.dev': { leaf: ['read', 'write', 'read_bytes', 'write_bytes'], nonleaf: [] },
  'disk.all': { leaf: ['read', 'write'], nonleaf: [] },
  'disk.dm': { leaf: ['write'], nonleaf: [] },
  pmcd: { leaf: ['pid', 'numagents'], nonleaf: ['pmlogger'] },
  'pmcd.pmlogger': { leaf: ['host', 'port'], nonleaf: [] },
};

const asked: string[] = [];
async function children(prefix: string): Promise<Children> {
  asked.push(prefix);
  const node = NAMESPACE[prefix];
  if (!node) {
    // pmproxy's answer for a name that is not there.
    throw new Error('child traversal failed - Unknown metric name');
  }
  return { name: prefix, ...node };
}

beforeEach(() => (asked.length = 0));

describe('metricPatterns', () => {
  it('splits the Metrics field on commas and spaces, once each', () => {
    expect(metricPatterns(' kernel.all.load, disk.dev.*  kernel.all.load\n')).toEqual([
      'kernel.all.load',
      'disk.dev.*',
    ]);
  });
});

describe('expandMetricPattern', () => {
  it('takes a leaf as itself, asking only its parent', async () => {
    expect(await expandMetricPattern('kernel.all.load', children)).toEqual(['kernel.all.load']);
    expect(asked).toEqual(['kernel.all']);
  });

  it('takes a non-leaf name as its whole subtree, as pminfo does', async () => {
    expect(await expandMetricPattern('pmcd', children)).toEqual([
      'pmcd.numagents',
      'pmcd.pid',
      'pmcd.pmlogger.host',
      'pmcd.pmlogger.port',
    ]);
  });

  it('expands a glob in the last part to the leaves it matches', async () => {
    expect(await expandMetricPattern('disk.dev.*', children)).toEqual([
      'disk.dev.read',
      'disk.dev.read_bytes',
      'disk.dev.write',
      'disk.dev.write_bytes',
    ]);
    expect(await expandMetricPattern('disk.dev.read*', children)).toEqual(['disk.dev.read', 'disk.dev.read_bytes']);
    expect(await expandMetricPattern('kernel.all.cpu.?ys', children)).toEqual(['kernel.all.cpu.sys']);
  });

  it('a glob that matches non-leaves takes their subtrees', async () => {
    expect(await expandMetricPattern('kernel.all.cpu.*', children)).toEqual([
      'kernel.all.cpu.idle',
      'kernel.all.cpu.irq.hard',
      'kernel.all.cpu.irq.soft',
      'kernel.all.cpu.sys',
      'kernel.all.cpu.user',
      'kernel.all.cpu.wait.total',
    ]);
  });

  it('goes down literal parts under a wildcard, skipping branches that lack them', async () => {
    expect(await expandMetricPattern('disk.*.read', children)).toEqual(['disk.all.read', 'disk.dev.read']);
  });

  it('finds nothing for a name the host does not have', async () => {
    expect(await expandMetricPattern('kernel.all.nosuch', children)).toEqual([]);
    expect(await expandMetricPattern('kernel.all.nosuch*', children)).toEqual([]);
  });

  it('refuses a pattern that matches more than MAX_METRICS', async () => {
    const wide = async (prefix: string): Promise<Children> => ({
      name: prefix,
      leaf: Array.from({ length: MAX_METRICS + 1 }, (_, i) => `m${i}`),
      nonleaf: [],
    });
    await expect(expandMetricPattern('big.*', wide)).rejects.toBeInstanceOf(TooManyMetricsError);
  });
});
