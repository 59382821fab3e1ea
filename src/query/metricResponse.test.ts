import { FieldType } from '@grafana/data';
import { MetricWatch } from '../engine/MetricWatch';
import { BpftraceQuery, QUERY_TYPE_METRIC } from '../types';
import { metricResponse } from './metricResponse';

// pmapi's shapes, through the engine (query/ reads pmapi only through it).
type MetricMetadata = Parameters<MetricWatch['resolved']>[0][number];
type Sample = Parameters<MetricWatch['observe']>[0];
type MetricValues = Sample['values'] extends ReadonlyMap<string, infer V> ? V : never;

// Descriptors as /pmapi/metric gave them on the CI stack (pmproxy 6.0.3).
const DESCRIPTORS: MetricMetadata[] = [
  { name: 'disk.dev.read_bytes', pmid: '60.0.38', indom: '60.1', type: 'u64', sem: 'counter', units: 'Kbyte' },
  { name: 'kernel.all.load', pmid: '60.2.0', indom: '60.2', type: 'float', sem: 'instant', units: 'none' },
  { name: 'pmcd.pmlogger.port', pmid: '2.4.2', indom: '2.1', type: 'u32', sem: 'discrete', units: 'none' },
];

function watchWith(instances?: string) {
  const watch = new MetricWatch(
    { metrics: 'disk.dev.read_bytes kernel.all.load pmcd.pmlogger.port', instances },
    600_000
  );
  watch.resolved(DESCRIPTORS, []);
  const names: Record<string, string[]> = {
    'disk.dev.read_bytes': ['sda', 'nvme0n1'],
    'kernel.all.load': ['1 minute', '5 minute', '15 minute'],
    'pmcd.pmlogger.port': ['primary'],
  };
  for (let s = 0; s < 3; s++) {
    const values = new Map<string, MetricValues>(
      DESCRIPTORS.map((d) => [
        d.name,
        {
          pmid: d.pmid,
          name: d.name,
          // read_bytes grows by 2048 KiB a second on sda, 0 on nvme0n1; the others stay.
          instances: names[d.name].map((_, i) => ({
            instance: i,
            value: d.sem === 'counter' ? (i === 0 ? 2048 * s : 7) : 4330 + i,
          })),
        },
      ])
    );
    watch.observe({ t: 1000 * s, values, keysOf: (metric) => ({ keys: names[metric], complete: true }) });
  }
  return watch;
}

const query = (extra: Partial<BpftraceQuery> = {}): BpftraceQuery => ({
  refId: 'A',
  code: '',
  queryType: QUERY_TYPE_METRIC,
  metrics: 'disk.dev.read_bytes kernel.all.load pmcd.pmlogger.port',
  ...extra,
});

const field = (r: ReturnType<typeof metricResponse>, frame: number, i: number) => r.data[frame].fields[i];

describe('metricResponse', () => {
  it('draws a counter as its per-second rate in the unit PCP gives it, instants and discretes as values', () => {
    const r = metricResponse(query(), watchWith(), {});
    expect(r.data.map((f) => f.name)).toEqual(['disk.dev.read_bytes', 'kernel.all.load', 'pmcd.pmlogger.port']);
    const sda = field(r, 0, 1);
    expect(sda.type).toBe(FieldType.number);
    expect(sda.values.slice(-2)).toEqual([2048, 2048]);
    // Kbyte counter → KiB per second.
    expect(sda.config.unit).toBe('KiBs');
    const load = field(r, 1, 3);
    expect(load.values).toEqual([4332, 4332, 4332]);
    expect(load.config.unit).toBeUndefined();
    expect(field(r, 2, 1).values).toEqual([4330, 4330, 4330]);
  });

  it('shows a counter as counts when rates are off', () => {
    const r = metricResponse(query({ rate: false }), watchWith(), {});
    expect(field(r, 0, 1).values).toEqual([0, 2048, 4096]);
    expect(field(r, 0, 1).config.unit).toBe('kbytes');
  });

  it('names series metric[instance] by default, and by $metric and $instance in a legend', () => {
    const plain = metricResponse(query(), watchWith(), {});
    expect(
      plain.data[1].fields.slice(1).map((f: { config: { displayNameFromDS?: string } }) => f.config.displayNameFromDS)
    ).toEqual(['kernel.all.load[1 minute]', 'kernel.all.load[5 minute]', 'kernel.all.load[15 minute]']);
    const legend = metricResponse(query({ legendFormat: '$instance ($metric)' }), watchWith(), {});
    expect(legend.data[0].fields[1].config.displayNameFromDS).toBe('sda (disk.dev.read_bytes)');
  });

  it('keeps the instances the filter names (globs by |, or a /regex/)', () => {
    expect(metricResponse(query(), watchWith('sd*|15*'), {}).data.map((f) => f.fields.length - 1)).toEqual([1, 1, 0]);
    expect(watchWith('/^nvme/').metrics[0].buffer.keys()).toEqual(['nvme0n1']);
  });

  it('a filter that is no regular expression is an error on the query', () => {
    const watch = new MetricWatch({ metrics: 'kernel.all.load', instances: '/(/' }, 600_000);
    const r = metricResponse(query(), watch, {});
    expect(r.errors?.[0].message).toMatch(/instance filter \/\(\/ is not a valid regular expression/);
  });

  it('tells the editor what PCP says of each metric', () => {
    const r = metricResponse(query(), watchWith(), {});
    expect(r.data[0].meta?.custom?.pcp.metrics.map((m: { sem: string }) => m.sem)).toEqual([
      'counter',
      'instant',
      'discrete',
    ]);
  });

  it('a metric gone from the host (looked up again, not there) keeps its history, is not fetched, and is said', () => {
    const watch = watchWith();
    watch.resolved(DESCRIPTORS.slice(1), []);
    expect(watch.metricNames()).toEqual(['kernel.all.load', 'pmcd.pmlogger.port']);
    const r = metricResponse(query(), watch, {});
    expect(r.data.find((f) => f.name === 'disk.dev.read_bytes')?.length).toBe(3);
    expect(watch.notices).toEqual([
      'disk.dev.read_bytes is gone from the host (what served it stopped, e.g. an MMV process that exited); its history stays.',
    ]);
  });
});
