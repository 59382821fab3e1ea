import { readFileSync } from 'fs';
import { join } from 'path';

import { isIdleStack, isUnresolvedFrame, normalizeFrame, splitStackKey } from './stacks';

/**
 * tests/fixtures/kstacks.json was recorded from the real stack (pmproxy + pmcd + bpftrace PMDA +
 * bpftrace 0.17, Debian 12) running `profile:hz:99 { @ks[kstack] = count(); @kcomm[comm, kstack] = count(); }`:
 * the instance names below are exactly what pmproxy's /pmapi/indom answered.
 */
interface Fixture {
  samples: Array<{ indom: Record<string, string> }>;
}
const fixture: Fixture = JSON.parse(readFileSync(join(__dirname, '../../tests/fixtures/kstacks.json'), 'utf8'));

function fixtureNames(variable: 'ks' | 'kcomm'): string[] {
  const indom = JSON.parse(fixture.samples[1].indom[`bpftrace.scripts.fixture_kstacks.data.${variable}`]);
  return indom.instances.map((i: { name: string }) => i.name);
}

describe('splitStackKey on the real-stack fixture', () => {
  const ks = fixtureNames('ks');
  const kcomm = fixtureNames('kcomm');

  it('has the shape the splitter expects (a guard on the fixture itself)', () => {
    expect(ks.length).toBe(25);
    expect(kcomm.length).toBe(34);
    for (const name of ks) {
      expect(name).toMatch(/^\n( {4}[^\n]+\n)+$/);
    }
  });

  it('@ks[kstack]: frames outermost first, offsets stripped, no other parts', () => {
    const idle = ks.find((n) => n.includes('pv_native_safe_halt'))!;
    expect(splitStackKey(idle)).toEqual({
      frames: [
        'common_startup_64',
        'x86_64_start_kernel',
        '__pfx_clear_bss',
        'start_kernel',
        'rest_init',
        'cpu_startup_entry',
        'do_idle',
        'cpuidle_enter',
        'cpuidle_enter_state',
        'default_enter_idle',
        'default_idle',
        'pv_native_safe_halt',
      ],
      parts: [],
    });
    for (const name of ks) {
      const { frames, parts } = splitStackKey(name);
      expect(parts).toEqual([]);
      // As many frames as lines; none keeps an offset, indentation or a newline.
      expect(frames.length).toBe(name.split('\n').filter((l) => l.trim() !== '').length);
      for (const f of frames) {
        expect(f).toMatch(/^[A-Za-z_][\w.]*$/);
      }
      // Outermost first: kernel entry points and thread starts, never a leaf like clear_page_erms.
      expect([
        'entry_SYSCALL_64_after_hwframe',
        'asm_exc_page_fault',
        'ret_from_fork_asm',
        'common_startup_64',
      ]).toContain(frames[0]);
    }
  });

  it('keeps compiler-clone suffixes and strips only the trailing offset', () => {
    const name = ks.find((n) => n.includes('finish_task_switch.isra.0'))!;
    expect(splitStackKey(name).frames).toEqual([
      'ret_from_fork_asm',
      'ret_from_fork',
      'kthread',
      'rcu_gp_kthread',
      'schedule',
      '__schedule',
      'finish_task_switch.isra.0',
    ]);
  });

  it('@kcomm[comm, kstack]: comm first, then the same frames as @ks for the same stack', () => {
    const byStack = new Map(ks.map((n) => [n, splitStackKey(n).frames]));
    let matched = 0;
    for (const name of kcomm) {
      const comma = name.indexOf(',');
      const comm = name.slice(0, comma);
      const stackText = name.slice(comma + 1);
      const split = splitStackKey(name);
      expect(split.parts).toEqual([comm]);
      if (stackText === '') {
        expect(split.frames).toEqual([]);
      } else if (byStack.has(stackText)) {
        expect(split.frames).toEqual(byStack.get(stackText));
        matched++;
      }
    }
    expect(matched).toBeGreaterThan(20);
  });

  it('an empty kernel stack (a sample in user space) is "comm," → no frames', () => {
    expect(kcomm).toContain('bash,');
    expect(splitStackKey('bash,')).toEqual({ frames: [], parts: ['bash'] });
    expect(splitStackKey('swapper/0,\n    pv_native_safe_halt+11\n    default_idle+5\n')).toEqual({
      frames: ['default_idle', 'pv_native_safe_halt'],
      parts: ['swapper/0'],
    });
  });
});

describe('splitStackKey, other layouts', () => {
  it('does not split C++ symbols at their commas', () => {
    const key =
      '\n    std::map<int, int>::find(int const&)+20\n    std::pair<int, char>::swap(std::pair<int, char>&)+7\n    main+5\n,node';
    expect(splitStackKey(key)).toEqual({
      frames: ['main', 'std::pair<int, char>::swap(std::pair<int, char>&)', 'std::map<int, int>::find(int const&)'],
      parts: ['node'],
    });
  });

  it('ustack without symbols, stack first then comm (the PMDA research sample)', () => {
    expect(splitStackKey('\n    0x101f408\n    0x23536ce\n    0x7f3a2b1c0d9e\n,node')).toEqual({
      frames: ['0x7f3a2b1c0d9e', '0x23536ce', '0x101f408'],
      parts: ['node'],
    });
  });

  it('a stack between two other key parts', () => {
    expect(splitStackKey('bash,\n    f1+3\n    f2+10\n,1234')).toEqual({
      frames: ['f2', 'f1'],
      parts: ['bash', '1234'],
    });
    expect(splitStackKey('bash,1234,\n    f1+3\n')).toEqual({ frames: ['f1'], parts: ['bash', '1234'] });
  });

  it('two stacks (@[kstack, ustack]): the last stack is outermost, user space calling the kernel', () => {
    const key = '\n    vfs_read+10\n    ksys_read+5\n,\n    __read+20\n    main+3\n,cat';
    expect(splitStackKey(key)).toEqual({ frames: ['main', '__read', 'ksys_read', 'vfs_read'], parts: ['cat'] });
  });

  it('keys without a stack', () => {
    expect(splitStackKey('')).toEqual({ frames: [], parts: [] });
    expect(splitStackKey('bash,1234')).toEqual({ frames: [], parts: ['bash', '1234'] });
    expect(splitStackKey(',bash')).toEqual({ frames: [], parts: ['bash'] });
  });

  it('a block without its closing newline still parses', () => {
    expect(splitStackKey('\n    f1+3\n    f2+10')).toEqual({ frames: ['f2', 'f1'], parts: [] });
  });
});

describe('normalizeFrame', () => {
  it.each([
    ['    do_syscall_64+113', 'do_syscall_64'],
    ['    do_syscall_64+0x71', 'do_syscall_64'],
    ['    __pfx_clear_bss+0', '__pfx_clear_bss'],
    ['    kallsyms_expand_symbol.constprop.0+64', 'kallsyms_expand_symbol.constprop.0'],
    ['    0x101f408', '0x101f408'],
    ['    foo::operator+(int)+12', 'foo::operator+(int)'],
    [
      '    std::vector<int, std::allocator<int> >::push_back(int const&)+44',
      'std::vector<int, std::allocator<int> >::push_back(int const&)',
    ],
    ['\tffffffff8e8a1b2c do_syscall_64+113 ([kernel.kallsyms])', 'do_syscall_64'],
    ['\t7f3a2b1c0d9e __libc_read+20 (/usr/lib/x86_64-linux-gnu/libc.so.6)', '__libc_read'],
    ['    xfs_file_read_iter+32 [xfs]', 'xfs_file_read_iter'],
    ['    (anonymous namespace)::run()+8', '(anonymous namespace)::run()'],
    ['    ffffffff8e8a1b2c', 'ffffffff8e8a1b2c'],
    ['    0xffffffff8e8a1b2c', '0xffffffff8e8a1b2c'],
    ['    foo+1f', 'foo+1f'],
    ['    foo+', 'foo+'],
    ['    foo(int) (const)+3', 'foo(int) (const)'],
    ['    bar (two words)', 'bar (two words)'],
    ['   ', ''],
  ])('%j → %j', (line, label) => {
    expect(normalizeFrame(line)).toBe(label);
  });
});

describe('isUnresolvedFrame', () => {
  it.each([
    ['0x101f408', true],
    ['0x7F3A2B1C0D9E', true],
    ['ffffffff8e8a1b2c', true],
    ['[unknown]', true],
    ['do_syscall_64', false],
    ['add', false],
    ['deadbeef_handler', false],
  ])('%s → %s', (frame, unresolved) => {
    expect(isUnresolvedFrame(frame)).toBe(unresolved);
  });
});

describe('isIdleStack', () => {
  const idle = splitStackKey(fixtureNames('ks').find((n) => n.includes('pv_native_safe_halt'))!).frames;

  it('the fixture idle stack (swapper in pv_native_safe_halt) is idle', () => {
    expect(isIdleStack(idle)).toBe(true);
  });

  it('none of the fixture stacks that do work is idle', () => {
    const busy = fixtureNames('ks').filter((n) => !n.includes('pv_native_safe_halt'));
    expect(busy.length).toBe(24);
    for (const n of busy) {
      expect(isIdleStack(splitStackKey(n).frames)).toBe(false);
    }
  });

  it('an interrupt handled on an idle CPU is work, not idle', () => {
    const irq = [
      ...idle,
      'asm_sysvec_apic_timer_interrupt',
      'sysvec_apic_timer_interrupt',
      '__irq_exit_rcu',
      'handle_softirqs',
      'net_rx_action',
    ];
    expect(isIdleStack(irq)).toBe(false);
    // … but an interrupt frame BELOW the idle loop does not make idle time work.
    expect(isIdleStack(['asm_sysvec_apic_timer_interrupt', 'do_idle', 'cpuidle_enter_state', 'intel_idle'])).toBe(true);
  });

  it('matches idle functions by name, including compiler clones, and only whole names', () => {
    expect(isIdleStack(['secondary_startup_64_no_verify', 'start_secondary', 'cpu_startup_entry'])).toBe(true);
    expect(isIdleStack(['do_idle.isra.0', 'mwait_idle_with_hints.constprop.0'])).toBe(true);
    expect(isIdleStack(['intel_idle'])).toBe(true);
    expect(isIdleStack(['entry_SYSCALL_64_after_hwframe', 'do_syscall_64', 'do_idle_work'])).toBe(false);
    expect(isIdleStack([])).toBe(false);
  });
});
