import { WideSeriesBuffer } from '../buffers/WideSeriesBuffer';
import type { HistoryRequest, ScriptHistory } from '../engine/History';
import type { ScriptLease, VariableInfo } from '../engine/ScriptLease';
import { STORE_LAG_MS } from './history';
import { QueryHistory } from './historyState';

// What a query's panel is told about its range's history: read once, the series store down (the
// message pmapi/series.ts gives when pmproxy 6.0.3 does not answer without Redis), nothing
// recorded, a script that is not recorded at all.

const NOW = 1_796_330_700_000;
const TICKS: VariableInfo = { name: '@ticks', metric: 'm', counter: true, metrictype: null, text: false };

function leaseOf(joinName: string | undefined, liveFrom = NOW - 10_000): ScriptLease {
  const buffer = new WideSeriesBuffer({ retentionMs: 600_000, counter: true });
  for (let t = liveFrom; t <= NOW; t += 1000) {
    buffer.append(t, new Map([['', t / 100]]));
  }
  return {
    joinName,
    variables: [TICKS],
    buffers: new Map([['@ticks', buffer]]),
    phase: 'running',
  } as unknown as ScriptLease;
}

const flush = () => new Promise((r) => setTimeout(r, 0));
const lastFiveMinutes = { from: NOW - 300_000, to: Infinity };

function tracker(load?: (r: HistoryRequest) => Promise<ScriptHistory>) {
  const onChange = jest.fn();
  const history = new QueryHistory({
    load,
    pollIntervalMs: 1000,
    retentionMs: 600_000,
    onChange,
    retryMs: 50,
    now: () => NOW,
  });
  return { history, onChange };
}

const recorded = (from: number, to: number): ScriptHistory => ({
  samples: new Map([
    [
      '@ticks',
      Array.from({ length: (to - from) / 1000 }, (_, i) => ({ t: from + i * 1000, values: new Map([['', i]]) })),
    ],
  ]),
  intervalMs: 1000,
});

describe('QueryHistory', () => {
  it('reads a recording’s range once, then draws history before the live rows', async () => {
    const load = jest.fn(async (_: HistoryRequest) => recorded(NOW - 300_000, NOW - 10_000));
    const { history, onChange } = tracker(load);
    const lease = leaseOf('bpflive_rec_x');
    expect(history.view(lease, lastFiveMinutes).buffers).toBeUndefined();
    await flush();
    expect(onChange).toHaveBeenCalledTimes(1);
    const view = history.view(lease, lastFiveMinutes);
    history.view(lease, lastFiveMinutes);
    expect(load).toHaveBeenCalledTimes(1);
    expect(load.mock.calls[0][0]).toMatchObject({ scriptName: 'bpflive_rec_x', from: NOW - 300_000, to: NOW });
    expect(view.buffers!.get('@ticks')!.times[0]).toBe(NOW - 300_000);
    expect(view.notices).toEqual([]);
  });

  it('a seam joined over the store’s lag is read again one lag later, and the new buffers fill it', async () => {
    jest.useFakeTimers();
    try {
      // Read at NOW, the live data since NOW − 1 s: the first read misses the seconds before it
      // (not in the store yet: within its lag), the next has them.
      const reads = [recorded(NOW - 300_000, NOW - 3000), recorded(NOW - 300_000, NOW - 1000)];
      let calls = 0;
      const load = jest.fn(async () => reads[Math.min(calls++, 1)]);
      const { history, onChange } = tracker(load);
      const lease = leaseOf('bpflive_rec_x', NOW - 1000);
      history.view(lease, lastFiveMinutes);
      await jest.advanceTimersByTimeAsync(0);
      const first = history.view(lease, lastFiveMinutes).buffers!.get('@ticks')!;
      const seam = (b: WideSeriesBuffer) => b.times[b.times.indexOf(NOW - 1000) - 1];
      expect(seam(first)).toBe(NOW - 4000);
      const sentTimes = [...first.times];
      await jest.advanceTimersByTimeAsync(STORE_LAG_MS);
      expect(load).toHaveBeenCalledTimes(2);
      expect(onChange).toHaveBeenCalledTimes(2);
      const filled = history.view(lease, lastFiveMinutes).buffers!.get('@ticks')!;
      expect(seam(filled)).toBe(NOW - 2000);
      // Frames already sent keep their rows: the filled history is a buffer of its own.
      expect(filled).not.toBe(first);
      expect([...first.times]).toEqual(sentTimes);
      // Filled: no more reads.
      await jest.advanceTimersByTimeAsync(4 * STORE_LAG_MS);
      history.view(lease, lastFiveMinutes);
      await jest.advanceTimersByTimeAsync(4 * STORE_LAG_MS);
      expect(load).toHaveBeenCalledTimes(2);
      history.dispose();
    } finally {
      jest.useRealTimers();
    }
  });

  it('a seam the store never fills is read again at most three times', async () => {
    jest.useFakeTimers();
    try {
      const load = jest.fn(async () => recorded(NOW - 300_000, NOW - 3000));
      const { history } = tracker(load);
      const lease = leaseOf('bpflive_rec_x', NOW - 1000);
      for (let i = 0; i < 10; i++) {
        history.view(lease, lastFiveMinutes);
        await jest.advanceTimersByTimeAsync(STORE_LAG_MS);
      }
      expect(load).toHaveBeenCalledTimes(4);
      history.dispose();
    } finally {
      jest.useRealTimers();
    }
  });

  it('the series store down: live data stays, a notice says so, and it is asked again later', async () => {
    let down = true;
    const load = jest.fn(async () => {
      if (down) {
        throw new Error("pmproxy's series API did not answer in 5 s");
      }
      return recorded(NOW - 300_000, NOW - 10_000);
    });
    const { history } = tracker(load);
    const lease = leaseOf('bpflive_rec_x');
    history.view(lease, lastFiveMinutes);
    await flush();
    const failed = history.view(lease, lastFiveMinutes);
    expect(failed.buffers).toBeUndefined();
    expect(failed.notices[0]).toMatchObject({ severity: 'warning' });
    expect(failed.notices[0].text).toMatch(/^History unavailable: the series store \(Redis\) does not answer/);
    down = false;
    await new Promise((r) => setTimeout(r, 80));
    history.view(lease, lastFiveMinutes);
    await flush();
    expect(load).toHaveBeenCalledTimes(2);
    expect(history.view(lease, lastFiveMinutes).buffers).toBeDefined();
    history.dispose();
  });

  it('says where the recording starts when the range reaches before it, and when it holds nothing', async () => {
    const start = NOW - 60_000;
    const some = tracker(async () => recorded(start, NOW - 10_000));
    some.history.view(leaseOf('bpflive_rec_x'), lastFiveMinutes);
    await flush();
    expect(some.history.view(leaseOf('bpflive_rec_x'), lastFiveMinutes).notices.map((n) => n.text)).toEqual([
      expect.stringMatching(/^No recording of this script before \d\d:\d\d:\d\d\.$/),
    ]);
    const none = tracker(async () => ({ samples: new Map(), intervalMs: 1000 }));
    none.history.view(leaseOf('bpflive_rec_x'), lastFiveMinutes);
    await flush();
    expect(none.history.view(leaseOf('bpflive_rec_x'), lastFiveMinutes).notices[0].text).toMatch(
      /^No recording of this script before .* holds nothing of "bpflive_rec_x"/
    );
  });

  it('a script that is not recorded says how to keep its history, and reads nothing', () => {
    const load = jest.fn();
    const { history } = tracker(load);
    expect(history.view(leaseOf(undefined), lastFiveMinutes).notices[0].text).toMatch(
      /^This script is not recorded.*Turn on Record/
    );
    // A range the tab's own data covers needs no history and no hint.
    expect(history.view(leaseOf(undefined), { from: NOW - 5000, to: Infinity }).notices).toEqual([]);
    expect(load).not.toHaveBeenCalled();
  });

  it('a range the live data covers reads no history', () => {
    const load = jest.fn();
    const { history } = tracker(load);
    expect(history.view(leaseOf('bpflive_rec_x'), { from: NOW - 5000, to: Infinity })).toEqual({ notices: [] });
    expect(load).not.toHaveBeenCalled();
  });
});

describe('QueryHistory of a renamed recording', () => {
  it('says where the older history is when the range reaches before this recording', async () => {
    const onChange = jest.fn();
    const history = new QueryHistory({
      load: async () => ({ samples: new Map(), intervalMs: 1000 }),
      pollIntervalMs: 1000,
      retentionMs: 600_000,
      onChange,
      olderHistory: 'Older history of this query is under its former recording "bpflive_rec_old"',
      now: () => NOW,
    });
    history.view(leaseOf('bpflive_rec_new'), lastFiveMinutes);
    await flush();
    expect(history.view(leaseOf('bpflive_rec_new'), lastFiveMinutes).notices.map((n) => n.text)).toContain(
      'Older history of this query is under its former recording "bpflive_rec_old"'
    );
  });
});
