import { bpftraceWarnings, cleanErrorText, ScriptLease, warningNotice } from './ScriptLease';

// Error texts recorded from the bpftrace PMDA on Debian 12 (bpftrace 0.17).
const RLIMIT = `ERROR: Unknown error -1: couldn't set RLIMIT_MEMLOCK for bpftrace. If your program is not loading, you can try "ulimit -l 8192" to fix the problem`;

describe('ScriptLease', () => {
  it('takes variables from the PMDA: counters, histograms, text', () => {
    const lease = new ScriptLease('bpflive_x', 'text', 60_000);
    lease.adopt({
      '@syscalls': { single: true, semantics: 1, datatype: 3, metrictype: null },
      '@lat': { single: false, semantics: 1, datatype: 3, metrictype: 'histogram' },
      '@max': { single: true, semantics: 3, datatype: 3, metrictype: null },
      '@output': { single: true, semantics: 3, datatype: 6, metrictype: 'output' },
    });
    expect(lease.variables.map((v) => [v.name, v.metric, v.counter, v.text])).toEqual([
      ['@syscalls', 'bpftrace.scripts.bpflive_x.data.syscalls', true, false],
      ['@lat', 'bpftrace.scripts.bpflive_x.data.lat', true, false],
      ['@max', 'bpftrace.scripts.bpflive_x.data.max', false, false],
      ['@output', 'bpftrace.scripts.bpflive_x.data.output', false, true],
    ]);
    expect([...lease.buffers.keys()]).toEqual(['@syscalls', '@lat', '@max']);
    expect(lease.status).toBe('starting');
  });

  it('reads the (large) error text only while it can matter', () => {
    const lease = new ScriptLease('bpflive_x', 'text', 60_000);
    lease.adopt({ '@a': { single: true, semantics: 1, datatype: 3, metrictype: null } });
    expect(lease.metricNames()).toContain('bpftrace.scripts.bpflive_x.error');
    lease.status = 'started';
    lease.startChecks = 3;
    expect(lease.metricNames()).not.toContain('bpftrace.scripts.bpflive_x.error');
    expect(lease.metricNames()).toContain('bpftrace.scripts.bpflive_x.data.a');
  });
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
});
