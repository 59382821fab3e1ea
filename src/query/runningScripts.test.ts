import { FieldType } from '@grafana/data';
import { prepareScript } from '../scripts/naming';
import type { ScriptRecord } from '../scripts/protocol';
import { originOf, runningScriptRows, runningScriptsFrame, runningScriptsResponse } from './runningScripts';

// Records shaped as the PMDA's bpftrace.info.scripts_json has them (PCP 6.0.3; see
// src/test/fakePmda.ts and tests/fixtures/*.json): times are the host's local time without a zone.
function record(id: string, code: string, extra: Partial<ScriptRecord> = {}): Partial<ScriptRecord> {
  return {
    script_id: id,
    username: 'bpflive',
    persistent: false,
    created_at: '2026-12-03T10:00:00.000000',
    last_accessed_at: '2026-12-03T10:00:50.000000',
    code,
    metadata: { name: null, include: null, table_retain_lines: null, custom_output_block: false },
    state: { status: 'started', pid: 4711, exit_code: 0, error: '', probes: 3, data_bytes: 1000 },
    ...extra,
  };
}

const OURS = prepareScript('tracepoint:raw_syscalls:sys_enter { @n = count(); }', { namespace: 'ds1' }).text;
const THEIRS = prepareScript('profile:hz:99 { @s[kstack] = count(); }', { namespace: 'ds2' }).text;
const now = Date.parse('2026-12-03T10:01:00Z');

describe('who registered a script', () => {
  it("tells bpflive's own scripts by their marker, this datasource's from another's", () => {
    expect(originOf(record('1', OURS), 'ds1')).toBe('bpflive');
    expect(originOf(record('2', THEIRS), 'ds1')).toBe('bpflive (other datasource)');
  });

  it('tells the PMDA autostart scripts (named by their file, no name line) from named scripts and other tools', () => {
    const named = { name: 'runq', include: null, table_retain_lines: null, custom_output_block: false };
    expect(originOf(record('3', 'profile:hz:9 { @n = count(); }', { metadata: named, username: 'root' }), 'ds1')).toBe(
      'PMDA autostart'
    );
    expect(originOf(record('4', '// name: runq\nprofile:hz:9 { @n = count(); }', { metadata: named }), 'ds1')).toBe(
      'named script'
    );
    expect(originOf(record('5', 'kprobe:vfs_read { @r = count(); }'), 'ds1')).toBe('other tool');
    // A marker-like line that is not bpflive's last line does not make a script bpflive's.
    expect(originOf(record('6', '// bpflive: ds1\nkprobe:vfs_read { @r = count(); }'), 'ds1')).toBe('other tool');
  });
});

describe('the running scripts table', () => {
  const snapshot = {
    t: now,
    records: [
      record('1', OURS, {
        state: { status: 'started', pid: 4711, exit_code: 0, error: '', probes: 3, data_bytes: 3000 },
      }),
      record('7', 'kprobe:vfs_read { @r = count(); }', {
        username: 'alice',
        state: { status: 'stopped', pid: 99, exit_code: 0, error: '', probes: 1, data_bytes: 10 },
      }),
    ],
    previous: {
      t: now - 2000,
      records: [
        record('1', OURS, {
          state: { status: 'started', pid: 4711, exit_code: 0, error: '', probes: 3, data_bytes: 1000 },
        }),
      ],
    },
  };
  const context = {
    namespace: 'ds1',
    costOf: (pid: number | undefined) => (pid === 4711 ? { cpu: 0.12, rssBytes: 50 * 1048576 } : undefined),
    cpuBudget: 0.05,
    now,
  };

  it('gives each script its origin, age, last read, output rate and its running process cost', () => {
    const [ours, foreign] = runningScriptRows(snapshot, context);
    expect(ours).toMatchObject({
      id: '1',
      origin: 'bpflive',
      state: 'started',
      ageSec: 60,
      lastReadSec: 10,
      probes: 3,
      outputBytesPerSec: 1000,
      pid: 4711,
      cpu: 0.12,
      rssBytes: 50 * 1048576,
      overBudget: true,
      code: 'tracepoint:raw_syscalls:sys_enter { @n = count(); }',
    });
    // A stopped script has no process: no pid, no cost (its old pid may be someone else's now).
    expect(foreign).toMatchObject({
      origin: 'other tool',
      user: 'alice',
      state: 'stopped',
      pid: undefined,
      cpu: undefined,
    });
    expect(foreign.outputBytesPerSec).toBeUndefined();
  });

  it("says a script nobody has read yet has no known state, not the PMDA's stale 'starting'", () => {
    // Measured on PCP 6.0.3: a script registered and never read keeps "starting", pid -1 and
    // last_accessed_at = created_at in scripts_json, while its bpftrace runs.
    const unread = record('9', 'profile:hz:9 { @p = count(); }', {
      created_at: '2026-12-03T10:00:58.006528',
      last_accessed_at: '2026-12-03T10:00:58.006533',
      state: { status: 'starting', pid: -1, exit_code: 0, error: '', probes: 0, data_bytes: 0 },
    });
    // Really starting: it was read (a panel shows it) and bpftrace has not attached yet.
    const starting = record('10', 'profile:hz:9 { @q = count(); }', {
      state: { status: 'starting', pid: -1, exit_code: 0, error: '', probes: 0, data_bytes: 0 },
    });
    const [a, b] = runningScriptRows({ t: now, records: [unread, starting] }, context);
    expect(a.state).toMatch(/^unknown \(never read/);
    expect(a.pid).toBeUndefined();
    expect(b.state).toBe('starting');
  });

  it('is one table with units Grafana formats, and marks a script over budget in its state', () => {
    const frame = runningScriptsFrame('A', runningScriptRows(snapshot, context));
    const field = (name: string) => frame.fields.find((f) => f.name === name)!;
    expect(frame.length).toBe(2);
    expect(field('CPU').config.unit).toBe('percentunit');
    expect(field('Memory').config.unit).toBe('bytes');
    expect(field('Output').config.unit).toBe('Bps');
    expect(field('Age').type).toBe(FieldType.number);
    expect(field('State').values).toEqual(['started (over CPU budget)', 'stopped']);
    expect(field('Registered by').values).toEqual(['bpflive', 'other tool']);
  });

  it('warns by name about scripts over budget, and says what it cannot show', () => {
    const r = runningScriptsResponse({ refId: 'A', code: '' }, snapshot, { ...context, procAvailable: false });
    const texts = r.data[0].meta.notices.map((n: { text: string }) => n.text);
    expect(texts).toContain('Over the CPU budget of 5.0 % per script: 1 (12 %).');
    expect(texts.some((t: string) => /no proc metrics/.test(t))).toBe(true);
  });

  it('says it is reading before the first list arrives, never a silent empty table', () => {
    const r = runningScriptsResponse({ refId: 'A', code: '' }, undefined, {
      ...context,
      transportError: 'pmproxy cannot be reached',
    });
    const texts = r.data[0].meta.notices.map((n: { text: string }) => n.text);
    expect(texts[0]).toMatch(/Reading the bpftrace PMDA's list/);
    expect(texts[1]).toMatch(/not current: pmproxy cannot be reached/);
  });
});
