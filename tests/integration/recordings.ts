/** Recorded queries on the real stack: start one, wait for the series store to hold it, stop it. */
import { DataFrame, dateTime } from '@grafana/data';
import { proxySeriesClient } from '../../src/pmapi';
import { recordingOf } from '../../src/query/recording';
import { deregisterScripts } from '../../src/scripts/protocol';
import { BpftraceQuery } from '../../src/types';
import { hasData, newDataSource, PanelRun, request } from './datasourceHarness';
import { adminClient, scriptsOnHost } from './leaks';
import { PROXY_PATH } from './nodeBackendSrv';
import { sh, waitFor } from './stack';

/** A recorded query of `code`, and the name its recording has on the host. */
export function recorded(code: string, recordName?: string) {
  const query = { code, record: true, recordName };
  return { query, name: recordingOf({ refId: 'A', ...query })!.name };
}

export async function recordingOnHost(name: string) {
  return (await scriptsOnHost()).find((r) => r.metadata?.name === name);
}

/** A panel's request for the last `seconds` (a range that ends now). */
export function lastSeconds(
  targets: Array<Partial<BpftraceQuery> & { code: string }>,
  seconds: number,
  panelId: number
) {
  const r = request(targets, panelId);
  const now = dateTime();
  const raw = { from: `now-${seconds}s`, to: 'now' };
  return { ...r, range: { from: dateTime(now).subtract(seconds, 'seconds'), to: now, raw } };
}

/** The time and value columns of the query's time series frame, copied. */
export function timeSeries(run: PanelRun): { times: number[]; values: Array<number | null> } {
  const frame: DataFrame | undefined = run.frames().find((f) => f.fields.length > 1);
  return {
    times: [...((frame?.fields[0]?.values ?? []) as number[])],
    values: [...((frame?.fields[1]?.values ?? []) as Array<number | null>)],
  };
}

/**
 * Starts the recording as an Editor's panel, reads it `ms`, then closes that client entirely (panel
 * unsubscribed, endpoint closed). Resolves with when its first data arrived.
 */
export async function recordFor(
  query: BpftraceQuery | (Partial<BpftraceQuery> & { code: string }),
  ms: number
): Promise<number> {
  return (await recordMeasured(query, ms)).started;
}

/**
 * recordFor, and meanwhile how long after the recording's first data the series store held
 * `metric` (pmlogger, its archive, pmproxy's discovery into Redis).
 */
export async function recordMeasured(
  query: BpftraceQuery | (Partial<BpftraceQuery> & { code: string }),
  ms: number,
  metric?: string
): Promise<{ started: number; visibleAfterMs?: number; restarted?: { from: number; to: number } }> {
  const editor = newDataSource({}, { role: 'Editor' });
  const panel = new PanelRun(editor, request([query], 1));
  await waitFor('the recording counts', () => hasData(panel, 'A', 2), 30_000);
  const started = Date.now();
  const visible = metric
    ? untilRecordedOrRestartPmproxy(console.log, `recording ${metric}`, metric, started).then((restarted) => ({
        visibleAfterMs: Date.now() - started,
        restarted,
      }))
    : undefined;
  await new Promise((r) => setTimeout(r, ms));
  const seen = await visible;
  panel.stop();
  await editor.endpoint.close();
  return { started, ...seen };
}

/**
 * Waits until the series store holds samples of `metric` from `since` on (from a minute before it
 * with `lookBack`); resolves with how long after `since` that was.
 */
export async function untilRecorded(
  metric: string,
  since: number,
  lookBack = 60_000,
  timeoutMs = 90_000
): Promise<number> {
  const store = proxySeriesClient(PROXY_PATH, { timeoutMs: 5000, holdMs: 0 });
  await waitFor(
    `the series store holds ${metric}`,
    async () => {
      // Not the windowed /series/query: it crashed pmproxy 6.0.3 (engine/History.ts).
      const ids = await store.query(metric);
      return (
        ids.length > 0 && (await store.values(ids, { startMs: since - lookBack, finishMs: Date.now() })).length > 0
      );
    },
    timeoutMs
  ).catch((e: Error) => {
    // What pmproxy's discovery had to read: seen twice in CI (a new archive after a pmlogger
    // restart not in the store after 90 s; see untilRecordedOrRestartPmproxy).
    const name = /bpftrace\.scripts\.(\w+)\./.exec(metric)?.[1] ?? '';
    const archives = sh(`ls -l --time-style=+%T /var/log/pcp/pmlogger/bpflive/*/${name}-* 2>&1 | tail -8 || true`);
    const pmproxy = sh('pgrep -x pmproxy | head -1').trim();
    const fds = pmproxy ? sh(`ls /proc/${pmproxy}/fd | wc -l`).trim() : 'no pmproxy';
    throw new Error(`${e.message}; pmproxy descriptors ${fds}; archives:\n${archives}`);
  });
  return Date.now() - since;
}

/**
 * `wait` for values that only a new archive holds (a pmlogger started or restarted since pmproxy
 * last scanned): pmproxy 6.0.3's discovery sometimes never loads such an archive (2 of 9 CI runs
 * of the archive-gap fault: values written to it for 90 s, none in the store; the failure lists
 * the archives), and nothing reaches the store until pmproxy restarts. Not bpflive's doing, so
 * after 60 s without them pmproxy is restarted once, which rescans every archive as
 * `pcp-stack.sh up` does when it retires archives, `report` says so, and the wait starts again
 * (`wait` with no timeout: its own): values that do not come even then still fail the test.
 * Resolves with when that restart was, if there was one: the samples live archives get meanwhile
 * (some 3 s) never reach the store.
 */
export async function orRestartPmproxy(
  report: (line: string) => void,
  what: string,
  wait: (timeoutMs?: number) => Promise<unknown>
): Promise<{ from: number; to: number } | undefined> {
  try {
    await wait(60_000);
    return undefined;
  } catch (e) {
    report(`${what}: pmproxy restarted, its discovery missed the new archive (${(e as Error).message.split(';')[0]})`);
    const from = Date.now();
    sh('/etc/init.d/pmproxy stop >/dev/null 2>&1 || true; /etc/init.d/pmproxy start >/dev/null 2>&1');
    const to = Date.now();
    await wait();
    return { from, to };
  }
}

/** untilRecorded, with orRestartPmproxy's one pmproxy restart when its discovery missed the archive. */
export function untilRecordedOrRestartPmproxy(
  report: (line: string) => void,
  what: string,
  metric: string,
  since: number,
  lookBack = 60_000
): Promise<{ from: number; to: number } | undefined> {
  return orRestartPmproxy(report, what, (timeoutMs) => untilRecorded(metric, since, lookBack, timeoutMs));
}

/** An Editor's Stop recording, and the host without it. */
export async function stopRecording(name: string) {
  await newDataSource({}, { role: 'Editor' }).stopRecording(name);
  await waitFor('the recording is gone from the host', async () => (await recordingOnHost(name)) === undefined, 10_000);
}

/** After a test that failed half-way: its recording must not stay (named scripts never expire). */
export async function dropRecording(name: string) {
  if (await recordingOnHost(name)) {
    await deregisterScripts(adminClient(), [name]).catch(() => undefined);
  }
}
