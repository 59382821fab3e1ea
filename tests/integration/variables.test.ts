import { setTemplateSrv, TemplateSrv } from '@grafana/runtime';
import { lint } from '../../src/language/lints';
import { EXAMPLES } from '../../src/language/examples';
import { loadProbeCatalog } from '../../src/language/probeCatalog';
import { BpfliveVariableQuery } from '../../src/types';
import { expectNothingLeft, scriptsOf } from './leaks';
import { installNodeBackendSrv } from './nodeBackendSrv';
import { hasData, newDataSource, PanelRun, request } from './datasourceHarness';
import { PMPROXY, stackUp, waitFor } from './stack';

// Dashboard variables on the real stack: variable queries against the real pmproxy, PMDA and
// pmcd (hosts, probes, running scripts, a running map's keys, metric instances, processes), a
// script run with a multi-value variable written in, and the cheat sheet's examples checked
// against the host's real probe list and a few of them run.

beforeAll(() => {
  stackUp();
  installNodeBackendSrv(() => PMPROXY);
});

afterEach(async () => {
  setTemplateSrv(undefined as unknown as TemplateSrv);
  await expectNothingLeft();
});

const values = async (query: Omit<BpfliveVariableQuery, 'refId'>, jsonData = {}) =>
  newDataSource(jsonData).variableValues({ refId: 'variable', ...query });

describe('variable queries on the real stack', () => {
  it('lists the configured hosts whose pmcd answers, with pmcd.hostname where it differs', async () => {
    const hosts = await values({ kind: 'hosts' }, { hosts: '127.0.0.1, no-such-host.invalid' });
    expect(hosts.map((h) => h.value)).toEqual(['localhost', '127.0.0.1']);
    // The text names the machine: pmcd's own hostname, which "localhost" is not.
    expect(hosts[0].text).toMatch(/^localhost \(.+\)$/);
  });

  it("lists a host's probes matching a pattern", async () => {
    const probes = (await values({ kind: 'probes', pattern: 'tracepoint:sched:sched_*' })).map((p) => String(p.value));
    expect(probes).toContain('tracepoint:sched:sched_switch');
    expect(probes.every((p) => p.startsWith('tracepoint:sched:sched_'))).toBe(true);
  });

  it("lists a PCP metric's instances, and says when the metric does not exist", async () => {
    const load = await values({ kind: 'instances', metric: 'kernel.all.load' });
    // In pmcd's order (Grafana's variable sorts them if asked).
    expect(load.map((i) => String(i.value)).sort()).toEqual(['1 minute', '15 minute', '5 minute']);
    await expect(values({ kind: 'instances', metric: 'no.such.metric' })).rejects.toThrow(/no metric no.such.metric/);
  });

  it('lists the processes running now, this test among them', async () => {
    const processes = await values({ kind: 'processes' });
    expect(processes.map((p) => p.value)).toContain(String(process.pid));
  });

  it("lists the running scripts, and the keys a running script's map has now", async () => {
    const code = 'tracepoint:raw_syscalls:sys_enter { @calls[pid] = count(); }';
    const ds = newDataSource();
    const run = new PanelRun(ds, request([{ code, format: 'table' }]));
    await waitFor('the script counts', () => run.frames().some((f) => f.length > 0), 30_000);

    const scripts = await ds.variableValues({ refId: 'v', kind: 'scripts' });
    const ours = scripts.find((s) => String(s.text).includes('tracepoint:raw_syscalls:sys_enter'));
    expect(ours).toBeDefined();
    // By the script's id (a "Running scripts" variable's value), and by the code a panel runs.
    for (const script of [String(ours!.value), code]) {
      const keys = await ds.variableValues({ refId: 'v', kind: 'mapKeys', script, map: '@calls' });
      expect(keys.map((k) => k.value)).toContain(String(process.pid));
    }
    await expect(ds.variableValues({ refId: 'v', kind: 'mapKeys', script: 'nope', map: '@calls' })).rejects.toThrow(
      /No running script "nope"/
    );
    run.stop();
  });
});

describe('variables written into a running script', () => {
  it('runs pid == $pid with two pids as one comparison per pid, and counts only those', async () => {
    const pids = [String(process.pid), '1'];
    setTemplateSrv({
      getVariables: () => [{ name: 'pid', type: 'custom' }],
      replace: (target: string, _s?: unknown, format?: (v: unknown) => string) =>
        target === '${pid}' && format ? format(pids) : target,
    } as unknown as TemplateSrv);
    const ds = newDataSource();
    const run = new PanelRun(
      ds,
      request([
        { code: 'tracepoint:raw_syscalls:sys_enter\n/pid == $pid/\n{\n  @calls[pid] = count();\n}', format: 'table' },
      ])
    );
    await waitFor('rows', () => run.frames().some((f) => f.length > 0), 30_000);
    expect(run.errors()).toEqual([]);
    const scripts = await scriptsOf();
    expect(scripts.map((s) => s.code).filter((c) => c?.includes('raw_syscalls:sys_enter'))).toEqual([
      expect.stringContaining(`/(pid == ${process.pid} || pid == 1)/`),
    ]);
    const frame = run.frames().find((f) => f.length > 0)!;
    const keys = frame.fields[0].values.map(String);
    expect(keys.every((k) => pids.includes(k))).toBe(true);
    run.stop();
  });
});

describe('a Viewer and a script written with variables', () => {
  it('waits for an Editor to start that choice of values, and says so', async () => {
    const pid = String(process.pid);
    setTemplateSrv({
      getVariables: () => [{ name: 'pid', type: 'custom' }],
      replace: (target: string, _s?: unknown, format?: (v: unknown) => string) =>
        target === '${pid}' && format ? format(pid) : target,
    } as unknown as TemplateSrv);
    const viewer = newDataSource({}, { role: 'Viewer' });
    const run = new PanelRun(
      viewer,
      request([{ code: 'tracepoint:raw_syscalls:sys_exit /pid == $pid/ { @viewer_waits = count(); }' }])
    );
    await waitFor('the waiting notice', () => run.notices().some((n) => n.includes("dashboard's variables")), 30_000);
    expect(run.notices()).toContain(
      `The script is written with the dashboard's variables ($pid = ${pid}): each choice of values is a script of its own, which an Editor's panel must have started.`
    );
    expect(await scriptsOf()).toEqual([]);
    run.stop();
  });
});

describe('the cheat sheet on the real stack', () => {
  it("passes the editor's checks against this host's real probe list", async () => {
    const catalog = await loadProbeCatalog(newDataSource());
    for (const e of EXAMPLES) {
      const problems = lint(e.code, { catalog }).filter((d) => d.severity !== 'info');
      expect([e.id, problems]).toEqual([e.id, []]);
    }
  });

  it.each(['syscalls-by-process', 'read-latency', 'cpu-flamegraph'])('%s runs and shows data', async (id) => {
    const example = EXAMPLES.find((e) => e.id === id)!;
    const run = new PanelRun(newDataSource(), request([{ code: example.code, format: example.format }]));
    await waitFor(`${id} shows data`, () => run.frames().some((f) => f.length > 0) || hasData(run), 30_000);
    expect(run.errors()).toEqual([]);
    run.stop();
  });
});
