import { QueryFormat } from '../types';

/**
 * The editor's cheat sheet: runnable bpftrace scripts by task, written for bpflive (each passes
 * the editor's checks, tested in examples.test.ts; a few run on the real stack in
 * tests/integration/examples.test.ts). They use tracepoints where a kprobe would do too, since
 * tracepoints work on every kernel the PMDA runs on, and `args->field`, which every bpftrace
 * accepts. Clicking one puts it into the editor; it runs when the user runs it.
 */
export interface Example {
  /** Stable id (tests and data-testid). */
  id: string;
  task: string;
  title: string;
  /** What it shows, in one sentence. */
  description: string;
  code: string;
  /** The format that shows it best, when Auto would not pick it. */
  format?: QueryFormat;
}

export const EXAMPLE_TASKS = ['Count', 'Latency', 'CPU', 'Snoop', 'Variables'] as const;

export const EXAMPLES: Example[] = [
  {
    id: 'syscalls-by-process',
    task: 'Count',
    title: 'System calls per process',
    description: 'Which processes make the most system calls, per second.',
    code: 'tracepoint:raw_syscalls:sys_enter\n{\n  @syscalls[comm] = count();\n}',
  },
  {
    id: 'syscalls-total',
    task: 'Count',
    title: 'System call rate',
    description: 'All system calls on the host, per second, as one series.',
    code: 'tracepoint:raw_syscalls:sys_enter\n{\n  @syscalls = count();\n}',
  },
  {
    id: 'read-bytes',
    task: 'Count',
    title: 'Bytes read per process',
    description: 'Bytes returned by read(2), per process, per second.',
    code: 'tracepoint:syscalls:sys_exit_read\n/args->ret > 0/\n{\n  @read_bytes[comm] = sum(args->ret);\n}',
  },
  {
    id: 'context-switches',
    task: 'Count',
    title: 'Context switches per process',
    description: 'How often each process is switched off a CPU.',
    code: 'tracepoint:sched:sched_switch\n{\n  @switches[args->prev_comm] = count();\n}',
  },
  {
    id: 'read-latency',
    task: 'Latency',
    title: 'read(2) latency heatmap',
    description: 'How long read system calls take, in microseconds, as a heatmap over time.',
    code:
      'tracepoint:syscalls:sys_enter_read\n{\n  @start[tid] = nsecs;\n}\n\n' +
      'tracepoint:syscalls:sys_exit_read\n/@start[tid]/\n{\n  @read_usecs = hist((nsecs - @start[tid]) / 1000);\n  delete(@start[tid]);\n}',
    format: 'heatmap',
  },
  {
    id: 'runqueue-latency',
    task: 'Latency',
    title: 'Run queue latency',
    description: 'How long woken tasks wait for a CPU, in microseconds.',
    code:
      'tracepoint:sched:sched_wakeup\n{\n  @queued[args->pid] = nsecs;\n}\n\n' +
      'tracepoint:sched:sched_switch\n/@queued[args->next_pid]/\n{\n  @runq_usecs = hist((nsecs - @queued[args->next_pid]) / 1000);\n  delete(@queued[args->next_pid]);\n}',
    format: 'heatmap',
  },
  {
    id: 'io-size',
    task: 'Latency',
    title: 'Disk I/O sizes',
    description: 'The sizes of block I/O requests, as a histogram of the selected range.',
    code: 'tracepoint:block:block_rq_issue\n{\n  @io_bytes = hist(args->bytes);\n}',
    format: 'histogram',
  },
  {
    id: 'cpu-flamegraph',
    task: 'CPU',
    title: 'CPU flame graph (kernel)',
    description: 'Kernel stacks sampled 99 times a second on every CPU, as a flame graph.',
    code: 'profile:hz:99\n{\n  @stacks[kstack] = count();\n}',
    format: 'flamegraph',
  },
  {
    id: 'cpu-top',
    task: 'CPU',
    title: 'Top processes on CPU',
    description: 'Which processes are on a CPU, sampled 99 times a second, largest first.',
    code: 'profile:hz:99\n/pid != 0/\n{\n  @on_cpu[comm] = count();\n}',
    format: 'table',
  },
  {
    id: 'page-faults',
    task: 'CPU',
    title: 'Page faults per process',
    description: 'Page faults per process, per second.',
    code: 'software:page-faults:1\n{\n  @faults[comm] = count();\n}',
  },
  {
    id: 'execsnoop',
    task: 'Snoop',
    title: 'New processes (execsnoop)',
    description: 'Every program started, with its pid and parent, as it happens.',
    code: 'tracepoint:syscalls:sys_enter_execve\n{\n  printf("%-7d %-7d %-16s %s\\n", pid, curtask->real_parent->tgid, comm, str(args->filename));\n}',
    format: 'logs',
  },
  {
    id: 'opensnoop-table',
    task: 'Snoop',
    title: 'Files opened (table)',
    description: 'Files opened, as CSV lines that become a table with a column per field.',
    code:
      'BEGIN\n{\n  printf("comm,pid,file\\n");\n}\n\n' +
      'tracepoint:syscalls:sys_enter_openat\n{\n  printf("%s,%d,%s\\n", comm, pid, str(args->filename));\n}',
    format: 'table',
  },
  {
    id: 'oom-kills',
    task: 'Snoop',
    title: 'OOM kills',
    description: 'A line each time the OOM killer picks a process.',
    code: 'tracepoint:oom:mark_victim\n{\n  printf("OOM killer picked pid %d\\n", args->pid);\n}',
    format: 'logs',
  },
  {
    id: 'variable-pid',
    task: 'Variables',
    title: 'System calls of the processes picked in $pid',
    description: 'With a dashboard variable pid (multi-value allowed): pid == $pid becomes one comparison per value.',
    code: 'tracepoint:raw_syscalls:sys_enter\n/pid == $pid/\n{\n  @syscalls[comm] = count();\n}',
  },
];
