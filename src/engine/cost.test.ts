import { PmapiClient } from '../pmapi/client';
import { CONTROL_PATHS } from '../pmapi/request';
import { FakePmda } from '../test/fakePmda';
import { Endpoint, EndpointOptions, PROC_EVERY } from './Endpoint';
import { ProcessCosts } from './processCost';
import { percentText } from '../shared/percent';

// What scripts cost (proc metrics by the PMDA's pid) and the CPU budget, against the model of
// the PMDA (src/test/fakePmda.ts); tests/integration/runningScripts.test.ts runs it on the real stack.
const CODE = 'tracepoint:raw_syscalls:sys_enter { @n = count(); }';
const realSetImmediate = jest.requireActual('timers').setImmediate as (f: () => void) => void;

let pmda: FakePmda;
let clock: number;

function endpoint(extra: Partial<EndpointOptions> = {}, role: 'editor' | 'viewer' = 'editor') {
  const pmapi = new PmapiClient(pmda.transport('A'), {
    hostspec: 'localhost',
    polltimeoutSec: 30,
    controlPath: role === 'editor' ? CONTROL_PATHS.editor : undefined,
  });
  return new Endpoint(pmapi, {
    pollIntervalMs: 1000,
    retentionMs: 600_000,
    namespace: 'ds1',
    now: () => clock,
    ...extra,
  });
}

async function flush() {
  for (let i = 0; i < 20; i++) {
    await new Promise<void>((r) => realSetImmediate(r));
  }
}

async function seconds(n: number, e: Endpoint) {
  for (let i = 0; i < n; i++) {
    clock += 1000;
    pmda.clock = clock;
    pmda.print();
    await e.pollOnce();
    await flush();
  }
}

const fetches = () => pmda.log.filter((l) => l.path === '/pmapi/fetch');

beforeEach(() => {
  jest.useFakeTimers();
  pmda = new FakePmda();
  clock = 1_000_000;
  pmda.clock = clock;
});
afterEach(() => jest.useRealTimers());

describe('ProcessCosts', () => {
  const sample = (utime: number, stime: number, rss = 1000) => ({
    timestampMs: 0,
    values: new Map([
      ['proc.psinfo.utime', { pmid: '3.8.0', name: 'proc.psinfo.utime', instances: [{ instance: 42, value: utime }] }],
      ['proc.psinfo.stime', { pmid: '3.8.1', name: 'proc.psinfo.stime', instances: [{ instance: 42, value: stime }] }],
      ['proc.psinfo.rss', { pmid: '3.8.2', name: 'proc.psinfo.rss', instances: [{ instance: 42, value: rss }] }],
    ]),
  });

  it('gives a share of one CPU from user + system ms over the window, and memory in bytes', () => {
    const costs = new ProcessCosts();
    costs.take(sample(100, 50), 10_000);
    expect(costs.of(42)).toEqual({ rssBytes: 1_024_000 });
    costs.take(sample(300, 100), 15_000);
    expect(costs.of(42)?.cpu).toBeCloseTo(250 / 5000);
    expect(costs.of(42)?.windowMs).toBe(5000);
    expect(costs.available).toBe(true);
  });

  it('starts over when the counter goes back (a pid reused by another process), and forgets pids that went', () => {
    const costs = new ProcessCosts();
    costs.take(sample(1000, 0), 0);
    costs.take(sample(10, 0), 5000);
    expect(costs.of(42)?.cpu).toBeUndefined();
    costs.take(
      { timestampMs: 0, values: new Map([...sample(0, 0).values].map(([k, v]) => [k, { ...v, instances: [] }])) },
      9000
    );
    expect(costs.of(42)).toBeUndefined();
  });

  it('says when the host has no proc metrics', () => {
    const costs = new ProcessCosts();
    costs.take({ timestampMs: 0, values: new Map() }, 0);
    expect(costs.available).toBe(false);
  });

  it('writes small shares with enough digits to be told from nothing', () => {
    expect(percentText(0.0004)).toBe('0.04 %');
    expect(percentText(0.053)).toBe('5.3 %');
    expect(percentText(0.5)).toBe('50 %');
  });
});

describe('Endpoint: what scripts cost', () => {
  it(`reads the proc metrics in the tick's one fetch, every ${PROC_EVERY} ticks, and measures the script's bpftrace`, async () => {
    const e = endpoint();
    const { lease } = e.subscribe('d/1/A', CODE, () => undefined);
    await flush();
    await seconds(2, e);
    const before = fetches().length;
    const ticks = 3 * PROC_EVERY;
    await seconds(ticks, e);
    // One fetch per tick (register's read-back aside, none here: the script already runs).
    expect(fetches().length - before).toBe(ticks);
    // The share covers the PROC_EVERY ticks between two proc samples.
    expect(e.costOf(lease)?.windowMs).toBe(PROC_EVERY * 1000);
    // 20 ms of CPU per one-second print: 2 % of one CPU.
    expect(e.costOf(lease)?.cpu).toBeCloseTo(0.02, 3);
    expect(e.costOf(lease)?.rssBytes).toBe(40_000 * 1024);
  });

  it('warns over the budget but leaves the script running when the admin did not choose to stop', async () => {
    const e = endpoint({ cpuBudget: 0.01 });
    const { lease } = e.subscribe('d/1/A', CODE, () => undefined);
    await flush();
    await seconds(4 * PROC_EVERY, e);
    expect(e.isOverBudget(lease)).toBe(true);
    expect(lease.phase).toBe('running');
    expect(pmda.running()).toHaveLength(1);
  });

  it('stops a script over budget at two samples in a row when the admin chose so, and says why', async () => {
    const e = endpoint({ cpuBudget: 0.01, stopOverBudget: true });
    const { lease } = e.subscribe('d/1/A', CODE, () => undefined);
    await flush();
    await seconds(4 * PROC_EVERY, e);
    expect(lease.phase).toBe('failed');
    expect(lease.error).toMatch(/^Stopped: the script used 2\.0 % of a CPU, over the datasource's budget of 1\.0 %/);
    expect(pmda.ids()).toHaveLength(0);
  });

  it('never stops a script under budget, nor when this session may not stop scripts', async () => {
    const under = endpoint({ cpuBudget: 0.05, stopOverBudget: true });
    const a = under.subscribe('d/1/A', CODE, () => undefined).lease;
    await flush();
    await seconds(4 * PROC_EVERY, under);
    expect(a.phase).toBe('running');
    expect(under.isOverBudget(a)).toBe(false);

    const viewer = endpoint({ cpuBudget: 0.01, stopOverBudget: true }, 'viewer');
    const b = viewer.subscribe('d/1/B', CODE, () => undefined).lease;
    await flush();
    await seconds(4 * PROC_EVERY, viewer);
    expect(viewer.isOverBudget(b)).toBe(true);
    expect(b.phase).toBe('running');
    expect(pmda.running()).toHaveLength(1);
  });
});

describe('Endpoint: a reader of the whole host', () => {
  it("polls with no script of its own, lists every script on the host with its pid's cost, and stops reading when removed", async () => {
    const other = endpoint({ namespace: 'other-ds' });
    other.subscribe('d/9/A', CODE, () => undefined);
    await flush();
    await seconds(2, other);

    const e = endpoint();
    let ticks = 0;
    const remove = e.addReader({ onTick: () => ticks++ });
    await seconds(PROC_EVERY + 1, e);
    expect(ticks).toBe(PROC_EVERY + 1);
    const records = e.scriptsOnHost?.records ?? [];
    expect(records.map((r) => r.script_id)).toEqual(pmda.ids());
    expect(e.costs.of(records[0].state?.pid)?.rssBytes).toBe(40_000 * 1024);
    remove();
    const before = fetches().length;
    await seconds(3, e);
    expect(fetches().length).toBe(before);
  });

  it('stops a script by id for an Editor, and sends nothing for a Viewer', async () => {
    const owner = endpoint({ namespace: 'other-ds' });
    owner.subscribe('d/9/A', CODE, () => undefined);
    await flush();
    await seconds(2, owner);
    const [id] = pmda.ids();

    const viewer = endpoint({}, 'viewer');
    const stores = () => pmda.log.filter((l) => l.path.endsWith('/store')).length;
    const sent = stores();
    await expect(viewer.stopScript(id)).rejects.toThrow(/may not stop scripts/);
    expect(stores()).toBe(sent);
    expect(pmda.ids()).toEqual([id]);

    await endpoint().stopScript(id);
    expect(pmda.ids()).toEqual([]);
  });
});

describe('Endpoint: a named script of the host, shown by name', () => {
  const registers = () => pmda.log.filter((l) => l.name === 'bpftrace.control.register').length;
  const deregisters = () => pmda.log.filter((l) => l.name === 'bpftrace.control.deregister').length;

  it('joins the autostart script of that name, reads it, and never registers, stops or deregisters it', async () => {
    const id = pmda.autostart('runq', 'profile:hz:99 { @n = count(); }');
    const before = registers();
    const e = endpoint({ cpuBudget: 0.001, stopOverBudget: true });
    const { lease, release } = e.subscribe('d/1/A', '', () => undefined, { joinName: 'runq' });
    await flush();
    await seconds(3 * PROC_EVERY, e);
    expect(lease.phase).toBe('running');
    // Read by its name: the PMDA exports a named script's metrics under its name, not its id.
    expect(lease.scriptId).toBe('runq');
    expect(lease.variables.map((v) => v.name)).toEqual(['@n']);
    // Over a budget the admin chose to enforce, yet not ours to stop: a warning only.
    expect(e.isOverBudget(lease)).toBe(true);
    release();
    await seconds(30, e);
    expect(registers()).toBe(before);
    expect(deregisters()).toBe(0);
    expect(pmda.ids()).toEqual([id]);
    // An Editor's Stop in the Running scripts view reaches it (the PMDA takes a named script's name only).
    await e.stopScript(id);
    expect(pmda.ids()).toEqual([]);
  });

  it('says the host runs no script of that name, and registers nothing', async () => {
    const e = endpoint();
    const { lease } = e.subscribe('d/1/A', '', () => undefined, { joinName: 'nosuch' });
    await flush();
    await seconds(3, e);
    expect(lease.phase).toBe('waiting');
    expect(lease.info).toMatch(/runs no script named "nosuch"/);
    expect(registers()).toBe(0);
  });
});
