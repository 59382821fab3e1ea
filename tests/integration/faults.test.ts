import { DEFAULT_OUTPUT_LINES, prepareScript } from '../../src/scripts/naming';
import { deregisterScripts, registerScript, ScriptRecord } from '../../src/scripts/protocol';
import { isPmapiError } from '../../src/pmapi/errors';
import { hasData, leaseOf, newDataSource, PanelRun, request } from './datasourceHarness';
import { expectSteadyRates } from './steadyRates';
import { adminClient, expectNothingLeft, scriptsOf, scriptsOnHost } from './leaks';
import { installNodeBackendSrv, proxyLog } from './nodeBackendSrv';
import {
  dropRecording,
  lastSeconds,
  recordFor,
  recorded,
  stopRecording,
  timeSeries,
  untilRecordedOrRestartPmproxy,
} from './recordings';
import {
  bpftracePids,
  loggerPause,
  loggerResume,
  pmdaPid,
  PMPROXY,
  seriesDown,
  seriesUp,
  sh,
  stackUp,
  waitFor,
} from './stack';

// The fault suite: each fault a team sharing dashboards on production hosts meets, injected into
// the real stack (pmproxy, pmcd, the bpftrace PMDA, bpftrace) while real DataSource.query()
// Observables stream, with several clients where the fault is about several clients. Each test
// asserts what the user sees, the recovery in ticks (1 tick = the 1 s poll interval), that no
// bpftrace runs twice, and (afterEach) that nothing is left running once the panels closed.
// Figures are printed with a "fault:" prefix for the closing note.

const TICK_MS = 1000;
const TICKS = 'interval:ms:100 { @ticks = count(); }';
const SYSCALLS = 'tracepoint:raw_syscalls:sys_enter { @syscalls = count(); }';

/** A fault of Grafana's proxy: stops (deregister stores) get 502, as when pmproxy just crashed. */
let stopsUnanswered = false;

beforeAll(() => {
  stackUp();
  installNodeBackendSrv(() => PMPROXY, undefined, {
    unanswered: (method, path) => stopsUnanswered && path.includes('name=bpftrace.control.deregister'),
  });
});

afterEach(() => expectNothingLeft());

afterAll(() => stackUp());

const report = (line: string) => console.log(`fault: ${line}`);
const ticksBetween = (from: number, to: number) => Math.ceil((to - from) / TICK_MS);

/** pid → the script id whose bpftrace it is, from the PMDA's own record. */
async function pidOf(scriptId: string): Promise<number> {
  const name = `bpftrace.scripts.${scriptId}.pid`;
  const r = await adminClient().fetch([name]);
  return r.values.get(name)?.instances[0]?.value as number;
}

describe('faults: several viewers of one script', () => {
  it.each([
    ['the registrant', 0],
    ['the joiner', 1],
  ])('%s closes the panel: the other keeps its series, no gap over 1 tick, the same bpftrace', async (_, leaver) => {
    // Two browsers of one datasource (same uid): two clients with their own contexts and leases.
    const browsers = [newDataSource(), newDataSource()];
    const runs = [new PanelRun(browsers[0], request([{ code: TICKS }]))];
    await waitFor('data for the first viewer', () => hasData(runs[0], 'A', 2), 20_000);
    runs.push(new PanelRun(browsers[1], request([{ code: TICKS }])));
    await waitFor('data for the second viewer', () => hasData(runs[1], 'A', 2), 20_000);
    const pids = bpftracePids();
    expect(pids).toHaveLength(1);

    runs[leaver].stop();
    const leftAt = Date.now();
    await new Promise((r) => setTimeout(r, 15_000)); // well past grace + quiet window
    const stayer = runs[1 - leaver];
    const gap = stayer.longestGapSince(leftAt);
    const samples = stayer.arrivalsSince(leftAt);
    report(
      `${['registrant', 'joiner'][leaver]} left: the other got ${samples} samples in 15 s, longest gap ${gap} ms; bpftrace ${JSON.stringify(pids)} → ${JSON.stringify(bpftracePids())}`
    );
    expect(samples).toBeGreaterThanOrEqual(13); // a sample every tick of the 15 s
    // At most one tick without a new sample: bpftrace prints once a second and the poll runs once
    // a second, so one poll now and then lands just before a print (and finds none), and timers
    // jitter by milliseconds (2,004 ms seen). Two ticks without one (≥ 3 s) would be a lost tick.
    expect(gap).toBeLessThan(TICK_MS * 2.5);
    expect(bpftracePids()).toEqual(pids);
    expect(stayer.notices().join()).not.toMatch(/starting|gone|registered again/);

    stayer.stop();
    const lastLeftAt = Date.now();
    await waitFor('the script gone after the last viewer left', () => bpftracePids().length === 0, 30_000);
    report(`last viewer left: bpftrace gone after ${Date.now() - lastLeftAt} ms (grace 5 s)`);
    expect(Date.now() - lastLeftAt).toBeLessThanOrEqual(2 * 5_000 + 2 * TICK_MS);
  });

  it('a Viewer sends no control request: it waits, then reads the script an Editor started', async () => {
    const { proxyLog, clearProxyLog } = await import('./nodeBackendSrv');
    clearProxyLog();
    const viewer = new PanelRun(newDataSource({}, { role: 'Viewer' }), request([{ code: TICKS }]));
    await waitFor('the waiting notice', () => viewer.notices().some((n) => /not running on the host/.test(n)), 10_000);
    expect(bpftracePids()).toHaveLength(0);
    const editor = new PanelRun(newDataSource({}, { role: 'Editor' }), request([{ code: TICKS }]));
    await waitFor('data for the Viewer', () => hasData(viewer, 'A', 2), 30_000);
    expect(bpftracePids()).toHaveLength(1);
    viewer.stop();
    editor.stop();
    await waitFor('the script gone', () => bpftracePids().length === 0, 30_000);
    const viewerControl = proxyLog.filter((e) => e.role === 'Viewer' && /store/.test(e.path));
    expect(viewerControl).toEqual([]);
  });

  it('a script under another installation’s namespace, or with other code, is never joined', async () => {
    // Someone registers code that would be ours but for one character, with our marker.
    const ours = prepareScript(TICKS, { namespace: 'bpflive' }).text;
    const forged = await registerScript(adminClient(), ours.replace('interval:ms:100', 'interval:ms:50'));
    const other = await registerScript(adminClient(), prepareScript(TICKS, { namespace: 'other-grafana' }).text);
    const run = new PanelRun(newDataSource(), request([{ code: TICKS }]));
    await waitFor('data', () => hasData(run, 'A', 3), 20_000);
    const rate = run
      .values()
      .filter((v): v is number => v !== null)
      .at(-1)!;
    expect(rate).toBeGreaterThan(7); // 10/s: our code's, not the forged 20/s
    expect(rate).toBeLessThan(13);
    expect(bpftracePids()).toHaveLength(3);
    run.stop();
    const { deregisterScripts } = await import('../../src/scripts/protocol');
    await deregisterScripts(adminClient(), [forged.script_id, other.script_id]);
  });
});

describe('faults: processes die', () => {
  it('kill -9 of a bpftrace: a warning, restarted with backoff, data within 3 ticks of the new process', async () => {
    const ds = newDataSource();
    const run = new PanelRun(ds, request([{ code: TICKS }, { code: SYSCALLS }]));
    await waitFor('data', () => hasData(run, 'A', 2) && hasData(run, 'B', 2), 20_000);
    const lease = leaseOf(ds, TICKS)!;
    const pid = await pidOf(lease.scriptId!);
    const before = bpftracePids().length;
    sh(`kill -9 ${pid}`);
    const killedAt = Date.now();
    await waitFor('the killed warning', () => run.notices().some((n) => /killed \(signal 9/.test(n)), 10_000);
    await waitFor('a new bpftrace', () => bpftracePids().length === before && !bpftracePids().includes(pid), 20_000);
    const startedAt = Date.now();
    await waitFor('data again', () => run.firstArrivalAfter(startedAt) !== undefined, 20_000);
    const ticks = ticksBetween(startedAt, run.firstArrivalAfter(startedAt)!);
    // bpftrace's start (~0.5-1 s) plus its first print a second later: up to 3 ticks after the process appears.
    report(
      `kill -9 bpftrace: warning shown, restarted after ${startedAt - killedAt} ms, data ${ticks} tick(s) after the new process; processes ${before} → ${bpftracePids().length}`
    );
    expect(ticks).toBeLessThanOrEqual(3);
    expect(bpftracePids()).toHaveLength(before);
    expect(run.errors('B')).toHaveLength(0);
    await waitFor('the warning cleared', () => !run.notices().some((n) => /killed/.test(n)), 10_000);
    run.stop();
  });

  it('SIGTERM of a bpftrace (a script without exit()): said so, restarted, data again, one process', async () => {
    // bpftrace takes SIGTERM as Ctrl-C: it prints its maps and exits 0, as an exit() would.
    const ds = newDataSource();
    const run = new PanelRun(ds, request([{ code: SYSCALLS }]));
    await waitFor('data', () => hasData(run, 'A', 2), 20_000);
    const lease = leaseOf(ds, SYSCALLS)!;
    const pid = await pidOf(lease.scriptId!);
    sh(`kill -TERM ${pid}`);
    const stoppedAt = Date.now();
    await waitFor('the warning', () => run.sawNotice(stoppedAt, /never calls exit\(\).*restarting it/), 10_000).catch(
      (e: Error) => {
        throw new Error(`${e.message}; notices since:\n${run.noticesSince(stoppedAt)}`);
      }
    );
    await waitFor('a new bpftrace', () => bpftracePids().length === 1 && !bpftracePids().includes(pid), 20_000);
    const startedAt = Date.now();
    await waitFor('data again', () => run.firstArrivalAfter(startedAt) !== undefined, 20_000);
    report(
      `SIGTERM bpftrace: restarted after ${startedAt - stoppedAt} ms, data ${ticksBetween(startedAt, run.firstArrivalAfter(startedAt)!)} tick(s) after the new process`
    );
    expect(run.errors('A')).toHaveLength(0);
    expect(run.notices().some((n) => /has stopped/.test(n))).toBe(false);
    run.stop();
  });

  it('SIGKILL of the bpftrace PMDA: a warning while data is missing, data within 3 ticks of its return, no orphans', async () => {
    const ds = newDataSource();
    const run = new PanelRun(ds, request([{ code: TICKS }, { code: SYSCALLS }]));
    await waitFor('data', () => hasData(run, 'A', 2) && hasData(run, 'B', 2), 20_000);
    const pmda = pmdaPid();
    expect(pmda).toBeDefined();
    sh(`kill -9 ${pmda}`);
    const killedAt = Date.now();
    await waitFor(
      'a warning on the query',
      () => run.sawNotice(killedAt, /gone on the host|not loaded|not running|registering|restart/i),
      20_000
    ).catch((e: Error) => {
      // Say what the panel showed meanwhile, and whether its data went on (stale values?).
      throw new Error(
        `${e.message}; PMDA ${pmda} → ${pmdaPid()}; samples since the kill: ${run.arrivalsSince(killedAt)}; notices since the kill:\n${run.noticesSince(killedAt)}`
      );
    });
    await waitFor('the PMDA back', () => pmdaPid() !== undefined && pmdaPid() !== pmda, 60_000);
    const backAt = Date.now();
    await waitFor(
      'data on both queries',
      () => run.firstArrivalAfter(backAt, 'A') && run.firstArrivalAfter(backAt, 'B'),
      30_000
    );
    const ticks = Math.max(
      ticksBetween(backAt, run.firstArrivalAfter(backAt, 'A')!),
      ticksBetween(backAt, run.firstArrivalAfter(backAt, 'B')!)
    );
    await new Promise((r) => setTimeout(r, 3_000));
    report(
      `SIGKILL PMDA: pmcd restarted it after ${backAt - killedAt} ms; data ${ticks} tick(s) after; bpftrace processes now ${bpftracePids().length} for 2 scripts`
    );
    // Nothing tells the kill before a print is missed: the old context answers the last values,
    // and pmcd's agent status never shows it (the stack's supervisor has the PMDA back in
    // 0.3-2 s; measured with pminfo every 100 ms). A missed print is seen at the second tick after
    // the last one, then registering, bpftrace's start and its first print take ~1.1-1.4 s: 2 or 3
    // ticks after the PMDA's return, by the kill's phase against the prints (3 once in ~12 CI
    // runs). As for a pmcd restart (below), 3 is the bound.
    expect(ticks).toBeLessThanOrEqual(3);
    // The old PMDA's bpftrace children must not live on next to the new ones.
    expect(bpftracePids()).toHaveLength(2);
    run.stop();
  });

  it('the PMDA killed again soon after (pmcd waits up to a minute to start it): the panel says the PMDA is not running, never that bpftrace is slow; data within 3 ticks of its return', async () => {
    // pmcd starts a dead PMDA at once the first time, then about once a minute; meanwhile
    // pmproxy answers the scripts' last values, as if bpftrace had only gone quiet.
    const ds = newDataSource();
    const run = new PanelRun(ds, request([{ code: TICKS }]));
    await waitFor('data', () => hasData(run, 'A', 2), 20_000);
    const killAndWatch = async () => {
      const pmda = pmdaPid();
      expect(pmda).toBeDefined();
      sh(`kill -9 ${pmda}`);
      const killedAt = Date.now();
      const seen = new Map<string, number>();
      while (pmdaPid() === undefined || pmdaPid() === pmda) {
        for (const n of run.notices()) {
          seen.set(n, seen.get(n) ?? Date.now() - killedAt);
        }
        expect(Date.now() - killedAt).toBeLessThan(90_000);
        await new Promise((r) => setTimeout(r, 250));
      }
      const backAt = Date.now();
      await waitFor('data after the PMDA’s return', () => run.firstArrivalAfter(backAt) !== undefined, 30_000).catch(
        (e: Error) => {
          throw new Error(
            `${e.message}; outage ${backAt - killedAt} ms; notices ${JSON.stringify([...seen])}, now ${JSON.stringify(run.notices())}, errors ${JSON.stringify(run.errors().map((x) => x.message))}`
          );
        }
      );
      return { outageMs: backAt - killedAt, backAt, seen };
    };
    await killAndWatch();
    const { outageMs, backAt, seen } = await killAndWatch();
    const said = [...seen].find(([n]) => /bpftrace PMDA is not running on the host/.test(n));
    const ticks = ticksBetween(backAt, run.firstArrivalAfter(backAt)!);
    report(
      `PMDA killed twice: back after ${outageMs} ms; "not running" said ${said?.[1]} ms after the kill; data ${ticks} tick(s) after its return; notices meanwhile: ${JSON.stringify([...seen.keys()].filter((n) => !/^(Auto|This script is not recorded)/.test(n)))}`
    );
    expect(said).toBeDefined();
    expect(said![1]).toBeLessThan(5_000);
    expect([...seen.keys()].filter((n) => /has not printed its maps/.test(n))).toEqual([]);
    // Its return is its process seen (polled every 250 ms). Then the PMDA starts and pmcd says it
    // runs, the engine's next look (every 500 ms during the outage) registers, and bpftrace
    // attaches and prints ~1.1-1.4 s later: 2 or 3 ticks (3 once in CI, 2 in the runs before).
    expect(ticks).toBeLessThanOrEqual(3);
    expect(run.notices().filter((n) => /not running/.test(n))).toEqual([]);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(bpftracePids()).toHaveLength(1);
    // Closed now, its script must go as after any close: grace (5 s), then two looks at the list a
    // quiet period apart, or, if no look could decide, three quiet periods (~9 s). This is where
    // CI found a script still running 30 s later, its lease undecided.
    run.stop();
    const closedAt = Date.now();
    await waitFor('the script gone after the panel closed', () => bpftracePids().length === 0, 20_000).catch(
      (e: Error) => {
        throw new Error(`${e.message}; the engine: ${ds.endpoint.diagnostics()}`);
      }
    );
    report(
      `PMDA killed twice, then the panel closed: bpftrace gone after ${Date.now() - closedAt} ms; ${ds.endpoint.diagnostics()}`
    );
  }, 240_000);

  it('a bpftrace that stops printing (SIGSTOP) is reported as stalled, and recovers on SIGCONT', async () => {
    const ds = newDataSource();
    const run = new PanelRun(ds, request([{ code: TICKS }]));
    await waitFor('data', () => hasData(run, 'A', 2), 20_000);
    const pid = await pidOf(leaseOf(ds, TICKS)!.scriptId!);
    sh(`kill -STOP ${pid}`);
    try {
      await waitFor(
        'the stall notice',
        () => run.notices().some((n) => /has not printed its maps for \d+ s/.test(n)),
        15_000
      );
    } finally {
      sh(`kill -CONT ${pid}`);
    }
    const contAt = Date.now();
    await waitFor('data again', () => run.firstArrivalAfter(contAt) !== undefined, 10_000);
    await waitFor('the notice cleared', () => !run.notices().some((n) => /has not printed/.test(n)), 5_000);
    report(
      `SIGSTOP bpftrace: stall reported; data ${ticksBetween(contAt, run.firstArrivalAfter(contAt)!)} tick(s) after SIGCONT`
    );
    run.stop();
  });

  it('a browser that dies (no pagehide, no other client): its scripts stop within 2 minutes', async () => {
    const ds = newDataSource();
    const run = new PanelRun(ds, request([{ code: TICKS }]));
    await waitFor('data', () => hasData(run, 'A', 2), 20_000);
    // The browser dies: its timers stop, nothing is sent any more.
    (ds.endpoint as unknown as { poller: { stop(): void } }).poller.stop();
    const diedAt = Date.now();
    await waitFor('the script stopped by the PMDA', () => bpftracePids().length === 0, 120_000);
    report(
      `dead browser: its bpftrace stopped ${Math.round((Date.now() - diedAt) / 1000)} s after it died (PMDA script_expiry_time)`
    );
    expect(await scriptsOf()).toEqual([]);
    run.stop();
  }, 150_000);
  it('a laptop asleep past the PMDA’s expiry (nothing of the page runs): on waking it says why, registers again, data within 3 ticks, one process', async () => {
    const ds = newDataSource();
    const run = new PanelRun(ds, request([{ code: TICKS }]));
    await waitFor('data', () => hasData(run, 'A', 2), 20_000);
    const lease = leaseOf(ds, TICKS)!;
    const pid = await pidOf(lease.scriptId!);
    // The laptop sleeps: this whole process stops (timers, sockets, the panel's subscription), as a
    // browser does when the lid closes or it freezes a background tab. Meanwhile the PMDA expires
    // the script nobody reads. Waking a second past that, the page finds its script gone.
    // (A synchronous sleep(1) blocks this process's event loop, as sleep blocks a browser's.)
    const sleptAt = Date.now();
    while (bpftracePids().includes(pid) && Date.now() - sleptAt < 180_000) {
      sh('sleep 1');
    }
    sh('sleep 1');
    const wokeAt = Date.now();
    expect(bpftracePids()).not.toContain(pid);
    await waitFor('data again', () => run.firstArrivalAfter(wokeAt) !== undefined, 20_000).catch((e: Error) => {
      throw new Error(`${e.message}; notices since waking:\n${run.noticesSince(wokeAt)}`);
    });
    const ticks = ticksBetween(wokeAt, run.firstArrivalAfter(wokeAt)!);
    const said = run.noticesSince(wokeAt);
    report(
      `laptop asleep ${Math.round((wokeAt - sleptAt) / 1000)} s (the PMDA expired its script): data ${ticks} tick(s) after waking; notices meanwhile:\n${said}`
    );
    // What the page says is why its data stopped (it was asleep), never that pmproxy failed it.
    expect(said).toMatch(/asleep/);
    expect(said).not.toMatch(/cannot be reached|does not answer/);
    expect(ticks).toBeLessThanOrEqual(3);
    expect(run.errors()).toHaveLength(0);
    await waitFor('the notice gone', () => !run.notices().some((n) => /asleep/.test(n)), 15_000);
    expect(bpftracePids()).toHaveLength(1);
    run.stop();
  }, 300_000);
});

describe('faults: pmproxy and pmcd', () => {
  it('pmproxy down for 60 s: a warning, then data within 2 ticks of its return, the same bpftrace', async () => {
    const ds = newDataSource();
    const run = new PanelRun(ds, request([{ code: TICKS }]));
    await waitFor('data', () => hasData(run, 'A', 2), 20_000);
    const pids = bpftracePids();
    sh('/etc/init.d/pmproxy stop >/dev/null 2>&1 || true');
    try {
      await waitFor(
        'the unreachable warning',
        () => run.notices().some((n) => /pmproxy cannot be reached/.test(n)),
        10_000
      );
      await new Promise((r) => setTimeout(r, 60_000));
    } finally {
      sh('/etc/init.d/pmproxy start >/dev/null 2>&1');
    }
    await waitFor(
      'pmproxy answering',
      async () => (await fetch(`${PMPROXY}/pmapi/context`).catch(() => undefined))?.ok,
      20_000
    );
    const backAt = Date.now();
    await waitFor('data again', () => run.firstArrivalAfter(backAt) !== undefined, 20_000);
    const ticks = ticksBetween(backAt, run.firstArrivalAfter(backAt)!);
    report(
      `pmproxy down 60 s: data ${ticks} tick(s) after it answered again; bpftrace ${JSON.stringify(pids)} → ${JSON.stringify(bpftracePids())}`
    );
    expect(ticks).toBeLessThanOrEqual(2);
    expect(bpftracePids()).toEqual(pids);
    run.stop();
  }, 150_000);

  it('pmproxy hangs (SIGSTOP) for 25 s: both clients say it does not answer, then data within 2 ticks, the same bpftrace', async () => {
    // A pmproxy that hangs (stopped, swapping, a half-open connection) answers nothing and closes
    // nothing: without a timeout of our own a panel showed its last data with no word for as long
    // as Grafana's proxy waits (30 s by default, more if an admin raised it). Two browsers share
    // the one script; each must say so within the request timeout (15 s) and a tick.
    const runs = [newDataSource(), newDataSource()].map((ds) => new PanelRun(ds, request([{ code: TICKS }])));
    await waitFor('data on both', () => runs.every((r) => hasData(r, 'A', 2)), 20_000);
    const pids = bpftracePids();
    const pmproxy = sh('cat /run/pcp/pmproxy.pid').trim();
    const stoppedAt = Date.now();
    const saidAfter: number[] = [];
    sh(`kill -STOP ${pmproxy}`);
    try {
      await waitFor(
        'both say pmproxy does not answer',
        () =>
          runs.every((r, i) => {
            if (r.notices().some((n) => /pmproxy does not answer \(no answer in 15 s\)/.test(n))) {
              saidAfter[i] ??= Date.now() - stoppedAt;
            }
            return saidAfter[i] !== undefined;
          }),
        25_000
      );
      await new Promise((r) => setTimeout(r, Math.max(0, stoppedAt + 25_000 - Date.now())));
    } finally {
      sh(`kill -CONT ${pmproxy}`);
    }
    const backAt = Date.now();
    await waitFor('data again on both', () => runs.every((r) => r.firstArrivalAfter(backAt) !== undefined), 20_000);
    const ticks = runs.map((r) => ticksBetween(backAt, r.firstArrivalAfter(backAt)!));
    await waitFor(
      'the notices cleared',
      () => runs.every((r) => !r.notices().some((n) => /cannot be reached|does not answer/.test(n))),
      10_000
    );
    report(
      `pmproxy stopped 25 s: "no answer" said after ${saidAfter.join(' and ')} ms; data ${ticks.join(' and ')} tick(s) after SIGCONT; bpftrace ${JSON.stringify(pids)} → ${JSON.stringify(bpftracePids())}`
    );
    expect(Math.max(...saidAfter)).toBeLessThanOrEqual(15_000 + 2 * TICK_MS + 1000);
    expect(Math.max(...ticks)).toBeLessThanOrEqual(2);
    expect(bpftracePids()).toEqual(pids);
    runs.forEach((r) => r.stop());
  }, 120_000);

  it('pmproxy crashes (SIGSEGV): the watchdog starts it again, data resumes, the same bpftrace', async () => {
    // pmproxy 6.0.3 does crash (libuv/libpcp_web segfaults in dmesg). Hosts run it under systemd's
    // Restart=always; scripts/pcp-stack.sh's watchdog does the same here. What users see must be a
    // short gap, not a panel that stays dead or a second bpftrace.
    const ds = newDataSource();
    const run = new PanelRun(ds, request([{ code: TICKS }]));
    await waitFor('data', () => hasData(run, 'A', 2), 20_000);
    const pids = bpftracePids();
    const before = sh('cat /run/pcp/pmproxy.pid').trim();
    const crashedAt = Date.now();
    sh(`kill -SEGV ${before}`);
    await waitFor(
      'pmproxy started again by the watchdog',
      async () =>
        sh('cat /run/pcp/pmproxy.pid 2>/dev/null || true').trim() !== before &&
        (await fetch(`${PMPROXY}/pmapi/context`).catch(() => undefined))?.ok,
      20_000
    );
    const backAt = Date.now();
    await waitFor('data again', () => run.firstArrivalAfter(backAt) !== undefined, 20_000);
    const ticks = ticksBetween(backAt, run.firstArrivalAfter(backAt)!);
    report(
      `pmproxy crash: back after ${((backAt - crashedAt) / 1000).toFixed(1)} s, data ${ticks} tick(s) later; bpftrace ${JSON.stringify(pids)} → ${JSON.stringify(bpftracePids())}`
    );
    expect(ticks).toBeLessThanOrEqual(2);
    expect(bpftracePids()).toEqual(pids);
    run.stop();
  }, 90_000);

  it('the panel closes while stops get no answer: the stop is sent again, no bpftrace left long before the PMDA expiry', async () => {
    // pmproxy 6.0.3 crashes under load; a crash at the moment a panel's script is stopped must not
    // leave bpftrace running as root until the PMDA's expiry (90 s here, never on stock 6.0.3).
    const ds = newDataSource();
    const run = new PanelRun(ds, request([{ code: TICKS }]));
    await waitFor('data', () => hasData(run, 'A', 2), 20_000);
    const failedStops = () =>
      proxyLog.filter((e) => e.path.includes('name=bpftrace.control.deregister') && e.status === 502).length;
    const before = failedStops();
    stopsUnanswered = true;
    try {
      run.stop();
      await waitFor('a stop that got no answer', () => failedStops() > before, 30_000);
      await waitFor('the stop sent again', () => failedStops() > before + 1, 20_000);
      expect(bpftracePids()).toHaveLength(1);
    } finally {
      stopsUnanswered = false;
    }
    const answeredAt = Date.now();
    await waitFor('no bpftrace left', () => bpftracePids().length === 0, 30_000);
    const after = (Date.now() - answeredAt) / 1000;
    report(
      `stops unanswered while the panel closed: ${failedStops() - before} tries got 502; bpftrace gone ${after.toFixed(1)} s after stops were answered again`
    );
    expect(after).toBeLessThan(20);
  }, 120_000);

  it('pmcd restart: registered again, data within 3 ticks of the PMDA being back, one process', async () => {
    const ds = newDataSource();
    const run = new PanelRun(ds, request([{ code: TICKS }]));
    await waitFor('data', () => hasData(run, 'A', 2), 20_000);
    sh('/etc/init.d/pmcd restart >/dev/null 2>&1');
    await waitFor(
      'the PMDA back',
      async () => (await adminClient().metrics(['bpftrace.control.register'])).length === 1,
      30_000
    );
    const backAt = Date.now();
    await waitFor('data again', () => run.firstArrivalAfter(backAt) !== undefined, 20_000);
    const ticks = ticksBetween(backAt, run.firstArrivalAfter(backAt)!);
    report(`pmcd restart: data ${ticks} tick(s) after the PMDA was back; processes ${bpftracePids().length}`);
    // The register, bpftrace's start (compile, attach) and its first print take 2 ticks on a quiet
    // machine (measured 2 in every quiet run) and 3 under load (CI beside other work): not a third
    // poll the engine wastes, so the bound leaves room for one slow start.
    expect(ticks).toBeLessThanOrEqual(3);
    expect(bpftracePids()).toHaveLength(1);
    run.stop();
  });

  it('pmcd stopped for 15 s: a running panel and one opened meanwhile say pmproxy cannot reach pmcd; then data on both, one process each', async () => {
    const ds = newDataSource();
    const run = new PanelRun(ds, request([{ code: TICKS }]));
    await waitFor('data', () => hasData(run, 'A', 2), 20_000);
    sh('/etc/init.d/pmcd stop >/dev/null 2>&1');
    const stoppedAt = Date.now();
    let opened: PanelRun | undefined;
    try {
      await waitFor('the notice', () => run.sawNotice(stoppedAt, /pmproxy cannot reach pmcd/), 10_000).catch(
        (e: Error) => {
          throw new Error(`${e.message}; notices since the stop:\n${run.noticesSince(stoppedAt)}`);
        }
      );
      const said = (run.noticeLog.get('A') ?? []).find((e) => e.t >= stoppedAt && /cannot reach pmcd/.test(e.texts))!;
      // Another panel opened while pmcd is down: its registration cannot reach pmcd either.
      const openedAt = Date.now();
      opened = new PanelRun(ds, request([{ code: SYSCALLS }], 2));
      await waitFor('the new panel’s notice', () => opened!.sawNotice(openedAt, /cannot reach pmcd/), 10_000).catch(
        (e: Error) => {
          throw new Error(`${e.message}; the new panel's notices:\n${opened!.noticesSince(openedAt)}`);
        }
      );
      report(
        `pmcd stopped: "pmproxy cannot reach pmcd" said ${said.t - stoppedAt} ms after the stop; a panel opened meanwhile: ${opened.notices().join(' | ')}`
      );
      await new Promise((r) => setTimeout(r, 15_000 - (Date.now() - stoppedAt)));
    } finally {
      sh('/etc/init.d/pmcd start >/dev/null 2>&1');
    }
    const startedAt = Date.now();
    await waitFor(
      'data again on both',
      () => run.firstArrivalAfter(startedAt) !== undefined && opened!.firstArrivalAfter(startedAt) !== undefined,
      30_000
    ).catch((e: Error) => {
      throw new Error(
        `${e.message}; running panel:\n${run.noticesSince(startedAt)}\nopened meanwhile:\n${opened!.noticesSince(startedAt)}; errors ${JSON.stringify(opened!.errors().map((x) => x.message))}`
      );
    });
    report(
      `pmcd stopped: data ${run.firstArrivalAfter(startedAt)! - startedAt} ms (running panel), ${opened!.firstArrivalAfter(startedAt)! - startedAt} ms (opened during the outage) after pmcd's start`
    );
    expect(run.errors()).toHaveLength(0);
    expect(opened!.errors()).toHaveLength(0);
    await waitFor(
      'the notices gone',
      () => ![run, opened!].some((r) => r.notices().some((n) => /cannot reach pmcd/.test(n))),
      5_000
    );
    expect(bpftracePids()).toHaveLength(2);
    run.stop();
    opened!.stop();
  });
});

describe('faults: the PMDA itself', () => {
  /** The PMDA's process manager: the PMDA's own child, which runs the bpftrace processes. */
  function managerPid(): number | undefined {
    const pmda = pmdaPid();
    const row = sh(`ps -eo pid=,ppid=,args= | grep '[p]mdabpftrace.python' || true`)
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/).map(Number))
      .find(([, ppid]) => ppid === pmda);
    return row?.[0];
  }

  it('its process manager answers late (stopped for 3 s while a panel registers): every panel gets data, the PMDA stays in step', async () => {
    // PCP 6.0.3's PMDA waits 2 s for its manager's reply; a later reply used to be read as the
    // answer to the next request, and so on for good (every registration "Resource temporarily
    // unavailable" until pmcd restarted; seen in CI while a chatty script stopped).
    // scripts/pcp-stack.sh's step fix drops a late reply.
    const ds = newDataSource();
    const run = new PanelRun(ds, request([{ code: TICKS }]));
    await waitFor('data', () => hasData(run, 'A', 2), 20_000);
    const manager = managerPid();
    expect(manager).toBeDefined();
    sh(`kill -STOP ${manager}`);
    let late: PanelRun;
    try {
      // Its registration waits for the stopped manager: the reply comes late, for sure.
      late = new PanelRun(ds, request([{ code: SYSCALLS }], 2));
      await new Promise((r) => setTimeout(r, 3_000));
    } finally {
      sh(`kill -CONT ${manager}`);
    }
    const resumedAt = Date.now();
    await waitFor('data on the panel that registered meanwhile', () => hasData(late, 'A', 2), 30_000);
    // A panel opened afterwards registers at once, as on a PMDA that was never late.
    const after = new PanelRun(ds, request([{ code: 'interval:ms:100 { @after_late = count(); }' }], 3));
    const openedAt = Date.now();
    await waitFor('data on a panel opened afterwards', () => hasData(after, 'A', 2), 20_000);
    report(
      `late manager: data ${late.firstArrivalAfter(resumedAt)! - resumedAt} ms after it resumed; a new panel ${after.firstArrivalAfter(openedAt)! - openedAt} ms after opening; errors ${JSON.stringify([...late.errors('A'), ...after.errors('A')].map((e) => e.message))}`
    );
    expect(after.errors('A')).toEqual([]);
    expect(run.firstArrivalAfter(resumedAt)).toBeDefined();
    for (const r of [run, late, after]) {
      r.stop();
    }
    // In step: each registration's answer is the script just registered, lists read between them
    // (a PMDA one reply behind answers a registration with the previous request's reply: another
    // script, or a list, which it turns into "Resource temporarily unavailable").
    // Late once more, on a read of the list alone (the tick reads it too), then registrations
    // at once: the sequence that left the PMDA without the fix answering each registration with
    // the list ("Resource temporarily unavailable"), by hand with curl on this stack.
    const admin = adminClient();
    sh(`kill -STOP ${manager}`);
    try {
      const list = admin.fetch(['bpftrace.info.scripts']).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 3_000));
      sh(`kill -CONT ${manager}`);
      await list;
    } finally {
      sh(`kill -CONT ${manager}`);
    }
    const ids: string[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        const code = `interval:ms:200 { @in_step_${i} = count(); }`;
        const record = await registerScript(admin, code).catch(async (e: unknown) => {
          // A pooled connection that pmproxy closed meanwhile fails the POST before any answer
          // ("fetch failed"; Grafana's proxy fails a POST so too: Go resends only GETs). Seen once
          // in CI. Not the PMDA's step: the store reached the host or it did not; look, then resend.
          if (!isPmapiError(e, 'unreachable')) {
            throw e;
          }
          report(`late manager: registration ${i} failed on a dead connection (${(e as Error).message}); resent`);
          const there = (await scriptsOnHost()).find((r) => r.code?.includes(`@in_step_${i} `));
          return there?.script_id ? (there as ScriptRecord) : registerScript(admin, code);
        });
        ids.push(record.script_id);
        expect(record.code).toContain(`@in_step_${i}`);
      }
    } finally {
      await deregisterScripts(admin, ids);
    }
  });
});

describe('faults: load and bad input', () => {
  it('a noisy printf script: bounded on the host, a warning with its rate, and the other panel’s rate and ticks unharmed', async () => {
    const ds = newDataSource();
    // An opensnoop of a busy process: about 500 opens a second from one process. (At ~5,000 lines a
    // second the PMDA itself stops answering for over 5 s and pmcd restarts it — a limit of the
    // PMDA's own output handling, measured and reported in the closing note, not of bpflive.)
    const { load, noisy } = busyOpener(0.002);
    try {
      (await measureNoisy(ds, noisy)).loud.stop();
    } finally {
      sh(`kill ${load} 2>/dev/null || true`);
    }
  }, 90_000);

  it('a snoop at the default 2,000 kept lines and ~1,000 lines a second: the other panel unharmed, its bpftrace gone soon after its panel closes', async () => {
    // PCP 6.0.3's PMDA walked all the kept lines in Python for every line printed (3.5 ms a line at
    // 2,000): its one process manager fell behind, every panel of the host waited, and stopping
    // the snoop took until the backlog was read (over 30 s in CI). scripts/pcp-stack.sh's retain
    // fix finds the kept lines in C.
    const ds = newDataSource();
    const { load, noisy } = busyOpener(0.0008);
    try {
      const { loud } = await measureNoisy(ds, noisy, undefined);
      const pid = (await scriptsOf()).find((r) => r.code?.includes('printf'))?.state?.pid;
      expect(pid).toBeGreaterThan(0);
      const closedAt = Date.now();
      loud.stop();
      await waitFor('the snoop’s bpftrace gone', () => !bpftracePids().includes(pid!), 30_000);
      const goneMs = Date.now() - closedAt;
      report(`default-retention snoop: its bpftrace gone ${goneMs} ms after its panel closed (grace period included)`);
      // The grace period (5 s here) and bpftrace's own exit: a PMDA with a backlog took over 30 s.
      expect(goneMs).toBeLessThan(15_000);
    } finally {
      sh(`kill ${load} 2>/dev/null || true`);
    }
  }, 120_000);

  /** A process opening a file every `sleepSeconds`, and an opensnoop of it. */
  function busyOpener(sleepSeconds: number): { load: string; noisy: string } {
    const load = sh(
      `python3 -c 'import time\nwhile True:\n  open("/etc/hostname").close(); time.sleep(${sleepSeconds})' >/dev/null 2>&1 & echo $!`
    ).trim();
    const noisy = `tracepoint:syscalls:sys_enter_openat /pid == ${load}/ { printf("%d %s %s\\n", pid, comm, str(args->filename)); }`;
    return { load, noisy };
  }

  /** A calm panel beside a noisy printf one for 20 s: the calm one's rate and ticks are unharmed. */
  async function measureNoisy(
    ds: ReturnType<typeof newDataSource>,
    noisy: string,
    outputLines: number | undefined = 500
  ): Promise<{ calm: PanelRun; loud: PanelRun }> {
    const calm = new PanelRun(ds, request([{ code: TICKS }], 1));
    const loud = new PanelRun(ds, request([{ code: noisy, outputLines }], 2));
    await waitFor('data on the calm panel', () => hasData(calm, 'A', 2), 20_000);
    await waitFor('lines on the noisy panel', () => loud.frames().some((f) => f.length > 50), 20_000);
    const lateBefore = ds.endpoint.lateTicks;
    const from = Date.now();
    await new Promise((r) => setTimeout(r, 20_000));
    const rates = calm
      .values()
      .slice(-15)
      .filter((v): v is number => v !== null);
    const late = ds.endpoint.lateTicks - lateBefore;
    const noisyNotice = loud.notices().find((n) => /lines\/s/.test(n));
    const onHost = (await scriptsOf()).find((r) => r.code?.includes('printf'));
    report(
      `noisy printf: calm panel rates ${Math.min(...rates).toFixed(1)}–${Math.max(...rates).toFixed(1)}/s (true 10/s), ${late} late tick(s) in 20 s, ${calm.arrivalsSince(from)} samples, longest gap ${calm.longestGapSince(from)} ms; noisy panel ${loud.frames()[0]?.length ?? 0} lines; notice: ${noisyNotice ?? 'none'}`
    );
    expect(onHost?.code).toMatch(new RegExp(`table-retain-lines: ${outputLines ?? DEFAULT_OUTPUT_LINES}\n`));
    expect(calm.arrivalsSince(from)).toBeGreaterThanOrEqual(18);
    // On this 2-core VM, loaded by the noisy script, its load and the PMDA, bpftrace's timers fire
    // late now and then: see steadyRates. About once in 20 s it printed once for two seconds (in 7
    // of the CI runs that recorded their counts): a second's worth too many, unless bpflive counts
    // that gap as two seconds. Below that: the ticker's own lost fires (seen: 7 in a second).
    const latePrint = expectSteadyRates(
      rates,
      { perSecond: 10, tolerance: 1, excessLimit: 5, shortfallLimit: 10 },
      leaseOf(ds, TICKS)?.printCounts
    );
    if (latePrint) {
      report(`noisy printf: calm panel ${latePrint}`);
    }
    expect(late).toBe(0);
    calm.stop();
    return { calm, loud };
  }

  it('a lone surrogate in one query is an error on that query; the others show data; nothing is left', async () => {
    const ds = newDataSource();
    const run = new PanelRun(ds, request([{ code: TICKS }, { code: 'BEGIN { printf("\uD800\\n"); }' }]));
    await waitFor('data on A', () => hasData(run, 'A', 2), 20_000);
    expect(run.errors('B')[0]?.message).toMatch(/lone UTF-16 surrogate/);
    expect(run.errors('A')).toHaveLength(0);
    run.stop();
  });

  it('code that starts with U+FFFD is refused before it reaches the host, saying which character and where', async () => {
    // Sent, bpftrace reports the byte raw and PCP 6.0.3's PMDA chokes on it: the script stayed
    // "stopping" for good and the PMDA fell out of step for every user (seen in CI).
    const ds = newDataSource();
    const run = new PanelRun(ds, request([{ code: `\uFFFD${TICKS}` }, { code: TICKS }]));
    await waitFor('the refusal', () => run.errors('A').length > 0, 10_000);
    const message = run.errors('A')[0].message;
    report(`U+FFFD code: ${message}`);
    expect(message).toMatch(/line 1: A replacement character \(U\+FFFD\) outside a string/);
    await waitFor('data on the other query', () => hasData(run, 'B', 2), 20_000);
    const onHost = await scriptsOf();
    expect(onHost.some((r) => r.code?.includes('\uFFFD'))).toBe(false);
    expect(onHost.some((r) => r.code?.includes(TICKS.split('\n')[0]))).toBe(true);
    run.stop();
  });

  it('100 panels over 10 scripts: 10 processes, one fetch per tick, all with data', async () => {
    const ds = newDataSource();
    const runs = Array.from(
      { length: 100 },
      (_, i) => new PanelRun(ds, request([{ code: TICKS.replace('@ticks', `@t${i % 10}`) }], i + 1))
    );
    await waitFor('data on every panel', () => runs.every((r) => hasData(r)), 40_000);
    expect(bpftracePids()).toHaveLength(10);
    const before = ds.endpoint.fetchCount;
    await new Promise((r) => setTimeout(r, 5_000));
    const fetches = ds.endpoint.fetchCount - before;
    report(`100 panels / 10 scripts: ${fetches} fetches in 5 s, ${bpftracePids().length} processes`);
    expect(fetches).toBeLessThanOrEqual(6);
    runs.forEach((r) => r.stop());
  });

  it('the cap: over the datasource’s limit a query says so, the others run', async () => {
    const ds = newDataSource({ maxScripts: 3 });
    const run = new PanelRun(
      ds,
      request(Array.from({ length: 5 }, (_, i) => ({ code: TICKS.replace('@ticks', `@c${i}`) })))
    );
    await waitFor(
      'the cap notice',
      () => ['A', 'B', 'C', 'D', 'E'].some((r) => run.notices(r).some((n) => /limit of 3 scripts/.test(n))),
      20_000
    );
    await new Promise((r) => setTimeout(r, 3_000));
    expect(bpftracePids()).toHaveLength(3);
    run.stop();
  });

  it('20 fast edits of one panel: one process at the end, data of the last code, none after', async () => {
    const ds = newDataSource();
    let run: PanelRun | undefined;
    for (let i = 0; i < 20; i++) {
      run?.stop();
      run = new PanelRun(ds, request([{ code: TICKS.replace('100', String(100 + i)) }]));
      await new Promise((r) => setTimeout(r, 200));
    }
    await waitFor('data of the last code', () => hasData(run!, 'A', 2), 40_000).catch(async (e: Error) => {
      const host = (await scriptsOf()).map((r) => `${r.state?.status}: ${r.code?.split('\n')[0]}`);
      throw new Error(
        `${e.message}; the panel said ${JSON.stringify(run!.notices())}, errors ${JSON.stringify(run!.errors())}; on the host: ${host.join('; ')}`
      );
    });
    await waitFor('only the last script left', () => bpftracePids().length === 1, 30_000);
    const left = await scriptsOf();
    expect(left.map((r) => r.code?.split('\n')[0])).toEqual([TICKS.replace('100', '119')]);
    report(`20 fast edits: ${bpftracePids().length} process(es) at the end`);
    run!.stop();
  });
});

describe('faults: history (the series store and the recorder)', () => {
  const { query: RECORDED, name: NAME } = recorded('tracepoint:raw_syscalls:sys_enter { @fault_history = count(); }');
  const METRIC = `bpftrace.scripts.${NAME}.data.fault_history`;
  /** The first pmcd's hostname: the recorder's name for its pmlogger. */
  const HOST = sh('hostname').trim();

  afterEach(async () => {
    seriesUp();
    loggerResume(HOST);
    await dropRecording(NAME);
  });

  it('an archive gap (pmlogger paused): drawn as a gap, and the query says when it was not recorded', async () => {
    const started = await recordFor(RECORDED, 8000);
    // A new recording is a new pmlogger's archive, which pmproxy 6.0.3's discovery sometimes never
    // loads (docs/recording.md): the helper restarts pmproxy then and says so.
    await untilRecordedOrRestartPmproxy(report, 'archive gap, the recording', METRIC, started);
    const pausedAt = Date.now();
    loggerPause(HOST);
    await new Promise((r) => setTimeout(r, 8000));
    loggerResume(HOST);
    const resumedAt = Date.now();
    // Samples after the pause in the store: the gap lies inside the history, not at its seam.
    // They are in the archive pmlogger starts on resuming, which pmproxy 6.0.3's discovery
    // sometimes never loads; not what this test is about (the gap as the panel draws it), so then
    // pmproxy is restarted once and the test reports it.
    await untilRecordedOrRestartPmproxy(report, 'archive gap', METRIC, resumedAt + 2000, 0);
    const reader = newDataSource({}, { role: 'Viewer' });
    const run = new PanelRun(reader, lastSeconds([RECORDED], 90, 5));
    await waitFor(
      'the gap notice',
      () => run.notices().some((n) => /^Not recorded between \d\d:\d\d:\d\d and \d\d:\d\d:\d\d/.test(n)),
      30_000
    ).catch((e: Error) => {
      throw new Error(`${e.message}; the panel said ${JSON.stringify(run.notices())}`);
    });
    const { times, values } = timeSeries(run);
    const inGap = times.findIndex((t, i) => t > pausedAt && t < resumedAt && values[i] === null);
    report(
      `archive gap: pmlogger paused ${Math.round((resumedAt - pausedAt) / 1000)} s; notice: ${run.notices().find((n) => n.startsWith('Not recorded'))}`
    );
    expect(inGap).toBeGreaterThanOrEqual(0);
    run.stop();
    await reader.endpoint.close();
    await stopRecording(NAME);
  }, 300_000);

  it('the series store down: live data goes on, the query says history is unavailable, and history comes once it is back', async () => {
    const started = await recordFor(RECORDED, 10_000);
    await untilRecordedOrRestartPmproxy(report, 'series store down, the recording', METRIC, started);
    seriesDown();
    const reader = newDataSource({}, { role: 'Viewer' });
    const run = new PanelRun(reader, lastSeconds([RECORDED], 60, 4));
    const opened = Date.now();
    await waitFor(
      'the notice',
      () => run.notices().some((n) => /^History unavailable: the series store \(Redis\) does not answer/.test(n)),
      20_000
    );
    const toldAfter = Date.now() - opened;
    await waitFor('live data meanwhile', () => hasData(run, 'A', 3), 10_000);
    seriesUp();
    const back = Date.now();
    await waitFor(
      'history once the store is back',
      () => {
        const { times } = timeSeries(run);
        // The recording ran before this tab opened: history is what reaches before it.
        return times.length > 0 && times[0] < opened - 3000 ? true : undefined;
      },
      75_000
    ).catch((e: Error) => {
      const { times } = timeSeries(run);
      throw new Error(
        `${e.message}; the panel said ${JSON.stringify(run.notices())}; ${times.length} points from ${new Date(times[0]).toISOString()} (recording from ${new Date(started).toISOString()})`
      );
    });
    report(`series store down: told after ${toldAfter} ms; history ${Date.now() - back} ms after the store came back`);
    expect(run.notices().some((n) => /History unavailable/.test(n))).toBe(false);
    run.stop();
    await reader.endpoint.close();
    await stopRecording(NAME);
  }, 180_000);
});
