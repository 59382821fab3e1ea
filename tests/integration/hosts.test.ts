import { hostKey } from '../../src/datasource';
import { namespaceOf } from '../../src/scripts/naming';
import { expectNothingLeft, scriptsOnHost } from './leaks';
import { installNodeBackendSrv } from './nodeBackendSrv';
import { newDataSource, PanelRun, request, useDashboardVariables } from './datasourceHarness';
import { bpftracePids, PMPROXY, SECOND_HOSTSPEC, stackUp, stopSecondHost, waitFor } from './stack';

// One script on two real pmcd hosts: the stack's own pmcd and the second pmcd that
// `scripts/pcp-stack.sh up --second-host` starts on this machine (its own bpftrace PMDA), both
// through the one pmproxy; $host is a multi-value dashboard variable with both.
const HOSTS = ['localhost', SECOND_HOSTSPEC];
const SYSCALLS = 'tracepoint:raw_syscalls:sys_enter { @syscalls = count(); }';

beforeAll(async () => {
  stackUp(['--second-host']);
  installNodeBackendSrv(() => PMPROXY);
  // Start clean: scripts a previous user of the stack left expire within 90 s (script_expiry_time).
  await waitFor('no bpftrace left by earlier runs', () => bpftracePids().length === 0, 100_000).catch(() => undefined);
}, 110_000);

/** A test stopped the second pmcd and has not brought it back (it failed before that). */
let secondHostDown = false;

afterEach(async () => {
  // Up again first, so that one failing test does not fail the next ones that need both hosts.
  if (secondHostDown) {
    stackUp(['--second-host']);
    secondHostDown = false;
  }
  await expectNothingLeft(30_000, HOSTS);
});

afterAll(() => stackUp(['--second-host']));

const keyOf = (host: string) => hostKey('A', host);

describe('one script on two hosts', () => {
  it('runs once per host, series labelled by host, one fetch per host per tick; a stopped host is a warning on its own series', async () => {
    useDashboardVariables({ host: HOSTS });
    const ds = newDataSource({ hostspec: 'localhost' });
    const started = Date.now();
    const run = new PanelRun(ds, request([{ code: SYSCALLS, hostspec: '$host' }]));
    for (const host of HOSTS) {
      await waitFor(`data from ${host}`, () => run.values(keyOf(host)).filter((v) => v !== null).length >= 3, 30_000);
    }
    const firstData = HOSTS.map((host) => (run.arrivals.get(keyOf(host))?.[0] ?? NaN) - started);
    // One bpftrace per host, each started by its own PMDA.
    for (const host of HOSTS) {
      const mine = (await scriptsOnHost(host)).filter((r) => namespaceOf(r.code ?? '') === 'bpflive');
      expect(mine).toHaveLength(1);
      expect(bpftracePids()).toContain(mine[0].state?.pid);
      const frame = run.frames(keyOf(host))[0];
      expect(frame.fields[1].labels).toEqual({ host });
      expect(frame.fields[1].config.displayNameFromDS).toBe(`${host}: @syscalls`);
      expect(run.errors(keyOf(host))).toEqual([]);
    }

    // Fetches per tick per host, over 10 s of steady streaming.
    const endpoints = HOSTS.map((h) => ds.endpointFor(h));
    const before = endpoints.map((e) => e.fetchCount);
    const arrivalsFrom = Date.now();
    // Data delay: how old the newest sample is when the panel gets it (its time is the fetch's).
    const ages: number[][] = HOSTS.map(() => []);
    const lastSeen = HOSTS.map(() => 0);
    const sampler = setInterval(() => {
      HOSTS.forEach((h, i) => {
        const times = run.frames(keyOf(h)).find((f) => f.fields.length > 1)?.fields[0].values ?? [];
        const newest = Number(times[times.length - 1] ?? 0);
        if (newest > lastSeen[i]) {
          lastSeen[i] = newest;
          ages[i].push(Date.now() - newest);
        }
      });
    }, 20);
    await new Promise((r) => setTimeout(r, 10_000));
    clearInterval(sampler);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const delays = ages.map((xs) => median(xs.slice(1)));
    const fetches = endpoints.map((e, i) => e.fetchCount - before[i]);
    const arrivals = HOSTS.map((h) => run.arrivalsSince(arrivalsFrom, keyOf(h)));
    const gaps = HOSTS.map((h) => run.longestGapSince(arrivalsFrom, keyOf(h)));
    console.log(
      `two hosts, 10 s: fetches per host ${fetches.join(', ')}; new samples per host ${arrivals.join(', ')}; longest gap between samples ${gaps.join(', ')} ms; first data after ${firstData.join(', ')} ms; median age of the newest sample when it reached the panel ${delays.join(', ')} ms`
    );
    for (let i = 0; i < HOSTS.length; i++) {
      // One fetch per host per 1 s tick (a tick while a script starts may come sooner).
      expect(fetches[i]).toBeGreaterThanOrEqual(8);
      expect(fetches[i]).toBeLessThanOrEqual(12);
      expect(arrivals[i]).toBeGreaterThanOrEqual(7);
      expect(gaps[i]).toBeLessThan(2_500);
      expect(delays[i]).toBeLessThan(1_000);
    }

    // The second host goes away: a warning on its series only; the first host's data flows.
    stopSecondHost();
    secondHostDown = true;
    const stoppedAt = Date.now();
    const warnings = (host: string) =>
      run
        .frames(keyOf(host))
        .flatMap((f) => f.meta?.notices ?? [])
        .filter((n) => n.severity === 'warning')
        .map((n) => n.text);
    await waitFor(
      `a warning on ${SECOND_HOSTSPEC}'s frames`,
      () => warnings(SECOND_HOSTSPEC).some((t) => t.startsWith(`${SECOND_HOSTSPEC}: `)),
      20_000
    );
    const warnedAfter = Date.now() - stoppedAt;
    // The first host goes on at its pace: new samples keep coming, none held up for long. (A
    // count in a fixed window failed once in CI with 3 of 4: a loaded machine delays ticks; pmproxy
    // itself answers the other host at once while one pmcd is down, measured 9–13 ms.)
    await waitFor(
      'four samples from localhost since the stop',
      () => run.arrivalsSince(stoppedAt, keyOf('localhost')) >= 4,
      15_000
    );
    const localFirst = run.firstArrivalAfter(stoppedAt, keyOf('localhost'))! - stoppedAt;
    const localGap = run.longestGapSince(stoppedAt, keyOf('localhost'));
    expect(Math.max(localFirst, localGap)).toBeLessThan(4_000);
    expect(run.errors(keyOf('localhost'))).toEqual([]);
    expect(warnings('localhost')).toEqual([]);
    expect(run.errors(keyOf(SECOND_HOSTSPEC))).toEqual([]);
    console.log(
      `second host stopped: warned after ${warnedAfter} ms: ${JSON.stringify(warnings(SECOND_HOSTSPEC))}; ` +
        `localhost: first sample after ${localFirst} ms, longest gap ${localGap} ms`
    );

    // Back up: its script is registered again and its data resumes.
    stackUp(['--second-host']);
    secondHostDown = false;
    const backAt = Date.now();
    await waitFor(
      `data from ${SECOND_HOSTSPEC} again`,
      () => run.arrivalsSince(backAt, keyOf(SECOND_HOSTSPEC)) >= 2,
      40_000
    );
    console.log(
      `second host back: data again ${(run.arrivals.get(keyOf(SECOND_HOSTSPEC)) ?? []).find((t) => t >= backAt)! - backAt} ms after up returned`
    );
    run.stop();
  });

  it('a panel repeated by host runs only its own host', async () => {
    useDashboardVariables({ host: HOSTS });
    const ds = newDataSource({ hostspec: 'localhost' });
    const req = request([{ code: SYSCALLS, hostspec: '$host' }]);
    req.scopedVars = { host: { text: SECOND_HOSTSPEC, value: SECOND_HOSTSPEC } };
    const run = new PanelRun(ds, req);
    await waitFor('data', () => run.values('A').filter((v) => v !== null).length >= 2, 30_000);
    const [mine] = (await scriptsOnHost(SECOND_HOSTSPEC)).filter((r) => namespaceOf(r.code ?? '') === 'bpflive');
    expect(bpftracePids()).toContain(mine.state?.pid);
    expect((await scriptsOnHost(SECOND_HOSTSPEC)).filter((r) => namespaceOf(r.code ?? '') === 'bpflive')).toHaveLength(
      1
    );
    expect((await scriptsOnHost('localhost')).filter((r) => namespaceOf(r.code ?? '') === 'bpflive')).toHaveLength(0);
    run.stop();
  });
});
