import { exampleFleet as fleet, fakeSeriesStore, FLEET_T0 as T0 } from '../test/fakeSeriesStore';
import { bareHost, expressions, SeriesCluster } from './SeriesCluster';

function setup(f = fleet(), pmcd: Record<string, string> = {}) {
  const store = fakeSeriesStore(f);
  const asked: string[] = [];
  // The clock just after the fleet's last sample: a missing host's newest sample is looked for back from it.
  const cluster = new SeriesCluster(
    store.client,
    async (spec) => {
      asked.push(spec);
      return pmcd[spec];
    },
    () => f.toMs + 60_000
  );
  return { store, cluster, asked };
}

const range = { from: T0 + 60_000, to: T0 + 600_000 };

describe('SeriesCluster', () => {
  it('reads every host with ONE ids query per pattern, then only their values once the ids are known', async () => {
    const { store, cluster } = setup(fleet({ toMs: T0 + 900_000 }));
    const spec = { metrics: 'kernel.all.sysfork kernel.all.load', hosts: ['db1', 'db2', 'db4'], ...range };
    const first = await cluster.read(spec);
    expect(first.hosts.map((h) => h.hostname)).toEqual(['db1', 'db2', 'db4']);
    expect(first.hosts[0].metrics.map((m) => m.name)).toEqual(['kernel.all.load', 'kernel.all.sysfork']);
    const expr = new URLSearchParams(store.calls.find((c) => c.path === '/series/query')!.query).get('expr');
    // No window in the expression: pmproxy 6.0.3 segfaults on a windowed one over an error record.
    expect(expr).toBe(`kernel.all.sysfork{hostname=="db1" || hostname=="db2" || hostname=="db4"}`);
    const values = new URLSearchParams(store.calls.find((c) => c.path === '/series/values')!.query);
    expect([values.get('start'), values.get('finish')]).toEqual([
      (range.from / 1000).toFixed(3),
      (range.to / 1000).toFixed(3),
    ]);
    store.calls.length = 0;
    await cluster.read({ ...spec, from: range.from + 60_000, to: range.to + 60_000 });
    expect(store.calls.map((c) => c.path)).toEqual(['/series/values', '/series/values']);
  });

  it('a refresh whose range moved on asks only for what is new, and appends it without doubling', async () => {
    const { store, cluster } = setup(fleet({ toMs: T0 + 900_000 }));
    const spec = { metrics: 'kernel.all.sysfork', hosts: ['db1'], ...range };
    const first = await cluster.read(spec);
    const buffer = first.hosts[0].metrics[0].buffer;
    const before = buffer.length;
    const newest = buffer.times[before - 1];
    store.calls.length = 0;
    const moved = await cluster.read({ ...spec, from: range.from + 60_000, to: range.to + 60_000 });
    const values = store.calls.find((c) => c.path === '/series/values')!;
    expect(Number(new URLSearchParams(values.query).get('start')) * 1000).toBeCloseTo(newest + 1, 0);
    const after = moved.hosts[0].metrics[0].buffer;
    expect(after).toBe(buffer);
    // Six new samples (every 10 s), none twice; the counter's rate goes on across the seam.
    expect(after.length).toBe(before + 6);
    const times = after.times.slice(0, after.length);
    expect(new Set(times).size).toBe(times.length);
    const rates = after.column('', 'rate')!.slice(before - 1, after.length) as number[];
    expect(rates.every((r) => Math.abs(r - 100) < 0.1)).toBe(true);
    // The same refresh again (nothing new yet) asks for nothing older.
    await cluster.read({ ...spec, from: range.from + 60_000, to: range.to + 60_000 });
    expect(after.length).toBe(before + 6);
  });

  it('a host whose samples arrive late (pmlogger writes in blocks) gets them all, none skipped', async () => {
    const f = fleet({ toMs: T0 + 900_000, lastMs: { db2: range.to - 50_000 } });
    const { cluster } = setup(f);
    const spec = { metrics: 'kernel.all.sysfork', hosts: ['db1', 'db2'], ...range };
    await cluster.read(spec);
    f.lastMs = {}; // db2's last 50 s arrive now
    const moved = await cluster.read({ ...spec, from: range.from + 60_000, to: range.to + 60_000 });
    const db2 = moved.hosts.find((h) => h.hostname === 'db2')!.metrics[0].buffer;
    const times = db2.times.slice(0, db2.length);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    expect(Math.max(...gaps)).toBeLessThan(11_000);
    expect(times[times.length - 1]).toBeGreaterThanOrEqual(range.to + 60_000 - 10_000);
  });

  it('a wanted host with nothing yet keeps the last two minutes in the request', async () => {
    const f = fleet({ toMs: T0 + 900_000, lastMs: { db2: range.from - 1 } });
    const { cluster } = setup(f);
    const spec = { metrics: 'kernel.all.sysfork', hosts: ['db1', 'db2'], ...range };
    expect((await cluster.read(spec)).hosts.map((h) => h.hostname)).toEqual(['db1']);
    f.lastMs = {}; // db2's samples arrive late
    const moved = await cluster.read({ ...spec, from: range.from + 60_000, to: range.to + 60_000 });
    const db2 = moved.hosts.find((h) => h.hostname === 'db2')!.metrics[0].buffer;
    expect(db2.length).toBeGreaterThanOrEqual(12);
  });

  it('another range reads afresh', async () => {
    const { store, cluster } = setup();
    await cluster.read({ metrics: 'kernel.all.sysfork', hosts: ['db1'], ...range });
    store.calls.length = 0;
    await cluster.read({ metrics: 'kernel.all.sysfork', hosts: ['db1'], from: range.from - 60_000, to: range.to });
    const values = store.calls.find((c) => c.path === '/series/values')!;
    expect(new URLSearchParams(values.query).get('start')).toBe(((range.from - 60_000) / 1000).toFixed(3));
  });

  it('tells which host has no series, and since when, and still draws the others', async () => {
    const { cluster } = setup(fleet({ lastMs: { db3: T0 + 30_000 } }));
    const read = await cluster.read({ metrics: 'kernel.all.sysfork', hosts: ['db1', 'db3', 'db7'], ...range });
    expect(read.hosts.map((h) => h.host)).toEqual(['db1']);
    expect(read.notices).toEqual([
      expect.stringMatching(
        /^No series of kernel.all.sysfork for host db3 in this range: its last sample is from .* \(gone since/
      ),
      expect.stringMatching(
        /^No series of kernel.all.sysfork for host db7 in the series store: pmlogger does not record it/
      ),
    ]);
  });

  it('matches hostspecs to recorded host names, asking pmcd only for those the store does not know', async () => {
    const { cluster, asked } = setup(fleet(), { 'localhost:44331': 'db2' });
    const read = await cluster.read({
      metrics: 'kernel.all.sysfork',
      hosts: ['pcp://db1:44321', 'localhost:44331', 'db3.example.com'],
      ...range,
    });
    expect(read.hosts.map((h) => [h.host, h.hostname])).toEqual([
      ['pcp://db1:44321', 'db1'],
      ['localhost:44331', 'db2'],
      ['db3.example.com', 'db3'],
    ]);
    expect(asked).toEqual(['localhost:44331']);
    await cluster.read({ metrics: 'kernel.all.sysfork', hosts: ['localhost:44331'], ...range });
    expect(asked).toHaveLength(1);
  });

  it('sends no host filter when the query names every host the store records', async () => {
    const { cluster, store } = setup();
    const read = await cluster.read({ metrics: 'kernel.all.sysfork', hosts: ['db4', 'db3', 'db2', 'db1'], ...range });
    expect(read.hosts.map((h) => h.host)).toEqual(['db4', 'db3', 'db2', 'db1']);
    const exprs = store.calls
      .filter((c) => c.path === '/series/query')
      .map((c) => new URLSearchParams(c.query).get('expr'));
    expect(exprs).toHaveLength(1);
    expect(exprs[0]).not.toContain('hostname');
  });

  it('reads all hosts of the store when the query names none', async () => {
    const { cluster, store } = setup();
    const read = await cluster.read({ metrics: 'kernel.all.sysfork', ...range });
    expect(read.hosts).toHaveLength(4);
    const exprs = store.calls
      .filter((c) => c.path === '/series/query')
      .map((c) => new URLSearchParams(c.query).get('expr'));
    expect(exprs[0]).not.toContain('hostname');
  });

  it('refuses a metric pattern that is not a name or glob', async () => {
    const { cluster } = setup();
    await expect(cluster.read({ metrics: 'kernel.all.load}{x', ...range })).rejects.toMatchObject({ kind: 'badInput' });
    await expect(cluster.read({ metrics: 'kernel.all.load', instances: '/(/', ...range })).rejects.toMatchObject({
      kind: 'badInput',
    });
  });
});

describe('expressions and host names', () => {
  it('splits many hosts over several expressions under the URL budget', () => {
    const hosts = Array.from({ length: 1000 }, (_, i) => `host-${i}.example.com`);
    const exprs = expressions('kernel.all.load', hosts);
    expect(exprs.length).toBeGreaterThan(1);
    expect(Math.max(...exprs.map((e) => encodeURIComponent(e).length))).toBeLessThan(6000);
    expect(exprs.flatMap((e) => [...e.matchAll(/hostname=="([^"]+)"/g)].map((m) => m[1]))).toEqual(hosts);
    expect(expressions('x', [])).toEqual([]);
  });

  it('takes the host part of a hostspec', () => {
    expect(['pcp://db1:44321', 'localhost:44331', 'db2', 'pcps://h.example/?x=1'].map(bareHost)).toEqual([
      'db1',
      'localhost',
      'db2',
      'h.example',
    ]);
  });
});
