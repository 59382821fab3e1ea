/**
 * What the editor knows about bpftrace: probe types, builtins, functions and keywords, with
 * signatures and one-line descriptions written for bpflive. It describes current bpftrace (0.2x);
 * `newerThan017` marks what the bpftrace 0.17 of Debian 12 (the version the PMDA hosts were
 * tested with) does not have, so hover can say so.
 */

/** How bpflive can check a probe of this type against the host. */
export type ProbeListing =
  /** `bpftrace -l` lists every probe of this type: the PMDA's list is the truth. */
  | 'host'
  /** A fixed set of event names, known here. */
  | 'static'
  /** Anything goes (timers, user binaries, special probes): nothing to check. */
  | 'none';

export interface ProbeTypeDoc {
  name: string;
  /** Short names and older names that mean the same type. */
  aliases: string[];
  /** The forms it takes, e.g. `tracepoint:subsystem:event`. */
  forms: string[];
  doc: string;
  listing: ProbeListing;
  /**
   * The provider names under which the PMDA's probe list holds this type's probes: kretprobes
   * attach to what kprobe lists, fentry/fexit are listed as `kfunc:` by bpftrace before 0.20.
   * Types listed only in part (uprobes of the binaries bpftrace was asked about) have it too, for
   * completion; `listing` says whether the list is complete enough to check against.
   */
  listedAs?: string[];
  /** For `static` types: the event names. */
  events?: string[];
  /** What to write instead when the host does not offer the type. */
  instead?: string;
  newerThan017?: boolean;
  /** Probes of this type take no `:…` part (BEGIN, END). */
  bare?: boolean;
}

const SOFTWARE_EVENTS = [
  'cpu-clock',
  'cpu',
  'task-clock',
  'page-faults',
  'faults',
  'context-switches',
  'cs',
  'cpu-migrations',
  'minor-faults',
  'major-faults',
  'alignment-faults',
  'emulation-faults',
  'dummy',
  'bpf-output',
];

const HARDWARE_EVENTS = [
  'cpu-cycles',
  'cycles',
  'instructions',
  'cache-references',
  'cache-misses',
  'branch-instructions',
  'branches',
  'branch-misses',
  'bus-cycles',
  'frontend-stalls',
  'backend-stalls',
  'ref-cycles',
];

export const PROBE_TYPES: ProbeTypeDoc[] = [
  {
    name: 'tracepoint',
    aliases: ['t'],
    forms: ['tracepoint:subsystem:event'],
    doc: 'A static trace point compiled into the kernel: stable across kernel versions; its fields are in `args`.',
    listing: 'host',
    listedAs: ['tracepoint'],
  },
  {
    name: 'kprobe',
    aliases: ['k'],
    forms: ['kprobe:function', 'kprobe:module:function', 'kprobe:function+offset'],
    doc: 'Fires when a kernel function is entered; its arguments are `arg0`, `arg1`, … Needs a kernel with kprobe support.',
    listing: 'host',
    listedAs: ['kprobe'],
    instead: 'a tracepoint (tracepoint:syscalls:…, tracepoint:sched:…) or fentry',
  },
  {
    name: 'kretprobe',
    aliases: ['kr'],
    forms: ['kretprobe:function', 'kretprobe:module:function'],
    doc: 'Fires when a kernel function returns; the return value is `retval`. Needs a kernel with kprobe support.',
    listing: 'host',
    listedAs: ['kprobe'],
    instead: 'a tracepoint of the exit (tracepoint:syscalls:sys_exit_…) or fexit',
  },
  {
    name: 'fentry',
    aliases: ['f', 'kfunc'],
    forms: ['fentry:function', 'fentry:module:function'],
    doc: 'Kernel function entry through a BPF trampoline: cheaper than a kprobe, arguments typed by BTF in `args`. bpftrace before 0.20 (Debian 12 has 0.17) knows it only as `kfunc`.',
    listing: 'host',
    listedAs: ['fentry', 'kfunc'],
    instead: 'a tracepoint, or kprobe where the kernel has kprobes',
  },
  {
    name: 'fexit',
    aliases: ['fr', 'kretfunc'],
    forms: ['fexit:function', 'fexit:module:function'],
    doc: 'Kernel function return through a BPF trampoline: `retval` and the typed `args` are both available. bpftrace before 0.20 knows it only as `kretfunc`.',
    listing: 'host',
    listedAs: ['fentry', 'kfunc'],
    instead: 'a tracepoint, or kretprobe where the kernel has kprobes',
  },
  {
    name: 'rawtracepoint',
    aliases: ['rt'],
    forms: ['rawtracepoint:event', 'rawtracepoint:module:event'],
    doc: 'A kernel tracepoint without the argument marshalling: faster, arguments are the raw ones (`arg0`…, or `args` with BTF).',
    listing: 'host',
    listedAs: ['rawtracepoint'],
    newerThan017: true,
    instead: 'the tracepoint of the same name',
  },
  {
    name: 'uprobe',
    aliases: ['u'],
    forms: ['uprobe:/path/to/binary:function', 'uprobe:library:function', 'uprobe:binary:function+offset'],
    doc: 'Fires when a function of a user-space binary or library is entered; arguments are `arg0`, `arg1`, …',
    listing: 'none',
    listedAs: ['uprobe'],
  },
  {
    name: 'uretprobe',
    aliases: ['ur'],
    forms: ['uretprobe:/path/to/binary:function'],
    doc: 'Fires when a user-space function returns; the return value is `retval`.',
    listing: 'none',
    listedAs: ['uprobe'],
  },
  {
    name: 'usdt',
    aliases: ['U'],
    forms: ['usdt:/path/to/binary:probe', 'usdt:/path/to/binary:namespace:probe'],
    doc: 'A static probe point built into a user-space program or library (USDT, as in DTrace).',
    listing: 'none',
    listedAs: ['usdt'],
  },
  {
    name: 'profile',
    aliases: ['p'],
    forms: ['profile:hz:rate', 'profile:s:count', 'profile:ms:count', 'profile:us:count'],
    doc: 'Samples every CPU at a fixed rate: the base of CPU profiles (`profile:hz:99 { @[kstack] = count(); }`).',
    listing: 'none',
  },
  {
    name: 'interval',
    aliases: ['i'],
    forms: ['interval:s:count', 'interval:ms:count', 'interval:us:count', 'interval:hz:rate'],
    doc: 'Fires on one CPU at a fixed period: for periodic work such as printing or clearing maps.',
    listing: 'none',
  },
  {
    name: 'software',
    aliases: ['s'],
    forms: ['software:event:', 'software:event:count'],
    doc: 'A kernel software event (page faults, context switches, CPU migrations …), optionally sampled every `count` events.',
    listing: 'static',
    listedAs: ['software'],
    events: SOFTWARE_EVENTS,
  },
  {
    name: 'hardware',
    aliases: ['h'],
    forms: ['hardware:event:', 'hardware:event:count'],
    doc: "A processor performance counter event (cycles, cache misses …), sampled every `count` events. Virtual machines often don't expose these.",
    listing: 'static',
    listedAs: ['hardware'],
    events: HARDWARE_EVENTS,
  },
  {
    name: 'iter',
    aliases: ['it'],
    forms: ['iter:task', 'iter:task_file', 'iter:task_vma', 'iter:task:pin'],
    doc: 'Walks kernel objects once (every task, every open file …); fields are in `ctx`. Cannot be mixed with other probes.',
    listing: 'host',
    listedAs: ['iter'],
  },
  {
    name: 'watchpoint',
    aliases: ['w'],
    forms: ['watchpoint:address:length:mode', 'watchpoint:function+argN:length:mode'],
    doc: 'Fires when a memory address is read, written or executed (modes r, w, x). Experimental, architecture dependent.',
    listing: 'none',
  },
  {
    name: 'asyncwatchpoint',
    aliases: ['aw'],
    forms: ['asyncwatchpoint:function+argN:length:mode'],
    doc: 'Like watchpoint, without stopping the traced process while the watchpoint is set up.',
    listing: 'none',
  },
  {
    name: 'BEGIN',
    aliases: ['begin'],
    forms: ['BEGIN'],
    doc: 'Runs once when the script starts, before the other probes attach. Lowercase `begin` in newer bpftrace.',
    listing: 'none',
    bare: true,
  },
  {
    name: 'END',
    aliases: ['end'],
    forms: ['END'],
    doc: 'Runs once when the script stops, after the other probes detach. Lowercase `end` in newer bpftrace.',
    listing: 'none',
    bare: true,
  },
  {
    name: 'self',
    aliases: [],
    forms: ['self:signal:SIGUSR1'],
    doc: 'Fires on an event of the bpftrace process itself, such as a signal it receives.',
    listing: 'none',
    newerThan017: true,
  },
  {
    name: 'bench',
    aliases: [],
    forms: ['bench:name'],
    doc: 'A micro-benchmark body, run only by `bpftrace --bench`; ignored otherwise.',
    listing: 'none',
    newerThan017: true,
  },
  {
    name: 'test',
    aliases: [],
    forms: ['test:name'],
    doc: 'A test body, run only by `bpftrace --test`; ignored otherwise.',
    listing: 'none',
    newerThan017: true,
  },
];

const PROBE_TYPE_BY_NAME = new Map<string, ProbeTypeDoc>();
for (const p of PROBE_TYPES) {
  PROBE_TYPE_BY_NAME.set(p.name, p);
  for (const a of p.aliases) {
    PROBE_TYPE_BY_NAME.set(a, p);
  }
}

/** The probe type a provider name (full, short or old) stands for; case matters (`U` is usdt). */
export function probeType(provider: string): ProbeTypeDoc | undefined {
  return PROBE_TYPE_BY_NAME.get(provider);
}

/** Every spelling of a provider: names and aliases. */
export function allProviderNames(): string[] {
  return [...PROBE_TYPE_BY_NAME.keys()];
}

// ---------------------------------------------------------------------------------------------
// Functions and builtins

export interface Param {
  name: string;
  type: string;
  optional?: boolean;
}

export interface Signature {
  params: Param[];
  returns: string;
  /** Takes any number of further arguments (printf). */
  variadic?: boolean;
}

export type FunctionKind =
  /** Can only be assigned to a map: `@x = count()`. */
  | 'map'
  /** An ordinary function. */
  | 'function';

export interface FunctionDoc {
  name: string;
  kind: FunctionKind;
  signatures: Signature[];
  doc: string;
  /** Runs later in user space (printing, clearing): its effect is not immediate. */
  async?: boolean;
  /** Needs `--unsafe`: the PMDA does not pass it, so it fails there. */
  unsafe?: boolean;
  newerThan017?: boolean;
  /** Why it misbehaves behind the bpftrace PMDA, if it does. */
  pmdaNote?: string;
  /** Values its first argument takes, for completion (`kstack(perf)`). */
  firstArgValues?: string[];
  /** The first argument is a map (`clear(@x)`). */
  firstArgIsMap?: boolean;
}

const p = (name: string, type: string, optional = false): Param => ({ name, type, optional });
const sig = (returns: string, ...params: Param[]): Signature => ({ returns, params });
const vsig = (returns: string, ...params: Param[]): Signature => ({ returns, params, variadic: true });

const PMDA_STATS_NOTE =
  'The bpftrace PMDA cannot read these values (bpftrace prints them as a type it does not parse): the panel shows 0 or nothing. Store sum() and count() in two maps instead.';

export const FUNCTIONS: FunctionDoc[] = [
  // Map value functions ------------------------------------------------------------------------
  {
    name: 'count',
    kind: 'map',
    signatures: [sig('count_t')],
    doc: 'Counts how often it runs. Per-CPU and lock-free, so cheap on hot paths. Exported as a counter (a rate in Grafana).',
  },
  {
    name: 'sum',
    kind: 'map',
    signatures: [sig('sum_t', p('n', 'int64'))],
    doc: 'Adds up `n`. Exported as a counter.',
  },
  {
    name: 'min',
    kind: 'map',
    signatures: [sig('min_t', p('n', 'int64'))],
    doc: 'Keeps the smallest `n` seen.',
  },
  {
    name: 'max',
    kind: 'map',
    signatures: [sig('max_t', p('n', 'int64'))],
    doc: 'Keeps the largest `n` seen.',
  },
  {
    name: 'avg',
    kind: 'map',
    signatures: [sig('avg_t', p('n', 'int64'))],
    doc: 'Running average of `n`.',
    pmdaNote: PMDA_STATS_NOTE,
  },
  {
    name: 'stats',
    kind: 'map',
    signatures: [sig('stats_t', p('n', 'int64'))],
    doc: 'Count, average and total of `n` in one map.',
    pmdaNote: PMDA_STATS_NOTE,
  },
  {
    name: 'hist',
    kind: 'map',
    signatures: [sig('hist_t', p('n', 'int64')), sig('hist_t', p('n', 'int64'), p('k', 'int', true))],
    doc: 'Power-of-two histogram of `n` (`k` splits each power of two into 2^k buckets, 0–5). Shown as a heatmap over time.',
  },
  {
    name: 'lhist',
    kind: 'map',
    signatures: [sig('lhist_t', p('n', 'int64'), p('min', 'int64'), p('max', 'int64'), p('step', 'int64'))],
    doc: 'Linear histogram of `n`: buckets of width `step` from `min` to `max`, plus one below and one above.',
  },
  {
    name: 'tseries',
    kind: 'map',
    signatures: [
      sig('tseries_t', p('n', 'int64'), p('interval_ns', 'int64'), p('num_intervals', 'int64')),
      sig('tseries_t', p('n', 'int64'), p('interval_ns', 'int64'), p('num_intervals', 'int64'), p('agg', 'string')),
    ],
    doc: 'Keeps `n` per time interval inside bpftrace (last value, or "avg"/"max"/"min"/"sum" per interval).',
    newerThan017: true,
  },

  // Map operations -----------------------------------------------------------------------------
  {
    name: 'clear',
    kind: 'function',
    signatures: [sig('void', p('map', 'map'))],
    doc: 'Removes every key of a map.',
    async: true,
    firstArgIsMap: true,
  },
  {
    name: 'zero',
    kind: 'function',
    signatures: [sig('void', p('map', 'map'))],
    doc: 'Sets every value of a map to zero, keeping the keys.',
    async: true,
    firstArgIsMap: true,
  },
  {
    name: 'delete',
    kind: 'function',
    signatures: [sig('bool', p('map', 'map'), p('key', 'mapkey')), sig('bool', p('map_with_key', '@map[key]'))],
    doc: 'Removes one key from a map; false when it was not there. bpftrace 0.17 takes the `delete(@map[key])` form.',
    firstArgIsMap: true,
  },
  {
    name: 'has_key',
    kind: 'function',
    signatures: [sig('bool', p('map', 'map'), p('key', 'mapkey'))],
    doc: 'Whether a map holds a key.',
    newerThan017: true,
    firstArgIsMap: true,
  },
  {
    name: 'find',
    kind: 'function',
    signatures: [sig('bool', p('map', 'map'), p('key', 'mapkey'), p('result', '$variable'))],
    doc: 'Looks a key up once: true and the value in `result` when found.',
    newerThan017: true,
    firstArgIsMap: true,
  },
  {
    name: 'len',
    kind: 'function',
    signatures: [sig('int64', p('map', 'map')), sig('int64', p('stack', 'kstack|ustack'))],
    doc: 'Number of keys in a map, or of frames in a stack.',
    newerThan017: true,
    firstArgIsMap: true,
  },
  {
    name: 'print',
    kind: 'function',
    signatures: [
      sig('void', p('value', 'any')),
      sig('void', p('map', 'map'), p('top', 'uint64', true), p('div', 'uint64', true)),
    ],
    doc: "Prints a value or a map. Behind the PMDA a map's values arrive as its data metric, not as text.",
    async: true,
    firstArgIsMap: true,
  },

  // Output -------------------------------------------------------------------------------------
  {
    name: 'printf',
    kind: 'function',
    signatures: [vsig('void', p('format', 'string'))],
    doc: "Formatted text output. The PMDA collects it in the `@output` variable: a table when it's CSV (`// table-retain-lines: N` keeps the last N lines), else log lines.",
    async: true,
  },
  {
    name: 'time',
    kind: 'function',
    signatures: [sig('void', p('format', 'string', true))],
    doc: 'Prints the current wall-clock time (strftime format); collected in `@output` like printf.',
    async: true,
  },
  {
    name: 'join',
    kind: 'function',
    signatures: [sig('void', p('array', 'char *[]'), p('separator', 'string', true))],
    doc: 'Prints the strings of an array (such as execve arguments) joined by a separator.',
    async: true,
    pmdaNote:
      'Its output never reaches Grafana: the PMDA keeps printf() and time() text, not join(). Print the elements with printf() instead.',
  },
  {
    name: 'cat',
    kind: 'function',
    signatures: [vsig('void', p('filename_format', 'string'))],
    doc: 'Prints the contents of a file (printf-style name).',
    async: true,
  },
  {
    name: 'system',
    kind: 'function',
    signatures: [vsig('void', p('command_format', 'string'))],
    doc: 'Runs a shell command and prints its output. Needs --unsafe.',
    async: true,
    unsafe: true,
  },
  {
    name: 'errorf',
    kind: 'function',
    signatures: [vsig('void', p('format', 'string'))],
    doc: 'Prints an error message with the source location.',
    async: true,
    newerThan017: true,
  },
  {
    name: 'warnf',
    kind: 'function',
    signatures: [vsig('void', p('format', 'string'))],
    doc: 'Prints a warning with the source location.',
    async: true,
    newerThan017: true,
  },
  {
    name: 'exit',
    kind: 'function',
    signatures: [sig('void'), sig('void', p('code', 'int', true))],
    doc: 'Stops the script (END still runs). In Grafana the query then shows the last data and "stopped".',
    async: true,
  },

  // Strings and memory -------------------------------------------------------------------------
  {
    name: 'str',
    kind: 'function',
    signatures: [sig('string', p('data', 'char *'), p('length', 'int64', true))],
    doc: 'Reads a NUL-terminated string from a kernel or user pointer (at most `length` bytes).',
  },
  {
    name: 'buf',
    kind: 'function',
    signatures: [sig('buffer', p('data', 'void *'), p('length', 'int64', true))],
    doc: 'Reads `length` raw bytes; print them with `%r` (hex escapes).',
  },
  {
    name: 'strncmp',
    kind: 'function',
    signatures: [sig('int64', p('s1', 'string'), p('s2', 'string'), p('n', 'int64'))],
    doc: 'Compares the first `n` characters of two strings: 0 when equal. `==` is usually simpler.',
  },
  {
    name: 'strcontains',
    kind: 'function',
    signatures: [sig('bool', p('haystack', 'string'), p('needle', 'string'))],
    doc: 'Whether one string contains another.',
  },
  {
    name: 'strstr',
    kind: 'function',
    signatures: [sig('int64', p('haystack', 'string'), p('needle', 'string'))],
    doc: 'Index of the first occurrence of `needle`, or -1.',
    newerThan017: true,
  },
  {
    name: 'strlen',
    kind: 'function',
    signatures: [sig('uint64', p('s', 'string'))],
    doc: 'Length of a string.',
    newerThan017: true,
  },
  {
    name: 'strftime',
    kind: 'function',
    signatures: [sig('timestamp', p('format', 'string'), p('nsecs', 'int64'))],
    doc: 'Formats a boot-time timestamp in nanoseconds as wall-clock time (strftime format, plus %f for µs), for printf %s.',
    async: true,
  },
  {
    name: 'strerror',
    kind: 'function',
    signatures: [sig('string', p('errno', 'int'))],
    doc: 'The text of an errno value, for printing.',
  },
  {
    name: 'memcmp',
    kind: 'function',
    signatures: [sig('int', p('left', 'any'), p('right', 'any'), p('count', 'uint64'))],
    doc: 'Compares the first `count` bytes of two values: 0 when equal.',
    newerThan017: true,
  },
  {
    name: 'sizeof',
    kind: 'function',
    signatures: [sig('uint64', p('type_or_expression', 'any'))],
    doc: 'Size in bytes of a type or expression, known at compile time.',
  },
  {
    name: 'offsetof',
    kind: 'function',
    signatures: [sig('uint64', p('struct', 'type'), p('field', 'name'))],
    doc: 'Offset in bytes of a field within a struct, known at compile time.',
    newerThan017: true,
  },
  {
    name: 'bswap',
    kind: 'function',
    signatures: [sig('uint', p('n', 'uint'))],
    doc: 'Reverses the byte order of an integer.',
  },
  {
    name: 'kptr',
    kind: 'function',
    signatures: [sig('T *', p('ptr', 'T *'))],
    doc: 'Marks a pointer as a kernel address.',
  },
  {
    name: 'uptr',
    kind: 'function',
    signatures: [sig('T *', p('ptr', 'T *'))],
    doc: 'Marks a pointer as a user-space address.',
  },

  // Stacks and symbols -------------------------------------------------------------------------
  {
    name: 'kstack',
    kind: 'function',
    signatures: [sig('kstack', p('mode', 'bpftrace|perf|raw', true), p('limit', 'int', true))],
    doc: 'The kernel call stack here; as a map key (`@[kstack] = count()`) it feeds a flame graph.',
    firstArgValues: ['bpftrace', 'perf', 'raw'],
  },
  {
    name: 'ustack',
    kind: 'function',
    signatures: [sig('ustack', p('mode', 'bpftrace|perf|raw', true), p('limit', 'int', true))],
    doc: 'The user-space call stack here; symbols need the process alive and frame pointers.',
    firstArgValues: ['bpftrace', 'perf', 'raw'],
  },
  {
    name: 'ksym',
    kind: 'function',
    signatures: [sig('ksym_t', p('addr', 'uint64'))],
    doc: 'Name of the kernel function at an address (resolved in user space).',
    async: true,
  },
  {
    name: 'usym',
    kind: 'function',
    signatures: [sig('usym_t', p('addr', 'uint64'))],
    doc: 'Name of the user-space function at an address (uprobes).',
    async: true,
  },
  {
    name: 'kaddr',
    kind: 'function',
    signatures: [sig('uint64', p('symbol', 'string'))],
    doc: 'Address of a kernel symbol, known at compile time.',
  },
  {
    name: 'uaddr',
    kind: 'function',
    signatures: [sig('T *', p('symbol', 'string'))],
    doc: 'Address of a symbol in the traced binary (uprobe, usdt).',
  },
  {
    name: 'percpu_kaddr',
    kind: 'function',
    signatures: [sig('uint64 *', p('symbol', 'string'), p('cpu', 'int', true))],
    doc: 'Address of a per-CPU kernel variable on this or another CPU.',
    newerThan017: true,
  },
  {
    name: 'reg',
    kind: 'function',
    signatures: [sig('uint64', p('name', 'string'))],
    doc: 'Value of a CPU register (kprobe, uprobe), e.g. reg("ip").',
  },

  // Network ------------------------------------------------------------------------------------
  {
    name: 'ntop',
    kind: 'function',
    signatures: [sig('inet', p('addr', 'int|char[4]|char[16]')), sig('inet', p('af', 'int64'), p('addr', 'any'))],
    doc: 'Text form of an IPv4 or IPv6 address.',
  },
  {
    name: 'pton',
    kind: 'function',
    signatures: [sig('char[]', p('address', 'string'))],
    doc: 'Bytes of an IPv4 or IPv6 address written as text, for comparisons.',
  },
  {
    name: 'macaddr',
    kind: 'function',
    signatures: [sig('macaddr_t', p('mac', 'char[6]'))],
    doc: 'A MAC address, printable with %s.',
  },
  {
    name: 'socket_cookie',
    kind: 'function',
    signatures: [sig('uint64', p('sk', 'struct sock *'))],
    doc: 'Stable kernel-made identifier of a socket.',
    newerThan017: true,
  },
  {
    name: 'skboutput',
    kind: 'function',
    signatures: [
      sig('uint32', p('path', 'string'), p('skb', 'struct sk_buff *'), p('length', 'uint64'), p('offset', 'uint64')),
    ],
    doc: "Writes a packet's data to a pcap file on the host.",
  },

  // Processes, cgroups, time -------------------------------------------------------------------
  {
    name: 'cgroupid',
    kind: 'function',
    signatures: [sig('uint64', p('path', 'string'))],
    doc: 'Id of the cgroup v2 at a path, known at compile time; compare with `cgroup`.',
  },
  {
    name: 'cgroup_path',
    kind: 'function',
    signatures: [sig('cgroup_path_t', p('cgroupid', 'int'), p('filter', 'string', true))],
    doc: 'Path of a cgroup id, resolved when printed.',
  },
  {
    name: 'path',
    kind: 'function',
    signatures: [sig('string', p('path', 'struct path *'), p('size', 'int32', true))],
    doc: 'Full file path of a `struct path` (only in functions the kernel allows).',
  },
  {
    name: 'syscall_name',
    kind: 'function',
    signatures: [sig('string', p('nr', 'int'))],
    doc: 'Name of a system call number.',
    newerThan017: true,
  },
  {
    name: 'signal',
    kind: 'function',
    signatures: [sig('void', p('signal', 'string|uint32'))],
    doc: 'Sends a signal to the traced process. Needs --unsafe.',
    unsafe: true,
    firstArgValues: ['"SIGKILL"', '"SIGTERM"', '"SIGSTOP"', '"SIGCONT"', '"SIGUSR1"', '"SIGUSR2"'],
  },
  {
    name: 'override',
    kind: 'function',
    signatures: [sig('void', p('rc', 'uint64'))],
    doc: 'Skips the probed kernel function and returns `rc` instead (error injection). Needs --unsafe.',
    unsafe: true,
  },
  {
    name: 'unwatch',
    kind: 'function',
    signatures: [sig('void', p('addr', 'void *'))],
    doc: 'Removes a watchpoint.',
    async: true,
  },
  {
    name: 'getopt',
    kind: 'function',
    signatures: [sig('bool', p('name', 'string')), sig('T', p('name', 'string'), p('default', 'T'))],
    doc: 'A named command-line option; the PMDA passes none, so the default applies.',
    newerThan017: true,
  },
  {
    name: 'assert',
    kind: 'function',
    signatures: [sig('void', p('condition', 'bool'), p('message', 'string'))],
    doc: 'Stops the script with an error when the condition is false.',
    newerThan017: true,
  },
];

export interface BuiltinDoc {
  name: string;
  type: string;
  doc: string;
  /** Call forms, for builtins that newer bpftrace also takes arguments for (`nsecs(tai)`). */
  signatures?: Signature[];
  firstArgValues?: string[];
  newerThan017?: boolean;
  /** Only in the probe types named. */
  probes?: string;
}

export const BUILTINS: BuiltinDoc[] = [
  {
    name: 'pid',
    type: 'uint32',
    doc: 'Process id (thread group id) of the current task.',
    signatures: [sig('uint32', p('namespace', 'curr_ns|init', true))],
    firstArgValues: ['curr_ns', 'init'],
  },
  {
    name: 'tid',
    type: 'uint32',
    doc: 'Thread id of the current task.',
    signatures: [sig('uint32', p('namespace', 'curr_ns|init', true))],
    firstArgValues: ['curr_ns', 'init'],
  },
  { name: 'uid', type: 'uint64', doc: 'User id of the current task.' },
  { name: 'gid', type: 'uint64', doc: 'Group id of the current task.' },
  {
    name: 'comm',
    type: 'string',
    doc: 'Name of the current thread (as in /proc/PID/comm, at most 16 bytes).',
  },
  { name: 'pcomm', type: 'string', doc: 'Name of the current process (its main thread).', newerThan017: true },
  {
    name: 'nsecs',
    type: 'uint64',
    doc: 'Timestamp in nanoseconds since boot: subtract two for a latency.',
    signatures: [sig('uint64', p('clock', 'monotonic|boot|tai|sw_tai', true))],
    firstArgValues: ['monotonic', 'boot', 'tai', 'sw_tai'],
  },
  { name: 'elapsed', type: 'uint64', doc: 'Nanoseconds since bpftrace started.' },
  { name: 'jiffies', type: 'uint64', doc: 'Kernel jiffies counter.', newerThan017: true },
  { name: 'cpu', type: 'uint32', doc: 'Id of the CPU running the probe.' },
  { name: 'ncpus', type: 'uint64', doc: 'Number of CPUs.', newerThan017: true },
  { name: 'numaid', type: 'uint32', doc: 'NUMA node of the CPU running the probe.' },
  { name: 'cgroup', type: 'uint64', doc: 'Id of the cgroup v2 of the current task.' },
  { name: 'curtask', type: 'struct task_struct *', doc: 'The current task_struct.' },
  { name: 'rand', type: 'uint32', doc: 'A pseudo-random number.' },
  { name: 'kstack', type: 'kstack', doc: 'The kernel call stack: `@[kstack] = count()` feeds a flame graph.' },
  { name: 'ustack', type: 'ustack', doc: 'The user-space call stack.' },
  {
    name: 'args',
    type: 'struct',
    doc: 'The typed arguments of a tracepoint, fentry/fexit or rawtracepoint: `args.filename` (`args->filename` in 0.17).',
    probes: 'tracepoint, fentry, fexit, rawtracepoint, uprobe with DWARF',
  },
  {
    name: 'retval',
    type: 'int64',
    doc: 'Return value of the traced function.',
    probes: 'kretprobe, uretprobe, fexit',
  },
  { name: 'func', type: 'string', doc: 'Name of the traced function.', probes: 'kprobe, uprobe, fentry' },
  { name: 'probe', type: 'string', doc: 'Full name of the probe that fired, e.g. with wildcards.' },
  { name: 'probetype', type: 'string', doc: 'Type of the probe that fired.', newerThan017: true },
  { name: 'cpid', type: 'uint32', doc: 'Pid of the child started with `bpftrace -c` (none behind the PMDA).' },
  {
    name: 'ctx',
    type: 'struct',
    doc: 'The iterator context of an iter probe: `ctx.task`, `ctx.file` …',
    probes: 'iter',
  },
  { name: 'username', type: 'string', doc: 'Name of the current user.', newerThan017: true },
  { name: 'usermode', type: 'uint8', doc: '1 when the CPU was in user mode (x86-64).', newerThan017: true },
];

/** `arg0`…, `sarg0`…: numbered builtins, documented by pattern. */
export const NUMBERED_BUILTINS: Array<{ pattern: RegExp; doc: BuiltinDoc }> = [
  {
    pattern: /^arg\d+$/,
    doc: {
      name: 'argN',
      type: 'int64',
      doc: 'The Nth argument of the traced function, from the CPU registers (cast pointers as needed).',
      probes: 'kprobe, uprobe, usdt, rawtracepoint',
    },
  },
  {
    pattern: /^sarg\d+$/,
    doc: {
      name: 'sargN',
      type: 'int64',
      doc: 'The Nth argument passed on the stack (bpftrace 0.17; newer versions read it through reg("sp")).',
      probes: 'kprobe, uprobe',
    },
  },
];

export const KEYWORDS: Array<{ name: string; doc: string; snippet?: string; newerThan017?: boolean }> = [
  { name: 'if', doc: 'Runs a block when a condition holds.', snippet: 'if (${1:condition}) {\n\t$0\n}' },
  { name: 'else', doc: 'The other branch of an if.' },
  {
    name: 'while',
    doc: 'Loops while a condition holds (bounded loops only).',
    snippet: 'while (${1:condition}) {\n\t$0\n}',
  },
  {
    name: 'unroll',
    doc: 'Repeats a block a fixed number of times, at compile time.',
    snippet: 'unroll (${1:4}) {\n\t$0\n}',
  },
  {
    name: 'for',
    doc: 'Loops over a map (`for ($kv : @m)`) or a range (`for ($i : 0..10)`).',
    snippet: 'for (\\$${1:kv} : ${2:@map}) {\n\t$0\n}',
    newerThan017: true,
  },
  { name: 'return', doc: 'Leaves the probe.' },
  { name: 'break', doc: 'Leaves the loop.' },
  { name: 'continue', doc: 'Goes to the next loop iteration.' },
  { name: 'let', doc: 'Declares a scratch variable (`let $x = 1;`) or a map type.', newerThan017: true },
];

export interface SnippetDoc {
  label: string;
  detail: string;
  doc: string;
  body: string;
}

/** Whole scripts for the common patterns; each runs as is behind the PMDA (one histogram per map). */
export const SNIPPETS: SnippetDoc[] = [
  {
    label: 'latency histogram',
    detail: 'syscall read latency as a heatmap',
    doc: 'Time from entry to exit of a system call per thread, as a power-of-two histogram in microseconds.',
    body: [
      'tracepoint:syscalls:sys_enter_${1:read} {',
      '\t@start[tid] = nsecs;',
      '}',
      '',
      'tracepoint:syscalls:sys_exit_${1:read}',
      '/@start[tid]/',
      '{',
      '\t@${2:lat_us} = hist((nsecs - @start[tid]) / 1000);',
      '\tdelete(@start[tid]);',
      '}',
    ].join('\n'),
  },
  {
    label: 'count by comm',
    detail: 'system calls per process name',
    doc: 'Counts an event per process name: a time series per process, or a table of the top ones.',
    body: 'tracepoint:${1:raw_syscalls:sys_enter} {\n\t@${2:calls}[comm] = count();\n}',
  },
  {
    label: 'kstack profile',
    detail: 'CPU flame graph at 99 Hz',
    doc: 'Samples kernel stacks on every CPU 99 times a second: choose the flame graph format.',
    body: 'profile:hz:${1:99} {\n\t@${2:stacks}[kstack] = count();\n}',
  },
  {
    label: 'printf table',
    detail: 'CSV lines shown as a table',
    doc: 'Prints CSV lines; the PMDA keeps the header and the last lines, shown as a table.',
    body: [
      '// table-retain-lines: ${1:20}',
      'BEGIN { printf("comm,pid,file\\n"); }',
      '',
      'tracepoint:syscalls:sys_enter_openat {',
      '\tprintf("%s,%d,%s\\n", comm, pid, str(args->filename));',
      '}',
    ].join('\n'),
  },
];

const FUNCTION_BY_NAME = new Map(FUNCTIONS.map((f) => [f.name, f]));
const BUILTIN_BY_NAME = new Map(BUILTINS.map((b) => [b.name, b]));
const KEYWORD_NAMES = new Set(KEYWORDS.map((k) => k.name));

export function functionDoc(name: string): FunctionDoc | undefined {
  return FUNCTION_BY_NAME.get(name);
}

export function builtinDoc(name: string): BuiltinDoc | undefined {
  return BUILTIN_BY_NAME.get(name) ?? NUMBERED_BUILTINS.find((n) => n.pattern.test(name))?.doc;
}

export function isKeyword(name: string): boolean {
  return KEYWORD_NAMES.has(name);
}

/** What a call's signatures look like in help: `hist(int64 n, [int k])`. */
export function formatSignature(name: string, s: Signature): { label: string; params: string[] } {
  const params = s.params.map((x) => (x.optional ? `[${x.type} ${x.name}]` : `${x.type} ${x.name}`));
  if (s.variadic) {
    params.push('...args');
  }
  return { label: `${name}(${params.join(', ')})`, params };
}

/** The callable forms of a name: a function's signatures, or a builtin's call forms. */
export function signaturesOf(name: string): Signature[] {
  return functionDoc(name)?.signatures ?? builtinDoc(name)?.signatures ?? [];
}
