import { MetricValues } from '../pmapi/types';
import { InstanceNames } from './instanceNames';
import { bpftraceWarnings, cleanErrorText, LeaseSample, ScriptLease, warningNotice } from './ScriptLease';

/** Keys of instances no indom named (scalars here: their key is ''). */
const nameless = new InstanceNames();
const unnamed: LeaseSample['keysOf'] = (metric, instances) => nameless.keysOf(metric, instances);

// Error texts recorded from the bpftrace PMDA on Debian 12 (bpftrace 0.17).
const RLIMIT = `ERROR: Unknown error -1: couldn't set RLIMIT_MEMLOCK for bpftrace. If your program is not loading, you can try "ulimit -l 8192" to fix the problem`;

const VARS = {
  '@syscalls': { single: true, semantics: 1, datatype: 3, metrictype: null },
  '@lat': { single: false, semantics: 1, datatype: 3, metrictype: 'histogram' },
  '@max': { single: true, semantics: 3, datatype: 3, metrictype: null },
  '@output': { single: true, semantics: 3, datatype: 6, metrictype: 'output' },
};

/** A script that ends by itself (exit()). */
const EXITS = 'BEGIN { printf("hi\\n"); @syscalls = 42; exit(); }';

/** One print of @syscalls = 5, then bpftrace stopped (exit code 0) after printing 9. */
function ranThenStopped(lease: ScriptLease) {
  lease.observe(
    sample(1000, { status: 'started', error: RLIMIT, probes: 2, data_bytes: 10, 'data.syscalls': 5 }),
    1000
  );
  lease.observe(sample(2000, { status: 'stopped', error: '', exit_code: 0, data_bytes: 20, 'data.syscalls': 9 }), 2000);
}

function leaseOf(text = 'text\n// table-retain-lines: 5', mayControl = true) {
  const lease = new ScriptLease('k', text, { retentionMs: 60_000, pollIntervalMs: 1000, mayControl });
  lease.hold('d/1/A');
  lease.registerStarted();
  lease.registered({ script_id: 's1', variables: VARS }, 0);
  return lease;
}

/** One fetch's values for script s1, as pmproxy returns them (instance null for scalars). */
function sample(t: number, v: Record<string, number | string>): LeaseSample {
  const values = new Map<string, MetricValues>();
  for (const [leaf, value] of Object.entries(v)) {
    const name = `bpftrace.scripts.s1.${leaf}`;
    values.set(name, { pmid: '1', name, instances: [{ instance: null, value }] });
  }
  return { t, values, keysOf: unnamed };
}

describe('ScriptLease', () => {
  it('reads from the code what the PMDA does not say: sum() is a counter, max() a value, scratch maps', () => {
    const code = `k { @bytes[comm] = sum(arg2); @max = max(arg0); @start[tid] = nsecs; }
r { printf("%d\\n", nsecs - @start[tid]); delete(@start[tid]); }`;
    const lease = new ScriptLease('k', code, { retentionMs: 60_000, pollIntervalMs: 1000, mayControl: true });
    lease.hold('d/1/A');
    lease.registerStarted();
    // As the PMDA reports them: every one of these instant (semantics 3).
    const instant = { single: false, semantics: 3, datatype: 3, metrictype: null };
    lease.registered(
      {
        script_id: 's1',
        variables: { '@bytes': instant, '@max': instant, '@start': instant, '@output': VARS['@output'] },
      },
      0
    );
    expect(lease.variables.map((v) => [v.name, v.counter, v.aggregation, v.scratch])).toEqual([
      ['@bytes', true, 'sum', false],
      ['@max', false, 'max', false],
      ['@start', false, undefined, true],
      ['@output', false, undefined, false],
    ]);
    expect(lease.buffers.get('@bytes')?.counter).toBe(true);
  });

  it('shows a count or histogram the script clears every second (vfsstat-style) as its counts per second, not as a rate of them', () => {
    const code = `tracepoint:raw_syscalls:sys_enter { @n = count(); @slow = count(); @lat = hist(1); @stacks[kstack] = count(); }
interval:s:1 { print(@n); clear(@n); print(@lat); clear(@lat); clear(@stacks); }
interval:s:5 { print(@slow); clear(@slow); }`;
    const lease = new ScriptLease('k', code, { retentionMs: 60_000, pollIntervalMs: 1000, mayControl: true });
    lease.hold('d/1/A');
    lease.registerStarted();
    lease.registered(
      {
        script_id: 's1',
        variables: {
          '@n': VARS['@syscalls'],
          '@slow': VARS['@syscalls'],
          '@lat': VARS['@lat'],
          '@stacks': { single: false, semantics: 1, datatype: 3, metrictype: 'stacks' },
        },
      },
      0
    );
    // Cleared every 5 s: a running total between clears (each clear one gap in its rates). A
    // stack map stays a counter: the flame graph adds up its increases across clears.
    expect(lease.variables.map((v) => [v.name, v.counter])).toEqual([
      ['@n', false],
      ['@slow', true],
      ['@lat', false],
      ['@stacks', true],
    ]);
    expect(lease.buffers.get('@n')?.counter).toBe(false);
  });

  it('takes variables from the PMDA: counters, histograms, text', () => {
    const lease = leaseOf();
    expect(lease.variables.map((v) => [v.name, v.metric, v.counter, v.text])).toEqual([
      ['@syscalls', 'bpftrace.scripts.s1.data.syscalls', true, false],
      ['@lat', 'bpftrace.scripts.s1.data.lat', true, false],
      ['@max', 'bpftrace.scripts.s1.data.max', false, false],
      ['@output', 'bpftrace.scripts.s1.data.output', false, true],
    ]);
    expect([...lease.buffers.keys()]).toEqual(['@syscalls', '@lat', '@max']);
    expect(lease.phase).toBe('starting');
  });

  it('keeps a stack map without a rate column, its old history thinned; other counters keep rates', () => {
    const lease = new ScriptLease('k', 'text', { retentionMs: 60_000, pollIntervalMs: 1000, mayControl: true });
    lease.hold('d/1/A');
    lease.registerStarted();
    lease.registered(
      {
        script_id: 's1',
        variables: { ...VARS, '@stacks': { single: false, semantics: 1, datatype: 3, metrictype: 'stacks' } },
      },
      0
    );
    const stacks = lease.buffers.get('@stacks')!;
    expect(stacks.counter).toBe(true);
    expect(stacks.hasRates).toBe(false);
    expect(lease.buffers.get('@syscalls')!.hasRates).toBe(true);
  });

  it('wants fast ticks past bpftrace’s "Attaching" line, until its prints give a rate (at most 5 s)', () => {
    const lease = leaseOf();
    const rate = () => lease.buffers.get('@syscalls')!.column('', 'rate')?.at(-1);
    expect(lease.awaitingFirstData(100)).toBe(true);
    // As the PMDA reports a fresh bpftrace (recorded): started at once, 51 bytes of its
    // "Attaching N probes..." line, the scalar still 0; its first print a second later.
    lease.observe(
      sample(300, { status: 'started', error: RLIMIT, probes: 1, data_bytes: 51, 'data.syscalls': 0 }),
      300
    );
    expect(lease.phase).toBe('running');
    expect(lease.awaitingFirstData(300)).toBe(true);
    let t = 300;
    let bytes = 51;
    while (typeof rate() !== 'number') {
      t += 1000;
      bytes += 292;
      expect(lease.awaitingFirstData(t)).toBe(true);
      lease.observe(sample(t, { status: 'started', data_bytes: bytes, 'data.syscalls': (t - 300) / 100 }), t);
      expect(t).toBeLessThan(5000);
    }
    expect(rate()).toBe(10);
    expect(lease.awaitingFirstData(t)).toBe(false);
    // A script whose prints never give a rate is not hurried past 5 s.
    const quiet = leaseOf();
    quiet.observe(sample(300, { status: 'started', error: RLIMIT, probes: 1, data_bytes: 51 }), 300);
    expect(quiet.awaitingFirstData(4900)).toBe(true);
    expect(quiet.awaitingFirstData(5100)).toBe(false);
  });

  it('looks at the error text every 10 ticks while running: errors bpftrace reports then are a warning until they stop', () => {
    const lease = leaseOf();
    const CAT = "ERROR: failed to open file '/nonexistent/zz': No such file or directory\n";
    let stderr = `${RLIMIT}\n`;
    let t = 0;
    let looks = 0;
    const tick = (errorsThisTick: number) => {
      t += 1000;
      stderr += CAT.repeat(errorsThisTick);
      const reads = lease.metricNames().includes('bpftrace.scripts.s1.error');
      looks += reads ? 1 : 0;
      lease.observe(
        sample(t, {
          status: 'started',
          probes: 1,
          data_bytes: t,
          'data.syscalls': t,
          ...(reads ? { error: stderr } : {}),
        }),
        t
      );
    };
    /** Ticks (each with `errors` new lines) until the next one that reads the error text. */
    const untilLook = (errors: number) => {
      const before = looks;
      let ticks = 0;
      while (looks === before) {
        tick(errors);
        ticks++;
      }
      return ticks;
    };
    // The start checks read it at each of the first 3 ticks, and find nothing.
    expect([untilLook(0), untilLook(0), untilLook(0)]).toEqual([1, 1, 1]);
    expect(lease.warnings).toEqual([]);
    // Then every 10 ticks; errors meanwhile are a warning, counted since the start the first time.
    expect(untilLook(2)).toBe(10);
    expect(lease.warnings).toEqual([
      expect.stringMatching(/^bpftrace reported 20 errors since it started while running, e.g. "failed to open file/),
    ]);
    expect(untilLook(1)).toBe(10);
    expect(lease.warnings).toEqual([expect.stringMatching(/^bpftrace reported 10 errors in the last 10 s/)]);
    // No new error at the next look: the warning goes.
    expect(untilLook(0)).toBe(10);
    expect(lease.warnings).toEqual([]);
  });

  it('stops reading an error text past 256 KB, and says so', () => {
    const lease = leaseOf();
    const flood = 'failed to look up stack id -17 (pid 4242): -9\n'.repeat(6000);
    let t = 0;
    for (let i = 0; i < 40; i++) {
      t += 1000;
      const reads = lease.metricNames().includes('bpftrace.scripts.s1.error');
      lease.observe(sample(t, { status: 'started', probes: 1, data_bytes: t, ...(reads ? { error: flood } : {}) }), t);
    }
    expect(lease.warnings.join()).toMatch(/could not look up 6000 stacks .*passed 256 KB, so it is read no more/);
    expect(lease.metricNames()).not.toContain('bpftrace.scripts.s1.error');
  });

  it('reads the (large) error text only while it can matter', () => {
    const lease = leaseOf();
    expect(lease.metricNames()).toContain('bpftrace.scripts.s1.error');
    for (let t = 1; t <= 4; t++) {
      lease.observe(sample(t * 1000, { status: 'started', error: RLIMIT, probes: 2, data_bytes: t * 10 }), t * 1000);
    }
    expect(lease.metricNames()).not.toContain('bpftrace.scripts.s1.error');
    expect(lease.metricNames()).toContain('bpftrace.scripts.s1.data.syscalls');
  });

  it('a compile error is final, with bpftrace’s words', () => {
    const lease = leaseOf();
    lease.observe(
      sample(1000, { status: 'error', error: `${RLIMIT}\nstdin:1:3: ERROR: syntax error`, exit_code: 1 }),
      1000
    );
    expect(lease.phase).toBe('failed');
    expect(lease.error).toBe('stdin:1:3: ERROR: syntax error');
  });

  it('a bpftrace killed by a signal is restarted, not reported as failed without a message', () => {
    const lease = leaseOf();
    lease.observe(sample(1000, { status: 'started', error: RLIMIT, probes: 2, data_bytes: 10 }), 1000);
    lease.observe(sample(2000, { status: 'error', error: RLIMIT, exit_code: -9 }), 2000);
    expect(lease.phase).toBe('restarting');
    expect(lease.error).toBeUndefined();
    expect(lease.restartDue(2500)).toBeUndefined();
    expect(lease.restartDue(3000)).toBe('s1');
    expect(lease.phase).toBe('pending');
  });

  it('a Viewer’s lease does not restart a killed script: it waits for an Editor', () => {
    const lease = leaseOf('text', false);
    lease.observe(sample(2000, { status: 'error', error: RLIMIT, exit_code: -9 }), 2000);
    expect(lease.warnings.join()).toMatch(/runs again when an Editor/);
  });

  it('exit() is a stop with its last data, not an error', () => {
    const lease = leaseOf(EXITS);
    lease.observe(sample(1000, { status: 'stopped', error: '', exit_code: 0, data_bytes: 10 }), 1000);
    expect(lease.phase).toBe('exited');
    expect(lease.exitCode).toBe(0);
  });

  it('keeps what a script printed before it exited, when the first look already finds it stopped', () => {
    // BEGIN { printf("hi\n"); @syscalls = 42; exit(); }: over before the first tick that reads it.
    const lease = leaseOf(EXITS);
    const stopped = {
      status: 'stopped',
      error: '',
      exit_code: 0,
      data_bytes: 40,
      'data.syscalls': 42,
      'data.output': 'hi\n',
    };
    lease.observe(sample(1000, stopped), 1000);
    expect(lease.phase).toBe('exited');
    expect(lease.buffers.get('@syscalls')?.length).toBe(1);
    expect(lease.buffers.get('@syscalls')?.latest('')).toBe(42);
    expect(lease.texts.get('@output')).toBe('hi\n');
    // Read again (an exited script stays read for its panel): nothing new, nothing twice.
    lease.observe(sample(2000, stopped), 2000);
    expect(lease.buffers.get('@syscalls')?.length).toBe(1);
  });

  it('a script without exit() that stops was stopped on the host: restarted with backoff, or an Editor is waited for', () => {
    // SIGTERM or SIGINT: bpftrace takes it as Ctrl-C, prints its maps, and exits 0.
    const editor = leaseOf('tracepoint:a:b { @syscalls = count(); }');
    ranThenStopped(editor);
    expect(editor.phase).toBe('restarting');
    expect(editor.warnings.join()).toMatch(/never calls exit\(\) .*restarting it in 1 s/);
    expect(editor.buffers.get('@syscalls')?.latest('')).toBe(9); // its last print is kept
    expect(editor.restartDue(3000)).toBe('s1');
    const viewer = leaseOf('tracepoint:a:b { @syscalls = count(); }', false);
    viewer.observe(sample(2000, { status: 'stopped', error: '', exit_code: 0, data_bytes: 20 }), 2000);
    expect(viewer.warnings.join()).toMatch(/never calls exit\(\).*runs again when an Editor/);
  });

  it('keeps the last print of a script that ran, then exited', () => {
    const lease = leaseOf(EXITS);
    ranThenStopped(lease);
    expect(lease.phase).toBe('exited');
    expect(lease.buffers.get('@syscalls')?.latest('')).toBe(9);
  });

  it('0 probes and nothing printed since the start is said, with what to check', () => {
    const lease = leaseOf();
    for (let t = 1; t <= 3; t++) {
      lease.observe(sample(t * 1000, { status: 'started', error: RLIMIT, probes: 0, data_bytes: 0 }), t * 1000);
    }
    expect(lease.warnings).toEqual([]); // bpftrace may still be attaching, or about to print
    for (let t = 4; t <= 6; t++) {
      lease.observe(sample(t * 1000, { status: 'started', probes: 0, data_bytes: 0 }), t * 1000);
    }
    expect(lease.warnings.join()).toMatch(/attached 0 probes and has printed nothing.*U\+FFFD/);
  });

  it('a script that runs with no events for a while gets a notice', () => {
    const lease = leaseOf();
    for (let t = 1; t <= 16; t++) {
      lease.observe(
        sample(t * 1000, { status: 'started', error: RLIMIT, probes: 2, data_bytes: t * 10, 'data.syscalls': 0 }),
        t * 1000
      );
    }
    expect(lease.info).toMatch(/^No events in 1\d s/);
    lease.observe(sample(17_000, { status: 'started', probes: 2, data_bytes: 170, 'data.syscalls': 3 }), 17_000);
    expect(lease.info).toBeUndefined();
  });

  it('no events because no probe that waits for them attached (a uprobe on a missing function) is said so', () => {
    // bpftrace skips the uprobe; what attached is BEGIN and the PMDA's print timer (recorded: 1
    // for the uprobe alone, the PMDA's timer).
    const code = 'BEGIN { @n = 0; }\nuprobe:/bin/bash:no_such_function_xyz { @n = count(); }';
    for (const [probes, said] of [
      [2, /attached none of the probes that wait for them \(2 attached/],
      [3, /^No events in 1\d s: bpftrace runs and its probes are attached/],
    ] as const) {
      const lease = new ScriptLease('k', code, { retentionMs: 60_000, pollIntervalMs: 1000, mayControl: true });
      lease.hold('d/1/A');
      lease.registerStarted();
      lease.registered({ script_id: 's1', variables: { '@n': VARS['@syscalls'] } }, 0);
      for (let t = 1; t <= 16; t++) {
        lease.observe(
          sample(t * 1000, { status: 'started', error: RLIMIT, probes, data_bytes: t * 10, 'data.n': 0 }),
          t * 1000
        );
      }
      expect({ probes, info: lease.info }).toEqual({ probes, info: expect.stringMatching(said) });
    }
  });

  it('a script that only prints text is never called stalled: its output comes with events', () => {
    const lease = new ScriptLease('k', 'text', { retentionMs: 60_000, pollIntervalMs: 1000, mayControl: true });
    lease.hold('d/1/A');
    lease.registerStarted();
    lease.registered({ script_id: 's1', variables: { '@output': VARS['@output'] } }, 0);
    for (let t = 1; t <= 10; t++) {
      lease.observe(sample(t * 1000, { status: 'started', error: RLIMIT, probes: 2, data_bytes: 0 }), t * 1000);
    }
    expect(lease.phase).toBe('running');
    expect(lease.warnings).toEqual([]);
    expect(lease.missedPrint(10_000)).toBe(false);
    for (let t = 11; t <= 16; t++) {
      lease.observe(sample(t * 1000, { status: 'started', probes: 2, data_bytes: 0 }), t * 1000);
    }
    expect(lease.info).toMatch(/^No events in 1\d s/); // never "starting" forever
  });

  it('a profile of stacks that never prints past its first, empty print is stalled, not without events', () => {
    // profile:hz:999 keyed by both stacks: bpftrace at 97 % of a CPU, data_bytes at 51 for 43 s.
    const stacks = { '@': { single: false, semantics: 1, datatype: 3, metrictype: 'stacks' } };
    const code = 'profile:hz:999 { @[kstack, ustack, comm, tid] = count(); }';
    const lease = new ScriptLease('k', code, { retentionMs: 60_000, pollIntervalMs: 1000, mayControl: true });
    lease.hold('d/1/A');
    lease.registerStarted();
    lease.registered({ script_id: 's1', variables: stacks }, 0);
    const name = 'bpftrace.scripts.s1.data.root';
    for (let t = 1; t <= 20; t++) {
      const values = new Map(sample(t * 1000, { status: 'started', error: RLIMIT, probes: 2, data_bytes: 51 }).values);
      values.set(name, { pmid: '1', name, instances: [] });
      lease.observe({ t: t * 1000, values, keysOf: () => ({ keys: [], complete: true }) }, t * 1000);
    }
    expect(lease.phase).toBe('stalled');
    expect(lease.warnings.join()).toMatch(/has not printed its maps for 1\d s/);
    expect(lease.info ?? '').not.toMatch(/No events/);
    // With a filter it may stay empty (an idle host's samples are all pid 0): no stall.
    const filtered = new ScriptLease('k', code.replace('{', '/pid != 0/ {'), {
      retentionMs: 60_000,
      pollIntervalMs: 1000,
      mayControl: true,
    });
    filtered.hold('d/1/A');
    filtered.registerStarted();
    filtered.registered({ script_id: 's1', variables: stacks }, 0);
    for (let t = 1; t <= 20; t++) {
      const values = new Map(sample(t * 1000, { status: 'started', error: RLIMIT, probes: 2, data_bytes: 51 }).values);
      values.set(name, { pmid: '1', name, instances: [] });
      filtered.observe({ t: t * 1000, values, keysOf: () => ({ keys: [], complete: true }) }, t * 1000);
    }
    expect(filtered.phase).toBe('running');
  });

  it('says when a map reached bpftrace’s 4096 keys (new keys dropped), and no longer once it has fewer', () => {
    const lease = new ScriptLease('k', 'text', { retentionMs: 60_000, pollIntervalMs: 1000, mayControl: true });
    lease.hold('d/1/A');
    lease.registerStarted();
    lease.registered(
      {
        script_id: 's1',
        variables: {
          '@bypid': { single: false, semantics: 1, datatype: 3, metrictype: null },
          '@lat': VARS['@lat'],
        },
      },
      0
    );
    const at = (t: number, keys: number) => {
      const values = new Map(sample(t, { status: 'started', data_bytes: t }).values);
      const instances = Array.from({ length: keys }, (_, i) => ({ instance: i, value: 1 }));
      for (const leaf of ['bypid', 'lat']) {
        const name = `bpftrace.scripts.s1.data.${leaf}`;
        values.set(name, { pmid: '1', name, instances });
      }
      const keysOf: LeaseSample['keysOf'] = (_m, list) => ({ keys: list.map((i) => `k${i.instance}`), complete: true });
      lease.observe({ t, values, keysOf }, t);
    };
    at(1000, 4095);
    expect(lease.warnings).toEqual([]);
    at(2000, 4096);
    // Named once: a histogram's buckets are no keys that bpftrace drops.
    expect(lease.warnings).toEqual([expect.stringMatching(/^Map full: @bypid holds 4096 keys, bpftrace's limit/)]);
    at(3000, 4096);
    expect(lease.warnings).toHaveLength(1);
    // clear() emptied it (or the host's limit is higher): the warning goes.
    at(4000, 10);
    expect(lease.warnings).toEqual([]);
  });

  it('a keyed map with no events yet is silent, not stalled (bpftrace prints nothing for it)', () => {
    const keyed = { '@retransmits': { single: false, semantics: 1, datatype: 3, metrictype: null } };
    const lease = new ScriptLease('k', 'text', { retentionMs: 60_000, pollIntervalMs: 1000, mayControl: true });
    lease.hold('d/1/A');
    lease.registerStarted();
    lease.registered({ script_id: 's1', variables: keyed }, 0);
    const name = 'bpftrace.scripts.s1.data.retransmits';
    const at = (t: number, dataBytes: number, instances: Array<{ instance: number; value: number }>): LeaseSample => {
      const values = new Map(sample(t, { status: 'started', error: RLIMIT, probes: 1, data_bytes: dataBytes }).values);
      values.set(name, { pmid: '1', name, instances });
      return {
        t,
        values,
        keysOf: (_m, instances) => ({ keys: instances.map((i) => `key${i.instance}`), complete: true }),
      };
    };
    // Only bpftrace's "attached_probes" line was printed; the map stays empty for 12 s.
    for (let t = 1; t <= 12; t++) {
      lease.observe(at(t * 1000, 50, []), t * 1000);
    }
    expect(lease.phase).toBe('running');
    expect(lease.warnings).toEqual([]);
    expect(lease.missedPrint(12_000)).toBe(false);
    // Once it has keys, bpftrace prints it every second: a silence then is a stall.
    lease.observe(at(13_000, 90, [{ instance: 1, value: 1 }]), 13_000);
    for (let t = 14; t <= 20; t++) {
      lease.observe(at(t * 1000, 90, [{ instance: 1, value: 1 }]), t * 1000);
    }
    expect(lease.phase).toBe('stalled');
    expect(lease.warnings.join()).toMatch(/has not printed its maps for \d+ s/);
  });

  it('never lists a name the PMDA misread (`@start[arg0] !`) as a map', () => {
    const lease = new ScriptLease('k', 'text', { retentionMs: 60_000, pollIntervalMs: 1000, mayControl: true });
    lease.hold('d/1/A');
    lease.registerStarted();
    lease.registered(
      { script_id: 's1', variables: { '@start[arg0] !': VARS['@max'], '@syscalls': VARS['@syscalls'] } },
      0
    );
    expect(lease.variables.map((v) => v.name)).toEqual(['@syscalls']);
  });

  it('names the probes that have not fired, and does not take a BEGIN header for an event', () => {
    const code =
      'BEGIN { printf("Waiting for OOM kills...\\n"); }\ntracepoint:oom:mark_victim { printf("%d\\n", args->pid); }';
    const lease = new ScriptLease('k', code, { retentionMs: 60_000, pollIntervalMs: 1000, mayControl: true });
    lease.hold('d/1/A');
    lease.registerStarted();
    lease.registered({ script_id: 's1', variables: { '@output': VARS['@output'] } }, 0);
    for (let t = 1; t <= 16; t++) {
      const output = 'Waiting for OOM kills...\n';
      lease.observe(
        sample(t * 1000, { status: 'started', probes: 2, data_bytes: 30, 'data.output': output }),
        t * 1000
      );
    }
    expect(lease.info).toMatch(
      /^No events in 1\d s: .* tracepoint:oom:mark_victim fires when the OOM killer picks a process to kill/
    );
    // The first line past the header is an event.
    const more = 'Waiting for OOM kills...\n4242\n';
    lease.observe(sample(17_000, { status: 'started', probes: 2, data_bytes: 40, 'data.output': more }), 17_000);
    expect(lease.info).toBeUndefined();
  });

  it("puts the reason with its fix in front of bpftrace's words when it refuses the script", () => {
    const lease = leaseOf('#include <linux/sched.h>\ntracepoint:sched:sched_switch { @n = count(); }');
    // Recorded: bpftrace 0.17 on a host with /usr/include/linux (libc's copy) but no kernel headers.
    const error = [
      "/usr/include/linux/sched.h:93:2: error: unknown type name '__aligned_u64'",
      "/usr/include/linux/sched.h:94:2: error: unknown type name '__aligned_u64'",
      'ERROR: Include headers with missing type definitions or install BTF information to your system.',
    ].join('\n');
    lease.observe(sample(1000, { status: 'error', error, exit_code: 1 }), 1000);
    expect(lease.error).toMatch(
      /^Drop the #include <linux\/sched.h> .*the host has no kernel headers, so bpftrace read the C library's copy/
    );
    expect(lease.error).toMatch(/install BTF information to your system\.$/);
  });

  it('output that outruns the retained lines is a warning with its rate', () => {
    const lease = leaseOf();
    const lines = (from: number) => Array.from({ length: 5 }, (_, i) => `line ${from + i}\n`).join('');
    lease.observe(
      sample(1000, { status: 'started', error: RLIMIT, probes: 2, data_bytes: 10, 'data.output': lines(0) }),
      1000
    );
    lease.observe(sample(2000, { status: 'started', probes: 2, data_bytes: 20, 'data.output': lines(100) }), 2000);
    expect(lease.warnings.join()).toMatch(/prints at least 5 lines\/s, more than the 5 lines the PMDA keeps/);
    // 5 lines a second with 5 kept costs the PMDA nothing to speak of.
    expect(lease.warnings.join()).not.toMatch(/of a CPU/);
  });

  it.each([
    // kept lines, lines printed in a 1 s read, the warning (or none)
    [10_000, 2_000, /prints 2000 lines\/s while the PMDA keeps 10000: .* about 70 % of a CPU, .* to about 4000 /],
    [10_000, 6_000, /prints 6000 lines\/s while the PMDA keeps 10000: .* about 210 % of a CPU, .* Print less/],
    // A read shows at most the kept lines: past them the rate is a lower bound (and lines are lost).
    [2_000, 8_000, undefined],
    [2_000, 2_000, undefined],
    [10_000, 1_000, undefined],
  ])(
    "%i kept lines at %i lines/s: the PMDA's cost of keeping them is a warning past half a CPU",
    (kept, perSecond, warning) => {
      const lease = leaseOf(`text\n// table-retain-lines: ${kept}`);
      const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => `line ${from + i}\n`).join('');
      lease.observe(sample(1000, { status: 'started', probes: 2, data_bytes: 10, 'data.output': lines(0, 10) }), 1000);
      const printed = lines(10, perSecond);
      // What the PMDA sends: the kept tail of everything printed so far.
      const text = (lines(0, 10) + printed)
        .split('\n')
        .slice(-kept - 1)
        .join('\n');
      lease.observe(sample(2000, { status: 'started', probes: 2, data_bytes: 20, 'data.output': text }), 2000);
      const found = lease.warnings.find((w) => /of a CPU/.test(w));
      if (warning) {
        expect(found).toMatch(warning);
      } else {
        expect(found).toBeUndefined();
      }
    }
  );
});

describe('bpftrace messages', () => {
  it('drops the harmless RLIMIT_MEMLOCK line and keeps the real error', () => {
    const text = `${RLIMIT}\nstdin:1:49-50: ERROR: syntax error, unexpected }\ntracepoint:raw_syscalls:sys_enter { @x = count(); }}\n                                                ~`;
    expect(cleanErrorText(text)).toMatch(/^stdin:1:49-50: ERROR: syntax error, unexpected }/);
    expect(cleanErrorText(text)).not.toMatch(/RLIMIT/);
  });

  it('finds warnings of a script that runs but traces less', () => {
    const text = `${RLIMIT}\nWARNING: Could not read symbols from /sys/kernel/debug/tracing/available_filter_functions: Operation not permitted`;
    const warnings = bpftraceWarnings(cleanErrorText(text));
    expect(warnings).toEqual([
      'Could not read symbols from /sys/kernel/debug/tracing/available_filter_functions: Operation not permitted',
    ]);
    expect(warningNotice(warnings)).toMatch(
      /^bpftrace runs, but some probes may trace nothing: Could not read symbols/
    );
    expect(warningNotice(bpftraceWarnings('WARNING: could not attach probe kprobe:vfs_read, skipping.'))).toMatch(
      /may trace nothing/
    );
    expect(warningNotice([])).toBeUndefined();
  });

  it('names a kprobe wildcard that matched nothing on a kernel without kprobes', () => {
    // Recorded: bpftrace 0.17, `tracepoint:raw_syscalls:sys_enter { … } kprobe:vfs_rea* { … }`.
    const text =
      'WARNING: Could not read symbols from /sys/kernel/debug/tracing/available_filter_functions: Operation not permitted';
    const script = 'tracepoint:raw_syscalls:sys_enter { @a = count(); } kprobe:vfs_rea* { @b = count(); }';
    expect(warningNotice(bpftraceWarnings(text), text, script)).toMatch(
      /^bpftrace runs, but some probes may trace nothing: .*so kprobe:vfs_rea\* matched nothing and records nothing; the script runs with its other probes/
    );
  });

  it('names the probes bpftrace skipped, and why, for a script that runs with the rest', () => {
    const text = [
      'stdin:1:1-17: WARNING: vfs_write is not traceable (either non-existing, inlined, or marked as "notrace"); attaching to it will likely fail',
      'create_probe_event: open(/sys/kernel/debug/tracing/kprobe_events): No such file or directory',
      'WARNING: could not attach probe kprobe:vfs_write, skipping.',
    ].join('\n');
    const notice = warningNotice(bpftraceWarnings(text), text)!;
    expect(notice).toMatch(
      /^bpftrace runs, but some probes may trace nothing: bpftrace skipped kprobe:vfs_write \(this host's kernel has no kprobes\) and runs with the script's other probes/
    );
    expect(notice).toMatch(/Use a tracepoint instead/);
    expect(notice).not.toMatch(/not traceable/);
    const uprobe = 'WARNING: could not attach probe uprobe:/opt/app:handle, skipping.';
    expect(warningNotice(bpftraceWarnings(uprobe), uprobe)).toMatch(
      /skipped uprobe:\/opt\/app:handle \(the binary or the function was not found\)/
    );
  });
});
