import fs from 'fs';
import { prepareRecording } from '../../src/scripts/naming';
import { deregisterScripts, registerScript } from '../../src/scripts/protocol';
import { adminClient, expectNothingLeft, scriptsOnHost } from './leaks';
import { installNodeBackendSrv } from './nodeBackendSrv';
import { orRestartPmproxy, untilRecordedOrRestartPmproxy } from './recordings';
import {
  loggerPause,
  loggerResume,
  pmproxyDescriptors,
  pmproxyProcess,
  PMPROXY,
  SECOND_HOSTSPEC,
  recorderStatus,
  restartPmcd,
  stackUp,
  stackUpRetiringArchives,
  waitFor,
} from './stack';

// The host side of recorded scripts (issue 17, docs/recording.md) on the real stack: the
// recorder of `scripts/pcp-stack.sh up` makes pmlogger record every script named bpflive_rec_*
// on both pmcd of the stack, pmproxy's discovery loads the archives into Redis, and /series/*
// serves them; a recording comes back under its name after pmcd restarts, and one deregistered
// on purpose does not.

const HOSTS = ['localhost', SECOND_HOSTSPEC];
const report = (line: string) => console.log(`recording: ${line}`);
const RUN = Date.now().toString(36);
const CODE = 'tracepoint:raw_syscalls:sys_enter { @rec_ticks = count(); }';
const recordings = HOSTS.map((_, i) => prepareRecording(CODE, { name: `h1test_${RUN}_${i}` }));
const metricOf = (name: string) => `bpftrace.scripts.${name}.data.rec_ticks`;
// Recordings started and stopped next to a long one (the archive test): each its own code.
const churn = [0, 1, 2].map((k) =>
  prepareRecording(`tracepoint:raw_syscalls:sys_enter { @rec_ticks = count(); @churn_${k} = count(); }`, {
    name: `h1churn_${RUN}_${k}`,
  })
);

beforeAll(() => {
  stackUp(['--second-host']);
  installNodeBackendSrv(() => PMPROXY);
}, 120_000);

// A test that failed half-way must not leave its recordings (named scripts never expire), nor
// fail the next test with them: the second test registers the first one's recording again.
afterEach(async () => {
  for (const [i, host] of HOSTS.entries()) {
    const mine = i === 0 ? [recordings[0], ...churn] : [recordings[i]];
    const left = (await scriptsOnHost(host)).filter((r) => mine.some((m) => m.name === r.metadata?.name));
    if (left.length) {
      await deregisterScripts(
        adminClient(host),
        left.map((r) => r.metadata!.name!)
      ).catch(() => undefined);
    }
  }
}, 60_000);

afterAll(async () => {
  await expectNothingLeft(30_000, HOSTS);
}, 60_000);

async function seriesGet<T>(path: string): Promise<T> {
  const reply = await fetch(`${PMPROXY}${path}`);
  if (!reply.ok) {
    throw new Error(`${path}: HTTP ${reply.status} ${await reply.text()}`);
  }
  return (await reply.json()) as T;
}

/** The series ids of a metric in the store (one per host that recorded it). */
const seriesOf = (metric: string) => seriesGet<string[]>(`/series/query?expr=${encodeURIComponent(metric)}`);

interface Sample {
  series: string;
  timestamp: number;
  value: string;
}

/** Samples of the series newer than `sinceMs` (pmproxy's timestamps are milliseconds). */
async function samplesSince(series: string[], sinceMs: number): Promise<Sample[]> {
  const start = Math.floor(sinceMs / 1000);
  const values = await seriesGet<Sample[]>(`/series/values?series=${series.join(',')}&start=${start}&finish=now`);
  return values.filter((s) => s.timestamp >= sinceMs);
}

async function hostnameLabel(series: string): Promise<string | undefined> {
  const labels = await seriesGet<Array<{ labels: Record<string, string> }>>(`/series/labels?series=${series}`);
  return labels[0]?.labels.hostname;
}

const recordingOn = async (host: string, name: string) =>
  (await scriptsOnHost(host)).find((r) => r.metadata?.name === name);

describe('recorded scripts on the real stack (pmlogger, discovery, Redis, /series)', () => {
  it('records on both hosts into the series store, survives a pmcd restart, and a deregistered one stays gone', async () => {
    // 1. Register as the product does (an Editor's client, the named text prepareRecording makes).
    const registeredAt = Date.now();
    for (const [i, host] of HOSTS.entries()) {
      await registerScript(adminClient(host), recordings[i].text);
    }

    // 2. Its samples reach the series store: from registration to three samples in /series/values.
    // They are in the archive of a new pmlogger, which pmproxy 6.0.3's discovery sometimes never
    // loads (here once in CI: nothing in the store after 60 s): then pmproxy is restarted once
    // and the test says so (see untilRecordedOrRestartPmproxy), as the test below does.
    const inStore: number[] = [];
    const seriesIds: string[] = [];
    for (const [i] of HOSTS.entries()) {
      await untilRecordedOrRestartPmproxy(report, 'first recording', metricOf(recordings[i].name), registeredAt, 0);
      const ids = await waitFor(
        `${metricOf(recordings[i].name)} in the series store`,
        async () => {
          const ids = await seriesOf(metricOf(recordings[i].name));
          return ids.length > 0 && (await samplesSince(ids, registeredAt)).length >= 3 ? ids : undefined;
        },
        60_000
      );
      inStore.push(Date.now() - registeredAt);
      expect(ids).toHaveLength(1);
      seriesIds.push(ids[0]);
    }
    // One series per host, told apart by their hostname label (clusters key on it).
    const hostnames = await Promise.all(seriesIds.map(hostnameLabel));
    expect(hostnames[1]).toBe('bpflive-second');
    expect(hostnames[0]).not.toBe(hostnames[1]);
    const status = recorderStatus();
    for (const [i] of HOSTS.entries()) {
      const host = status.hosts.find((h) => h.hostname === hostnames[i]);
      expect(host?.recordings).toContain(recordings[i].name);
      expect(host?.pmlogger).toEqual(expect.any(Number));
    }

    // 3. pmcd restarts (all its scripts gone): the recorder registers the recording again under
    // its name, and it is recorded into the same series again.
    const before = await recordingOn('localhost', recordings[0].name);
    const secondBefore = await recordingOn(SECOND_HOSTSPEC, recordings[1].name);
    const restartedAt = Date.now();
    restartPmcd();
    const back = await waitFor(
      'the recording registered again after the pmcd restart',
      async () => {
        const r = await recordingOn('localhost', recordings[0].name);
        return r && r.script_id !== before?.script_id && r.state?.status === 'started' ? r : undefined;
      },
      60_000
    );
    const backAfter = Date.now() - restartedAt;
    expect(back.code).toBe(before?.code);
    // pmlogger's new archive after the restart is one pmproxy 6.0.3's discovery may miss, as in step
    // 2 (here once in CI: no sample in the store 60 s after the restart).
    await untilRecordedOrRestartPmproxy(report, 'after the pmcd restart', metricOf(recordings[0].name), restartedAt, 0);
    await waitFor(
      'samples after the restart in the same series',
      async () => {
        const ids = await seriesOf(metricOf(recordings[0].name));
        return ids.length === 1 && ids[0] === seriesIds[0] && (await samplesSince(ids, restartedAt)).length >= 3;
      },
      60_000
    );
    const recordingAgainAfter = Date.now() - restartedAt;
    // The second host did not restart: its recording was left alone.
    expect((await recordingOn(SECOND_HOSTSPEC, recordings[1].name))?.script_id).toBe(secondBefore?.script_id);

    // 4. Deregistered on purpose ("Stop recording"): it does not come back, its code is forgotten,
    // and no bpftrace is left (the afterAll leak check).
    for (const [i, host] of HOSTS.entries()) {
      await deregisterScripts(adminClient(host), [recordings[i].name]);
    }
    const keptFile = `/var/lib/bpflive/recordings/${hostnames[0]}/${recordings[0].name}.bt`;
    await waitFor('the recorder forgets the deregistered recording', () => !fs.existsSync(keptFile), 20_000);
    // Three more recorder rounds (2 s each): still gone.
    await new Promise((r) => setTimeout(r, 7_000));
    for (const [i, host] of HOSTS.entries()) {
      expect(await recordingOn(host, recordings[i].name)).toBeUndefined();
    }
    // History stays: the series store still answers for the samples recorded.
    expect((await samplesSince([seriesIds[0]], registeredAt)).length).toBeGreaterThan(3);

    console.log(
      `recording: 3 samples in /series ${inStore.map((ms) => (ms / 1000).toFixed(1)).join(' s, ')} s after registering ` +
        `(localhost, second host); after a pmcd restart registered again in ${(backAfter / 1000).toFixed(1)} s, ` +
        `3 new samples in /series after ${(recordingAgainAfter / 1000).toFixed(1)} s`
    );
  }, 360_000);

  it("recordings started and stopped beside one neither restart nor interrupt its pmlogger; up moves their archives out of pmproxy's discovery, their values stay", async () => {
    // One recording on this host, recorded into the store.
    const long = recordings[0];
    const registeredAt = Date.now();
    await registerScript(adminClient('localhost'), long.text);
    // Its values are in the archive of a new pmlogger, which pmproxy 6.0.3's discovery sometimes
    // never loads (it failed here once in CI): not what this test is about (the churn beside it),
    // so then pmproxy is restarted once and the test reports it. So are the churn's below.
    const restarts = [
      await untilRecordedOrRestartPmproxy(report, 'recording churn', metricOf(long.name), registeredAt, 0),
    ];
    const ids = await seriesOf(metricOf(long.name));
    expect(ids).toHaveLength(1);
    const hostOf = () => recorderStatus().hosts.find((h) => h.hostspec === 'localhost')!;
    const loggersBefore = { standard: hostOf().pmlogger, long: hostOf().loggers[long.name] };
    expect(loggersBefore.long).toEqual(expect.any(Number));
    const descriptorsBefore = pmproxyDescriptors();

    // Three more recordings start, are recorded, and stop, one after the other.
    const churnFrom = Date.now();
    for (const r of churn) {
      await registerScript(adminClient('localhost'), r.text);
      // Recorded means values in the store, not only the series' name (which discovery loads first).
      restarts.push(await untilRecordedOrRestartPmproxy(report, 'recording churn', metricOf(r.name), churnFrom, 0));
      await deregisterScripts(adminClient('localhost'), [r.name]);
      await waitFor(`${r.name}'s pmlogger stopped`, () => !(r.name in hostOf().loggers), 20_000);
    }
    const churnTo = Date.now();
    // The long recording's pmlogger and the standard one ran on, the same processes throughout.
    expect({ standard: hostOf().pmlogger, long: hostOf().loggers[long.name] }).toEqual(loggersBefore);
    // Its samples through the churn: one a second, no gap (the store lags a few seconds).
    const samples = await waitFor(
      'the long recording in the store past the churn',
      async () => {
        const got = await samplesSince(ids, churnFrom);
        return got.some((v) => v.timestamp > churnTo + 2_000) ? got : undefined;
      },
      30_000
    );
    // Not a gap across one of those pmproxy restarts: the samples written while pmproxy was down
    // never reach the store, the pmlogger (the same process, above) recorded them.
    const times = samples.map((v) => v.timestamp).sort((a, b) => a - b);
    const acrossRestart = (from: number, to: number) => restarts.some((r) => r && from <= r.to && to >= r.from);
    const widest = Math.max(...times.slice(1).map((t, i) => (acrossRestart(times[i], t) ? 0 : t - times[i])));
    expect(widest).toBeLessThan(2_500);
    const restarted = restarts.filter(Boolean).length;

    // `up` (as it runs once finished archives pile up) moves the stopped recordings' archives out
    // of the discovery tree while pmproxy is stopped, and leaves the live ones.
    const { done } = recorderStatus();
    const hostname = hostOf().hostname!;
    const liveDir = hostOf().archives!;
    const archivesOf = (dir: string, name: string) =>
      fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.startsWith(`${name}-`)) : [];
    const longArchive = hostOf().live_archives.find((a) => a.startsWith(`${liveDir}/${long.name}-`));
    expect(longArchive).toBeDefined();
    const pmproxyBefore = pmproxyProcess();
    await new Promise((r) => setTimeout(r, 6_000)); // the last one's pmlogger stopped over 5 s ago
    const retiredAt = Date.now();
    stackUpRetiringArchives(5, ['--second-host']);
    const retireMs = Date.now() - retiredAt;
    expect(pmproxyProcess()).not.toBe(pmproxyBefore);
    for (const r of churn) {
      expect(archivesOf(liveDir, r.name)).toEqual([]);
      expect(archivesOf(`${done}/${hostname}`, r.name).length).toBeGreaterThanOrEqual(3);
    }
    expect(fs.readdirSync(liveDir).some((f) => f.startsWith(`${longArchive!.slice(liveDir.length + 1)}.`))).toBe(true);
    expect(hostOf().loggers[long.name]).toBe(loggersBefore.long);
    // pmproxy let go of them: its descriptors did not grow with the recordings started and stopped.
    const descriptorsAfter = await waitFor(
      'pmproxy answering after its restart',
      async () => ((await seriesOf(metricOf(long.name))).length === 1 ? pmproxyDescriptors() : undefined),
      30_000
    );
    expect(descriptorsAfter).toBeLessThanOrEqual(descriptorsBefore + 4);
    // Their values stay in the series store, and the long recording is still recorded.
    for (const r of churn) {
      expect((await samplesSince(await seriesOf(metricOf(r.name)), churnFrom)).length).toBeGreaterThan(0);
    }
    await waitFor(
      'the long recording after the restart',
      async () => (await samplesSince(ids, Date.now() - 3_000)).length > 0,
      30_000
    );

    await deregisterScripts(adminClient('localhost'), [long.name]);
    await waitFor(`${long.name}'s pmlogger stopped`, () => !(long.name in hostOf().loggers), 20_000);
    console.log(
      `recording churn: ${churn.length} recordings started and stopped in ${((churnTo - churnFrom) / 1000).toFixed(0)} s ` +
        `beside one whose widest sample gap was ${widest} ms${restarted ? ` (not across the ${restarted} pmproxy restart(s) for missed archives)` : ''}; up moved their archives out of discovery in ${(retireMs / 1000).toFixed(1)} s ` +
        `(restarting pmproxy); pmproxy descriptors ${descriptorsBefore} before, ${descriptorsAfter} after`
    );
  }, 480_000);

  it("logger-pause leaves a gap in a host's standard metrics, logger-resume records again", async () => {
    const host = 'bpflive-second';
    const ids = await waitFor(
      `kernel.all.load of ${host} in the series store`,
      async () => {
        const found = await seriesOf(`kernel.all.load{hostname=="${host}"}`);
        return found.length ? found : undefined;
      },
      30_000
    );
    loggerPause(host);
    const pausedAt = Date.now();
    expect(recorderStatus().hosts.find((h) => h.hostname === host)).toMatchObject({ paused: true, pmlogger: null });
    await new Promise((r) => setTimeout(r, 15_000));
    loggerResume(host);
    const resumedAt = Date.now();
    // They are in the archive pmlogger starts on resuming, which pmproxy 6.0.3's discovery
    // sometimes never loads (seen in CI: none after 30 s): then pmproxy is restarted once, and said.
    await orRestartPmproxy(report, 'logger-resume', (timeoutMs = 30_000) =>
      waitFor('samples after the resume', async () => (await samplesSince(ids, resumedAt)).length > 0, timeoutMs)
    );
    // Samples every 5 s before and after, none in the paused stretch (one may land at its edges).
    const inside = (await samplesSince(ids, pausedAt + 6_000)).filter((v) => v.timestamp < resumedAt - 1_000);
    expect(inside).toEqual([]);
  }, 180_000);
});
