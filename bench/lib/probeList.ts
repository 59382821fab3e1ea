/**
 * A realistic probe list for the completion bench: 200,000 probes as `bpftrace -l` gives them on a
 * kernel with kprobes and BTF, plus listed uprobes, in the PMDA's (unordered) order.
 */
import { seededRandom } from './measure';

const TOTAL = 200_000;

const SUBSYSTEMS = [
  'tcp',
  'udp',
  'ip',
  'ipv6',
  'sock',
  'inet',
  'net',
  'dev',
  'skb',
  'napi',
  'ext4',
  'xfs',
  'btrfs',
  'nfs',
  'fuse',
  'vfs',
  'fs',
  'file',
  'inode',
  'dentry',
  'mm',
  'page',
  'folio',
  'kmem',
  'slab',
  'vma',
  'mmap',
  'swap',
  'sched',
  'rq',
  'task',
  'cgroup',
  'bpf',
  'perf',
  'trace',
  'irq',
  'softirq',
  'timer',
  'hrtimer',
  'rcu',
  'blk',
  'bio',
  'scsi',
  'nvme',
  'usb',
  'pci',
  'acpi',
  'drm',
  'i915',
  'amdgpu',
  'kvm',
  'virtio',
  'security',
  'selinux',
  'apparmor',
  'crypto',
  'audit',
  'signal',
  'futex',
  'pipe',
  'epoll',
  'io_uring',
  'workqueue',
  'kthread',
  'cpu',
  'cpufreq',
  'power',
  'clk',
  'regulator',
  'gpio',
  'i2c',
  'spi',
  'snd',
  'hid',
  'input',
  'tty',
  'serial',
  'netlink',
  'xdp',
];
const VERBS = [
  'alloc',
  'free',
  'get',
  'put',
  'read',
  'write',
  'open',
  'close',
  'init',
  'exit',
  'create',
  'destroy',
  'lookup',
  'insert',
  'remove',
  'update',
  'send',
  'recv',
  'queue',
  'dequeue',
  'start',
  'stop',
  'flush',
  'sync',
  'map',
  'unmap',
  'lock',
  'unlock',
  'wait',
  'wake',
  'submit',
  'complete',
  'handle',
  'process',
  'check',
  'set',
  'clear',
  'copy',
];
const NOUNS = [
  'buffer',
  'page',
  'entry',
  'node',
  'list',
  'table',
  'state',
  'request',
  'work',
  'event',
  'desc',
  'ctx',
  'info',
  'data',
  'range',
  'region',
  'block',
  'chunk',
  'cache',
  'slot',
  'ring',
  'msg',
  'attr',
  'ops',
  'flags',
  'stats',
];
const MODULES = [
  'vmlinux',
  'ext4',
  'xfs',
  'btrfs',
  'nf_conntrack',
  'kvm',
  'kvm_intel',
  'i915',
  'nvme',
  'nvme_core',
  'usbcore',
  'snd_hda_codec',
  'drm',
  'bluetooth',
  'cfg80211',
  'mac80211',
];
const BINARIES = [
  '/usr/lib/x86_64-linux-gnu/libc.so.6',
  '/usr/lib/x86_64-linux-gnu/libpthread.so.0',
  '/usr/lib/x86_64-linux-gnu/libssl.so.3',
  '/usr/lib/x86_64-linux-gnu/libcrypto.so.3',
  '/usr/bin/bash',
  '/usr/sbin/nginx',
  '/usr/bin/python3.11',
  '/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so',
  '/usr/bin/node',
  '/usr/sbin/mysqld',
  '/usr/lib/postgresql/15/bin/postgres',
  '/usr/bin/redis-server',
];

function kernelFunction(random: () => number, i: number): string {
  const pick = <T>(a: T[]) => a[Math.floor(random() * a.length)];
  const r = random();
  const prefix = r < 0.12 ? '__' : r < 0.17 ? '__x64_sys_' : r < 0.22 ? 'do_' : '';
  const base = `${prefix}${pick(SUBSYSTEMS)}_${pick(VERBS)}_${pick(NOUNS)}`;
  // Real names repeat a lot with small variations: suffixes make them unique.
  return random() < 0.5 ? `${base}_${i % 97}` : `${base}${i % 13 === 0 ? '.isra.0' : ''}_${i}`;
}

export function syntheticProbeList(total = TOTAL, seed = 7): string[] {
  const random = seededRandom(seed);
  const pick = <T>(a: T[]) => a[Math.floor(random() * a.length)];
  const probes: string[] = [];
  // Fixed names the typing sessions below rely on, as on a real host.
  probes.push(
    'kprobe:vfs_read',
    'kprobe:vfs_write',
    'kprobe:tcp_sendmsg',
    'kprobe:do_nanosleep',
    'kfunc:vmlinux:vfs_read',
    'kfunc:vmlinux:tcp_sendmsg',
    'tracepoint:syscalls:sys_enter_openat',
    'tracepoint:syscalls:sys_exit_openat',
    'tracepoint:sched:sched_switch',
    'tracepoint:sched:sched_wakeup',
    'uprobe:/usr/lib/x86_64-linux-gnu/libc.so.6:malloc',
    'iter:task',
    'iter:task_file',
    'software:*:',
    'hardware:*:'
  );
  // ~2,500 tracepoints in ~80 subsystems, syscalls the biggest.
  for (let i = 0; probes.length < 2_500; i++) {
    const sub = random() < 0.3 ? 'syscalls' : pick(SUBSYSTEMS);
    const event =
      sub === 'syscalls'
        ? `sys_${random() < 0.5 ? 'enter' : 'exit'}_${pick(VERBS)}${i}`
        : `${sub}_${pick(VERBS)}_${pick(NOUNS)}_${i}`;
    probes.push(`tracepoint:${sub}:${event}`);
  }
  // ~25,000 listed uprobes in a dozen binaries.
  for (let i = 0; i < 25_000; i++) {
    probes.push(`uprobe:${pick(BINARIES)}:${pick(VERBS)}_${pick(NOUNS)}_${i}`);
  }
  // The rest: kprobes and kfuncs (fentry) over the same kernel functions, kfuncs with modules.
  let i = 0;
  while (probes.length < total) {
    const fn = kernelFunction(random, i++);
    probes.push(`kprobe:${fn}`);
    if (probes.length < total) {
      probes.push(`kfunc:${random() < 0.85 ? 'vmlinux' : pick(MODULES)}:${fn}`);
    }
  }
  // The PMDA's list is unordered.
  for (let k = probes.length - 1; k > 0; k--) {
    const j = Math.floor(random() * (k + 1));
    [probes[k], probes[j]] = [probes[j], probes[k]];
  }
  return probes;
}
