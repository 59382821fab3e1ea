import { rawValueAt } from '../buffers/rawStore';
import { WideSeriesBuffer } from '../buffers/WideSeriesBuffer';
import type { HistorySample, ScriptHistory } from '../engine/History';
import type { VariableInfo } from '../engine/ScriptLease';
import { gapNotice, StitchedHistory } from './history';

// The stitching rule of docs/history.md on counters as the PMDA and pmlogger give them: a count
// that grows by 10 a second (the fixture `@ticks = count()` of tests/fixtures/series.json), history
// sampled by pmlogger at :00.006, the live poll at :00.300.

const T0 = 1_796_330_620_006;
const TICKS: VariableInfo = { name: '@ticks', metric: 'm', counter: true, metrictype: null, text: false };

/** pmlogger's samples at T0 + i s for each i, value 10 × i. */
function recorded(seconds: number[]): ScriptHistory {
  const samples: HistorySample[] = seconds.map((i) => ({ t: T0 + i * 1000, values: new Map([['', 10 * i]]) }));
  return { samples: new Map([['@ticks', samples]]), intervalMs: 1000 };
}

/** The live buffer: polls at T0 + i s + 294 ms for each i. */
function live(seconds: number[]): WideSeriesBuffer {
  const b = new WideSeriesBuffer({ retentionMs: 600_000, counter: true });
  for (const i of seconds) {
    b.append(T0 + i * 1000 + 294, new Map([['', 10 * i + 3]]));
  }
  return b;
}

const range = (from: number, to = Infinity) => ({ from, to, pollIntervalMs: 1000, retentionMs: 600_000 });
const seconds = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

describe('StitchedHistory', () => {
  it('history then live: no point twice, no gap at the seam, the first live rate from the last history sample', () => {
    const buffer = live(seconds(20, 25));
    const stitched = new StitchedHistory(recorded(seconds(0, 21)), range(T0));
    const merged = stitched.buffers([TICKS], new Map([['@ticks', buffer]])).get('@ticks')!;
    const times = merged.times;
    // 0..19 from history (pmlogger's sample at 20 is the print the first live tick read), 20..24 live.
    expect(times).toHaveLength(25);
    expect(times.slice(0, 20)).toEqual(seconds(0, 20).map((i) => T0 + i * 1000));
    expect(times.slice(20)).toEqual(buffer.times);
    expect(new Set(times).size).toBe(times.length);
    const rates = merged.column('', 'rate')!;
    expect(rates[0]).toBeNull();
    // The seam: (203 − 190) / 1.294 s, not a gap.
    expect(rates[20]).toBeCloseTo(13 / 1.294, 6);
    expect(rates.slice(1).every((r) => r !== null)).toBe(true);
    expect(stitched.gaps).toEqual([]);
    expect(stitched.firstSample).toBe(T0);
  });

  it('an archive gap (pmlogger paused) is a null row and a notice; the rate after it is a gap, not an average', () => {
    const stitched = new StitchedHistory(recorded([...seconds(0, 5), ...seconds(12, 20)]), range(T0));
    const merged = stitched.buffers([TICKS], new Map([['@ticks', live(seconds(20, 22))]])).get('@ticks')!;
    const rates = merged.column('', 'rate')!;
    const gapRow = merged.times.findIndex((t) => t === T0 + 5000);
    expect(gapRow).toBe(5);
    expect(merged.column('', 'raw')![gapRow]).toBeNull();
    expect(rates[gapRow + 1]).toBeNull(); // the first sample after the gap
    expect(stitched.gaps).toEqual([{ from: T0 + 4000, to: T0 + 12_000 }]);
    expect(gapNotice(stitched.gaps)).toMatch(/^Not recorded between \d\d:\d\d:\d\d and \d\d:\d\d:\d\d/);
  });

  it('history that ends long before the live data: a gap at the seam, the first live rate a gap', () => {
    const stitched = new StitchedHistory(recorded(seconds(0, 10)), range(T0));
    const merged = stitched.buffers([TICKS], new Map([['@ticks', live(seconds(20, 23))]])).get('@ticks')!;
    const firstLive = merged.times.indexOf(T0 + 20_294);
    expect(merged.column('', 'raw')![firstLive - 1]).toBeNull();
    expect(merged.column('', 'rate')![firstLive]).toBeNull();
    expect(stitched.gaps).toEqual([{ from: T0 + 9000, to: T0 + 20_294 }]);
  });

  it('a seam within the series store’s lag (its last seconds not loaded yet when read) is joined, not a gap', () => {
    const stitched = new StitchedHistory(recorded(seconds(0, 17)), { ...range(T0), loadedAt: T0 + 20_000 });
    const merged = stitched.buffers([TICKS], new Map([['@ticks', live(seconds(20, 23))]])).get('@ticks')!;
    const firstLive = merged.times.indexOf(T0 + 20_294);
    expect(merged.times[firstLive - 1]).toBe(T0 + 16_000);
    // (203 − 160) / 4.294 s: the average over the longer step, exact for a counter.
    expect(merged.column('', 'rate')![firstLive]).toBeCloseTo(43 / 4.294, 6);
    expect(stitched.gaps).toEqual([]);
    expect(stitched.seamAwaitsStore).toBe(true);
  });

  it('a seam the history reaches does not wait for the store', () => {
    const stitched = new StitchedHistory(recorded(seconds(0, 20)), { ...range(T0), loadedAt: T0 + 20_000 });
    stitched.buffers([TICKS], new Map([['@ticks', live(seconds(20, 23))]]));
    expect(stitched.seamAwaitsStore).toBe(false);
  });

  it('each tick adds the new live rows; frames already sent keep their rows', () => {
    const buffer = live(seconds(10, 12));
    const stitched = new StitchedHistory(recorded(seconds(0, 11)), range(T0));
    const first = stitched.buffers([TICKS], new Map([['@ticks', buffer]])).get('@ticks')!;
    const sentTimes = [...first.times];
    const sentRates = [...first.column('', 'rate')!];
    buffer.append(T0 + 12_294, new Map([['', 123]]));
    const next = stitched.buffers([TICKS], new Map([['@ticks', buffer]])).get('@ticks')!;
    expect(next).toBe(first);
    expect(next.times.slice(0, sentTimes.length)).toEqual(sentTimes);
    expect(next.column('', 'rate')!.slice(0, sentRates.length)).toEqual(sentRates);
    expect(next.lastTimestamp).toBe(T0 + 12_294);
  });

  it('copies live counts exact across a move of their store’s base (counts 2^23 apart)', () => {
    // A fast counter: its store moves its base between the two live rows, so the first one is a
    // difference to the older base. The merged rows must hold the counts as they came.
    const big = 2 ** 40;
    const buffer = new WideSeriesBuffer({ retentionMs: 600_000, counter: true });
    buffer.append(T0 + 20_294, new Map([['', big]]));
    buffer.append(T0 + 21_294, new Map([['', big + 9_000_000]]));
    const stitched = new StitchedHistory(recorded(seconds(0, 21)), range(T0));
    const merged = stitched.buffers([TICKS], new Map([['@ticks', buffer]])).get('@ticks')!;
    const raw = merged.values('')!;
    expect(rawValueAt(raw, merged.length - 2)).toBe(big);
    expect(rawValueAt(raw, merged.length - 1)).toBe(big + 9_000_000);
    expect(merged.column('', 'rate')![merged.length - 1]).toBe(9_000_000);
  });

  it('a range wholly in the past: history only, no live row after its end', () => {
    const stitched = new StitchedHistory(recorded(seconds(0, 30)), range(T0 + 5000, T0 + 15_000));
    const merged = stitched.buffers([TICKS], new Map([['@ticks', live(seconds(40, 42))]])).get('@ticks')!;
    // One sample before the range (its first rate counts from it), then the range.
    expect(merged.times[0]).toBe(T0 + 4000);
    expect(merged.lastTimestamp).toBe(T0 + 15_000);
  });

  it('a stack map: each stack an instance, merged like any keyed map (a flame graph over history)', () => {
    const stacks: VariableInfo = { ...TICKS, name: '@ks', metrictype: 'stacks' };
    const a = '\n    schedule+1\n    do_idle+2\n';
    const b = '\n    vfs_read+9\n';
    const history: ScriptHistory = {
      samples: new Map([
        [
          '@ks',
          seconds(0, 5).map((i) => ({
            t: T0 + i * 1000,
            values: new Map([
              [a, 5 * i],
              [b, i],
            ]),
          })),
        ],
      ]),
      intervalMs: 1000,
    };
    const liveStacks = new WideSeriesBuffer({ retentionMs: 600_000, counter: true, rates: false });
    liveStacks.append(T0 + 5294, new Map([[a, 26]]));
    const merged = new StitchedHistory(history, range(T0))
      .buffers([stacks], new Map([['@ks', liveStacks]]))
      .get('@ks')!;
    expect(merged.hasRates).toBe(false);
    expect([...merged.keys()].sort()).toEqual([a, b].sort());
    expect(merged.column(a, 'raw')).toEqual([0, 5, 10, 15, 20, 26]);
  });

  it('a map the history does not hold is drawn from its live buffer alone', () => {
    const other: VariableInfo = { ...TICKS, name: '@other' };
    const buffer = live(seconds(3, 5));
    const out = new StitchedHistory(recorded(seconds(0, 4)), range(T0)).buffers([other], new Map([['@other', buffer]]));
    expect(out.get('@other')).toBe(buffer);
  });
});
