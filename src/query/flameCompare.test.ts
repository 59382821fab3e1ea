import { WideSeriesBuffer } from '../buffers/WideSeriesBuffer';
import { baselineOf, flameGraphFrame } from './flameCompare';

const T0 = Date.UTC(2026, 11, 3, 17, 0, 0);
const STACK = '\n    f+1\n    main+2\n';

/** A stack sampled 10 times a second for the first 60 s, then 30 times a second. */
function profile(): WideSeriesBuffer {
  const b = new WideSeriesBuffer({ retentionMs: 3_600_000, counter: true });
  let count = 0;
  for (let s = 0; s <= 120; s++) {
    count += s === 0 ? 0 : s <= 60 ? 10 : 30;
    b.append(T0 + s * 1000, new Map([[STACK, count]]));
  }
  return b;
}

const fields = (frame: { fields: Array<{ name: string; values: unknown[] }> }) =>
  Object.fromEntries(frame.fields.map((f) => [f.name, f.values[0]]));

describe('baselineOf', () => {
  it('previous: the window of equal length that ends just before the range', () => {
    expect(baselineOf('previous', { from: T0 + 60_000, to: T0 + 120_000 }, 0)).toEqual({
      from: T0,
      to: T0 + 60_000 - 0.001,
    });
  });

  it('previous, for a range that ends now: its length is from its start to now', () => {
    expect(baselineOf('previous', { from: T0 + 60_000, to: Infinity }, T0 + 90_000)).toEqual({
      from: T0 + 30_000,
      to: T0 + 60_000 - 0.001,
    });
  });

  it('fixed: Grafana’s times, relative ones against the same now, and ms since the epoch', () => {
    const now = T0 + 3_600_000;
    expect(baselineOf('fixed', { from: 0, to: 1 }, now, 'now-1h', 'now-30m')).toEqual({
      from: T0,
      to: T0 + 1_800_000,
    });
    expect(baselineOf('fixed', { from: 0, to: 1 }, now, String(T0), String(T0 + 5000))).toEqual({
      from: T0,
      to: T0 + 5000,
    });
  });

  it('says what is wrong with a fixed baseline', () => {
    expect(baselineOf('fixed', { from: 0, to: 1 }, T0, '', 'now')).toEqual({
      problem: expect.stringMatching(/^the baseline's start "" is not a time/),
    });
    expect(baselineOf('fixed', { from: 0, to: 1 }, T0, 'now', 'yesterday-ish')).toEqual({
      problem: expect.stringMatching(/end "yesterday-ish" is not a time/),
    });
    expect(baselineOf('fixed', { from: 0, to: 1 }, T0, 'now', 'now-1h')).toEqual({
      problem: "the baseline's end is not after its start.",
    });
  });
});

describe('flameGraphFrame', () => {
  it('compare previous: the diff frame of the minute before against the last minute, and a notice naming both totals', () => {
    const frame = flameGraphFrame(
      profile(),
      { compare: 'previous' },
      'A',
      { from: T0 + 60_001, to: Infinity },
      T0 + 120_001
    );
    // The minute before holds the ticks at 1 … 60 s (10 each); the range the ticks at 61 … 120 s (30 each).
    expect(fields(frame)).toMatchObject({ label: 'all', value: 600, valueRight: 1800 });
    expect(frame.meta?.notices).toEqual([
      {
        severity: 'info',
        text: expect.stringMatching(
          /^Compared with the window before it \(.*\): 600 samples then, 1800 in the range\./
        ),
      },
    ]);
  });

  it('a baseline before the history says so, and still draws the comparison', () => {
    const frame = flameGraphFrame(
      profile(),
      { compare: 'fixed', baselineFrom: String(T0 - 600_000), baselineTo: String(T0 - 300_000) },
      'A',
      { from: T0, to: T0 + 120_000 },
      T0 + 120_000
    );
    expect(fields(frame)).toMatchObject({ value: 0, valueRight: 2400 });
    expect(frame.meta?.notices?.[0]).toMatchObject({
      severity: 'warning',
      text: expect.stringMatching(/holds no samples/),
    });
  });

  it('a baseline it cannot use: a warning, and the plain flame graph of the range', () => {
    const frame = flameGraphFrame(
      profile(),
      { compare: 'fixed', baselineFrom: 'soon' },
      'A',
      { from: T0, to: Infinity },
      T0
    );
    expect(frame.fields.map((f) => f.name)).toEqual(['label', 'level', 'value', 'self']);
    expect(frame.meta?.notices?.[0]).toMatchObject({
      severity: 'warning',
      text: expect.stringMatching(/^Not compared: /),
    });
  });

  it('compare none (or absent) is the plain flame graph, without a notice', () => {
    for (const options of [undefined, { compare: 'none' as const }]) {
      const frame = flameGraphFrame(profile(), options, 'A', { from: T0, to: Infinity }, T0);
      expect(frame.fields.map((f) => f.name)).toEqual(['label', 'level', 'value', 'self']);
      expect(frame.meta?.notices).toBeUndefined();
    }
  });
});
