import { STORE_LAG_MS } from '../../src/query/history';
import { hasData, newDataSource, PanelRun, request } from './datasourceHarness';
import { expectNothingLeft } from './leaks';
import { installNodeBackendSrv } from './nodeBackendSrv';
import {
  dropRecording,
  lastSeconds,
  recordFor,
  recordMeasured,
  recorded,
  recordingOnHost,
  stopRecording,
  timeSeries,
  untilRecorded,
} from './recordings';
import { PMPROXY, stackUp, waitFor } from './stack';

// Recorded queries on the real stack (issue 17, docs/history.md): pmlogger records a recording
// (the stack's recorder), pmproxy loads it into Redis, and a tab opened later reads the past from
// /series and the present from the live poll as one series. A recording outlives the client that
// started it, a Viewer joins it but never starts it, and only an Editor's explicit Stop recording
// ends it, leaving no bpftrace behind. The series store's faults are in faults.test.ts.

beforeAll(() => {
  stackUp();
  installNodeBackendSrv(() => PMPROXY);
});

const CODE = 'tracepoint:raw_syscalls:sys_enter { @history_it = count(); }';
// The first test's recording has the default name (a hash of the code); the seam test records under
// a name of its own, so the first test's history (stopped seconds before) is not in its range.
const { query: RECORDED, name: NAME } = recorded(CODE);
const { query: SEAM, name: SEAM_NAME } = recorded(CODE, `seam_${process.pid}_${Date.now() % 100_000}`);

afterEach(async () => {
  await dropRecording(NAME);
  await dropRecording(SEAM_NAME);
  await expectNothingLeft();
});

describe('Recorded queries on the real stack', () => {
  it('a recording outlives its client; a Viewer joins it; only an Editor stops it', async () => {
    const viewer = newDataSource({}, { role: 'Viewer' });
    const waiting = new PanelRun(viewer, request([RECORDED], 1));
    await waitFor(
      'the Viewer is told an Editor must start it',
      () => waiting.notices().some((n) => /Not recording: an Editor must start/.test(n)),
      20_000
    ).catch((e: Error) => {
      throw new Error(
        `${e.message}; the panel said ${JSON.stringify(waiting.notices())} ${JSON.stringify(waiting.errors())}`
      );
    });
    expect(await recordingOnHost(NAME)).toBeUndefined();
    waiting.stop();

    await recordFor(RECORDED, 1000);
    // Well past the grace period and the quiet window: a plain script would be gone by now.
    await new Promise((r) => setTimeout(r, 12_000));
    expect((await recordingOnHost(NAME))?.persistent).toBe(true);
    expect((await recordingOnHost(NAME))?.state?.status).toBe('started');

    const viewer2 = newDataSource({}, { role: 'Viewer' });
    const joined = new PanelRun(viewer2, request([RECORDED], 2));
    await waitFor('a Viewer reads the running recording', () => hasData(joined, 'A', 2), 20_000);
    joined.stop();
    await viewer2.endpoint.close();
    await expect(viewer2.stopRecording(NAME)).rejects.toThrow(/Only an Editor/);
    expect(await recordingOnHost(NAME)).toBeDefined();

    await stopRecording(NAME);
  }, 120_000);

  it('a tab opened later reads [now-30s, now] as one series: history, then live, no point twice, no seam', async () => {
    const metric = `bpftrace.scripts.${SEAM_NAME}.data.history_it`;
    const { visibleAfterMs: visibleAfter, restarted } = await recordMeasured(SEAM, 15_000, metric);
    if (restarted) {
      // pmproxy was restarted (its discovery missed the archive; CI once): the reader's window
      // needs the store to hold the seconds after the restart, 10 s and more before it opens.
      await untilRecorded(metric, restarted.to, 0);
      await new Promise((r) => setTimeout(r, 12_000));
    }
    // The first client is closed; a new one with empty buffers opens the last 30 s.
    const reader = newDataSource({}, { role: 'Viewer' });
    const opened = Date.now();
    const run = new PanelRun(reader, lastSeconds([SEAM], 30, 3));
    await waitFor(
      'history before the live data',
      () => {
        const { times } = timeSeries(run);
        return times.length > 0 && times[0] < opened - 10_000 && times[times.length - 1] > opened ? true : undefined;
      },
      30_000
    );
    // The seam as first drawn may be up to the store's lag wide (pmlogger's last seconds not loaded
    // yet: 1-2 s measured, over 4 s in a busy CI run), joined, not a gap; the query reads the store
    // again one lag later and the seam closes (docs/history.md).
    const seamStep = () => {
      const { times } = timeSeries(run);
      const firstLive = times.findIndex((t) => t >= opened);
      return times[firstLive] - times[firstLive - 1];
    };
    const firstSeam = seamStep();
    await waitFor('the seam filled', () => seamStep() < 2000, 25_000);
    const filledAfter = Date.now() - opened;
    // A few live ticks after the seam.
    await new Promise((r) => setTimeout(r, 3000));
    const { times, values } = timeSeries(run);
    const firstLive = times.findIndex((t) => t >= opened);
    const steps = times.slice(1).map((t, i) => t - times[i]);
    console.log(
      `history: in the series store ${visibleAfter} ms after the recording's first data; ` +
        `[now-30s, now] drew ${times.length} points (${firstLive} from history, ${times.length - firstLive} live), ` +
        `largest step ${Math.max(...steps)} ms, seam step first ${firstSeam} ms, ${times[firstLive] - times[firstLive - 1]} ms ${filledAfter} ms after opening; ` +
        `steps ${steps.join(' ')}; values ${values.join(' ')}`
    );
    expect(new Set(times).size).toBe(times.length);
    expect(steps.every((s) => s > 0)).toBe(true);
    // No gap: every step about one interval (the seam's too), every rate a value after the first.
    expect(Math.max(...steps)).toBeLessThan(2000);
    expect(firstSeam).toBeLessThan(STORE_LAG_MS + 2000);
    expect(values.slice(1).every((v) => v !== null)).toBe(true);
    expect(run.notices().filter((n) => /Not recorded between|History unavailable/.test(n))).toEqual([]);
    run.stop();
    await reader.endpoint.close();
    await stopRecording(SEAM_NAME);
  }, 300_000);
});
