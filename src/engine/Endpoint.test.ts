import { PmapiClient } from '../pmapi/client';
import { CONTROL_PATHS } from '../pmapi/request';
import { prepareRecording } from '../scripts/naming';
import { FakePmda } from '../test/fakePmda';
import { Endpoint, EndpointOptions } from './Endpoint';
import { holderKey } from './holders';

// The engine's decisions with several clients against a model of the PMDA (src/test/fakePmda.ts);
// the same behaviours run against the real stack in tests/integration/faults.test.ts.
const CODE = 'tracepoint:raw_syscalls:sys_enter { @n = count(); }';
const realSetImmediate = jest.requireActual('timers').setImmediate as (f: () => void) => void;

let pmda: FakePmda;
let clock: number;

function client(
  label: string,
  role: 'editor' | 'viewer' = 'editor',
  namespace = 'ds1',
  extra: Partial<EndpointOptions> = {}
) {
  const pmapi = new PmapiClient(pmda.transport(label), {
    hostspec: 'localhost',
    polltimeoutSec: 30,
    controlPath: role === 'editor' ? CONTROL_PATHS.editor : undefined,
  });
  return new Endpoint(pmapi, { pollIntervalMs: 1000, retentionMs: 600_000, namespace, now: () => clock, ...extra });
}

async function flush() {
  for (let i = 0; i < 20; i++) {
    await new Promise<void>((r) => realSetImmediate(r));
  }
}

/** One second: bpftrace prints (unless `print` is false), then every client ticks. */
async function second(endpoints: Endpoint[], print = true) {
  clock += 1000;
  pmda.clock = clock;
  if (print) {
    pmda.print();
  }
  for (const e of endpoints) {
    await e.pollOnce();
    await flush();
  }
}

async function seconds(n: number, endpoints: Endpoint[], print = true) {
  for (let i = 0; i < n; i++) {
    await second(endpoints, print);
  }
}

const stores = (label?: string) =>
  pmda.log.filter((l) => l.path.endsWith('/store') && (label === undefined || l.client === label));

const rates = (lease: {
  buffers: Map<string, { column(k: string, kind: 'rate'): ReadonlyArray<number | null> | undefined }>;
}) => lease.buffers.get('@n')?.column('', 'rate') ?? [];

beforeEach(() => {
  jest.useFakeTimers();
  pmda = new FakePmda();
  clock = 1_000_000;
  pmda.clock = clock;
});
afterEach(() => jest.useRealTimers());

describe('Endpoint with one client', () => {
  it('registers the script once, reads it each tick, and shows per-second rates', async () => {
    const a = client('A');
    const { lease } = a.subscribe('d/1/A', CODE, () => undefined);
    await flush();
    await seconds(5, [a]);
    expect(pmda.ids()).toHaveLength(1);
    expect(lease.phase).toBe('running');
    expect(
      rates(lease)
        .filter((r) => r !== null)
        .every((r) => r === 10)
    ).toBe(true);
    expect(stores('A').map((s) => s.name)).toEqual(['bpftrace.control.register']);
  });

  it('deregisters the script after the grace period and a quiet window when nobody else reads it', async () => {
    const a = client('A');
    const { release } = a.subscribe('d/1/A', CODE, () => undefined);
    await flush();
    await seconds(3, [a]);
    release();
    // grace 5 s + quiet window 3 s, plus a tick on either side: within 2 grace periods.
    await seconds(10, [a]);
    expect(pmda.ids()).toEqual([]);
    expect(a.leaseKeys).toEqual([]);
  });

  it('last_accessed_at moving once after the client stopped reading (a read under way, a PMDA just restarted) does not keep the script running', async () => {
    const a = client('A');
    const { release } = a.subscribe('d/1/A', CODE, () => undefined);
    await flush();
    await seconds(3, [a]);
    const [id] = pmda.ids();
    release();
    // The grace period ends and the client notes last_accessed_at; then it moves once, as a read
    // this client no longer makes would move it, and never again.
    await seconds(7, [a]);
    expect(pmda.ids()).toEqual([id]);
    pmda.script(id)!.lastAccessed = clock;
    await seconds(10, [a]);
    expect(pmda.ids()).toEqual([]);
    expect(a.leaseKeys).toEqual([]);
  });

  it('sends a stop the host did not answer again until it does: no bpftrace left after a pmproxy crash', async () => {
    const a = client('A');
    const { release } = a.subscribe('d/1/A', CODE, () => undefined);
    await flush();
    await seconds(3, [a]);
    pmda.storesDown = true;
    release();
    await seconds(10, [a]);
    // The lease is over, the deregister got no answer: the script still runs, the stop waits.
    expect(a.leaseKeys).toEqual([]);
    expect(pmda.ids()).toHaveLength(1);
    expect(a.stops.pending).toBe(true);
    const tried = stores('A').filter((s) => s.name === 'bpftrace.control.deregister').length;
    await seconds(3, [a]);
    // Sent again (with a pause that grows), not given up.
    expect(stores('A').filter((s) => s.name === 'bpftrace.control.deregister').length).toBeGreaterThan(tried);
    pmda.storesDown = false;
    await seconds(20, [a]);
    expect(pmda.ids()).toEqual([]);
    expect(a.stops.pending).toBe(false);
  });

  it('sends a stop again that was answered but did not take: the script still listed is gone soon after', async () => {
    const a = client('A');
    const { release } = a.subscribe('d/1/A', CODE, () => undefined);
    await flush();
    await seconds(3, [a]);
    pmda.deregistersLost = 1;
    release();
    const deregisters = () => stores('A').filter((s) => s.name === 'bpftrace.control.deregister').length;
    await seconds(20, [a]);
    // Released after the grace period and the quiet look; the first stop was lost, the second took.
    expect(a.leaseKeys).toEqual([]);
    expect(deregisters()).toBe(2);
    expect(pmda.ids()).toEqual([]);
    expect(a.stops.pending).toBe(false);
  });

  it('a panel closed while pmcd says the PMDA is not running: its script is stopped, not left waiting for a list', async () => {
    const a = client('A');
    const { release } = a.subscribe('d/1/A', CODE, () => undefined);
    await flush();
    await seconds(3, [a]);
    expect(pmda.ids()).toHaveLength(1);
    release();
    // pmcd's word says "lost contact" while the PMDA still holds the script.
    pmda.agentStatusWhileRunning = 8;
    await seconds(15, [a], false);
    expect(a.leaseKeys).toEqual([]);
    expect(pmda.ids()).toEqual([]);
    pmda.agentStatusWhileRunning = 0;
    await seconds(3, [a]);
    expect(a.stops.pending).toBe(false);
  });

  /**
   * Two clients read one script; A closes its panel while `fault` lasts (`seconds` of it, bpftrace
   * printing or not), then the fault ends: B must have data again, from one script.
   */
  async function oneOfTwoClosesDuring(fault: { on(): void; off(): void; seconds: number; printing: boolean }) {
    const a = client('A');
    const b = client('B');
    const { release } = a.subscribe('d/1/A', CODE, () => undefined);
    const { lease: other } = b.subscribe('d/1/A', CODE, () => undefined);
    await flush();
    await seconds(3, [a, b]);
    expect(pmda.ids()).toHaveLength(1);
    release();
    fault.on();
    await seconds(fault.seconds, [a, b], fault.printing);
    // A let go of the script meanwhile (it stopped it: it could not tell that B reads it).
    expect(a.leaseKeys).toEqual([]);
    fault.off();
    await seconds(6, [a, b]);
    const before = other.buffers.get('@n')?.length ?? 0;
    await seconds(3, [a, b]);
    expect(other.phase).toBe('running');
    expect(other.buffers.get('@n')!.length).toBeGreaterThan(before);
    expect(pmda.ids()).toHaveLength(1);
  }

  it('two clients, one closes while pmcd says the PMDA is not running: the other has data again, one script, once pmcd says it runs', async () => {
    await oneOfTwoClosesDuring({
      on: () => (pmda.agentStatusWhileRunning = 8),
      off: () => (pmda.agentStatusWhileRunning = 0),
      seconds: 15,
      printing: false,
    });
  });

  it('a panel closed while the host’s list cannot be read: its script is stopped all the same, within three quiet periods', async () => {
    const a = client('A');
    const { release } = a.subscribe('d/1/A', CODE, () => undefined);
    await flush();
    await seconds(3, [a]);
    expect(pmda.ids()).toHaveLength(1);
    pmda.listMissing = true;
    release();
    // Grace (5 s), then no look at the list can decide: after 3 quiet periods (3 × 3 s) it is stopped.
    await seconds(12, [a]);
    expect(pmda.ids()).toHaveLength(1);
    await seconds(4, [a]);
    expect(a.leaseKeys).toEqual([]);
    expect(pmda.ids()).toEqual([]);
    // The stop is kept until a list shows the script gone: the list comes back, and says so.
    expect(a.stops.pending).toBe(true);
    pmda.listMissing = false;
    await seconds(3, [a]);
    expect(a.stops.pending).toBe(false);
  });

  it('two clients, one closes while the host’s list cannot be read: the other has data again, from one script', async () => {
    await oneOfTwoClosesDuring({
      on: () => (pmda.listMissing = true),
      off: () => (pmda.listMissing = false),
      seconds: 16,
      printing: true,
    });
  });

  it('a refresh within the grace period reuses the script and its data', async () => {
    const a = client('A');
    const first = a.subscribe('d/1/A', CODE, () => undefined);
    await flush();
    await seconds(3, [a]);
    first.release();
    await seconds(2, [a]);
    const second2 = a.subscribe('d/1/A', CODE, () => undefined);
    expect(second2.lease).toBe(first.lease);
    await seconds(8, [a]);
    expect(pmda.ids()).toHaveLength(1);
    expect(stores('A')).toHaveLength(1);
    expect(second2.lease.phase).toBe('running');
  });
});

describe('Endpoint with several clients', () => {
  it('a second client joins the running script (checked by its code) instead of starting one', async () => {
    const a = client('A');
    const b = client('B');
    a.subscribe('d/1/A', CODE, () => undefined);
    await flush();
    await seconds(2, [a]);
    const { lease } = b.subscribe('d/1/A', CODE, () => undefined);
    await flush();
    await seconds(3, [a, b]);
    expect(pmda.ids()).toHaveLength(1);
    expect(stores('B')).toEqual([]);
    expect(lease.phase).toBe('running');
  });

  it.each([
    ['the registrant', 0],
    ['the joiner', 1],
  ])('when %s leaves, the other keeps reading the same script with no gap', async (_, leaver) => {
    const clients = [client('A'), client('B')];
    const subs = [clients[0].subscribe('d/1/A', CODE, () => undefined)];
    await flush();
    await seconds(2, clients);
    subs.push(clients[1].subscribe('d/1/A', CODE, () => undefined));
    await flush();
    await seconds(3, clients);
    const [id] = pmda.ids();
    subs[leaver].release();
    const stayer = subs[1 - leaver].lease;
    const before = stayer.buffers.get('@n')!.length;
    await seconds(20, clients);
    expect(pmda.ids()).toEqual([id]);
    const times = stayer.buffers.get('@n')!.times.slice(before - 1);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(1000);
    expect(stores(['A', 'B'][leaver]).filter((s) => s.name === 'bpftrace.control.deregister')).toEqual([]);
  });

  it('when the last reader leaves, the script goes within two grace periods', async () => {
    const a = client('A');
    const b = client('B');
    const sa = a.subscribe('d/1/A', CODE, () => undefined);
    await flush();
    await second([a]);
    const sb = b.subscribe('d/1/A', CODE, () => undefined);
    await flush();
    await seconds(3, [a, b]);
    sa.release();
    await seconds(3, [a, b]);
    sb.release();
    await seconds(10, [a, b]);
    expect(pmda.ids()).toEqual([]);
  });

  it('two clients that register the same code at once end with one script', async () => {
    const a = client('A');
    const b = client('B');
    a.subscribe('d/1/A', CODE, () => undefined);
    b.subscribe('d/1/A', CODE, () => undefined);
    // Both look at the PMDA's list before either has registered.
    await Promise.all([a.pollOnce(), b.pollOnce()]);
    await flush();
    expect(pmda.ids()).toHaveLength(2);
    await seconds(4, [a, b]);
    expect(pmda.ids()).toHaveLength(1);
  });

  it('never joins a script of another namespace, nor other code', async () => {
    const a = client('A', 'editor', 'ds1');
    const b = client('B', 'editor', 'ds2');
    a.subscribe('d/1/A', CODE, () => undefined);
    await flush();
    await second([a]);
    b.subscribe('d/1/A', CODE, () => undefined);
    await flush();
    await second([a, b]);
    expect(pmda.ids()).toHaveLength(2);
    expect(pmda.script(pmda.ids()[1])!.code).toMatch(/\/\/ bpflive: ds2$/);
  });

  it('a Viewer never sends a store: it waits for an Editor, then reads the same script', async () => {
    const viewer = client('V', 'viewer');
    const editor = client('E');
    const { lease, release } = viewer.subscribe('d/1/A', CODE, () => undefined);
    await flush();
    await seconds(2, [viewer]);
    expect(lease.phase).toBe('waiting');
    expect(lease.info).toMatch(/not running on the host.*may not start scripts/);
    editor.subscribe('d/1/A', CODE, () => undefined);
    await flush();
    await seconds(3, [editor, viewer]);
    expect(lease.phase).toBe('running');
    release();
    await seconds(10, [editor, viewer]);
    expect(stores('V')).toEqual([]);
    expect(pmda.ids()).toHaveLength(1);
  });
});

describe('Endpoint with a recorded query', () => {
  const record = prepareRecording(CODE);

  it('an Editor registers the named recording; closing the panel and the client never stops it', async () => {
    const editor = client('E', 'editor', 'ds1', { mayRecord: true });
    const { lease, release } = editor.subscribe('d/1/A', CODE, () => undefined, { record });
    await flush();
    await seconds(3, [editor]);
    expect(lease.phase).toBe('running');
    expect(lease.scriptId).toBe(record.name);
    expect(stores('E').map((s) => [s.path, s.name])).toEqual([[CONTROL_PATHS.editor, 'bpftrace.control.register']]);
    expect(lease.buffers.get('@n')).toBeDefined();
    release();
    await seconds(30, [editor]);
    await editor.close(5000);
    expect(pmda.ids()).toHaveLength(1);
    expect(stores('E').filter((s) => s.name === 'bpftrace.control.deregister')).toEqual([]);
  });

  it("a client's sweep of abandoned scripts never takes a recording nobody reads", async () => {
    const editor = client('E', 'editor', 'ds1', { mayRecord: true });
    const { release } = editor.subscribe('d/1/A', CODE, () => undefined, { record });
    await flush();
    await seconds(2, [editor]);
    release();
    await editor.close(3000);
    const other = client('O', 'editor', 'ds1');
    other.subscribe('d/9/Z', 'BEGIN { @other = count(); }', () => undefined);
    await flush();
    await seconds(200, [other]);
    expect(pmda.ids()).toHaveLength(2);
    expect(stores('O').filter((s) => s.name === 'bpftrace.control.deregister')).toEqual([]);
  });

  it('a Viewer never registers a recording, even with control allowed: it says an Editor must start it, then joins', async () => {
    // A session allowed to run scripts (the viewer route) but not to record.
    const viewer = client('V', 'editor', 'ds1', { mayRecord: false });
    const { lease } = viewer.subscribe('d/1/A', CODE, () => undefined, { record });
    await flush();
    await seconds(2, [viewer]);
    expect(lease.phase).toBe('waiting');
    expect(lease.info).toMatch(/Not recording: an Editor must start/);
    expect(stores('V')).toEqual([]);
    const editor = client('E', 'editor', 'ds1', { mayRecord: true });
    editor.subscribe('d/2/B', CODE, () => undefined, { record });
    await flush();
    await seconds(3, [editor, viewer]);
    expect(lease.phase).toBe('running');
    expect(stores('V')).toEqual([]);
  });

  it('two Editors starting one recording at once end with one script, both reading it', async () => {
    const a = client('A', 'editor', 'ds1', { mayRecord: true });
    const b = client('B', 'editor', 'ds1', { mayRecord: true });
    const la = a.subscribe('d/1/A', CODE, () => undefined, { record }).lease;
    const lb = b.subscribe('d/2/A', CODE, () => undefined, { record }).lease;
    await flush();
    await seconds(8, [a, b]);
    expect(pmda.ids()).toHaveLength(1);
    expect([la.phase, lb.phase]).toEqual(['running', 'running']);
  });

  it('new code under a recording name the host runs with the old code: joined, and the query says whose data it is', async () => {
    const named = prepareRecording(CODE, { name: 'mine' });
    const editor = client('E', 'editor', 'ds1', { mayRecord: true });
    editor.subscribe('d/1/A', CODE, () => undefined, { record: named });
    await flush();
    await seconds(2, [editor]);
    const recoded = prepareRecording('tracepoint:raw_syscalls:sys_exit { @n = count(); }', { name: 'mine' });
    const other = client('O', 'editor', 'ds1', { mayRecord: true });
    const { lease } = other.subscribe('d/2/A', '', () => undefined, { record: recoded });
    await flush();
    await seconds(2, [editor, other]);
    expect(lease.phase).toBe('running');
    expect(lease.warnings.join(' ')).toMatch(/runs other code than this query's/);
    expect(pmda.ids()).toHaveLength(1);
  });

  it('a PMDA restart: the recording comes back under the same name', async () => {
    const editor = client('E', 'editor', 'ds1', { mayRecord: true });
    const { lease } = editor.subscribe('d/1/A', CODE, () => undefined, { record });
    await flush();
    await seconds(3, [editor]);
    pmda.restart();
    await seconds(15, [editor]);
    expect(lease.phase).toBe('running');
    expect(lease.scriptId).toBe(record.name);
    expect(pmda.ids()).toHaveLength(1);
  });
});

describe('Endpoint recovery', () => {
  it('restarts a killed bpftrace with backoff, and gives up with the count after 3 a minute', async () => {
    const a = client('A');
    const { lease } = a.subscribe('d/1/A', CODE, () => undefined);
    await flush();
    await seconds(2, [a]);
    pmda.kill(pmda.ids()[0]);
    await seconds(2, [a]);
    expect(lease.warnings.join()).toMatch(/killed \(signal 9.*restarting it in 1 s \(restart 1 of at most 3/);
    await seconds(3, [a]);
    expect(lease.phase).toBe('running');
    expect(pmda.running()).toHaveLength(1);
    expect(pmda.ids()).toHaveLength(1); // the dead one was deregistered
    for (let i = 0; i < 3; i++) {
      pmda.kill(pmda.running()[0].id);
      await seconds(8, [a]);
    }
    expect(lease.phase).toBe('failed');
    expect(lease.error).toMatch(/killed \(signal 9.* 4 times in the last minute; bpflive stopped restarting/);
  });

  it('a PMDA restart: a warning while the script is missing, data again within 2 ticks of its return', async () => {
    const a = client('A');
    const { lease } = a.subscribe('d/1/A', CODE, () => undefined);
    await flush();
    await seconds(3, [a]);
    pmda.restart();
    await second([a]);
    expect(lease.warnings.join()).toMatch(/gone on the host.*registered again/);
    const before = lease.buffers.get('@n')!.length;
    await seconds(2, [a]);
    expect(lease.buffers.get('@n')!.length).toBeGreaterThan(before);
    expect(pmda.ids()).toHaveLength(1);
  });

  it('a page asleep past the PMDA’s expiry: on waking the query says it was asleep (not that the host restarted), and data comes again', async () => {
    const a = client('A');
    const { lease } = a.subscribe('d/1/A', CODE, () => undefined);
    await flush();
    await seconds(3, [a]);
    // Nothing of the page runs for 130 s: its tick's timer fires that late, and meanwhile the
    // PMDA expired the script nobody read.
    clock += 130_000;
    pmda.clock = clock;
    pmda.expireUnread(90_000);
    expect(pmda.ids()).toHaveLength(0);
    jest.advanceTimersByTime(0);
    await flush();
    expect(lease.warnings.join()).toMatch(
      /^This page was asleep for 2 min 1\d s \(the computer slept.*registered again/
    );
    expect(lease.warnings.join()).not.toMatch(/restarted/);
    await seconds(2, [a]);
    expect(pmda.ids()).toHaveLength(1);
    expect(lease.phase).toBe('running');
    // Later losses are not blamed on that sleep.
    await seconds(15, [a]);
    pmda.restart();
    await second([a]);
    expect(lease.warnings.join()).toMatch(/gone on the host \(the bpftrace PMDA restarted/);
  });

  it('the PMDA process dies and pmcd starts it a minute later: every client says so (not that bpftrace is slow), nothing registers meanwhile, data within 2 ticks of its return, one script', async () => {
    const a = client('A');
    const b = client('B');
    const { lease } = a.subscribe('d/1/A', CODE, () => undefined);
    const { lease: other } = b.subscribe('d/1/A', CODE, () => undefined);
    await flush();
    await seconds(3, [a, b]);
    expect(pmda.ids()).toHaveLength(1);
    pmda.pmdaDies();
    const storesBefore = stores().length;
    // Their old contexts answer frozen values: only pmcd can tell the PMDA is gone.
    await seconds(5, [a, b], false);
    for (const l of [lease, other]) {
      expect(l.warnings.join()).toMatch(
        /bpftrace PMDA is not running on the host \(pmcd says: .*lost contact.*exit status 137\)/
      );
      expect(l.warnings.join()).not.toMatch(/has not printed/);
    }
    // A panel opened meanwhile waits too, saying why (once).
    const opened = a.subscribe('d/2/B', 'interval:s:1 { @n = count(); }', () => undefined).lease;
    await seconds(55, [a, b], false);
    expect(stores().length).toBe(storesBefore);
    expect(lease.warnings.filter((w) => /not running/.test(w))).toHaveLength(1);
    expect(opened.warnings.filter((w) => /not running/.test(w))).toHaveLength(1);
    // The Running scripts view says why its list is old.
    expect(a.pmdaNotRunning).toMatch(/^The bpftrace PMDA is not running on the host \(pmcd says: /);
    pmda.pmdaReturns();
    const before = lease.buffers.get('@n')?.length ?? 0;
    await seconds(2, [a, b]);
    for (const l of [lease, other, opened]) {
      expect(l.phase).toBe('running');
      expect(l.warnings.join()).not.toMatch(/not running/);
    }
    expect(lease.buffers.get('@n')!.length).toBeGreaterThan(before);
    // Both clients came back to one script of CODE (and one of the panel opened meanwhile).
    expect(pmda.ids()).toHaveLength(2);
    expect(a.pmdaNotRunning).toBeUndefined();
    expect(b.pmdaNotRunning).toBeUndefined();
  });

  it('says when bpftrace stops printing, and clears it when it prints again', async () => {
    const a = client('A');
    const { lease } = a.subscribe('d/1/A', CODE, () => undefined);
    await flush();
    await seconds(3, [a]);
    await seconds(6, [a], false);
    expect(lease.phase).toBe('stalled');
    expect(lease.warnings.join()).toMatch(/has not printed its maps for \d+ s/);
    await second([a]);
    expect(lease.phase).toBe('running');
    expect(lease.warnings).toEqual([]);
  });

  it('pmproxy unreachable: a warning on the query, and reading resumes without a new script', async () => {
    const a = client('A');
    const { lease } = a.subscribe('d/1/A', CODE, () => undefined);
    await flush();
    await seconds(2, [a]);
    pmda.down = true;
    await seconds(3, [a]);
    expect(lease.warnings.join()).toMatch(/pmproxy cannot be reached/);
    pmda.down = false;
    await seconds(2, [a]);
    expect(lease.warnings).toEqual([]);
    expect(pmda.ids()).toHaveLength(1);
  });
});

describe('Endpoint and bad input', () => {
  it('a lone surrogate is an error on that query: nothing is sent, nothing is left behind', async () => {
    const a = client('A');
    const { lease, release } = a.subscribe('d/1/A', 'BEGIN { printf("\uD800"); }', () => undefined);
    expect(lease.phase).toBe('failed');
    expect(lease.error).toMatch(/lone UTF-16 surrogate\) at line 1, column 17/);
    release();
    await seconds(10, [a]);
    expect(stores()).toEqual([]);
    expect(a.leaseKeys).toEqual([]);
  });

  it('a character outside ASCII in code (a pasted U+FFFD) is refused before anything is sent', async () => {
    // bpftrace would report it as one raw byte, which PCP 6.0.3's PMDA cannot decode: the script
    // would stay "stopping" on the host (scripts/characters.ts).
    const a = client('A');
    const { lease, release } = a.subscribe(
      'd/1/A',
      'BEGIN { @a = 1; }\n\uFFFDinterval:s:1 { @n = count(); }',
      () => undefined
    );
    expect(lease.phase).toBe('failed');
    expect(lease.error).toMatch(/^Line 2, column 1: A replacement character \(U\+FFFD\) outside a string/);
    release();
    await seconds(10, [a]);
    expect(stores()).toEqual([]);
  });

  it('a script too long for a pmproxy URL is refused, saying how long it is', () => {
    const a = client('A');
    const code = `BEGIN { ${Array.from({ length: 600 }, (_, i) => `@v${i} = ${i};`).join(' ')} }`;
    const { lease } = a.subscribe('d/1/A', code, () => undefined);
    expect(lease.error).toMatch(/too long for pmproxy: \d+ characters once URL-encoded, at most 7800/);
  });

  it('a query that changes its code while registering leaves no script behind', async () => {
    const a = client('A');
    a.subscribe('d/1/A', CODE, () => undefined);
    a.subscribe('d/1/A', CODE.replace('@n', '@m'), () => undefined); // before the first store answered
    await flush();
    await seconds(6, [a]);
    expect(pmda.ids()).toHaveLength(1);
    expect(pmda.script(pmda.ids()[0])!.code).toContain('@m');
  });

  it('twenty fast edits end with one script', async () => {
    const a = client('A');
    for (let i = 0; i < 20; i++) {
      a.subscribe('d/1/A', `interval:ms:${100 + i} { @n = count(); }`, () => undefined);
      await flush();
    }
    await seconds(8, [a]);
    expect(pmda.ids()).toHaveLength(1);
    expect(pmda.script(pmda.ids()[0])!.code).toContain('interval:ms:119');
  });

  it('a burst of runs against a slow PMDA registers only the codes still wanted when their turn comes', async () => {
    const a = client('A');
    let answer = () => undefined as void;
    pmda.slowStores = new Promise<void>((r) => (answer = r));
    for (let i = 0; i < 20; i++) {
      a.subscribe('d/1/A', `interval:ms:${100 + i} { @n = count(); }`, () => undefined);
      await a.pollOnce();
      await flush();
      expect(pmda.storesWaiting).toBeLessThanOrEqual(3);
    }
    pmda.slowStores = undefined;
    answer();
    await flush();
    await seconds(8, [a]);
    const registered = stores('A').filter((l) => l.name === 'bpftrace.control.register');
    expect(registered.length).toBeLessThanOrEqual(4); // the 3 under way, then the last code
    expect(pmda.ids()).toHaveLength(1);
    expect(pmda.script(pmda.ids()[0])!.code).toContain('interval:ms:119');
  });

  it('the cap: a script over the datasource’s limit waits with a clear message', async () => {
    const budget = { max: 1, used: () => a.scriptsHeld };
    const a: Endpoint = client('A', 'editor', 'ds1', { budget });
    const first = a.subscribe('d/1/A', CODE, () => undefined);
    await second([a]);
    const second2 = a.subscribe('d/1/B', CODE.replace('@n', '@m'), () => undefined);
    await seconds(2, [a]);
    expect(first.lease.scriptId).toBeDefined();
    expect(second2.lease.warnings.join()).toMatch(/limit of 1 scripts/);
    expect(pmda.ids()).toHaveLength(1);
  });
});

describe('rates', () => {
  it('a tick that sees two prints does not show twice the rate', async () => {
    const a = client('A');
    const { lease } = a.subscribe('d/1/A', CODE, () => undefined);
    await flush();
    await seconds(4, [a]);
    // bpftrace printed twice between two fetches about one second apart, then not at all.
    pmda.print();
    await second([a]);
    await second([a], false);
    await seconds(3, [a]);
    const shown = rates(lease).filter((r): r is number => r !== null);
    expect(Math.max(...shown)).toBe(10);
    expect(Math.min(...shown)).toBe(10);
  });
});

describe('churn', () => {
  it('a panel whose code changes every 5 s (release, then subscribe) keeps at most 2 scripts', async () => {
    const a = client('A');
    let sub: { release: () => void } | undefined;
    let most = 0;
    for (let i = 0; i < 30; i++) {
      sub?.release();
      sub = a.subscribe('soak/churn/A', `interval:ms:${100 + (i % 7)} { @churn${i % 3} = count(); }`, () => undefined);
      for (let s = 0; s < 5; s++) {
        await second([a]);
        most = Math.max(most, pmda.ids().length);
      }
    }
    expect(most).toBeLessThanOrEqual(2);
  });
});

describe('Endpoint: Explore split panes', () => {
  it('two panes running the same query each hold it; one pane changing its code leaves the other running', async () => {
    const a = client('A');
    const left = holderKey({ app: 'explore' }, { refId: 'A', key: 'Q-left-0' });
    const right = holderKey({ app: 'explore' }, { refId: 'A', key: 'Q-right-0' });
    const leftRun = a.subscribe(left, CODE, () => undefined);
    const rightRun = a.subscribe(right, CODE, () => undefined);
    expect(rightRun.lease).toBe(leftRun.lease);
    await flush();
    await seconds(3, [a]);
    // The left pane runs other code: Grafana releases its old subscription first, then subscribes.
    leftRun.release();
    a.subscribe(left, 'tracepoint:raw_syscalls:sys_exit { @x = count(); }', () => undefined);
    const before = rates(rightRun.lease).length;
    await seconds(12, [a]);
    // With one key for both panes (before), the right pane's script was released here.
    expect(rightRun.lease.phase).toBe('running');
    expect(rates(rightRun.lease).length).toBeGreaterThan(before + 8);
  });
});

describe('PCP metric queries beside scripts', () => {
  const fetches = (label: string) => pmda.log.filter((l) => l.client === label && l.path === '/pmapi/fetch').length;

  it('reads a script and PCP metrics in ONE fetch per tick, counters as rates by their semantics', async () => {
    const a = client('a');
    const { lease } = a.subscribe('d/1/A', CODE, () => undefined);
    const { watch } = a.watchMetrics('d/1/B', { metrics: 'kernel.all.sysfork kernel.all.load' }, () => undefined);
    await seconds(5, [a]);
    expect(lease.phase).toBe('running');
    expect(watch.phase).toBe('ready');

    const before = fetches('a');
    await seconds(5, [a]);
    // The one-fetch rule: five ticks, five fetches, for the script and both metrics together.
    expect(fetches('a') - before).toBe(5);
    expect(rates(lease).slice(-3)).toEqual([10, 10, 10]);
    const byName = new Map(watch.metrics.map((m) => [m.name, m]));
    // kernel.all.sysfork is a counter (its descriptor's sem): 3 forks a second is a rate of 3.
    expect(byName.get('kernel.all.sysfork')!.buffer.column('', 'rate')!.slice(-3)).toEqual([3, 3, 3]);
    // kernel.all.load is instant: its values as they are, one series per named instance.
    const load = byName.get('kernel.all.load')!.buffer;
    expect(load.hasRates).toBe(false);
    expect(load.keys()).toEqual(['1 minute', '5 minute', '15 minute']);
    expect(load.column('15 minute', 'raw')!.slice(-1)).toEqual([2.5]);
  });

  it('keeps only the instances the filter names', async () => {
    const a = client('a');
    const { watch } = a.watchMetrics('d/1/B', { metrics: 'kernel.all.load', instances: '1*|15*' }, () => undefined);
    await seconds(3, [a]);
    expect(watch.metrics[0].buffer.keys()).toEqual(['1 minute', '15 minute']);
  });

  it('says which pattern matches nothing, and drops the watch after the grace period', async () => {
    const a = client('a');
    const { watch, release } = a.watchMetrics('d/1/B', { metrics: 'kernel.all.nosuch' }, () => undefined);
    await seconds(2, [a]);
    expect(watch.notices.join(' ')).toMatch(/kernel\.all\.nosuch matches no metric on the host/);
    release();
    await seconds(2, [a]);
    // A refresh within the grace period would find it again.
    expect(a.watchKeys).toHaveLength(1);
    await seconds(5, [a]);
    expect(a.watchKeys).toEqual([]);
  });
});
