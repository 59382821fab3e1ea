import { Field, LoadingState } from '@grafana/data';
import { InstanceNames } from '../engine/instanceNames';
import { ScriptLease } from '../engine/ScriptLease';
import { leaseResponse } from './leaseResponse';
import { fixtureLease } from '../test/fixtures';

const ALL_TIME = { from: 0, to: Infinity };
const T0 = 1_700_000_000_000;

function newLease(text = 'text') {
  return new ScriptLease('k', text, { retentionMs: 600_000, pollIntervalMs: 1000, mayControl: true });
}

/** A lease through its real transitions: registered, then printed once. */
function runningLease(text?: string) {
  const lease = newLease(text);
  lease.hold('d/1/A');
  lease.registerStarted();
  lease.registered(
    { script_id: 's1', variables: { '@n': { single: true, semantics: 1, datatype: 3, metrictype: null } } },
    0
  );
  const status = (value: string | number, leaf: string) => [
    `bpftrace.scripts.s1.${leaf}`,
    { pmid: '1', name: leaf, instances: [{ instance: null, value }] },
  ];
  lease.observe(
    {
      t: 500,
      values: new Map([
        status('started', 'status'),
        status(5, 'data_bytes'),
        status(2, 'probes'),
        status('', 'error'),
      ] as never),
      keysOf: (metric, instances) => new InstanceNames().keysOf(metric, instances),
    },
    500
  );
  const buffer = lease.buffers.get('@n')!;
  buffer.append(1000, new Map([['', 10]]));
  buffer.append(2000, new Map([['', 30]]));
  buffer.append(3000, new Map([['', 60]]));
  return lease;
}

describe('leaseResponse', () => {
  it('a query saved by a newer bpflive runs, and the panel says its unknown options are ignored', () => {
    const newer = leaseResponse({ refId: 'A', code: 'x', version: 99 }, runningLease(), ALL_TIME);
    expect(newer.data[0].fields[1].values).toEqual([null, 20, 30]);
    const texts = (newer.data[0].meta?.notices ?? []).map((n: { text: string }) => n.text);
    expect(texts.some((t: string) => t.includes('saved by a newer bpflive (query model 99'))).toBe(true);
    const current = leaseResponse({ refId: 'A', code: 'x', version: 2 }, runningLease(), ALL_TIME);
    expect((current.data[0].meta?.notices ?? []).some((n: { text: string }) => n.text.includes('newer bpflive'))).toBe(
      false
    );
  });

  it('streams frames keyed by refId', () => {
    const r = leaseResponse({ refId: 'B', code: 'x' }, runningLease(), ALL_TIME);
    expect(r.key).toBe('B');
    expect(r.state).toBe(LoadingState.Streaming);
    expect(r.data[0].refId).toBe('B');
  });

  it('counters are per-second rates by default, raw with the toggle off', () => {
    const rates = leaseResponse({ refId: 'A', code: 'x' }, runningLease(), ALL_TIME).data[0].fields[1].values;
    expect(rates).toEqual([null, 20, 30]);
    const raw = leaseResponse({ refId: 'A', code: 'x', rate: false }, runningLease(), ALL_TIME).data[0].fields[1]
      .values;
    expect(raw).toEqual([10, 30, 60]);
  });

  it('a bpftrace error is an error of this query only, with its message', () => {
    const lease = runningLease();
    lease.rejected('stdin:1:3: ERROR: syntax error');
    const r = leaseResponse({ refId: 'A', code: 'x' }, lease, ALL_TIME);
    expect(r.errors).toEqual([{ refId: 'A', message: 'stdin:1:3: ERROR: syntax error' }]);
  });

  it('never a silent empty panel: progress is told in a notice', () => {
    const lease = newLease();
    const r = leaseResponse({ refId: 'A', code: 'x' }, lease, ALL_TIME);
    expect(r.data).toHaveLength(1);
    expect(r.data[0].meta?.notices?.[0].text).toMatch(/Registering/);
  });

  it('a stopped script keeps its data and says so', () => {
    const lease = runningLease('tracepoint:a:b { @n = count(); } interval:s:3 { exit(); }');
    const stopped = (value: string | number, leaf: string) => [
      `bpftrace.scripts.s1.${leaf}`,
      { pmid: '1', name: leaf, instances: [{ instance: null, value }] },
    ];
    lease.observe(
      {
        t: 4000,
        values: new Map([stopped('stopped', 'status'), stopped(0, 'exit_code'), stopped('', 'error')] as never),
        keysOf: (metric, instances) => new InstanceNames().keysOf(metric, instances),
      },
      4000
    );
    const r = leaseResponse({ refId: 'A', code: 'x' }, lease, ALL_TIME);
    expect(r.data[0].fields[1].values).toHaveLength(3);
    expect(r.data[0].meta?.notices?.map((n: { text: string }) => n.text)).toContain(
      'The script has stopped (exit code 0); showing its last data.'
    );
  });

  it('warnings ride along with the data', () => {
    const lease = runningLease();
    lease.setTransport('pmproxy cannot be reached (x); retrying.');
    const r = leaseResponse({ refId: 'A', code: 'x' }, lease, ALL_TIME);
    expect(r.data[0].meta?.notices).toEqual([
      { severity: 'warning', text: 'pmproxy cannot be reached (x); retrying.' },
      { severity: 'info', text: 'Auto: @n as time series (it is a map). Also: Format Table.' },
    ]);
    expect(r.errors).toBeUndefined();
  });

  it('every frame carries the format it was drawn as (meta.custom.view), empty ones too', () => {
    const auto = leaseResponse({ refId: 'A', code: 'x' }, runningLease(), ALL_TIME);
    expect(auto.data.map((f) => f.meta?.custom?.view)).toEqual(['timeseries']);
    const table = leaseResponse({ refId: 'A', code: 'x', format: 'table' }, runningLease(), ALL_TIME);
    expect(table.data.map((f) => f.meta?.custom?.view)).toEqual(['table']);
    expect(table.data[0].meta?.notices ?? []).not.toContainEqual(
      expect.objectContaining({ text: expect.stringMatching(/^Auto: /) })
    );
    const waiting = leaseResponse({ refId: 'A', code: 'x', format: 'logs' }, newLease(), ALL_TIME);
    expect(waiting.data.map((f) => f.meta?.custom?.view)).toEqual(['logs']);
  });

  it('one host of several: series labelled and named by host, frames and notices say which host', () => {
    const r = leaseResponse({ refId: 'A', code: 'x' }, runningLease(), {
      ...ALL_TIME,
      host: 'alpha',
      oneOfHosts: true,
    });
    const value = r.data[0].fields[1];
    expect(value.labels).toEqual({ host: 'alpha' });
    expect(value.config.displayNameFromDS).toBe('alpha: @n');
    expect(r.data[0].name).toBe('alpha: @n');
    expect(r.data[0].meta?.custom?.host).toBe('alpha');
    expect(r.data[0].meta?.notices?.map((n: { text: string }) => n.text)).toEqual([
      'alpha: Auto: @n as time series (it is a map). Also: Format Table.',
    ]);
    const legend = leaseResponse({ refId: 'A', code: 'x', legendFormat: '$host $var' }, runningLease(), {
      ...ALL_TIME,
      host: 'alpha',
      oneOfHosts: true,
    });
    expect(legend.data[0].fields[1].config.displayNameFromDS).toBe('alpha @n');
  });

  it("one host of several failing is a warning on that host's frames, not an error of the query", () => {
    const lease = runningLease();
    lease.rejected('cannot connect to PMCD');
    const r = leaseResponse({ refId: 'A', code: 'x' }, lease, { ...ALL_TIME, host: 'beta', oneOfHosts: true });
    expect(r.errors).toBeUndefined();
    expect(r.data[0].meta?.notices?.[0]).toEqual({ severity: 'warning', text: 'beta: cannot connect to PMCD' });
    // Alone on its host, the same failure is the query's error.
    const alone = leaseResponse({ refId: 'A', code: 'x' }, lease, { ...ALL_TIME, host: 'beta' });
    expect(alone.errors).toEqual([{ refId: 'A', message: 'cannot connect to PMCD' }]);
  });
});

// Below: leases fed with samples recorded from the real stack (tests/fixtures/*.json, written by
// tests/fixtures/record.mjs against pmproxy + pmcd + bpftrace PMDA + bpftrace 0.17).
describe('leaseResponse on recorded data', () => {
  const notices = (r: ReturnType<typeof leaseResponse>) =>
    r.data.flatMap((f) => f.meta?.notices?.map((n: { text: string }) => n.text) ?? []);

  it('execsnoop-like printf → logs, and Auto says so in one line', () => {
    const r = leaseResponse({ refId: 'A', code: 'x' }, fixtureLease('execsnoop.json'), ALL_TIME);
    expect(r.data[0].meta?.custom?.view).toBe('logs');
    expect(r.data[0].length).toBeGreaterThan(3);
    expect(notices(r).filter((n) => n.startsWith('Auto: '))).toEqual([
      expect.stringMatching(/^Auto: @output as logs \(it printed \d+ lines\)\.( Also: .*)?$/),
    ]);
  });

  it('a count map as rates carries "/s"; raw totals do not', () => {
    const rate = leaseResponse({ refId: 'A', code: 'x', map: '@total' }, fixtureLease('syscount.json'), ALL_TIME);
    expect(rate.data[0].fields[1].config.unit).toBe('count:/s');
    const raw = leaseResponse(
      { refId: 'A', code: 'x', map: '@total', rate: false },
      fixtureLease('syscount.json'),
      ALL_TIME
    );
    expect(raw.data[0].fields[1].config.unit).toBeUndefined();
  });

  it('CSV output → a table of the lines that arrived in the range; the drops of the cap are told', () => {
    // `// table-retain-lines: 5`: each sample brought 5 new lines (pid 25395, then pid 25557),
    // and the query keeps as many lines as the PMDA does, so the first five were dropped.
    const lease = fixtureLease('csvtable.json');
    const all = leaseResponse({ refId: 'A', code: 'x' }, lease, ALL_TIME);
    expect(all.data[0].meta?.custom?.view).toBe('table');
    expect(all.data[0].fields.map((f: Field) => f.name)).toEqual(['comm', 'pid', 'file']);
    expect(all.data[0].fields[1].values).toEqual([25557, 25557, 25557, 25557, 25557]);
    expect(notices(all)).toContain(
      '@output: showing the last 5 lines; 6 older lines were dropped (the query\'s cap). Raise "Output lines" in the query options to keep more.'
    );
    // The first sample arrived at T0 + 3000, the second at T0 + 6000 (fixtureLease).
    const later = leaseResponse({ refId: 'A', code: 'x' }, lease, { from: T0 + 6000, to: Infinity });
    expect(later.data[0].length).toBe(5);
    const earlier = leaseResponse({ refId: 'A', code: 'x' }, lease, { from: 0, to: T0 + 4000 });
    expect(earlier.data[0].length).toBe(0);
    expect(earlier.data[0].fields.map((f: Field) => f.name)).toEqual(['comm', 'pid', 'file']);
  });

  it('only the first query of a panel that reads a script tells its news: no message shown twice', () => {
    const lease = runningLease();
    lease.setTransport('pmproxy cannot be reached (x); retrying.');
    const first = leaseResponse({ refId: 'A', code: 'x' }, lease, ALL_TIME);
    const second = leaseResponse({ refId: 'B', code: 'x', map: '@n' }, lease, { ...ALL_TIME, tellsScriptNews: false });
    const texts = [...notices(first), ...notices(second)];
    expect(texts.filter((t) => t.startsWith('pmproxy cannot be reached'))).toHaveLength(1);
    expect(second.data[0].meta?.custom?.bpflive.warnings).toEqual(['pmproxy cannot be reached (x); retrying.']);
  });

  it('says nothing of dropped lines while none were', () => {
    const lease = fixtureLease('execsnoop.json');
    expect(lease.logs.get('@output')!.dropped).toBe(0);
    expect(notices(leaseResponse({ refId: 'A', code: 'x' }, lease, ALL_TIME)).join()).not.toMatch(/dropped/);
  });

  it('snoop-style (scratch @fname[tid] deleted per event + printf) → Auto shows the events as logs', () => {
    const lease = fixtureLease('tidsnoop.json');
    expect(lease.variables.find((v) => v.name === '@fname')?.scratch).toBe(true);
    const r = leaseResponse({ refId: 'A', code: 'x' }, lease, ALL_TIME);
    expect(r.data[0].meta?.custom?.view).toBe('logs');
    expect((r.data[0].fields[1].values as string[]).some((l) => /\/etc\/hostname/.test(l))).toBe(true);
    expect(notices(r).find((n) => n.startsWith('Auto: '))).toMatch(
      /^Auto: @output as logs \(it printed \d+ lines; @fname is per-event scratch, not shown\)\. Also: .*Map @fname\.$/
    );
  });

  it('a count keyed by syscall id with many keys → Auto shows a table, ids as numbers, largest first', () => {
    const r = leaseResponse({ refId: 'A', code: 'x' }, fixtureLease('manykeys.json'), ALL_TIME);
    const [table] = r.data;
    expect(table.meta?.custom?.view).toBe('table');
    expect(table.fields[0]).toMatchObject({ name: 'id', type: 'number' });
    const counts = table.fields[1].values as number[];
    expect(table.length).toBeGreaterThan(20);
    expect([...counts].sort((a, b) => b - a)).toEqual(counts);
    expect(notices(r).find((n) => n.startsWith('Auto: '))).toMatch(
      /^Auto: @ as a table \(it has \d+ keys \(more than 20\), largest first\)/
    );
  });

  it('a ranking the script clears every 5 s stays a table through the clears (syscount-style)', () => {
    const lease = new ScriptLease(
      'k',
      'tracepoint:raw_syscalls:sys_enter { @[comm] = count(); } interval:s:5 { print(@); clear(@); }',
      { retentionMs: 600_000, pollIntervalMs: 1000, mayControl: true }
    );
    lease.hold('d/1/A');
    lease.registerStarted();
    lease.registered(
      { script_id: 's1', variables: { '@': { single: false, semantics: 1, datatype: 3, metrictype: null } } },
      0
    );
    const buffer = lease.buffers.get('@')!;
    const comms = Array.from({ length: 30 }, (_, i) => `comm${i}`);
    const views: string[] = [];
    for (let s = 0; s < 12; s++) {
      // Right after a clear (s = 5, 10) the PMDA's print holds no key, then they come back.
      const row = new Map<string, number | null>(
        comms.map((c, i) => [c, s % 5 === 0 && s > 0 ? null : (s % 5) * (i + 1)])
      );
      buffer.append(T0 + s * 1000, row);
      views.push(String(leaseResponse({ refId: 'A', code: 'x' }, lease, ALL_TIME).data[0].meta?.custom?.view));
    }
    expect(views.slice(1)).toEqual(new Array(11).fill('table'));
  });

  it('sum() is a counter: rates in B/s, and a table shows the increase over the range; max() is a value', () => {
    const lease = fixtureLease('sumbytes.json');
    const bytes = lease.variables.find((v) => v.name === '@bytes')!;
    expect([bytes.counter, bytes.aggregation]).toEqual([true, 'sum']);
    expect(lease.variables.find((v) => v.name === '@biggest')!.counter).toBe(false);

    const rates = leaseResponse({ refId: 'A', code: 'x', map: '@bytes', format: 'timeseries' }, lease, ALL_TIME)
      .data[0];
    expect(rates.fields.slice(1).every((f: Field) => f.config.unit === 'binBps')).toBe(true);

    const table = leaseResponse({ refId: 'A', code: 'x', map: '@bytes', format: 'table' }, lease, ALL_TIME).data[0];
    const buffer = lease.buffers.get('@bytes')!;
    const comm = table.fields[0].values[0] as string;
    const column = buffer.column(comm, 'raw')!;
    // The increase between the two recorded samples, not the total since the start.
    expect(table.fields[1].values[0]).toBe((column[1] ?? 0) - (column[0] ?? 0));
    expect(table.fields[1].values[0]).toBeLessThan(column[1]!);

    const biggest = leaseResponse({ refId: 'A', code: 'x', map: '@biggest' }, lease, ALL_TIME).data[0];
    expect(biggest.fields[1].values).toEqual([65536, 726241]); // as recorded: levels, not rates
  });
});

describe('leaseResponse: a Viewer waiting for a script written with dashboard variables', () => {
  it('says that each choice of values is a script an Editor must start', () => {
    const lease = newLease();
    lease.hold('d/1/A');
    lease.registerStarted();
    lease.notRunning('This script is not running on the host, and your Grafana role may not start scripts.');
    const texts = (variables?: string) =>
      leaseResponse({ refId: 'A', code: 'x' }, lease, { ...ALL_TIME, variables }).data[0].meta?.notices?.map(
        (n: { text: string }) => n.text
      );
    expect(texts('$pid = 1, 2')).toContain(
      "The script is written with the dashboard's variables ($pid = 1, 2): each choice of values is a script of its own, which an Editor's panel must have started."
    );
    expect(texts(undefined)?.some((t: string) => t.includes('variables'))).toBe(false);
  });
});
