import { ChildProcess, spawn } from 'child_process';
import { DataFrame, DataFrameType, FieldType, getFieldDisplayName } from '@grafana/data';
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
    run.stop();
  });

  it('syscount (count by comm) → time series by default, a sorted table on request', async () => {
    const ts = await framesOf(SYSCOUNT, {}, (f) => f.length > 0 && f[0].fields.length > 2);
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
