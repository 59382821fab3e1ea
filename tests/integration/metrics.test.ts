import { ChildProcess, spawn } from 'child_process';
import fs from 'fs';
import path from 'path';
import { DataFrame } from '@grafana/data';
import { QUERY_TYPE_METRIC } from '../../src/types';
import { adminClient, expectNothingLeft } from './leaks';
import { installNodeBackendSrv } from './nodeBackendSrv';
import { newDataSource, PanelRun, request } from './datasourceHarness';
import { PMPROXY, sh, stackUp, waitFor } from './stack';

// PCP metric queries against the real stack: the host's own metrics (kernel, disk, pmcd) of every
// kind — instant with instances, counters with and without instances, discrete — beside a
// bpftrace script in one panel, and the metrics of a real MMV-instrumented process (pmcd's mmv
// PMDA, which `scripts/pcp-stack.sh up` keeps enabled; python3-pcp's MMV binding).
const SYSCALLS = 'tracepoint:raw_syscalls:sys_enter { @syscalls = count(); }';
const metric = (metrics: string, extra = {}) => ({ code: '', queryType: QUERY_TYPE_METRIC, metrics, ...extra });

beforeAll(() => {
  stackUp();
  installNodeBackendSrv(() => PMPROXY);
}, 110_000);

afterEach(() => expectNothingLeft());

/** The frame of one metric in a query's latest response. */
const frameOf = (run: PanelRun, refId: string, name: string): DataFrame | undefined =>
  run.frames(refId).find((f) => f.name === name);
const last = (frame: DataFrame | undefined, i = 1) => frame?.fields[i]?.values[frame.length - 1] as number | null;

/** What PCP's own descriptors say (read apart from the datasource, on a context of its own). */
async function descriptors(names: string[]) {
  return new Map((await adminClient().metrics(names)).map((m) => [m.name, m]));
}

describe('PCP metric queries on the real stack', () => {
  it('reads kernel and pmcd metrics of every kind beside a script, all in one fetch per tick', async () => {
    const ds = newDataSource({ hostspec: 'localhost' });
    const run = new PanelRun(
      ds,
      request([
        { code: SYSCALLS },
        metric('kernel.all.load kernel.all.sysfork'),
        metric('pmcd.agent.*'),
        metric('disk.dev.read_bytes'),
      ])
    );
    // Forks every 100 ms, so kernel.all.sysfork has a rate to show.
    const forker = setInterval(() => sh('/bin/true'), 100);
    try {
      await waitFor('script and metric data', () => run.values('A').filter((v) => v !== null).length >= 3, 40_000);
      await waitFor('a fork rate', () => (last(frameOf(run, 'B', 'kernel.all.sysfork')) ?? 0) > 0, 20_000);
      expect(run.errors('B')).toEqual([]);

      const pcp = await descriptors(['kernel.all.load', 'kernel.all.sysfork', 'disk.dev.read_bytes']);
      // kernel.all.load: instant (PCP says so), three instances, named by their instance names.
      expect(pcp.get('kernel.all.load')?.sem).toBe('instant');
      const load = frameOf(run, 'B', 'kernel.all.load')!;
      expect(load.fields.slice(1).map((f) => f.config.displayNameFromDS)).toEqual([
        'kernel.all.load[1 minute]',
        'kernel.all.load[5 minute]',
        'kernel.all.load[15 minute]',
      ]);
      const loadNow = (await adminClient().fetch(['kernel.all.load'])).values.get('kernel.all.load')!;
      // The values as they are (the load average moves every 5 s: the same as a fetch of our own, or close).
      expect(Math.abs((last(load, 1) ?? -1) - Number(loadNow.instances[0].value))).toBeLessThan(0.5);
      expect(load.fields[1].config.unit).toBeUndefined();

      // kernel.all.sysfork: a counter, so a per-second rate, in forks per second.
      expect(pcp.get('kernel.all.sysfork')?.sem).toBe('counter');
      const forks = frameOf(run, 'B', 'kernel.all.sysfork')!;
      expect(forks.fields[1].config.unit).toBe('count:/s');
      const rate = last(forks)!;
      expect(rate).toBeGreaterThanOrEqual(5);
      // /bin/true every 100 ms is about 10 forks a second, plus what the machine forks itself.
      expect(rate).toBeLessThan(1000);

      // disk.dev.read_bytes: a counter with instances (one per disk) in Kbyte → KiB/s.
      expect(pcp.get('disk.dev.read_bytes')).toMatchObject({ sem: 'counter', units: 'Kbyte' });
      const disks = frameOf(run, 'D', 'disk.dev.read_bytes')!;
      expect(disks.fields.length).toBeGreaterThan(1);
      expect(disks.fields[1].config.unit).toBe('KiBs');

      // pmcd.agent.*: discrete metrics with an instance per agent, drawn as values.
      const agents = run.frames('C').filter((f) => f.fields.length > 1);
      const agentPcp = await descriptors(agents.map((f) => f.name!));
      const discrete = agents.filter((f) => agentPcp.get(f.name!)?.sem === 'discrete');
      expect(discrete.length).toBeGreaterThan(0);
      for (const f of discrete) {
        expect(f.fields.map((x) => x.name)).toContain('bpftrace');
        expect(f.fields[1].config.unit ?? '').not.toMatch(/\/s$/);
      }

      // The one-fetch rule: over 6 s every fetch of the host carried the script and the metrics.
      const endpoint = ds.endpointFor('localhost');
      // Both read from the buffers' columns as they are now (they grow in place).
      const rows = () => [run.values('A').length, frameOf(run, 'B', 'kernel.all.load')!.fields[1].values.length];
      const [scriptBefore, metricBefore] = rows();
      const fetchesBefore = endpoint.fetchCount;
      await new Promise((r) => setTimeout(r, 6_000));
      const [scriptAfter, metricAfter] = rows();
      const fetches = endpoint.fetchCount - fetchesBefore;
      console.log(
        `6 s of a script and 3 metric queries: ${fetches} fetches, ${metricAfter - metricBefore} metric rows, ${scriptAfter - scriptBefore} script rows`
      );
      // Both rode the same ticks; a script gets a row only for a tick in which bpftrace's print had
      // reached the PMDA, so it may lack one where the print and the tick crossed (seen: 6 and 5).
      expect(Math.abs(metricAfter - metricBefore - (scriptAfter - scriptBefore))).toBeLessThanOrEqual(1);
      // Each tick one fetch; the PMDA's script list may now and then need a fetch of its own.
      expect(fetches).toBeGreaterThanOrEqual(metricAfter - metricBefore);
      expect(fetches).toBeLessThanOrEqual(metricAfter - metricBefore + 1);
      expect(fetches).toBeGreaterThanOrEqual(4);
    } finally {
      clearInterval(forker);
      run.stop();
    }
  });

  it('keeps only the instances the filter names, and says which pattern matches nothing', async () => {
    const ds = newDataSource({ hostspec: 'localhost' });
    const run = new PanelRun(
      ds,
      request([metric('kernel.all.load', { instances: '1*|15*' }), metric('kernel.all.nosuch.*')])
    );
    try {
      await waitFor('load data', () => (frameOf(run, 'A', 'kernel.all.load')?.length ?? 0) >= 2, 20_000);
      expect(
        frameOf(run, 'A', 'kernel.all.load')!
          .fields.slice(1)
          .map((f) => f.name)
      ).toEqual(['1 minute', '15 minute']);
      await waitFor('the notice', () =>
        run.notices('B').some((t) => /kernel\.all\.nosuch\.\* matches no metric/.test(t))
      );
    } finally {
      run.stop();
    }
  });
});

describe('an MMV-instrumented process', () => {
  const name = `bpflive_it_${process.pid}`;
  let app: ChildProcess | undefined;

  afterEach(() => {
    app?.kill();
    app = undefined;
    fs.rmSync(path.join('/var/lib/pcp/tmp/mmv', name), { force: true });
  });

  it("shows the process's own counters as rates in their units, and its instant value as it is", async () => {
    app = spawn('/usr/bin/python3', [path.join(__dirname, 'mmvApp.py'), name], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      app!.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      app!.on('exit', (code) => reject(new Error(`mmvApp.py exited with ${code}`)));
    });
    const ds = newDataSource({ hostspec: 'localhost' });
    const run = new PanelRun(ds, request([metric(`mmv.${name}.*`, { legendFormat: '$metric $instance' })]));
    try {
      const requests = () => frameOf(run, 'A', `mmv.${name}.requests`);
      await waitFor(
        'three rates of requests',
        () => (requests()?.fields[1].values.filter((v) => v !== null).length ?? 0) >= 3,
        30_000
      );
      const pcp = await descriptors([`mmv.${name}.requests`, `mmv.${name}.sent`, `mmv.${name}.queue`]);
      expect(pcp.get(`mmv.${name}.requests`)).toMatchObject({ sem: 'counter', units: 'count' });
      expect(pcp.get(`mmv.${name}.sent`)).toMatchObject({ sem: 'counter', units: 'Kbyte' });
      expect(pcp.get(`mmv.${name}.queue`)).toMatchObject({ sem: 'instant' });

      const frame = requests()!;
      expect(frame.fields.slice(1).map((f) => f.config.displayNameFromDS)).toEqual([
        `mmv.${name}.requests get`,
        `mmv.${name}.requests put`,
      ]);
      // get += 5 and put += 1 every 100 ms: about 50/s and 10/s (the sleep makes it a little less).
      expect(last(frame, 1)).toBeGreaterThan(35);
      expect(last(frame, 1)).toBeLessThanOrEqual(55);
      expect(last(frame, 2)).toBeGreaterThan(7);
      expect(last(frame, 2)).toBeLessThanOrEqual(11);
      const sent = frameOf(run, 'A', `mmv.${name}.sent`)!;
      expect(sent.fields[1].config.unit).toBe('KiBs');
      expect(last(sent)).toBeGreaterThan(14);
      expect(last(sent)).toBeLessThanOrEqual(22);
      const queue = frameOf(run, 'A', `mmv.${name}.queue`)!;
      expect(last(queue)).toBe(7);

      // The process exits: its metrics go from the host, and the panel says so, keeping their history.
      app.kill();
      await waitFor(
        'a notice that the metrics are gone',
        () => run.notices('A').some((t) => new RegExp(`mmv\\.${name}\\.requests is gone from the host`).test(t)),
        20_000
      );
      expect(
        frameOf(run, 'A', `mmv.${name}.requests`)!.fields[1].values.filter((v) => v !== null).length
      ).toBeGreaterThan(2);
    } finally {
      run.stop();
    }
  });
});
