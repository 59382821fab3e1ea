import { FieldType } from '@grafana/data';
import { SeriesCluster } from '../engine/SeriesCluster';
import { exampleFleet as fleet, fakeSeriesStore, FLEET_T0 as T0 } from '../test/fakeSeriesStore';
import { BpftraceQuery, QUERY_TYPE_METRIC } from '../types';
import { clusterResponse, OUTLIER_COLOR } from './clusterResponse';

// The store is the fake of src/test/fakeSeriesStore.ts, whose answers have the shape of the real
// pmproxy 6.0.3 answers in tests/fixtures/series.json.

function setup(f = fleet(), pmcd: Record<string, string> = {}) {
  const store = fakeSeriesStore(f);
  const asked: string[] = [];
  const cluster = new SeriesCluster(store.client, async (spec) => {
    asked.push(spec);
    return pmcd[spec];
  });
  return { store, cluster, asked };
}

const range = { from: T0 + 60_000, to: T0 + 600_000 };

const query = (over: Partial<BpftraceQuery> = {}): BpftraceQuery => ({
  refId: 'A',
  code: '',
  queryType: QUERY_TYPE_METRIC,
  metrics: 'kernel.all.sysfork',
  metricSource: 'series',
  ...over,
});

describe('clusterResponse', () => {
  it('draws counters as the live path does: per-second rates from the same buffer', async () => {
    const { cluster } = setup();
    const read = await cluster.read({ metrics: 'kernel.all.sysfork', hosts: ['db1', 'db4'], ...range });
    const response = clusterResponse(query(), read, range, true);
    const frames = response.data;
    expect(frames.map((f) => f.name)).toEqual(['db1: kernel.all.sysfork', 'db4: kernel.all.sysfork']);
    const rates = frames.map((f) => f.fields[1].values.slice(1));
    // (pmlogger's record times wander by a ms: rates within 0.1%.)
    expect(rates[0].every((v: number) => Math.abs(v - 100) < 0.1)).toBe(true);
    expect(rates[1].every((v: number) => Math.abs(v - 1000) < 1)).toBe(true);
    expect(frames[0].fields[1].labels).toEqual({ metric: 'kernel.all.sysfork', host: 'db1' });
    expect(frames[0].fields[0].type).toBe(FieldType.time);
  });

  it('names instances like the live path and keeps the instance filter', async () => {
    const { cluster } = setup();
    const read = await cluster.read({ metrics: 'kernel.all.load', instances: '1*', hosts: ['db2'], ...range });
    const frame = clusterResponse(query({ metrics: 'kernel.all.load' }), read, range, false).data[0];
    expect(frame.fields.map((f: { name: string }) => f.name)).toEqual(['Time', expect.stringContaining('1 minute')]);
    expect(frame.fields[1].values[0]).toBe(1.2);
  });

  it("puts the read's notices on the first frame, and the other hosts still draw", async () => {
    const { cluster } = setup(fleet({ lastMs: { db3: T0 + 30_000 } }));
    const read = await cluster.read({ metrics: 'kernel.all.sysfork', hosts: ['db1', 'db3'], ...range });
    const response = clusterResponse(query(), read, range, true);
    expect(response.data).toHaveLength(1);
    expect(response.data[0].meta.notices.map((n: { text: string }) => n.text)).toEqual(read.notices);
  });

  it('never answers an empty panel silently', () => {
    const response = clusterResponse(query(), { hosts: [], notices: [] }, range, true);
    expect(response.data[0].meta.notices[0].text).toMatch(/no samples/);
  });

  it('flags outlier hosts in time series, and lists them in a table sorted by |z|', async () => {
    const hosts = ['db1', 'db2', 'db3', 'db4', 'db5'];
    const { cluster } = setup(fleet({ hosts }));
    const read = await cluster.read({ metrics: 'kernel.all.sysfork', hosts, ...range });
    const series = clusterResponse(query({ outliers: true }), read, range, true);
    const db4 = series.data.find((f: { name: string }) => f.name.startsWith('db4'));
    expect(db4.fields[1].config.displayNameFromDS).toMatch(/\(outlier\)$/);
    expect(db4.fields[1].config.color).toEqual({ mode: 'fixed', fixedColor: OUTLIER_COLOR });
    const db1 = series.data.find((f: { name: string }) => f.name.startsWith('db1'));
    expect(db1.fields[1].config.color).toBeUndefined();
    expect(series.data[0].meta.notices.at(-1).text).toMatch(
      /^Outside their peers' mean ± 2σ: db4 kernel.all.sysfork \(z [0-9.+∞]+\)\.$/
    );

    const table = clusterResponse(query({ outliers: true, format: 'table' }), read, range, true).data[0];
    expect(table.fields.map((f: { name: string }) => f.name)).toEqual([
      'Host',
      'Series',
      'Mean',
      "Peers' mean",
      'σ',
      'z',
      'Outlier',
    ]);
    expect(table.fields[0].values[0]).toBe('db4');
    expect(table.fields[2].values[0]).toBeCloseTo(1000, 0);
    expect(table.fields[3].values[0]).toBeCloseTo(100, 0);
    expect(table.fields[6].values).toEqual([true, false, false, false, false]);
  });
});
