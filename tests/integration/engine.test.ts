import { deregisterScripts } from '../../src/scripts/protocol';
import { adminClient, expectNothingLeft } from './leaks';
import { installNodeBackendSrv } from './nodeBackendSrv';
import { hasData, leaseOf, newDataSource, PanelRun, request } from './datasourceHarness';
import { bpftracePids, PMPROXY, sh, stackUp, waitFor } from './stack';
import { excessCounts, expectSteadyRates } from './steadyRates';

// The live engine end to end: DataSource.query() Observables against the real pmproxy, PMDA and
// bpftrace; processes counted with pgrep on this host.
const SYSCALLS = 'tracepoint:raw_syscalls:sys_enter { @syscalls = count(); }';
const TICKS = 'interval:ms:100 { @ticks = count(); }';

beforeAll(() => {
  stackUp();
  installNodeBackendSrv(() => PMPROXY);
});

// Nothing of ours may keep running after a test: a leak fails it.
afterEach(() => expectNothingLeft());

afterAll(() => stackUp());

describe('live engine on the real stack', () => {
  it('streams a counter as a per-second rate, and reuses the script across refreshes', async () => {
    const ds = newDataSource();
    const first = new PanelRun(ds, request([{ code: TICKS }]));
    await waitFor('3 rates', () => hasData(first, 'A', 3), 20_000);
    const pids = bpftracePids();
    expect(pids).toHaveLength(1);
    // interval:ms:100 → 10 per second. A print that comes late on a loaded host (see steadyRates)
    // holds more than a second of counts, and the next one less: give that one a few seconds.
    const rates = () => first.values().filter((v): v is number => v !== null);
    await waitFor('the counts to add up', () => Math.abs(excessCounts(rates(), 10)) <= 3, 5_000).catch(() => {});
    const latePrint = expectSteadyRates(
      rates(),
      { perSecond: 10, tolerance: 2.5, excessLimit: 3 },
      leaseOf(ds, TICKS)?.printCounts
    );
    if (latePrint) {
      console.log(`a counter's rates at the script's start: ${latePrint}`);
    }
    const pointsBefore = first.values().length;

    // A refresh: Grafana unsubscribes, then subscribes with a new requestId.
    first.stop();
    const second = new PanelRun(ds, request([{ code: TICKS }]));
    // The buffered history arrives at once, on subscription.
    expect(second.values().length).toBeGreaterThanOrEqual(pointsBefore);
    await waitFor('more data', () => second.values().length > pointsBefore + 1, 10_000);
    expect(bpftracePids()).toEqual(pids);
    second.stop();
    await waitFor('the script to go after the grace period', () => bpftracePids().length === 0, 20_000);
  });

  it('a changed script replaces the old process without waiting for the grace period', async () => {
    const ds = newDataSource();
    const run = new PanelRun(ds, request([{ code: SYSCALLS }]));
    await waitFor('data', () => hasData(run), 20_000);
    const [oldPid] = bpftracePids();
    run.stop();
    const changedAt = Date.now();
    const changed = new PanelRun(ds, request([{ code: SYSCALLS.replace('@syscalls', '@calls') }]));
    // No grace period (5 s), only the quiet window that makes sure nobody else reads it (3 s).
    await waitFor('the old process to exit', () => !bpftracePids().includes(oldPid), 6_000);
    console.log(`code change: the old bpftrace exited ${Date.now() - changedAt} ms after the edit ran`);
    await waitFor('data of the new script', () => hasData(changed), 20_000);
    expect(bpftracePids()).toHaveLength(1);
    changed.stop();
  });

  it('a query that goes away stops its script after the grace period, not before', async () => {
    const ds = newDataSource();
    const run = new PanelRun(ds, request([{ code: SYSCALLS }]));
    await waitFor('data', () => hasData(run), 20_000);
    run.stop();
    const stoppedAt = Date.now();
    await new Promise((r) => setTimeout(r, 2_000));
    expect(bpftracePids()).toHaveLength(1);
    await waitFor('the process to exit', () => bpftracePids().length === 0, 20_000);
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(4_000);
  });

  it('a syntax error shows on its own query; the other query of the panel has data', async () => {
    const ds = newDataSource();
    const run = new PanelRun(
      ds,
      request([{ code: SYSCALLS }, { code: 'tracepoint:raw_syscalls:sys_enter { @x = count(); }}' }])
    );
    await waitFor('an error on B', () => run.errors('B').length > 0, 20_000);
    await waitFor('data on A', () => hasData(run, 'A'), 20_000);
    expect(run.errors('B')[0].message).toMatch(/stdin:1:\d+-\d+: ERROR: syntax error/);
    expect(run.errors('B')[0].message).not.toMatch(/RLIMIT_MEMLOCK/);
    expect(run.errors('A')).toHaveLength(0);
    run.stop();
  });

  it('a rejected script says why, on its query', async () => {
    const ds = newDataSource();
    const run = new PanelRun(ds, request([{ code: 'tracepoint:raw_syscalls:sys_enter { }' }]));
    await waitFor('an error', () => run.errors('A').length > 0, 10_000);
    expect(run.errors('A')[0].message).toMatch(/no bpftrace variables or printf statements/);
    run.stop();
  });

  it('clear() gives a gap, never a negative rate', async () => {
    const ds = newDataSource();
    const run = new PanelRun(ds, request([{ code: 'interval:ms:100 { @c = count(); } interval:s:2 { clear(@c); }' }]));
    await waitFor(
      'a gap after data',
      () => {
        const v = run.values();
        const firstValue = v.findIndex((x) => x !== null);
        return firstValue >= 0 && v.slice(firstValue).includes(null) && v.filter((x) => x !== null).length >= 3;
      },
      30_000
    );
    expect(run.values().every((v) => v === null || v >= 0)).toBe(true);
    run.stop();
  });

  it('a count the script prints and clears every second (vfsstat-style) shows its count per second', async () => {
    const ds = newDataSource();
    // Keyed, as the tools key it (by probe, by comm): a cleared scalar reads 0 at the PMDA's own
    // print that follows the script's (the editor says so; see lints.ts pmda-cleared-scalar).
    const code = 'interval:ms:100 { @[probe] = count(); } interval:s:1 { time(); print(@); clear(@); }';
    const run = new PanelRun(ds, request([{ code, format: 'timeseries', map: '@' }]));
    await waitFor('5 values', () => hasData(run, 'A', 5), 30_000);
    // 10 a second (100 ms timer): as a rate of the per-second count it was 0 (or noise) for good.
    const values = run.values().filter((v): v is number => v !== null);
    const median = [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    if (!(median >= 7 && median <= 13)) {
      throw new Error(`expected about 10 a second, got a median of ${median}: ${JSON.stringify(values)}`);
    }
    run.stop();
  });

  it('a histogram the script prints and clears every second (biolatency-style) draws each second’s counts', async () => {
    const ds = newDataSource();
    // 100 values a second, all 10: the [8, 16) bucket.
    const code = 'interval:ms:10 { @h = hist(10); } interval:s:1 { print(@h); clear(@h); }';
    const run = new PanelRun(
      ds,
      request([
        { code, format: 'heatmap' },
        { code, format: 'histogram' },
      ])
    );
    const cells = () => {
      const frame = run.frames('A')[0];
      const bucket = frame?.fields.find((f) => f.labels?.le === '16');
      return ((bucket?.values ?? []) as Array<number | null>).filter((v): v is number => v !== null);
    };
    await waitFor('5 cells', () => cells().length >= 5, 30_000);
    const bar = () => {
      const frame = run.frames('B')[0];
      const i = ((frame?.fields[0].values ?? []) as string[]).indexOf('[8, 16)');
      return i < 0 ? undefined : (frame!.fields[1].values[i] as number | null);
    };
    const aboutHundred = (v: number | null | undefined) => v !== null && v !== undefined && v >= 70 && v <= 130;
    // The heatmap's cells after the first (bpftrace starts mid-second: its first print is
    // partial), and the histogram's newest print (so the first may be partial too).
    await waitFor(
      'each second’s counts on both',
      () => {
        const full = cells().slice(1);
        return aboutHundred([...full].sort((x, y) => x - y)[Math.floor(full.length / 2)]) && aboutHundred(bar());
      },
      10_000
    ).catch((e: Error) => {
      throw new Error(`${e.message}: expected about 100 a second, got cells ${JSON.stringify(cells())}, bar ${bar()}`);
    });
    run.stop();
  });

  it('a script that prints and exits at once keeps what it printed, and says it stopped', async () => {
    const ds = newDataSource();
    const code = 'BEGIN { printf("hello from BEGIN\\n"); @answer = 42; exit(); }';
    const run = new PanelRun(
      ds,
      request([
        { code, format: 'table' },
        { code, format: 'logs' },
      ])
    );
    await waitFor(
      'the stop said',
      // Said once per panel, on the first query of the script.
      () => ['A', 'B'].some((r) => run.notices(r).some((n) => /stopped/.test(n))),
      30_000
    ).catch((e: Error) => {
      const said = (r: string) => JSON.stringify([run.notices(r), run.errors(r).map((x) => x.message)]);
      throw new Error(`${e.message}; A: ${said('A')}; B: ${said('B')}`);
    });
    await waitFor(
      'its map and its line',
      () => {
        const table = run.frames('A').flatMap((f) => f.fields.flatMap((x) => x.values as unknown[]));
        const lines = run.frames('B').flatMap((f) => f.fields.flatMap((x) => x.values as unknown[]));
        return table.includes(42) && lines.some((l) => typeof l === 'string' && l.includes('hello from BEGIN'));
      },
      10_000
    ).catch((e: Error) => {
      throw new Error(`${e.message}; A: ${JSON.stringify(run.frames('A'))}; B: ${JSON.stringify(run.frames('B'))}`);
    });
    run.stop();
  });

  it('two viewers of one panel (two browsers of one datasource) share one bpftrace process', async () => {
    const alice = new PanelRun(newDataSource(), request([{ code: SYSCALLS }]));
    const bob = new PanelRun(newDataSource(), request([{ code: SYSCALLS }]));
    await waitFor('data for both', () => hasData(alice) && hasData(bob), 20_000);
    expect(bpftracePids()).toHaveLength(1);
    alice.stop();
    bob.stop();
  });

  it('ten panels on one endpoint: one fetch per tick', async () => {
    const ds = newDataSource();
    const runs = Array.from(
      { length: 10 },
      (_, i) => new PanelRun(ds, request([{ code: `${SYSCALLS.replace('@syscalls', `@s${i}`)}` }], i + 1))
    );
    await waitFor('data on every panel', () => runs.every((r) => hasData(r)), 30_000);
    const before = ds.endpoint.fetchCount;
    await new Promise((r) => setTimeout(r, 5_000));
    const fetches = ds.endpoint.fetchCount - before;
    expect(fetches).toBeGreaterThanOrEqual(4);
    expect(fetches).toBeLessThanOrEqual(6);
    runs.forEach((r) => r.stop());
  });

  it('pmproxy restart: data resumes, no second script', async () => {
    const ds = newDataSource();
    const run = new PanelRun(ds, request([{ code: TICKS }]));
    await waitFor('data', () => hasData(run, 'A', 2), 20_000);
    const pids = bpftracePids();
    sh('/etc/init.d/pmproxy restart >/dev/null 2>&1');
    const n = run.values().length;
    await waitFor('data after the restart', () => run.values().length >= n + 3 && run.values().at(-1) !== null, 20_000);
    expect(bpftracePids()).toEqual(pids);
    run.stop();
  });

  it('pmcd restart: the script is registered again within 3 ticks of the stack being back', async () => {
    const ds = newDataSource();
    const run = new PanelRun(ds, request([{ code: TICKS }]));
    await waitFor('data', () => hasData(run, 'A', 2), 20_000);
    const lease = leaseOf(ds, TICKS)!;
    const idBefore = lease.scriptId;
    sh('/etc/init.d/pmcd restart >/dev/null 2>&1');
    // "Back": a fresh context sees the PMDA's register metric again.
    await waitFor(
      'the PMDA back',
      async () => (await ds.newClient().metrics(['bpftrace.control.register'])).length === 1,
      20_000
    );
    const backAt = Date.now();
    await waitFor(
      'the script registered again',
      () => bpftracePids().length === 1 && lease.phase === 'running' && lease.scriptId !== idBefore,
      20_000
    );
    // Ticks of the poll interval (1 s), by the clock: not fetches, which the engine makes every
    // 300 ms while a script starts, so that its first values show as soon as bpftrace prints them.
    // Up to 3: the next tick finds pmcd new (≤ 1 s), registers, and bpftrace takes 0.5–1 s to
    // start; this test's own probes (a fresh context, pgrep) poll every 250 ms. Over 12 fresh-clone
    // CI runs: 1 tick 5 times, 2 ticks 6 times, 3 once; fresh rates came 2.81–3.57 s after the
    // PMDA was back in every run, the run of 3 ticks included (2.81 s).
    const reRegisteredTicks = Math.ceil((Date.now() - backAt) / 1000);
    const n = run.values().length;
    await waitFor(
      'fresh rates after the restart',
      () => run.values().length >= n + 2 && typeof run.values().at(-1) === 'number',
      20_000
    );
    console.log(
      `pmcd restart: script running again after ${reRegisteredTicks} tick(s); fresh rates ${Date.now() - backAt} ms after the PMDA was back`
    );
    expect(reRegisteredTicks).toBeLessThanOrEqual(3);
    expect(bpftracePids()).toHaveLength(1);
    run.stop();
  });
});

describe('live engine: per-query host', () => {
  it('a query may name its own pmcd host; one that cannot be reached says so and breaks nothing else', async () => {
    const ds = newDataSource();
    const run = new PanelRun(
      ds,
      request([
        { code: SYSCALLS, hostspec: '127.0.0.1' },
        { code: SYSCALLS, hostspec: 'localhost:1' },
      ])
    );
    await waitFor('data on A through its own endpoint', () => hasData(run, 'A'), 20_000);
    await waitFor(
      'B tells why',
      () => run.frames('B').some((f) => f.meta?.notices?.some((n) => /cannot reach pmcd/.test(n.text))),
      20_000
    );
    expect(ds.endpointFor('127.0.0.1')).not.toBe(ds.endpoint);
    expect(run.errors('A')).toHaveLength(0);
    run.stop();
  });
});

describe('live engine: scripts changed behind its back', () => {
  it('a script deregistered elsewhere is registered again, and no frozen values are shown', async () => {
    const ds = newDataSource();
    const run = new PanelRun(ds, request([{ code: TICKS }]));
    await waitFor('data', () => hasData(run, 'A', 2), 20_000);
    const id = leaseOf(ds, TICKS)!.scriptId!;
    const [firstPid] = bpftracePids();
    // Another client (a colleague, a cleanup job) deregisters it.
    await deregisterScripts(adminClient(), [id]);
    await waitFor(
      'a new bpftrace process',
      () => bpftracePids().length === 1 && bpftracePids()[0] !== firstPid,
      30_000
    );
    const n = run.values().length;
    await waitFor(
      'fresh rates from the new process',
      () => run.values().length >= n + 2 && typeof run.values().at(-1) === 'number',
      20_000
    );
    // Rates of about 10/s: values from the new process, not the old one's frozen count.
    const last = run.values().at(-1) as number;
    expect(last).toBeGreaterThan(7);
    expect(last).toBeLessThan(13);
    run.stop();
  });
});

describe('live engine: what the user is told', () => {
  it('a script that runs but traces less than asked says so as a warning', async () => {
    const ds = newDataSource();
    // No kprobes on this kernel: the wildcard matches nothing, bpftrace warns and runs on.
    const run = new PanelRun(
      ds,
      request([{ code: 'tracepoint:raw_syscalls:sys_enter { @a = count(); } kprobe:vfs_rea* { @b = count(); }' }])
    );
    // The warning about the probes, not any warning: a pmproxy that is being restarted (its crash,
    // see docs/operations.md) first gives a passing "retrying" one.
    await waitFor(
      'the warning about the probes',
      () =>
        run
          .frames()
          .some((f) =>
            f.meta?.notices?.some((n) => n.severity === 'warning' && /some probes may trace nothing/.test(n.text))
          ),
      30_000
    );
    expect(run.errors()).toHaveLength(0);
    run.stop();
  });

  it('a map that fills up to bpftrace’s limit says new keys are dropped; the other query of the panel is unharmed', async () => {
    const ds = newDataSource();
    // A key per event (nsecs): thousands of new keys a second, far past what bpftrace keeps.
    const run = new PanelRun(
      ds,
      request([{ code: 'tracepoint:raw_syscalls:sys_enter { @bytime[nsecs] = count(); }' }, { code: TICKS }])
    );
    await waitFor(
      'the map-full warning',
      () => run.notices('A').some((n) => /^Map full: @bytime holds 4096 keys/.test(n)),
      30_000
    ).catch((e: Error) => {
      throw new Error(
        `${e.message}; notices: ${JSON.stringify(run.notices('A'))}; errors: ${JSON.stringify(run.errors('A'))}`
      );
    });
    await waitFor('data on the other query', () => hasData(run, 'B', 2), 20_000);
    expect(run.notices('B').some((n) => /Map full/.test(n))).toBe(false);
    run.stop();
  });

  it('errors bpftrace reports while a script runs are a warning on its query (the script keeps its data)', async () => {
    const ds = newDataSource();
    // cat() of a missing file: bpftrace prints an ERROR line on stderr at each call, and runs on.
    // Every 2 s from 2 s after the start: past the start checks (the first ticks), which read the
    // error text anyway, so the warning comes from a later look.
    const code = 'interval:ms:500 { @calls = count(); } interval:s:2 { cat("/nonexistent/bpflive"); }';
    const run = new PanelRun(ds, request([{ code }, { code: TICKS }]));
    const startedAt = Date.now();
    await waitFor(
      'the warning',
      () =>
        run
          .notices('A')
          .some((n) => /^bpftrace reported \d+ errors? .*failed to open file '\/nonexistent\/bpflive'/.test(n)),
      60_000
    ).catch((e: Error) => {
      throw new Error(
        `${e.message}; notices: ${JSON.stringify(run.notices('A'))}; errors: ${JSON.stringify(run.errors('A'))}`
      );
    });
    console.log(
      `runtime errors: warned ${Date.now() - startedAt} ms after the start: ${run.notices('A').find((n) => /^bpftrace reported/.test(n))}`
    );
    expect(hasData(run, 'A', 2)).toBe(true);
    expect(run.errors('A')).toHaveLength(0);
    expect(run.notices('B').some((n) => /bpftrace reported/.test(n))).toBe(false);
    run.stop();
  });

  it('a script that exits keeps its last data and says it stopped', async () => {
    const ds = newDataSource();
    const run = new PanelRun(ds, request([{ code: 'interval:ms:100 { @n = count(); } interval:s:3 { exit(); }' }]));
    await waitFor(
      'the stopped notice',
      () => run.frames().some((f) => f.meta?.notices?.some((n) => /has stopped \(exit code 0\)/.test(n.text))),
      20_000
    );
    expect(run.values().filter((v) => v !== null).length).toBeGreaterThanOrEqual(1);
    expect(run.errors()).toHaveLength(0);
    run.stop();
  });
});
