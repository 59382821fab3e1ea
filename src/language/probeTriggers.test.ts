import { beginLines, firesByItself, noEventsAdvice, probeTrigger } from './probeTriggers';

describe('probeTrigger', () => {
  it('says what makes common tracepoints fire', () => {
    expect(probeTrigger('tracepoint:syscalls:sys_enter_execve')).toBe(
      'fires when a process starts a new program (exec)'
    );
    expect(probeTrigger('tracepoint:syscalls:sys_exit_openat')).toBe(
      'fires when openat() returns (a process opens a file)'
    );
    expect(probeTrigger('t:syscalls:sys_enter_renameat2')).toBe('fires when a process calls renameat2()');
    expect(probeTrigger('tracepoint:block:block_rq_issue')).toMatch(/disk I\/O request is sent to the device/);
    expect(probeTrigger('tracepoint:block:block_bio_queue')).toMatch(/block layer handles disk I\/O/);
    expect(probeTrigger('tracepoint:oom:mark_victim')).toMatch(/OOM killer/);
    expect(probeTrigger('tracepoint:raw_syscalls:sys_enter')).toBe('fires on every system call');
  });

  it('says what makes user-space and kernel-function probes fire', () => {
    expect(probeTrigger('uprobe:/bin/bash:readline')).toBe(
      'fires when a process running /bin/bash calls readline (only while such a process runs)'
    );
    expect(probeTrigger('uretprobe:/bin/bash:readline')).toMatch(/returns from readline/);
    expect(probeTrigger('kprobe:vfs_read')).toBe('fires when the kernel runs vfs_read');
  });

  it('knows nothing about what it does not know', () => {
    expect(probeTrigger('tracepoint:mydriver:thing')).toBeUndefined();
    expect(probeTrigger('BEGIN')).toBeUndefined();
  });

  it('tells timers and BEGIN from probes that wait for something', () => {
    expect(['BEGIN', 'END', 'interval:s:1', 'profile:hz:99', 'i:ms:100'].every(firesByItself)).toBe(true);
    expect(firesByItself('tracepoint:sched:sched_switch')).toBe(false);
  });
});

describe('noEventsAdvice', () => {
  it('names the probes that wait for something, with their trigger', () => {
    const code =
      'BEGIN { printf("go\\n"); }\ntracepoint:oom:mark_victim { printf("%d\\n", args->pid); }\ninterval:s:5 { exit(); }';
    expect(noEventsAdvice(code)).toBe(
      'tracepoint:oom:mark_victim fires when the OOM killer picks a process to kill (memory exhausted). Make that happen on the host (or wait for it), and check any filter.'
    );
  });

  it('counts what it does not describe, and falls back to the general advice', () => {
    const code = 'tracepoint:syscalls:sys_enter_kill, tracepoint:mydriver:a, tracepoint:mydriver:b { @n = count(); }';
    expect(noEventsAdvice(code)).toMatch(
      /^tracepoint:syscalls:sys_enter_kill fires when a process sends a signal \(kill\) \(and 2 more probes\)\./
    );
    expect(noEventsAdvice('tracepoint:mydriver:a { @n = count(); }')).toMatch(
      /^Check that what the probes watch happens/
    );
  });
});

describe('beginLines', () => {
  it('counts the lines a BEGIN header prints, and nothing else', () => {
    expect(
      beginLines('BEGIN { printf("%-6s %s\\n", "PID", "COMM"); printf("---\\n"); }\nt:a:b { printf("x\\n"); }')
    ).toBe(2);
    expect(beginLines('t:a:b { printf("x\\n"); }')).toBe(0);
  });
});
