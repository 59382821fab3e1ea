import { parseBpftraceErrors } from './bpftraceErrors';
import { explainFailure, hostFactsOf, withReason } from './failureReasons';
import { ProbeCatalog } from './probeCatalog';

// Error texts recorded from bpftrace 0.17 on the test host (kernel 6.18 with BTF, no kprobes, no
// kernel headers, /usr/include/linux from libc), the RLIMIT_MEMLOCK line left out.
const INCLUDE = [
  "/usr/include/linux/sched.h:93:2: error: unknown type name '__aligned_u64'",
  "/usr/include/linux/sched.h:94:2: error: unknown type name '__aligned_u64'",
  'ERROR: Include headers with missing type definitions or install BTF information to your system.',
].join('\n');
const ARGS_DOT =
  "stdin:1:55-64: ERROR: Can not access field 'filename' on type '(ctx) struct _tracepoint_syscalls_sys_enter_openat *'. Try dereferencing it first, or using '->'";
const UNKNOWN_TP = 'stdin:1:1-35: ERROR: tracepoint not found: syscalls:sys_enter_opne';
const STRUCT_FIELD =
  "stdin:1:70-83: ERROR: Struct/union of type 'struct task_struct' does not contain a field named 'state'";
const TP_FIELD =
  "stdin:1:55-70: ERROR: Struct/union of type 'struct _tracepoint_syscalls_sys_enter_openat' does not contain a field named 'fname'";
const UNKNOWN_STRUCT = "stdin:1:38-61: ERROR: Unknown struct/union: 'struct task_structx'";
const KPROBE_MIXED = [
  'stdin:1:1-17: WARNING: vfs_write is not traceable (either non-existing, inlined, or marked as "notrace"); attaching to it will likely fail',
  'Attaching 3 probes...',
  'create_probe_event: open(/sys/kernel/debug/tracing/kprobe_events): No such file or directory',
  "ERROR: Error attaching probe: 'kprobe:vfs_write'",
].join('\n');
const UPROBE = "stdin:1:1-29: ERROR: uprobe target file '/bin/nonexistent' does not exist or is not executable";

describe('explainFailure', () => {
  it('says to drop a kernel #include on a host without kernel headers, surely so where BTF is known', () => {
    expect(explainFailure(INCLUDE)).toMatch(
      /^Drop the #include <linux\/sched.h> .*no kernel headers, so bpftrace read the C library's copy.*A kernel with BTF/
    );
    expect(explainFailure(INCLUDE, { btf: true })).toMatch(
      /this kernel has BTF, which gives bpftrace the kernel's types/
    );
    expect(explainFailure("definitions.h:1:10: fatal error: 'linux/fs.h' file not found", { btf: true })).toMatch(
      /^Drop the #include <linux\/fs.h>/
    );
  });

  it('tells an unknown header that BTF cannot replace', () => {
    expect(explainFailure("definitions.h:2:10: fatal error: 'mylib/types.h' file not found")).toMatch(
      /could not find the header <mylib\/types.h> .* not a kernel header/
    );
  });

  it('gives each recorded bpftrace complaint its own sentence with the fix', () => {
    expect(explainFailure(ARGS_DOT)).toMatch(/Write args->filename/);
    expect(explainFailure(UNKNOWN_TP)).toMatch(
      /no tracepoint syscalls:sys_enter_opne.*completes the host's tracepoints/
    );
    expect(explainFailure(STRUCT_FIELD)).toMatch(
      /^The kernel changed: struct task_struct on this host has no field "state".*bpftrace -lv 'struct task_struct'/
    );
    expect(explainFailure(TP_FIELD)).toMatch(/^This tracepoint has no argument "fname"/);
    expect(explainFailure(UNKNOWN_STRUCT)).toMatch(/does not know the type struct task_structx .*kernel changed/);
    expect(explainFailure(KPROBE_MIXED)).toMatch(
      /no kprobes .*cannot attach kprobe:vfs_write; bpftrace 0.17 then stops the whole script, its other probes too\. Use a tracepoint/
    );
    expect(explainFailure(UPROBE)).toMatch(/\/bin\/nonexistent is not on the host/);
  });

  it('says nothing it does not know', () => {
    expect(explainFailure('stdin:1:5-6: ERROR: syntax error, unexpected ;')).toBeUndefined();
    expect(withReason('something odd')).toBe('something odd');
  });

  it('puts the reason in front once', () => {
    const once = withReason(UNKNOWN_TP);
    expect(once.split('\n')[0]).toMatch(/^The host has no tracepoint/);
    expect(withReason(once)).toBe(once);
  });
});

describe('hostFactsOf', () => {
  it('knows BTF from probes that need it (iter, kfunc), and nothing without a list', () => {
    expect(hostFactsOf(ProbeCatalog.fromProbes(['iter:task', 'tracepoint:a:b']))).toEqual({ btf: true });
    expect(hostFactsOf(ProbeCatalog.fromProbes(['tracepoint:a:b']))).toEqual({ btf: undefined });
    expect(hostFactsOf(undefined)).toEqual({});
  });
});

describe('the reasons on the markers', () => {
  it("marks the kernel #include line with the reason, not clang's lines", () => {
    const code = '#include <linux/sched.h>\ntracepoint:sched:sched_switch { @n = count(); }';
    const r = parseBpftraceErrors(INCLUDE, code, { btf: true });
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ code: 'bpftrace-include', startLine: 1, startColumn: 1, endColumn: 25 });
    expect(r.diagnostics[0].message).toMatch(/^Drop the #include <linux\/sched.h>/);
  });

  it("adds the reason to bpftrace's located error", () => {
    const code = 'tracepoint:syscalls:sys_enter_openat { printf("%s\\n", str(args.filename)); }';
    const [d] = parseBpftraceErrors(ARGS_DOT, code).diagnostics;
    expect(d.message).toMatch(
      /^bpftrace: Can not access field 'filename'.* — bpftrace before 0\.19 .*Write args->filename/
    );
  });
});
