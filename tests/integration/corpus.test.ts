import { ChildProcess, spawn } from 'child_process';
import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { DataFrame, DataFrameType, FieldType } from '@grafana/data';
import { beginLines } from '../../src/language/probeTriggers';
import { newDataSource, PanelRun, request } from './datasourceHarness';
import { expectNothingLeft } from './leaks';
import { installNodeBackendSrv } from './nodeBackendSrv';
import { PMPROXY, pmproxyProcess, stackUp, waitFor } from './stack';

// The corpus (tests/corpus/*.bt): scripts written the way people write bpftrace tools (snoops
// with scratch maps, counts by name, latency histograms, stack profiles, top-N, CSV) and ones
// that fail on this host for a reason the user must be told. Each file's first line says what a
// performance engineer pasting it with Format = Auto must get:
//   // expect: {"panel": "logs", "data": true, "message": "<regex over the errors and notices>"}
// panel is the resolved view (frame.meta.custom.view), or "error" for a script that cannot run.
// Each runs unchanged through the real DataSource.query() on the real stack, a few at a time.

const CORPUS = join(__dirname, '..', 'corpus');
/** Scripts run at once: bpftrace's start (LLVM) is CPU-bound, and the host has 2 vCPUs. */
const BATCH = 4;
/** Long enough for "no events" (15 s) and for a slow start under load. */
const CASE_TIMEOUT_MS = 30_000;

interface Expectation {
  panel: string;
  /** The panel must show rows (log lines past a BEGIN header, table rows, samples). */
  data?: boolean;
  message?: string;
}

interface Case {
  file: string;
  code: string;
  expect: Expectation;
}

interface Outcome {
  panel: string;
  rows: number;
  messages: string[];
}

const cases: Case[] = readdirSync(CORPUS)
  .filter((f) => f.endsWith('.bt'))
  .sort()
  .map((file) => {
    const code = readFileSync(join(CORPUS, file), 'utf8');
    const header = /^\/\/ expect: (\{.*\})$/m.exec(code);
    if (!header) {
      throw new Error(`${file}: no "// expect: {…}" line`);
    }
    return { file, code, expect: JSON.parse(header[1]) as Expectation };
  });

// Interleaved, so that scripts of one kind (the open-* ones) do not all run at once: together
// they can make the PMDA's manager fall behind on a busy host.
const batches: Case[][] = Array.from({ length: Math.ceil(cases.length / BATCH) }, () => []);
cases.forEach((c, i) => batches[i % batches.length].push(c));

let load: ChildProcess;

beforeAll(() => {
  stackUp();
  installNodeBackendSrv(() => PMPROXY);
  // What the corpus traces: execs, opens, reads and big writes, deletes, signals, forks and exits.
  load = spawn(
    'bash',
    [
      '-c',
      'while true; do ls /etc >/dev/null; cat /etc/hostname >/dev/null; dd if=/dev/zero of=/dev/null bs=4k count=4 2>/dev/null; touch /tmp/bpflive-corpus-$$; rm -f /tmp/bpflive-corpus-$$; kill -0 $$; sleep 0.1; done',
    ],
    { stdio: 'ignore' }
  );
});

afterAll(() => {
  load.kill();
  // Hand the next user of the stack a PMDA in step (a busy corpus can leave its manager behind).
  stackUp();
});

/** What the panel shows: the view the datasource resolved, or "error". */
function panelOf(run: PanelRun): string {
  const frames = run.frames().filter((f) => f.fields.length > 0);
  if (run.errors().length > 0) {
    return 'error';
  }
  const first = frames[0] ?? run.frames()[0];
  const view = first?.meta?.custom?.view;
  if (typeof view === 'string') {
    return view;
  }
  return frames.length ? viewOfFrame(frames[0]) : 'none';
}

/** Until every frame says its view (frame.meta.custom.view), the view its shape implies. */
function viewOfFrame(f: DataFrame): string {
  if (f.meta?.type === DataFrameType.LogLines) {
    return 'logs';
  }
  if (f.meta?.type === DataFrameType.HeatmapRows) {
    return 'heatmap';
  }
  if (f.meta?.preferredVisualisationType === 'flamegraph') {
    return 'flamegraph';
  }
  return f.fields[0]?.type === FieldType.time && f.fields.length > 1 ? 'timeseries' : 'table';
}

function outcomeOf(run: PanelRun): Outcome {
  const frames = run.frames().filter((f) => f.fields.length > 0);
  return {
    panel: panelOf(run),
    rows: frames.reduce((n, f) => n + f.length, 0),
    messages: [...run.errors().map((e) => e.message ?? ''), ...run.notices()],
  };
}

/** Whether the outcome is what the case expects; a list of what differs otherwise. */
function differences(c: Case, o: Outcome): string[] {
  const out: string[] = [];
  if (o.panel !== c.expect.panel) {
    out.push(`panel ${o.panel}, expected ${c.expect.panel}`);
  }
  // Log lines printed in BEGIN are a header, no data.
  const needed = o.panel === 'logs' ? beginLines(c.code) + 1 : 1;
  if (c.expect.data && o.rows < needed) {
    out.push(`${o.rows} rows, expected at least ${needed}`);
  }
  if (c.expect.message && !o.messages.some((m) => new RegExp(c.expect.message!, 's').test(m))) {
    out.push(`no message matching /${c.expect.message}/`);
  }
  return out;
}

async function runCase(c: Case): Promise<{ c: Case; outcome: Outcome; wrong: string[] }> {
  const run = new PanelRun(newDataSource(), request([{ code: c.code }]));
  await waitFor(c.file, () => differences(c, outcomeOf(run)).length === 0, CASE_TIMEOUT_MS).catch(() => undefined);
  const outcome = outcomeOf(run);
  run.stop();
  return { c, outcome, wrong: differences(c, outcome) };
}

const summary: string[] = [];

afterAll(() => {
  // One line per script, for the record of the run (which panel, what was said).
  console.log(`corpus on the real stack:\n${summary.join('\n')}`);
});

describe('the corpus on the real stack, Format = Auto', () => {
  it('has at least 30 scripts, each with a panel to expect', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    for (const c of cases) {
      expect(['timeseries', 'heatmap', 'histogram', 'table', 'logs', 'flamegraph', 'bargauge', 'error']).toContain(
        c.expect.panel
      );
    }
    // Every failure must be told with a specific message.
    expect(cases.filter((c) => c.expect.panel === 'error' && !c.expect.message)).toEqual([]);
  });

  it.each(batches.map((b, i) => [i + 1, b.map((c) => c.file).join(', '), b] as const))(
    'batch %i: %s',
    async (_n, _names, batch) => {
      const pmproxyBefore = pmproxyProcess();
      let results = await Promise.all(batch.map(runCase));
      if (pmproxyProcess() !== pmproxyBefore) {
        // pmproxy 6.0.3 itself crashes now and then (libuv; see docs/operations.md): that batch says
        // nothing of the scripts. Told, the stack brought back as systemd would, and the batch run
        // once more; its leak check below still applies.
        process.stderr.write(
          `corpus: pmproxy died during the batch (${pmproxyBefore} → ${pmproxyProcess() ?? 'none'}); running it again\n`
        );
        stackUp();
        await expectNothingLeft();
        results = await Promise.all(batch.map(runCase));
      }
      for (const r of results) {
        const said = r.outcome.messages.map((m) => m.split('\n')[0].slice(0, 160)).join(' | ');
        const line = `${r.wrong.length ? 'WRONG' : 'ok   '} ${r.c.file}: ${r.outcome.panel}, ${r.outcome.rows} rows${said ? `; ${said}` : ''}${r.wrong.length ? ` — ${r.wrong.join('; ')}` : ''}`;
        summary.push(line);
        // As it happens too: jest shows console output only when the file is done.
        process.stderr.write(`corpus: ${line}\n`);
      }
      // The panels are closed: nothing may stay on the host.
      await expectNothingLeft();
      const wrong = results.filter((r) => r.wrong.length > 0);
      expect(
        wrong.map((r) => `${r.c.file}: ${r.wrong.join('; ')} (said: ${JSON.stringify(r.outcome.messages)})`)
      ).toEqual([]);
    },
    180_000
  );
});
