import { ProbeCatalog } from './probeCatalog';

/**
 * Why a script failed, in one sentence that says what to do, from what bpftrace or the PMDA
 * printed. bpftrace's own words name the symptom ("'linux/sched.h' file not found", "does not
 * contain a field named 'state'"); the cure depends on facts about the host and bpftrace's
 * version that its message leaves out. Pure: the error text (and the script) in, a sentence out.
 */

export interface HostFacts {
  /**
   * The kernel has BTF (bpftrace reads the kernel's types from it): known from the host's probe
   * list (kfunc/fentry and iter probes need BTF), undefined when unknown.
   */
  btf?: boolean;
}

/** What the host's probe list tells: kfunc/fentry and iter probes exist only on a kernel with BTF. */
export function hostFactsOf(catalog: ProbeCatalog | undefined): HostFacts {
  if (!catalog || !catalog.hasProbes) {
    return {};
  }
  const btfOnly = ['kfunc', 'fentry', 'iter'].some((p) => catalog.hasProvider(p));
  return { btf: btfOnly ? true : undefined };
}

/** The first specific reason found in `errorText`, or undefined. */
export function explainFailure(errorText: string, host: HostFacts = {}): string | undefined {
  for (const rule of RULES) {
    const m = rule.pattern.exec(errorText);
    if (m) {
      return rule.explain(m, host, errorText);
    }
  }
  return undefined;
}

/** `message` with its reason in front, once: what the panel shows for a failed script. */
export function withReason(message: string, host: HostFacts = {}): string {
  const reason = explainFailure(message, host);
  return reason && !message.startsWith(reason) ? `${reason}\n\n${message}` : message;
}

interface Rule {
  pattern: RegExp;
  explain(m: RegExpExecArray, host: HostFacts, text: string): string;
}

/** Headers that only the kernel's headers package provides (BTF stands in for their types). */
const KERNEL_HEADER = /^(linux|asm|asm-generic|uapi|net|trace|generated|uapi\/linux)\//;

const RULES: Rule[] = [
  {
    // The host has the C library's copy of the uapi headers (/usr/include/linux/…) but no kernel
    // headers: clang reads the copy, misses the kernel's types, and bpftrace 0.17 ends with
    // "Include headers with missing type definitions or install BTF information to your system."
    pattern: /Include headers with missing type definitions|'([^'\n]+\.h)' file not found/,
    explain(m, host, text) {
      const header =
        m[1] ?? /\/usr\/include\/(\S+?\.h):\d+/.exec(text)?.[1] ?? /#include\s*<([^>]+)>/.exec(text)?.[1] ?? 'linux/…';
      if (!KERNEL_HEADER.test(header)) {
        return `bpftrace could not find the header <${header}> on the host: it is not a kernel header, so BTF cannot stand in for it. Install the package that provides it on the host, or declare the struct you need in the script itself.`;
      }
      const found = m[1]
        ? 'the host has no kernel headers'
        : "the host has no kernel headers, so bpftrace read the C library's copy, which lacks the kernel's types";
      if (host.btf) {
        return `Drop the #include <${header}> (and any other kernel #include): ${found}, and this kernel has BTF, which gives bpftrace the kernel's types without any header.`;
      }
      return `Drop the #include <${header}> (and any other kernel #include): ${found}. A kernel with BTF (/sys/kernel/btf/vmlinux; most since 5.4) gives bpftrace the kernel's types without any header; only on a kernel without BTF install the kernel headers (linux-headers-$(uname -r)).`;
    },
  },
  {
    pattern: /Can ?not access field '(\w+)' on (?:expression of )?type '[^']*'(?:[^\n]*'->')?/,
    explain([, field]) {
      return `bpftrace before 0.19 reads tracepoint arguments as args->${field}; args.${field} is the newer syntax. Write args->${field} (the editor offers the fix on the marker).`;
    },
  },
  {
    pattern:
      /[Ss]truct\/union of type '(struct _tracepoint_(\w+?)_(sys_\w+|\w+))' does not contain a field named '(\w+)'/,
    explain([, , , , field]) {
      return `This tracepoint has no argument "${field}": its arguments are listed when you type args-> in the editor (or by bpftrace -lv on the host). They follow the kernel's own names, which change between kernel versions.`;
    },
  },
  {
    pattern: /[Ss]truct\/union of type '([^']+)' does not contain a field named '(\w+)'/,
    explain([, type, field]) {
      return `The kernel changed: ${type} on this host has no field "${field}" (kernel structs gain, lose and rename fields between versions; task_struct's state became __state in 5.14). Look up ${type} in the host's kernel (bpftrace -lv '${type}' on the host, or the source of its kernel version) and use the field it has now.`;
    },
  },
  {
    pattern: /(?:Unknown struct\/union:?|Cannot resolve unknown type|unknown type name) '?"?(struct \w+|\w+)'?"?/,
    explain([, type]) {
      return `bpftrace does not know the type ${type} on this host: the kernel changed (the type was renamed or removed) or it is declared in a header bpftrace did not read. Check the host's kernel version for the type's current name; with BTF, kernel structs need no #include.`;
    },
  },
  {
    pattern: /tracepoint not found: ([\w:*]+)/,
    explain([, name]) {
      return `The host has no tracepoint ${name}: the kernel names its tracepoints by version and configuration. The editor completes the host's tracepoints; pick the nearest one there.`;
    },
  },
  {
    pattern: /kprobe_events\): No such file or directory|kprobe_events.*(not found|No such)/,
    explain(_m, _host, text) {
      const probes = [...text.matchAll(/Error attaching probe: '?(k(?:ret)?probe:[^'\s]+)/g)].map((x) => x[1]);
      const which = probes.length ? probes.join(', ') : 'its kprobes';
      return `This host's kernel has no kprobes (no kprobe_events in tracefs), so bpftrace cannot attach ${which}; bpftrace 0.17 then stops the whole script, its other probes too. Use a tracepoint instead (tracepoint:syscalls:sys_enter_… for system calls, tracepoint:sched:… for the scheduler); the editor marks kprobes on this host and suggests one.`;
    },
  },
  {
    pattern:
      /WARNING: (\w+) is not traceable[^\n]*\n(?:[^\n]*\n){0,3}?[^\n]*Error attaching probe: '?(k(?:ret)?probe:[^'\s]+)/,
    explain([, fn, probe]) {
      return `The kernel changed or hides ${fn}: it is not in this kernel's list of traceable functions (renamed, inlined or marked notrace), so bpftrace cannot attach ${probe}. Look for its current name in /sys/kernel/debug/tracing/available_filter_functions on the host, or use a tracepoint.`;
    },
  },
  {
    pattern: /Could not resolve symbol: ([^\s]+)|could not find (?:binary|the binary|file)[^\n]*?([/\w.-]+)?/i,
    explain(m) {
      return `bpftrace could not find ${m[1] ?? m[2] ?? 'the binary or function'} on the host: check the binary's full path and that the function is in its symbol table (stripped binaries have none).`;
    },
  },
  {
    pattern: /uprobe target file '([^']+)' does not exist or is not executable/,
    explain([, file]) {
      return `${file} is not on the host (or not executable): a uprobe names the binary by its full path on the traced host. Find it there (which, or ls /proc/<pid>/exe for a running process) and use that path.`;
    },
  },
  {
    pattern: /every histogram needs to be in a separate variable/,
    explain() {
      return 'The bpftrace PMDA refuses a histogram in a keyed map (@x[key] = hist(…)): give each histogram a map without a key. The editor offers the fix on the marker.';
    },
  },
];
