import { closest, lint, tracepointFor, urlBudget } from './lints';
import { ProbeCatalog } from './probeCatalog';

// A host like the test VM: bpftrace 0.17, a kernel without kprobes, tracepoints listed.
const host = ProbeCatalog.fromProbes([
  'tracepoint:syscalls:sys_enter_read',
  'tracepoint:syscalls:sys_exit_read',
  'tracepoint:syscalls:sys_enter_openat',
  'tracepoint:sched:sched_switch',
  'tracepoint:sched:sched_wakeup',
  'tracepoint:raw_syscalls:sys_enter',
  'iter:task',
  'iter:task_file',
  'software:*:',
  'hardware:*:',
]);
const withKfunc = ProbeCatalog.fromProbes(['kfunc:vmlinux:vfs_read', 'kprobe:vfs_read', 'kprobe:vfs_write']);

const codes = (code: string, catalog?: ProbeCatalog) => lint(code, { catalog }).map((d) => d.code);
const only = (code: string, id: string, catalog?: ProbeCatalog) => {
  const found = lint(code, { catalog }).filter((d) => d.code === id);
  expect(found).toHaveLength(1);
  return found[0];
};

describe('lint: probes', () => {
  it('flags an unknown probe type, with a guess', () => {
    const d = only('tracepont:sched:sched_switch { @n = count(); }', 'unknown-probe-type');
    expect(d).toMatchObject({ severity: 'error', startLine: 1, startColumn: 1, endColumn: 10 });
    expect(d.message).toMatch(/"tracepont" is not a bpftrace probe type/);
    expect(d.message).toMatch(/Did you mean "tracepoint"\?/);
  });

  it('accepts every probe type and short name', () => {
    const code = [
      'BEGIN { @a = 1; }',
      't:sched:sched_switch, tracepoint:sched:sched_wakeup { @b = count(); }',
      'p:hz:99 { @c[kstack] = count(); }',
      'i:s:1 { print(@a); }',
      'u:/bin/bash:readline, ur:/bin/bash:readline, U:/usr/lib/x:probe { @d = count(); }',
      'END { clear(@a); }',
    ].join('\n');
    expect(codes(code, host)).toEqual([]);
  });

  it('warns when the host has no probes of the type: kprobes on a kernel without them', () => {
    const d = only('kprobe:vfs_read { @reads = count(); }', 'probe-type-not-on-host', host);
    expect(d).toMatchObject({ severity: 'warning', startLine: 1, startColumn: 1, endColumn: 16 });
    expect(d.message).toMatch(/This host lists no kprobes/);
    expect(d.message).toMatch(/Use a tracepoint instead, e\.g\. tracepoint:syscalls:sys_enter_read/);
    const r = only('kretprobe:vfs_read { @reads = count(); }', 'probe-type-not-on-host', host);
    expect(r.message).toMatch(/tracepoint:syscalls:sys_exit_read/);
  });

  it('tells a mixed script what bpftrace does: a named kprobe stops it all, a wildcard matches nothing', () => {
    const mixed = 'kprobe:vfs_read { @k = count(); }\ntracepoint:sched:sched_switch { @s = count(); }';
    const d = only(mixed, 'probe-type-not-on-host', host);
    expect(d.message).toMatch(
      /fail to attach kprobe:vfs_read and the script ends in an error, its other probes \(tracepoint:sched:sched_switch\) too/
    );
    const wild = 'kprobe:vfs_rea* { @k = count(); }\ntracepoint:sched:sched_switch { @s = count(); }';
    const w = only(wild, 'probe-type-not-on-host', host);
    expect(w.message).toMatch(/kprobe:vfs_rea\* matches nothing: the script runs with its other probes/);
    expect(w.message).not.toMatch(/ends in an error/);
    // A kprobe-only script ends in an error.
    expect(only('kprobe:vfs_read { @k = count(); }', 'probe-type-not-on-host', host).message).toMatch(
      /fail to attach it and the script ends in an error\./
    );
  });

  it('suggests fentry only where the host lists kernel functions for it', () => {
    const noTrampolines = only('kprobe:tcp_sendmsg { @k = count(); }', 'probe-type-not-on-host', host);
    expect(noTrampolines.message).toMatch(/Use a tracepoint \(tracepoint:syscalls:…, tracepoint:sched:…\) instead\./);
    expect(noTrampolines.message).not.toMatch(/fentry/);
    const trampolines = ProbeCatalog.fromProbes(['kfunc:vmlinux:vfs_read', 'tracepoint:sched:sched_switch']);
    expect(only('kprobe:tcp_sendmsg { @k = count(); }', 'probe-type-not-on-host', trampolines).message).toMatch(
      /or fentry instead/
    );
  });

  it('says nothing about the host before its list has arrived', () => {
    expect(codes('kprobe:vfs_read { @reads = count(); }')).toEqual([]);
  });

  it('warns about a probe the host does not list, with the nearest one', () => {
    const d = only('tracepoint:sched:sched_swich { @n = count(); }', 'probe-not-on-host', host);
    expect(d.message).toMatch(/is not in this host's probe list \(6 tracepoint probes\)/);
    expect(d.message).toMatch(/Did you mean tracepoint:sched:sched_switch\?/);
  });

  it('checks wildcards against the list', () => {
    expect(codes('tracepoint:syscalls:sys_enter_* { @n = count(); }', host)).toEqual([]);
    const d = only('tracepoint:nothing:* { @n = count(); }', 'probe-not-on-host', host);
    expect(d.message).toMatch(/matches none of the 6 tracepoint probes/);
  });

  it('accepts kfunc names with or without the module, and tells fentry from kfunc', () => {
    expect(codes('kfunc:vfs_read { @n = count(); }', withKfunc)).toEqual([]);
    expect(codes('kfunc:vmlinux:vfs_read { @n = count(); }', withKfunc)).toEqual([]);
    expect(codes('f:vfs_read { @n = count(); }', withKfunc)).toEqual([]);
    const d = only('fentry:vfs_read { @n = count(); }', 'probe-type-old-name', withKfunc);
    expect(d.message).toMatch(/Write kfunc:vfs_read/);
    expect(codes('kprobe:vfs_read+0x10 { @n = count(); }', withKfunc)).toEqual([]);
  });

  it('checks software and hardware events by name', () => {
    expect(codes('software:page-faults:100 { @n = count(); }', host)).toEqual([]);
    const d = only('software:page-fault:100 { @n = count(); }', 'unknown-event', host);
    expect(d.message).toMatch(/Did you mean "page-faults"\?/);
    expect(d.startColumn).toBe(10);
    expect(codes('iter:task { @n = count(); }', host)).toEqual([]);
  });
});

describe('lint: what the PMDA does with the script', () => {
  it('rejects a histogram in a keyed map', () => {
    const d = only('tracepoint:a:b {\n  @lat[comm] = hist(args->ret);\n}', 'pmda-keyed-hist');
    expect(d).toMatchObject({ severity: 'error', startLine: 2, startColumn: 3, endColumn: 13 });
    expect(d.message).toMatch(/every histogram needs to be in a separate variable/);
  });

  it('names the keyed histogram, not an earlier map of the same line', () => {
    const code =
      'tracepoint:a:b { @start[tid] = nsecs; }\ntracepoint:c:d { $d = nsecs - @start[tid]; @ns[comm] = hist($d); }';
    const d = only(code, 'pmda-keyed-hist');
    expect(d.message).toMatch(/e\.g\. @ns = hist\(…\) instead of @ns\[comm\]/);
    expect(d.message).not.toMatch(/@start/);
    expect(d).toMatchObject({ startLine: 2, startColumn: 44, endColumn: 53 });
    // A histogram without a key is what the PMDA wants.
    expect(codes('tracepoint:c:d { @ns = hist(nsecs); }')).toEqual([]);
  });

  it('warns about avg() and stats() not being exported', () => {
    const list = lint('tracepoint:a:b { @a = avg(args->ret); @s[comm] = stats(1); }');
    expect(list.filter((d) => d.code === 'pmda-avg-stats').map((d) => d.startColumn)).toEqual([23, 50]);
    expect(list[0].message).toMatch(/sum\(value\).*count\(\)/);
  });

  it('flags a map read in a filter that the PMDA misreads', () => {
    const code = 'tracepoint:a:b /@start[tid] != 0/ { @n = count(); }';
    const d = only(code, 'pmda-misread-map');
    expect(d).toMatchObject({ severity: 'error', startColumn: 17 });
    expect(d.message).toMatch(/"@start\[tid\] !" for a map name/);
    expect(d.message).toMatch(/print block/);
    expect(d.message).toMatch(/Compare without "!="/);
  });

  it('flags a filter followed by an assignment on the same line', () => {
    const d = only('tracepoint:a:b /@s[tid]/ { @n = count(); }', 'pmda-misread-map');
    expect(d.message).toMatch(/Put the filter on a line of its own/);
    // The same script on two lines is fine.
    expect(codes('tracepoint:a:b /@s[tid]/\n{ @n = count(); }\ntracepoint:c:d { @s[tid] = 1; }')).toEqual([]);
  });

  it('flags compound assignments and ++ before an =', () => {
    expect(only('tracepoint:a:b { @a[comm] += 1; }', 'pmda-misread-map').message).toMatch(/sum\(value\)/);
    expect(only('tracepoint:a:b { @x++; $y = 1; @z = 1; }', 'pmda-misread-map').message).toMatch(/count\(\)/);
  });

  it('rejects a script with nothing to export', () => {
    const d = only('tracepoint:a:b { $x = 1; }', 'pmda-nothing-exported');
    expect(d).toMatchObject({ severity: 'error', startLine: 1, startColumn: 1, endColumn: 15 });
    expect(d.message).toMatch(/no bpftrace variables or printf statements found/);
    expect(only('tracepoint:a:b { @x++; }', 'pmda-nothing-exported').message).toMatch(/@x\+\+ .* do not count/);
    expect(codes('BEGIN { printf("hello\\n"); }')).toEqual([]);
  });

  it('warns about maps only bumped with ++', () => {
    const d = only('tracepoint:a:b { @n = count();\n @x++;\n}', 'pmda-not-exported');
    expect(d).toMatchObject({ startLine: 2, startColumn: 2 });
  });

  it('does not warn about ++ in a script that prints its own maps (// custom-output-block)', () => {
    const code = '// custom-output-block\ntracepoint:a:b { @n = count();\n @x++;\n}\ninterval:s:1 { print(@x); }';
    expect(codes(code)).not.toContain('pmda-not-exported');
  });

  it('warns that a scalar a timer clears every second reads 0 at the PMDA, not a keyed map or with custom-output-block', () => {
    const code =
      'tracepoint:a:b { @n = count(); @k[comm] = count(); }\ninterval:s:1 { print(@n); clear(@n); clear(@k); }';
    const d = only(code, 'pmda-cleared-scalar');
    expect(d).toMatchObject({ startLine: 2, startColumn: 33, severity: 'warning' });
    expect(d.message).toMatch(/@n is cleared every second.*shows 0/);
    expect(codes(`// custom-output-block\n${code}`)).not.toContain('pmda-cleared-scalar');
    // Every 5 s, or under a condition: a running total reset now and then, which reads fine.
    expect(codes(code.replace('interval:s:1', 'interval:s:5'))).not.toContain('pmda-cleared-scalar');
    expect(codes(code.replace('clear(@n);', 'if (@n > 5) { clear(@n); }'))).not.toContain('pmda-cleared-scalar');
  });

  it('warns that join() output never arrives', () => {
    const d = only('tracepoint:syscalls:sys_enter_execve { join(args->argv); @n = count(); }', 'join-output-lost');
    expect(d.message).toMatch(/never reaches Grafana/);
  });

  it('flags @output next to printf, and a map that exists only in a string', () => {
    only('BEGIN { @output = 1; printf("x"); }', 'pmda-output-name');
    const d = only('BEGIN { printf("@x = %d\\n", 1); }', 'pmda-phantom-map');
    expect(d.message).toMatch(/Undefined map/);
  });

  it('notes that a // name: line is replaced', () => {
    expect(only('// name: mine\nBEGIN { @a = 1; }', 'name-directive-ignored').severity).toBe('info');
  });

  it('rejects a bad table-retain-lines value', () => {
    expect(only('// table-retain-lines: all\nBEGIN { printf("a\\n"); }', 'pmda-directive').startLine).toBe(1);
  });

  it('warns of a table-retain-lines past what the PMDA can afford, and not of one within it', () => {
    const d = only('BEGIN { printf("a\\n"); }\n// table-retain-lines: 50000', 'pmda-retain-cost');
    expect(d).toMatchObject({ severity: 'warning', startLine: 2 });
    expect(d.message).toMatch(/keeps 50,000 lines .* copies all of them for every line it prints/);
    expect(codes('// table-retain-lines: 10000\nBEGIN { printf("a\\n"); }')).not.toContain('pmda-retain-cost');
  });
});

describe('lint: bpftrace versions', () => {
  it('flags args.field where the host lists probes the way bpftrace before 0.19 does', () => {
    const code = 'tracepoint:syscalls:sys_enter_openat { printf("%s\\n", str(args.filename)); }';
    const d = only(code, 'args-dot', host);
    expect(d).toMatchObject({ severity: 'warning', startColumn: 59, endColumn: 72 });
    expect(d.message).toMatch(/Write args->filename/);
  });

  it('accepts args->field, args.field on a newer bpftrace, and fields of other things', () => {
    expect(codes('tracepoint:syscalls:sys_enter_openat { @[str(args->filename)] = count(); }', host)).toEqual([]);
    const newer = ProbeCatalog.fromProbes(['fentry:vmlinux:vfs_read', 'tracepoint:syscalls:sys_enter_openat']);
    expect(codes('tracepoint:syscalls:sys_enter_openat { @[str(args.filename)] = count(); }', newer)).toEqual([]);
    expect(
      codes('tracepoint:syscalls:sys_enter_openat { $t = (struct x *)0; @[$t->args.y] = count(); }', host)
    ).toEqual([]);
    // Without the host's list the version is unknown: nothing is said.
    expect(codes('tracepoint:syscalls:sys_enter_openat { @[str(args.filename)] = count(); }')).toEqual([]);
  });
});

describe('lint: the URL limit', () => {
  const body = (n: number) => `BEGIN {\n${'  @a = 1;\n'.repeat(n)}}`;

  it('says nothing for a short script, and shows how close a long one is', () => {
    expect(codes(body(10))).toEqual([]);
    const near = lint(body(280), { maxEncodedLength: 7800 }).find((d) => d.code === 'url-length')!;
    expect(near.severity).toBe('warning');
    expect(near.message).toMatch(/of the 7,800 characters .* \(9\d%\)/);
    expect(near.startLine).toBe(282);
  });

  it('is an error past the limit', () => {
    const d = lint(body(400)).find((x) => x.code === 'url-too-long')!;
    expect(d.severity).toBe('error');
    expect(d.message).toMatch(/414 URI Too Long/);
  });

  it('does not count comments', () => {
    const commented = `// ${'x'.repeat(9000)}\nBEGIN { @a = 1; }`;
    expect(urlBudget(commented).encoded).toBeLessThan(200);
  });
});

describe('helpers', () => {
  it('finds the closest word', () => {
    expect(closest('kprob', ['kprobe', 'uprobe', 'tracepoint'])).toBe('kprobe');
    expect(closest('zzz', ['kprobe'])).toBeUndefined();
  });

  it('suggests a tracepoint for a kernel function', () => {
    expect(tracepointFor('vfs_read', false, host)).toBe('tracepoint:syscalls:sys_enter_read');
    expect(tracepointFor('__x64_sys_openat', false, host)).toBe('tracepoint:syscalls:sys_enter_openat');
    expect(tracepointFor('sched_switch', false, host)).toBe('tracepoint:sched:sched_switch');
    expect(tracepointFor('tcp_sendmsg', false, host)).toBeUndefined();
  });
});

describe('urlBudget and unsendable text', () => {
  it('never throws on a lone surrogate while the user types (encodeURIComponent would)', () => {
    expect(() => urlBudget('BEGIN { printf("\uD800"); }')).not.toThrow();
    expect(urlBudget('BEGIN { printf("\uD800"); }').encoded).toBe(urlBudget('BEGIN { printf("\uFFFD"); }').encoded);
  });
});
