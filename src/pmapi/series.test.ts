import { scriptedTransport } from '../test/scriptedTransport';
import { classifyHttpError, isPmapiError } from './errors';
import { SeriesClient, seriesString } from './series';
// Raw answers of the real pmproxy 6.0.3 + redis-server 7.0 over archives pmlogger recorded on the
// stack (the file says how); the ids are the real ones.
import fixture from '../../tests/fixtures/series.json';

const reply = (r: { status: number; body: string }) => ({ status: r.status, body: r.body });
const TICKS = fixture.ticksSeries;
const BYCOMM = fixture.bycommSeries;

describe('SeriesClient', () => {
  it('finds series ids for an expression, and none for a host that is not recorded', async () => {
    const { transport, calls } = scriptedTransport([
      [/hostname%3D%3D%22db7%22/, reply(fixture.queryNoMatch)],
      ['/series/query', reply(fixture.query)],
    ]);
    const c = new SeriesClient(transport);
    expect(await c.query('bpftrace.scripts.bpflive_rec_fx_ticks.data.ticks')).toEqual([TICKS]);
    expect(await c.query(`bpftrace.scripts.bpflive_rec_fx_ticks.data.ticks{hostname==${seriesString('db7')}}`)).toEqual(
      []
    );
    expect(calls.map((x) => [x.method, x.params.expr])).toEqual([
      ['GET', 'bpftrace.scripts.bpflive_rec_fx_ticks.data.ticks'],
      ['GET', 'bpftrace.scripts.bpflive_rec_fx_ticks.data.ticks{hostname=="db7"}'],
    ]);
  });

  it('reads values in a window: epoch seconds out, integer epoch ms and text values back', async () => {
    const { transport, calls } = scriptedTransport([['/series/values', reply(fixture.valuesTicks)]]);
    const values = await new SeriesClient(transport).values([TICKS, TICKS], {
      startMs: 1796330620000,
      finishMs: 1796330625000,
    });
    expect(calls[0].params).toEqual({ series: TICKS, start: '1796330620.000', finish: '1796330625.000' });
    expect(values[0]).toEqual({ series: TICKS, instance: undefined, timestampMs: 1796330620007, value: '60' });
    expect(values.map((v) => Number(v.value))).toEqual([60, 70, 80, 90, 100]);
  });

  it('keeps the instance id of each sample of a metric with instances', async () => {
    const { transport } = scriptedTransport([['/series/values', reply(fixture.valuesBycomm)]]);
    const values = await new SeriesClient(transport).values([BYCOMM], { startMs: 0, finishMs: 1, samples: 1 });
    expect(values.length).toBeGreaterThan(5);
    expect(values.every((v) => v.series === BYCOMM && /^[0-9a-f]{40}$/.test(v.instance ?? ''))).toBe(true);
  });

  it('reads the samples of an expression by its ids, never by a windowed expression (it crashes pmproxy 6.0.3)', async () => {
    let now = 1796330620000;
    const { transport, calls } = scriptedTransport([
      ['/series/query', reply(fixture.query)],
      ['/series/values', reply(fixture.valuesTicks)],
    ]);
    const c = new SeriesClient(transport, { now: () => now });
    const window = { startMs: 1796330620000, finishMs: 1796330625500, intervalSec: 5 };
    const values = await c.samplesMatching('bpftrace.scripts.bpflive_rec_fx_ticks.data.ticks', window);
    expect(values).toHaveLength(5);
    expect(calls.map((x) => [x.path, x.params.expr ?? x.params.series])).toEqual([
      ['/series/query', 'bpftrace.scripts.bpflive_rec_fx_ticks.data.ticks'],
      ['/series/values', TICKS],
    ]);
    expect(calls[1].params).toMatchObject({ start: '1796330620.000', finish: '1796330625.500', interval: '5' });
    expect(calls.every((x) => !/\[/.test(x.params.expr ?? ''))).toBe(true);
    // The ids are kept a minute: a refresh sends only /series/values, and after it asks again.
    await c.samplesMatching('bpftrace.scripts.bpflive_rec_fx_ticks.data.ticks', window);
    expect(calls.map((x) => x.path).slice(2)).toEqual(['/series/values']);
    now += 61_000;
    await c.samplesMatching('bpftrace.scripts.bpflive_rec_fx_ticks.data.ticks', window);
    expect(calls.map((x) => x.path).slice(3)).toEqual(['/series/query', '/series/values']);
  });

  it('reads labels, descs, instances and metric names by id', async () => {
    const { transport } = scriptedTransport([
      [/labels\?series=87c8/, reply(fixture.labelsTicks)],
      [/labels\?series=5950/, reply(fixture.labelsBycommInstances)],
      [/labels\?series=3212/, reply(fixture.labelsBycommMetric)],
      [/labels\?names=/, reply(fixture.labelValues)],
      ['/series/descs', reply(fixture.descs)],
      ['/series/instances', reply(fixture.instances)],
      ['/series/metrics', reply(fixture.metrics)],
    ]);
    const c = new SeriesClient(transport);
    expect((await c.labels([TICKS])).get(TICKS)).toEqual({ agent: 'bpftrace', hostname: 'vm' });
    // A metric with instances has its labels on the instance ids, none on its own.
    expect((await c.labels([BYCOMM])).size).toBe(0);
    const instances = await c.instances([BYCOMM]);
    expect(instances.find((i) => i.name === 'awk')).toMatchObject({ series: BYCOMM, id: 0 });
    const byInstance = await c.labels(['595065c0c592d6c899ecee825032c5a3705c541b']);
    expect([...byInstance.values()][0].hostname).toBe('vm');
    expect(await c.labelValues(['hostname', 'agent'])).toEqual({ hostname: ['vm'], agent: ['bpftrace'] });
    const descs = await c.descs([TICKS, BYCOMM]);
    expect(descs.get(TICKS)).toMatchObject({ semantics: 'counter', type: 'u64', indom: 'none' });
    expect(descs.get(BYCOMM)?.indom).not.toBe('none');
    expect((await c.metricNames([TICKS, BYCOMM])).get(TICKS)).toBe('bpftrace.scripts.bpflive_rec_fx_ticks.data.ticks');
  });

  it('splits long id lists to stay under pmproxy URL limit', async () => {
    const { transport, calls } = scriptedTransport([['/series/labels', { status: 200, body: '[]' }]]);
    const ids = Array.from({ length: 400 }, (_, i) => i.toString(16).padStart(40, '0'));
    await new SeriesClient(transport).labels(ids);
    expect(calls.length).toBeGreaterThan(1);
    expect(calls.flatMap((x) => x.params.series.split(','))).toEqual(ids);
    expect(Math.max(...calls.map((x) => x.params.series.length))).toBeLessThan(6000);
  });

  it('sorts pmproxy errors: a bad expression or id is bad input with its message', async () => {
    const { transport } = scriptedTransport([
      ['/series/query', reply(fixture.querySyntaxError)],
      ['/series/values', reply(fixture.valuesBadSid)],
    ]);
    const c = new SeriesClient(transport);
    await expect(c.query('(((')).rejects.toMatchObject({ kind: 'badInput', message: /cannot parse given string/ });
    await expect(c.values(['abc'], { startMs: 0, finishMs: 1 })).rejects.toMatchObject({
      kind: 'badInput',
      message: /Invalid SID/,
    });
  });

  it('calls the store unavailable when pmproxy does not answer (no Redis), and then fails at once for a while', async () => {
    let now = 1000;
    let sent = 0;
    const hang = () => {
      sent++;
      return new Promise<string>(() => undefined);
    };
    const c = new SeriesClient(hang, { timeoutMs: 20, holdMs: 5000, now: () => now });
    const first = await c.query('kernel.all.load').catch((e) => e);
    expect(isPmapiError(first, 'seriesUnavailable')).toBe(true);
    expect(first.message).toMatch(/Redis|Valkey/);
    await expect(c.labelValues(['hostname'])).rejects.toBe(first);
    expect(sent).toBe(1);
    now += 5001;
    await expect(c.query('kernel.all.load')).rejects.toMatchObject({ kind: 'seriesUnavailable' });
    expect(sent).toBe(2);
  });

  it('calls the store unavailable when pmproxy answers that its key server replied nothing (Redis stopped)', async () => {
    // The first request after the stack's redis-server stopped got this answer (its status was not
    // kept: pmproxy sends its series errors as 400); the ones after it got no answer at all.
    let sent = 0;
    const c = new SeriesClient(
      async () => {
        sent++;
        throw classifyHttpError(400, '{"message":"expected array from string map HVALS (reply=none)","success":false}');
      },
      { holdMs: 5000, now: () => 1000 }
    );
    await expect(c.query('kernel.all.load')).rejects.toMatchObject({
      kind: 'seriesUnavailable',
      message: /lost its key server \(Redis\/Valkey\): "expected array from string map HVALS \(reply=none\)"/,
    });
    await expect(c.query('kernel.all.load')).rejects.toMatchObject({ kind: 'seriesUnavailable' });
    expect(sent).toBe(1);
  });

  it('refuses a label value the pmseries parser cannot hold, instead of querying something else', () => {
    expect(seriesString('db-7.example')).toBe('"db-7.example"');
    expect(() => seriesString('a"b')).toThrow(/cannot be used/);
    expect(() => seriesString('a\\b')).toThrow(/cannot be used/);
  });
});
