import { ChildProcess, spawn } from 'child_process';
import { DataFrame, DataFrameType, dateTime, FieldType, getFieldDisplayName } from '@grafana/data';
import { newDataSource, PanelRun, request } from './datasourceHarness';
import { installNodeBackendSrv } from './nodeBackendSrv';
import { expectNothingLeft } from './leaks';
import { PMPROXY, stackUp, waitFor } from './stack';

// One script per format, on the real stack, through DataSource.query(): the frames Grafana's own
// panels draw. A background loop execs and opens files so the tracepoints see work.
let load: ChildProcess;

beforeAll(() => {
  stackUp();
  installNodeBackendSrv(() => PMPROXY);
  load = spawn('bash', ['-c', 'while true; do ls /etc >/dev/null; cat /etc/hostname >/dev/null; sleep 0.1; done'], {
    stdio: 'ignore',
  });
});

afterAll(() => {
  load.kill();
  stackUp();
});

// A leak fails the test (never killed by name: that would hide it).
afterEach(() => expectNothingLeft());

const RUNQLAT = `tracepoint:sched:sched_wakeup,tracepoint:sched:sched_wakeup_new { @qtime[args->pid] = nsecs; }
tracepoint:sched:sched_switch {
  $ns = @qtime[args->next_pid];
  if ($ns > 0) {
    @usecs = hist((nsecs - $ns) / 1000);
  }
  delete(@qtime[args->next_pid]);
}`;
const SYSCOUNT = 'tracepoint:raw_syscalls:sys_enter { @bycomm[comm] = count(); }';
const EXECSNOOP =
  'tracepoint:syscalls:sys_enter_execve { printf("%-8d %-16s %s\\n", pid, comm, str(args->filename)); }';
const CSV = `// table-retain-lines: 20
BEGIN { printf("comm,pid,file\\n"); }
tracepoint:syscalls:sys_enter_openat { printf("%s,%d,\\"%s\\"\\n", comm, pid, str(args->filename)); }`;
const PROFILE = 'profile:hz:99 { @ks[kstack] = count(); }';
// Snoop-style: a scratch map keyed by thread id, deleted per event, and one printf per event
// (only cat's opens: opensnoop of a whole busy host makes the PMDA fall behind and out of step).
const TIDSNOOP = `tracepoint:syscalls:sys_enter_openat /comm == "cat"/ { @fname[tid] = args->filename; }
tracepoint:syscalls:sys_exit_openat /@fname[tid]/ { printf("%-8d %-16s %4d %s\\n", pid, comm, args->ret, str(@fname[tid])); delete(@fname[tid]); }`;
// A count keyed by a number with many keys (one per syscall id).
const BY_SYSCALL_ID = 'tracepoint:raw_syscalls:sys_enter { @[args->id] = count(); }';
// sum() (the PMDA exports it as an instant value) of bytes read.
const READ_BYTES = 'tracepoint:syscalls:sys_exit_read /args->ret > 0/ { @bytes = sum(args->ret); }';
// join() prints a message the PMDA drops, its newline with it: everything after the header is
// one unterminated line.
const JOINSNOOP = `BEGIN { printf("PID      ARGS\\n"); }
tracepoint:syscalls:sys_enter_execve { printf("%-8d ", pid); join(args->argv); }`;

const viewOf = (run: PanelRun) => run.frames()[0]?.meta?.custom?.view;
const noticesOf = (run: PanelRun) => run.frames().flatMap((f) => f.meta?.notices?.map((n) => n.text) ?? []);

const dataFrames = (run: PanelRun) => run.frames().filter((f) => f.fields.length > 0);

async function framesOf(
  code: string,
  extra: Record<string, unknown> = {},
  ready: (f: DataFrame[]) => boolean = (f) => f.length > 0
) {
  const run = new PanelRun(newDataSource(), request([{ code, ...extra }]));
  await waitFor('frames', () => ready(dataFrames(run)), 30_000).catch((e) => {
    // Say what the query showed instead: its notices and errors.
    const shown = run.frames().flatMap((f) => f.meta?.notices?.map((n) => n.text) ?? []);
    throw new Error(
      `${e.message}; notices: ${JSON.stringify(shown)}; errors: ${JSON.stringify(run.errors())}; frames: ${JSON.stringify(dataFrames(run).map((f) => [f.fields.length, f.length]))}`
    );
  });
  return run;
}

describe('formats on the real stack', () => {
  it('runqlat (hist on sched tracepoints) → heatmap-rows with ordered le buckets of rates', async () => {
    const run = await framesOf(
      RUNQLAT,
      { map: '@usecs' },
      (f) => f.length > 0 && f[0].length >= 3 && f[0].fields.length >= 3
    );
    const [frame] = dataFrames(run);
    expect(frame.meta?.type).toBe(DataFrameType.HeatmapRows);
    expect(frame.fields[0].type).toBe(FieldType.time);
    const les = frame.fields.slice(1).map((f) => Number(f.labels?.le === '+Inf' ? Infinity : f.labels?.le));
    expect(les.every((le) => !Number.isNaN(le))).toBe(true);
    expect([...les].sort((a, b) => a - b)).toEqual(les);
    const values = frame.fields.slice(1).flatMap((f) => f.values as Array<number | null>);
    expect(values.some((x) => typeof x === 'number' && x > 0)).toBe(true);
    expect(values.every((x) => x === null || x >= 0)).toBe(true);
    // The unit belongs to the buckets (their bounds), not to the counts per second in the cells.
    expect(frame.fields.slice(1).some((f) => /µs/.test(getFieldDisplayName(f, frame)))).toBe(true);
    // A cell links to its slice of the dashboard (query/sliceLink.ts), through the time field.
    expect(frame.fields[0].config.links?.map((l) => l.url)).toEqual([
      '?${__all_variables}&from=${__value.time}&to=${__value.time}',
    ]);
    run.stop();
  });

  it('syscount (count by comm) → time series, or a sorted table, on request', async () => {
    // (Auto picks either, by how many comms the host shows: see "many keys" below.)
    const ts = await framesOf(SYSCOUNT, { format: 'timeseries' }, (f) => f.length > 0 && f[0].fields.length > 2);
    const [frame] = dataFrames(ts);
    expect(frame.fields[0].type).toBe(FieldType.time);
    expect(frame.fields.slice(1).map((f) => f.config.displayNameFromDS)).toContain('@bycomm[ls]');
    ts.stop();

    const table = await framesOf(SYSCOUNT, { format: 'table' }, (f) => f.length > 0 && f[0].length > 2);
    const [t] = dataFrames(table);
    expect(t.fields.map((f) => f.name)[0]).toBe('comm');
    const counts = t.fields[t.fields.length - 1].values as number[];
    expect([...counts].sort((a, b) => b - a)).toEqual(counts);
    expect(t.fields[0].values).toContain('ls');
    table.stop();
  });

  it('execsnoop (printf) → log lines, each exec once, in order', async () => {
    const run = await framesOf(EXECSNOOP, {}, (f) => f.length > 0 && f[0].length >= 5);
    await new Promise((r) => setTimeout(r, 3000));
    const [frame] = dataFrames(run);
    expect(frame.meta?.type).toBe(DataFrameType.LogLines);
    const body = frame.fields.find((f) => f.name === 'body')!.values as string[];
    const ids = frame.fields.find((f) => f.name === 'id')!.values as string[];
    expect(body.some((line) => /\/usr\/bin\/ls|\/bin\/ls/.test(line))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const times = frame.fields.find((f) => f.type === FieldType.time)!.values as number[];
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    run.stop();
  });

  it('CSV printf with a header → a table with typed columns', async () => {
    const run = await framesOf(CSV, {}, (f) => f.length > 0 && f[0].length >= 3);
    const [frame] = dataFrames(run);
    expect(frame.fields.map((f) => f.name)).toEqual(['comm', 'pid', 'file']);
    expect(frame.fields[1].type).toBe(FieldType.number);
    expect((frame.fields[1].values as number[]).every((pid) => pid > 0)).toBe(true);
    expect((frame.fields[2].values as string[]).some((file) => file.startsWith('/'))).toBe(true);
    run.stop();
  });

  it('snoop-style (scratch map by tid + printf per event) → Auto shows the events as logs', async () => {
    const run = await framesOf(TIDSNOOP, {}, (f) => f.length > 0 && f[0].length >= 5);
    expect(viewOf(run)).toBe('logs');
    const [frame] = dataFrames(run);
    expect(frame.meta?.type).toBe(DataFrameType.LogLines);
    const body = frame.fields.find((f) => f.name === 'body')!.values as string[];
    expect(body.some((line) => /\/etc\/hostname/.test(line))).toBe(true);
    expect(noticesOf(run).find((n) => n.startsWith('Auto: '))).toMatch(
      /^Auto: @output as logs \(it printed \d+ lines; @fname is per-event scratch, not shown\)/
    );
    run.stop();
  });

  it('a count keyed by a number with many keys → Auto shows a table, numeric keys as numbers', async () => {
    const run = await framesOf(BY_SYSCALL_ID, {}, (f) => f.length > 0 && f[0].meta?.custom?.view === 'table');
    const [table] = dataFrames(run);
    expect(table.length).toBeGreaterThan(20);
    expect(table.fields[0]).toMatchObject({ name: 'id', type: FieldType.number });
    const counts = table.fields[table.fields.length - 1].values as number[];
    expect([...counts].sort((a, b) => b - a)).toEqual(counts);
    expect(noticesOf(run).find((n) => n.startsWith('Auto: '))).toMatch(/^Auto: @ as a table \(it has \d+ keys/);
    run.stop();
  }, 60_000);

  it('a sum() map → a per-second rate in B/s, not the running total', async () => {
    const run = await framesOf(READ_BYTES, {}, (f) => f.length > 0 && f[0].length >= 4);
    expect(viewOf(run)).toBe('timeseries');
    const [frame] = dataFrames(run);
    const series = frame.fields[1];
    expect(series.config.unit).toBe('binBps');
    const rates = (series.values as Array<number | null>).slice(1);
    expect(rates.every((r) => r === null || r >= 0)).toBe(true);
    expect(rates.some((r) => r !== null && r > 0)).toBe(true);
    run.stop();

    const raw = await framesOf(READ_BYTES, { rate: false }, (f) => f.length > 0 && f[0].length >= 3);
    const totals = dataFrames(raw)[0].fields[1].values as number[];
    expect([...totals].sort((a, b) => a - b)).toEqual(totals); // a running total only grows
    raw.stop();
  });

  it('join() output: the events the PMDA glues into one line are cut apart, and the loss is told', async () => {
    const run = await framesOf(JOINSNOOP, {}, (f) => f.length > 0 && f[0].length >= 3);
    expect(viewOf(run)).toBe('logs');
    const body = dataFrames(run)[0].fields.find((f) => f.name === 'body')!.values as string[];
    expect(body[0]).toBe('PID      ARGS');
    expect(body.slice(1).every((line) => /^\d+$/.test(line))).toBe(true);
    expect(noticesOf(run).some((n) => n.startsWith('join() output never reaches bpflive'))).toBe(true);
    run.stop();
  });

  it('an unterminated last line that cannot be cut is shown, marked partial', async () => {
    const code = JOINSNOOP.replace('printf("%-8d ", pid)', 'printf("%s ", comm)');
    const run = await framesOf(code, {}, (f) => f.length > 0 && f[0].length >= 2);
    const body = dataFrames(run)[0].fields.find((f) => f.name === 'body')!.values as string[];
    expect(body[0]).toBe('PID      ARGS');
    expect(body[body.length - 1]).toMatch(/ \[partial: no newline yet\]$/);
    run.stop();
  });

  it('profile:hz:99 kstack → a flame graph rooted in kernel entry frames', async () => {
    const run = await framesOf(PROFILE, {}, (f) => f.length > 0 && f[0].length > 10);
    const [frame] = dataFrames(run);
    expect(frame.meta?.preferredVisualisationType).toBe('flamegraph');
    const field = (name: string) => frame.fields.find((f) => f.name === name)!.values as Array<string | number>;
    const [labels, levels, values, selfs] = [field('label'), field('level'), field('value'), field('self')];
    expect(labels[0]).toBe('all');
    expect(levels[0]).toBe(0);
    expect(values[0]).toBeGreaterThan(0);
    const rootChildren = labels.filter((_, i) => levels[i] === 1) as string[];
    const entry =
      /entry_SYSCALL|asm_|ret_from_fork|secondary_startup|common_startup|startup_64|start_kernel|cpu_startup_entry|x86_64_start|common_interrupt|irq|do_idle/;
    expect(rootChildren.some((l) => entry.test(l))).toBe(true);
    // Nested set: a node's value is its self plus its children's values.
    expect(values[0]).toBe((selfs[0] as number) + sumChildren(levels as number[], values as number[], 0));
    run.stop();
  });

  it('profile compared with the previous window → Grafana’s diff frame with samples on both sides', async () => {
    // The last 3 s against the 3 s before them: both sides fill once the script has run 6 s.
    const req = request([{ code: PROFILE, format: 'flamegraph', flameGraph: { compare: 'previous' } }]);
    const now = dateTime();
    req.range = { from: dateTime(now).subtract(3, 'seconds'), to: now, raw: { from: 'now-3s', to: 'now' } };
    const run = new PanelRun(newDataSource(), req);
    const root = (name: string) => dataFrames(run)[0]?.fields.find((f) => f.name === name)?.values[0] as number;
    await waitFor('both windows with samples', () => root('value') > 0 && root('valueRight') > 0, 60_000);
    // The baseline holds samples as soon as one tick of it is after the script's start; 4 s later
    // all of it is (so both sides have the same length of profile to compare).
    await new Promise((resolve) => setTimeout(resolve, 4000));
    const [frame] = dataFrames(run);
    expect(frame.fields.map((f) => f.name)).toEqual(['label', 'level', 'value', 'self', 'valueRight', 'selfRight']);
    const field = (name: string) => frame.fields.find((f) => f.name === name)!.values as number[];
    const levels = field('level');
    // Each side is a nested set of its own: the root's total is its self plus its children's.
    expect(field('value')[0]).toBe(field('self')[0] + sumChildren(levels, field('value'), 0));
    expect(field('valueRight')[0]).toBe(field('selfRight')[0] + sumChildren(levels, field('valueRight'), 0));
    // profile:hz:99 samples every CPU 99 times a second: 3 s hold about the same on both sides.
    const ratio = field('valueRight')[0] / field('value')[0];
    expect(ratio).toBeGreaterThan(0.33);
    expect(ratio).toBeLessThan(3);
    expect(noticesOf(run).some((n) => /^Compared with the window before it \(.*\): \d+ samples then/.test(n))).toBe(
      true
    );
    run.stop();
  });
});

/** Sum of the values of the direct children of row `index` in a pre-order nested set. */
function sumChildren(levels: number[], values: number[], index: number): number {
  let sum = 0;
  for (let i = index + 1; i < levels.length && levels[i] > levels[index]; i++) {
    if (levels[i] === levels[index] + 1) {
      sum += values[i];
    }
  }
  return sum;
}
