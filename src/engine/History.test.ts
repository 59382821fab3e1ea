import fixture from '../../tests/fixtures/series.json';
import { PmapiError } from '../pmapi/errors';
import { HistoryLoader, HistorySeriesSample, MAX_HISTORY_POINTS, SeriesReader } from './History';
import type { VariableInfo } from './ScriptLease';

// Answers recorded from pmproxy 6.0.3's series API on the real stack (tests/fixtures/series.json):
// a recorded `@ticks = count()` (no instances) and `@bycomm[comm] = count()` (instances by name).

/** As pmapi/series.ts reads a /series answer: timestamps in ms, values as text. */
function samplesOf(body: string): HistorySeriesSample[] {
  return (JSON.parse(body) as Array<{ series: string; instance?: string; timestamp: number; value: string }>).map(
    (s) => ({ series: s.series, instance: s.instance, timestampMs: Math.round(s.timestamp), value: s.value })
  );
}

const ticks = samplesOf(fixture.valuesTicks.body);
const bycomm = samplesOf(fixture.valuesBycomm.body);
const instances = JSON.parse(fixture.instances.body) as Array<{ series: string; instance: string; name: string }>;

/** The store of the fixture: a metric name's series id is the name, its samples the recorded ones. */
function reader(answers: Record<string, HistorySeriesSample[]>) {
  const asked: string[] = [];
  const series: SeriesReader = {
    samplesMatching: async (expr) => {
      asked.push(expr);
      return answers[expr.replace(/\{.*$/, '')] ?? [];
    },
    instances: async () => instances,
  };
  return { series, asked };
}

const variable = (name: string, metric: string): VariableInfo => ({
  name,
  metric,
  counter: true,
  metrictype: null,
  text: false,
});
const TICKS = variable('@ticks', 'bpftrace.scripts.bpflive_rec_fx_ticks.data.ticks');
const BYCOMM = variable('@bycomm', 'bpftrace.scripts.bpflive_rec_itest_20086.data.bycomm');

describe('HistoryLoader', () => {
  it("reads each map's samples of this pmcd's host, moved onto the browser's clock, with the recording's interval", async () => {
    const { series, asked } = reader({ [TICKS.metric]: ticks });
    const loader = new HistoryLoader(
      series,
      async () => 'vm',
      () => 250
    );
    const h = await loader.load({ scriptName: 'bpflive_rec_fx_ticks', variables: [TICKS], from: 0, to: 1 });
    expect(asked).toEqual([`${TICKS.metric}{hostname=="vm"}`]);
    const rows = h.samples.get('@ticks')!;
    expect(rows.map((r) => r.values.get(''))).toEqual([60, 70, 80, 90, 100]);
    expect(rows[0].t).toBe(Math.round(1796330620006.647) + 250);
    // pmlogger's 1 s, as its samples are spaced.
    expect(Math.abs(h.intervalMs - 1000)).toBeLessThan(10);
  });

  it('names a keyed map’s instances by their map keys, one row per sample time', async () => {
    const { series } = reader({ [BYCOMM.metric]: bycomm });
    const loader = new HistoryLoader(
      series,
      async () => undefined,
      () => 0
    );
    const h = await loader.load({ scriptName: 'bpflive_rec_itest_20086', variables: [BYCOMM], from: 0, to: 1 });
    const rows = h.samples.get('@bycomm')!;
    expect(rows).toHaveLength(1);
    const named = new Map(instances.map((i) => [i.instance, i.name]));
    const first = bycomm[0];
    expect(rows[0].values.get(named.get(first.instance!)!)).toBe(Number(first.value));
    expect(rows[0].values.size).toBe(new Set(bycomm.map((s) => s.instance)).size);
  });

  it('reads a range wholly in the past once; a range that ends now each time it is asked', async () => {
    const { series, asked } = reader({ [TICKS.metric]: ticks });
    const now = 10_000_000;
    const loader = new HistoryLoader(
      series,
      async () => 'vm',
      () => 0,
      () => now
    );
    const past = { scriptName: 'x', variables: [TICKS], from: now - 3_600_000, to: now - 1_800_000 };
    await loader.load(past);
    await loader.load({ ...past });
    expect(asked).toHaveLength(1);
    await loader.load({ ...past, to: now });
    await loader.load({ ...past, to: now });
    expect(asked).toHaveLength(3);
  });

  it('a range longer than MAX_HISTORY_POINTS seconds is read at a coarser spacing; a short one at every sample', async () => {
    const windows: Array<{ intervalSec?: number }> = [];
    const series: SeriesReader = {
      samplesMatching: async (_expr, window) => {
        windows.push(window);
        return ticks;
      },
      instances: async () => [],
    };
    const loader = new HistoryLoader(
      series,
      async () => 'vm',
      () => 0,
      () => 10_000_000_000
    );
    await loader.load({ scriptName: 'x', variables: [TICKS], from: 0, to: 86_400_000 });
    await loader.load({ scriptName: 'x', variables: [TICKS], from: 0, to: 1_800_000 });
    expect(windows.map((w) => w.intervalSec)).toEqual([Math.ceil(86_400 / MAX_HISTORY_POINTS), undefined]);
  });

  it('a store that does not answer fails the read, and the next asks again', async () => {
    let down = true;
    const series: SeriesReader = {
      samplesMatching: async () => {
        if (down) {
          throw new Error("pmproxy's series API did not answer in 5 s");
        }
        return ticks;
      },
      instances: async () => [],
    };
    const loader = new HistoryLoader(
      series,
      async () => 'vm',
      () => 0,
      () => 10_000_000
    );
    const request = { scriptName: 'x', variables: [TICKS], from: 0, to: 1000 };
    await expect(loader.load(request)).rejects.toThrow(/did not answer/);
    down = false;
    expect((await loader.load(request)).samples.get('@ticks')).toHaveLength(5);
  });

  it('a read whose answer was not waited for (the page was asleep) is read again at once, with no failure', async () => {
    let asked = 0;
    const series: SeriesReader = {
      samplesMatching: async () => {
        if (asked++ === 0) {
          throw new PmapiError('interrupted', 'this page was asleep for 120 s');
        }
        return ticks;
      },
      instances: async () => [],
    };
    const loader = new HistoryLoader(
      series,
      async () => 'vm',
      () => 0
    );
    const h = await loader.load({ scriptName: 'x', variables: [TICKS], from: 0, to: 1000 });
    expect(h.samples.get('@ticks')).toHaveLength(5);
    expect(asked).toBe(2);
  });
});
