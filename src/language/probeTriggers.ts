import { scan } from '../lexer/scan';

/**
 * What makes a probe fire, in a performance engineer's words: for a script that runs, is
 * attached, and has seen nothing yet, "tracepoint:block:block_rq_issue fires when a disk I/O
 * request is sent to the device" says what to do (cause disk I/O that misses the page cache)
 * where "no events" alone does not. Pure: a probe spec in, a sentence (or nothing) out.
 */

/** Syscalls whose names say little on their own. */
const SYSCALLS: Record<string, string> = {
  execve: 'a process starts a new program (exec)',
  execveat: 'a process starts a new program (exec)',
  open: 'a process opens a file',
  openat: 'a process opens a file',
  openat2: 'a process opens a file',
  read: 'a process reads from a file, pipe or socket',
  write: 'a process writes to a file, pipe or socket',
  connect: 'a process opens a network connection (TCP/UDP connect)',
  accept: 'a server accepts a network connection',
  accept4: 'a server accepts a network connection',
  clone: 'a process creates a process or thread',
  clone3: 'a process creates a process or thread',
  fork: 'a process forks',
  kill: 'a process sends a signal (kill)',
  unlink: 'a file is deleted',
  unlinkat: 'a file is deleted',
  fsync: 'a process flushes a file to disk',
  sync: 'a process flushes all files to disk',
  mmap: 'a process maps memory or a file',
  nanosleep: 'a process sleeps',
  clock_nanosleep: 'a process sleeps',
  futex: 'threads wait on or wake a lock (futex)',
  exit_group: 'a process exits',
};

/** Tracepoints by `subsystem:event`, or by subsystem alone (`subsystem:*`). */
const TRACEPOINTS: Record<string, string> = {
  'sched:sched_switch': 'a CPU switches from one task to another (all the time on a busy host)',
  'sched:sched_wakeup': 'a sleeping task is woken up',
  'sched:sched_wakeup_new': 'a newly created task is woken up for the first time',
  'sched:sched_process_exec': 'a process starts a new program (exec)',
  'sched:sched_process_exit': 'a process or thread exits',
  'sched:sched_process_fork': 'a process forks',
  'block:block_rq_issue': 'a disk I/O request is sent to the device (I/O that misses the page cache, or a sync)',
  'block:block_rq_complete': 'a disk I/O request completes',
  'block:block_rq_insert': 'a disk I/O request is queued',
  'block:*': 'the block layer handles disk I/O (reads that miss the page cache, writes being flushed)',
  'tcp:tcp_retransmit_skb': 'TCP retransmits a segment (packet loss or a slow peer)',
  'tcp:tcp_receive_reset': 'a TCP connection is reset by its peer',
  'tcp:tcp_send_reset': 'this host resets a TCP connection',
  'tcp:*': 'TCP connections change state or retransmit',
  'sock:inet_sock_set_state': 'a TCP socket changes state (connecting, established, closing)',
  'net:*': 'packets pass through the network stack',
  'skb:kfree_skb': 'the kernel drops a packet',
  'signal:signal_generate': 'a signal is sent to a process',
  'signal:signal_deliver': 'a signal is delivered to a process',
  'oom:mark_victim': 'the OOM killer picks a process to kill (memory exhausted)',
  'vmscan:*': 'the kernel reclaims memory (memory pressure)',
  'writeback:*': 'dirty pages are written back to disk',
  'ext4:*': 'ext4 file systems are used (only on ext4 mounts)',
  'xfs:*': 'XFS file systems are used (only on XFS mounts)',
  'exceptions:page_fault_user': 'a user-space page fault happens',
  'exceptions:page_fault_kernel': 'a kernel-space page fault happens',
  'irq:*': 'interrupts are handled',
  'timer:*': 'kernel timers are set or fire',
  'syscalls:*': 'the system call is made',
};

/** Why `probe` fires, as "fires when …", or undefined when nothing specific is known. */
export function probeTrigger(probe: string): string | undefined {
  const parts = probe.split(':');
  const type = parts[0];
  if (type === 'tracepoint' || type === 't') {
    const [sub, event] = [parts[1], parts[2] ?? ''];
    const syscall = sub === 'syscalls' ? /^sys_(enter|exit)_(\w+)$/.exec(event) : null;
    if (syscall) {
      const what = SYSCALLS[syscall[2]] ?? `a process calls ${syscall[2]}()`;
      return syscall[1] === 'enter' ? `fires when ${what}` : `fires when ${syscall[2]}() returns (${what})`;
    }
    if (sub === 'raw_syscalls') {
      return 'fires on every system call';
    }
    const known = TRACEPOINTS[`${sub}:${event}`] ?? TRACEPOINTS[`${sub}:*`];
    return known ? `fires when ${known}` : undefined;
  }
  if (['uprobe', 'u', 'uretprobe', 'ur'].includes(type) && parts.length >= 3) {
    const ret = type.startsWith('ur');
    return `fires when a process running ${parts[1]} ${ret ? 'returns from' : 'calls'} ${parts.slice(2).join(':')} (only while such a process runs)`;
  }
  if ((type === 'usdt' || type === 'U') && parts.length >= 3) {
    return `fires when a process running ${parts[1]} reaches its probe ${parts.slice(2).join(':')} (some programs must be started with their probes enabled)`;
  }
  if (['kprobe', 'k', 'kretprobe', 'kr', 'kfunc', 'kretfunc', 'fentry', 'fexit', 'f', 'fr'].includes(type)) {
    return `fires when the kernel runs ${parts.slice(1).join(':')}`;
  }
  if (type === 'software' || type === 's') {
    return `fires every ${parts[2] || 'default number of'} ${parts[1]} events`;
  }
  return undefined;
}

/** Probes that fire by themselves (timers, BEGIN): they never explain "no events". */
export function firesByItself(probe: string): boolean {
  return /^(BEGIN|END|interval|i|profile|p)(:|$)/.test(probe);
}

/**
 * What to tell about a script whose probes have not fired: each probe that waits for something
 * (not BEGIN, interval or profile), with what makes it fire.
 */
export function noEventsAdvice(code: string): string {
  const probes = scriptProbes(code).waiting;
  const told = probes
    .map((p) => ({ p, why: probeTrigger(p) }))
    .filter((x) => x.why)
    .slice(0, 3);
  if (told.length === 0) {
    return 'Check that what the probes watch happens on this host now (the process, device, syscall or function), and any filter.';
  }
  const rest = probes.length - told.length;
  return (
    told.map((x) => `${x.p} ${x.why}`).join('; ') +
    (rest > 0 ? ` (and ${rest} more probe${rest > 1 ? 's' : ''})` : '') +
    '. Make that happen on the host (or wait for it), and check any filter.'
  );
}

/**
 * The script's probe specs: those that wait for something (each once), how many fire by
 * themselves (BEGIN, END, interval, profile: each one probe bpftrace attaches whatever the host),
 * and whether some clause does its work only on some firings (a filter, an `if`, a `?:`).
 */
export function scriptProbes(code: string): { waiting: string[]; byItself: number; conditional: boolean } {
  const scanned = scan(code);
  const all = scanned.clauses.flatMap((c) => c.probes.map((p) => p.text));
  const conditional =
    scanned.clauses.some((c) => c.filter) ||
    scanned.tokens.some((t) => t.region === 'action' && ((t.kind === 'ident' && t.text === 'if') || t.text === '?'));
  return {
    waiting: [...new Set(all.filter((p) => !firesByItself(p)))],
    byItself: all.filter(firesByItself).length,
    conditional,
  };
}

/** Whether the script can end by itself: it calls exit() somewhere (not in a comment or a string). */
export function callsExit(code: string): boolean {
  const tokens = scan(code).tokens.filter((t) => t.kind !== 'comment');
  return tokens.some((t, i) => t.kind === 'ident' && t.text === 'exit' && tokens[i + 1]?.text === '(');
}

/** How many lines the script prints in BEGIN (a header): they are no sign of events. */
export function beginLines(code: string): number {
  const scanned = scan(code);
  let lines = 0;
  for (const clause of scanned.clauses) {
    if (!clause.action || !clause.probes.some((p) => p.text === 'BEGIN')) {
      continue;
    }
    for (const t of scanned.tokens) {
      if (t.kind === 'string' && t.start >= clause.action.start && t.end <= clause.action.end) {
        lines += (t.text.match(/\\n/g) ?? []).length;
      }
    }
  }
  return lines;
}
