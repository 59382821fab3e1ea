import { DataFrame } from '@grafana/data';
import { registerScript, deregisterScripts } from '../../src/scripts/protocol';
import { adminClient, expectNothingLeft, scriptsOnHost } from './leaks';
import { installNodeBackendSrv } from './nodeBackendSrv';
import { hasData, newDataSource, PanelRun, request } from './datasourceHarness';
import { bpftracePids, PMPROXY, stackUp, waitFor } from './stack';

// The running scripts view and what scripts cost, on the real stack: the PMDA's list, PCP's proc
// metrics of the real bpftrace processes, a script of "another tool" registered straight through
// pmproxy, the CPU budget with a busy profile, and a named script shown by name.

beforeAll(() => {
  stackUp();
  installNodeBackendSrv(() => PMPROXY);
});

afterEach(async () => {
  await expectNothingLeft();
});

const COUNTER = 'tracepoint:raw_syscalls:sys_enter { @running_scripts_it = count(); }';

/** The rows of the Running scripts table, by column name. */
function rows(frame: DataFrame | undefined): Array<Record<string, unknown>> {
  if (!frame) {
    return [];
  }
  return Array.from({ length: frame.length }, (_, i) =>
    Object.fromEntries(frame.fields.map((f) => [f.name, f.values[i]]))
  );
}

const table = (run: PanelRun) => run.frames().find((f) => f.meta?.custom?.view === 'runningScripts');

describe('Running scripts on the real stack', () => {
  it("lists a running bpflive script with its bpftrace's pid, CPU and memory, and another tool's script as other", async () => {
    const ds = newDataSource();
    const panel = new PanelRun(ds, request([{ code: COUNTER }], 1));
    await waitFor('the panel counts', () => hasData(panel), 30_000);
    // "Another tool": registered straight through pmproxy with the stack's credentials, no marker.
    const foreign = await registerScript(adminClient(), 'profile:hz:9 { @foreign_tool = count(); }');
    try {
      const view = new PanelRun(ds, request([{ code: '', queryType: 'runningScripts' }], 2));
      await waitFor(
        'both scripts listed, ours with its CPU measured',
        () => {
          const r = rows(table(view));
          const ours = r.find((x) => String(x.Code).includes('@running_scripts_it'));
          return r.some((x) => x['Script id'] === foreign.script_id) && typeof ours?.CPU === 'number';
        },
        40_000
      );
      const listed = rows(table(view));
      const ours = listed.find((x) => String(x.Code).includes('@running_scripts_it'))!;
      const theirs = listed.find((x) => x['Script id'] === foreign.script_id)!;
      const onHost = await scriptsOnHost();
      const pidOf = (id: unknown) => onHost.find((r) => r.script_id === id)?.state?.pid;
      // The PMDA's pid, a bpftrace process of this machine, with its CPU share and memory.
      expect(ours['Registered by']).toBe('bpflive');
      expect(ours.PID).toBe(pidOf(ours['Script id']));
      expect(bpftracePids()).toContain(ours.PID);
      expect(ours.CPU).toBeGreaterThanOrEqual(0);
      expect(ours.CPU).toBeLessThan(2);
      expect(ours.Memory).toBeGreaterThan(1024 * 1024);
      expect(ours.State).toBe('started');
      // The PMDA's count (bpftrace's own attach count, its print interval probe included).
      expect(ours.Probes).toBe(onHost.find((r) => r.script_id === ours['Script id'])?.state?.probes);
      expect(ours.Probes).toBeGreaterThanOrEqual(1);
      // Another tool's script: listed as such, with the user pmcd knows it by, its state and process.
      // Nobody reads it, and the PMDA refreshes a script's state only when it is read: the view says
      // so rather than "starting" (and does not read it: that would keep it alive forever).
      expect(theirs).toMatchObject({ 'Registered by': 'other tool', Name: foreign.script_id });
      expect(String(theirs.State)).toMatch(/^unknown \(never read/);
      expect(pidOf(foreign.script_id)).toBe(-1);
      expect(theirs.PID ?? undefined).toBeUndefined();
      expect(String(theirs.Code)).toContain('profile:hz:9');
      // What the view shows of a foreign script (the report quotes it).
      console.log(`foreign script row: ${JSON.stringify(theirs)}`);

      // A Viewer may not stop it: nothing is sent; an Editor may.
      const viewer = newDataSource({}, { role: 'Viewer' });
      expect(viewer.mayStopScripts).toBe(false);
      await expect(viewer.stopScript(foreign.script_id)).rejects.toThrow(/may not stop scripts/);
      expect((await scriptsOnHost()).some((r) => r.script_id === foreign.script_id)).toBe(true);
      await newDataSource().stopScript(foreign.script_id);
      await waitFor(
        'the foreign script gone from the view',
        () => !rows(table(view)).some((x) => x['Script id'] === foreign.script_id),
        20_000
      );
      view.stop();
    } finally {
      await deregisterScripts(adminClient(), [foreign.script_id]).catch(() => undefined);
      panel.stop();
    }
  });

  it('shows a busy script over the CPU budget as a warning on its query, with its share in the overhead meter', async () => {
    // A 999 Hz kernel-stack profile: bpftrace resolves and prints every stack each second.
    const ds = newDataSource({ cpuBudgetPercent: 0.2 });
    const run = new PanelRun(ds, request([{ code: 'profile:hz:999 { @budget_it[kstack] = count(); }' }]));
    await waitFor('the budget warning', () => run.notices().some((n) => n.startsWith('Over the CPU budget')), 60_000);
    const state = run.frames()[0].meta?.custom?.bpflive;
    console.log(`busy profile: ${JSON.stringify(state?.cost)}`);
    expect(state.cost.overBudget).toBe(true);
    expect(state.cost.cpu).toBeGreaterThan(0.002);
    expect(state.cost.budget).toBeCloseTo(0.002);
    run.stop();
  });

  it('stops a script over budget when the admin chose so, and says why on its query', async () => {
    const ds = newDataSource({ cpuBudgetPercent: 0.2, stopOverBudget: true });
    const run = new PanelRun(ds, request([{ code: 'profile:hz:999 { @budget_stop_it[kstack] = count(); }' }]));
    await waitFor(
      'the stop',
      () => run.errors().some((e) => /^Stopped: the script used/.test(e.message ?? '')),
      60_000
    );
    await waitFor(
      'the script gone from the host',
      async () => !(await scriptsOnHost()).some((r) => (r.code ?? '').includes('@budget_stop_it')),
      20_000
    );
    run.stop();
  });

  // A named script stays "starting" with pid -1 in the PMDA's list until something reads it (PCP
  // 6.0.3 refreshes a script's state only when it is read): joining it is that read.
  it('joins a named script another tool registered, shows its data, and never stops it', async () => {
    const name = `bpflive_it_join_${Date.now() % 100000}`;
    await registerScript(adminClient(), `// name: ${name}\ninterval:ms:100 { @joined_ticks = count(); }`);
    try {
      const run = new PanelRun(newDataSource(), request([{ code: '', scriptName: name }]));
      await waitFor('data of the named script', () => hasData(run, 'A', 2), 30_000);
      const frame = run.frames()[0];
      expect(frame.fields.some((f) => f.type === 'number')).toBe(true);
      run.stop();
      // Past bpflive's grace period and quiet window: a lease that joined never stops the script.
      await new Promise((r) => setTimeout(r, 12_000));
      const listed = (await scriptsOnHost()).find((r) => r.metadata?.name === name);
      expect(listed?.state?.status).toBe('started');
      expect(bpftracePids()).toHaveLength(1);
    } finally {
      // Named scripts never expire: the test removes its own, by name (the PMDA's key for them).
      await deregisterScripts(adminClient(), [name]);
    }
  });

  // An autostart script needs a pmcd restart, which the shared stack cannot take mid-run; the
  // PMDA model covers it (src/engine/cost.test.ts). Here: a name the host does not run is said
  // so, and nothing is registered.
  it('a query naming a script the host does not run says so and registers nothing', async () => {
    const before = (await scriptsOnHost()).length;
    const run = new PanelRun(newDataSource(), request([{ code: '', scriptName: 'bpflive_no_such_script' }]));
    await waitFor('the notice', () => run.notices().some((n) => n.includes('runs no script named')), 20_000);
    expect((await scriptsOnHost()).length).toBe(before);
    run.stop();
  });
});
