import { installNodeBackendSrv } from './nodeBackendSrv';
import { newDataSource, PanelRun, request } from './datasourceHarness';
import { bpftracePids, PMPROXY, sh, stackUp, waitFor } from './stack';

// The live engine end to end: DataSource.query() Observables against the real pmproxy, PMDA and
// bpftrace; processes counted with pgrep on this host.
const SYSCALLS = 'tracepoint:raw_syscalls:sys_enter { @syscalls = count(); }';
const TICKS = 'interval:ms:100 { @ticks = count(); }';

beforeAll(() => {
  stackUp();
  installNodeBackendSrv(() => PMPROXY);
});

afterEach(async () => {
  // Nothing of ours may keep running after a test.
  await waitFor('no bpftrace left', () => bpftracePids().length === 0, 30_000).catch(() => {
    sh('pkill -x bpftrace || true');
  });
});

afterAll(() => stackUp());

const hasData = (run: PanelRun, refId = 'A', n = 1) => run.values(refId).filter((v) => v !== null).length >= n;

describe('live engine on the real stack', () => {
  it('streams a counter as a per-second rate, and reuses the script across refreshes', async () => {
    const ds = newDataSource();
    const first = new PanelRun(ds, request([{ code: TICKS }]));
    await waitFor('3 rates', () => hasData(first, 'A', 3), 20_000);
    const pids = bpftracePids();
    expect(pids).toHaveLength(1);
    // interval:ms:100 → 10 per second.
    const rates = first.values().filter((v): v is number => v !== null);
    for (const r of rates) {
      expect(r).toBeGreaterThan(7);
      expect(r).toBeLessThan(13);
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

  it('a changed script replaces the old process at once', async () => {
    const ds = newDataSource();
    const run = new PanelRun(ds, request([{ code: SYSCALLS }]));
    await waitFor('data', () => hasData(run), 20_000);
    const [oldPid] = bpftracePids();
    run.stop();
    const changed = new PanelRun(ds, request([{ code: SYSCALLS.replace('@syscalls', '@calls') }]));
    await waitFor('the old process to exit', () => !bpftracePids().includes(oldPid), 3_000);
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

  it('two viewers of one panel share one bpftrace process', async () => {
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

  it('pmcd restart: the script is registered again and data resumes, one process', async () => {
    const ds = newDataSource();
    const run = new PanelRun(ds, request([{ code: TICKS }]));
    await waitFor('data', () => hasData(run, 'A', 2), 20_000);
    sh('/etc/init.d/pmcd restart >/dev/null 2>&1');
    const restartedAt = Date.now();
    const n = run.values().length;
    await waitFor(
      'fresh rates after the restart',
      () => {
        const v = run.values();
        return v.length >= n + 3 && typeof v.at(-1) === 'number';
      },
      30_000
    );
    expect(Date.now() - restartedAt).toBeLessThan(15_000);
    expect(bpftracePids()).toHaveLength(1);
    run.stop();
  });
});
