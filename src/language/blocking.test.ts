import { blockingDiagnostics, blockingOf } from './blocking';
import { lint } from './lints';
import { ProbeCatalog } from './probeCatalog';

// A host without kprobes: what the host checks warn about must still not block.
const host = ProbeCatalog.fromProbes(['tracepoint:syscalls:sys_enter_read', 'tracepoint:sched:sched_switch']);

describe('blockingDiagnostics', () => {
  it('lets a clean script run', () => {
    expect(blockingDiagnostics('tracepoint:sched:sched_switch { @n = count(); }', host)).toEqual([]);
  });

  it('blocks what the PMDA or bpftrace will refuse, with where and why', () => {
    const [d] = blockingDiagnostics('tracepont:sched:sched_switch { @n = count(); }');
    expect(d).toMatchObject({ severity: 'error', code: 'unknown-probe-type', startLine: 1, startColumn: 1 });
    expect(blockingDiagnostics('BEGIN { @x[comm] = hist(1); }').map((x) => x.code)).toEqual(['pmda-keyed-hist']);
    expect(
      blockingDiagnostics('tracepoint:raw_syscalls:sys_enter /@s[tid] != 0/ { @a = count(); }').map((x) => x.code)
    ).toEqual(['pmda-misread-map']);
  });

  it('counts every error, in position order', () => {
    const code = 'tracepont:a:b { @a = count(); }\nBEGIN { @x[comm] = hist(1); }';
    const found = blockingDiagnostics(code);
    expect(found.map((d) => [d.code, d.startLine])).toEqual([
      ['unknown-probe-type', 1],
      ['pmda-keyed-hist', 2],
    ]);
  });

  it('never blocks on warnings or infos: those scripts run, they may just show little', () => {
    const code = 'kprobe:vfs_read { @a = avg(1); }\n// name: mine';
    const severities = lint(code, { catalog: host }).map((d) => d.severity);
    expect(severities).toContain('warning');
    expect(severities).toContain('info');
    expect(blockingDiagnostics(code, host)).toEqual([]);
  });

  it('blocks a script too long for pmproxy', () => {
    const code = `BEGIN { @a = 1; printf("${'x'.repeat(9000)}\\n"); }`;
    expect(blockingDiagnostics(code).map((d) => d.code)).toEqual(['url-too-long']);
  });

  it('gives the same answer with or without the host list, as the datasource has none', () => {
    for (const code of [
      'kprobe:vfs_read { @reads = count(); }',
      'tracepoint:sched:sched_swich { @n = count(); }',
      'tracepont:a:b { @a = count(); }',
      'hardware:cpu-cycles:1000 { @c = count(); }',
    ]) {
      expect(blockingDiagnostics(code, host).map((d) => d.code)).toEqual(blockingDiagnostics(code).map((d) => d.code));
    }
  });

  it('has nothing to say about an empty script', () => {
    expect(blockingDiagnostics('')).toEqual([]);
    expect(blockingDiagnostics('  \n')).toEqual([]);
  });

  it('blockingOf picks the errors of lints already computed', () => {
    const lints = lint('tracepont:a:b { @a = avg(1); }');
    expect(blockingOf(lints).map((d) => d.code)).toEqual(['unknown-probe-type']);
  });
});
