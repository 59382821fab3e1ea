import { readFileSync } from 'fs';
import { join } from 'path';

import { DataFrame, FieldType } from '@grafana/data';

import { WideSeriesBuffer } from '../buffers/WideSeriesBuffer';
import { buildFlameGraphFrame, FlameGraphFrameOptions } from './flamegraph';

const T0 = 1_700_000_000_000;
const ALL = { refId: 'A', from: -Infinity, to: Infinity };
/** The frame for a range without samples: the root alone. */
const EMPTY = { label: 'all', level: 0, value: 0, self: 0 };

function bufferWith(rows: Array<Record<string, number | null>>, stepMs = 1000): WideSeriesBuffer {
  const b = new WideSeriesBuffer({ retentionMs: 3_600_000, counter: true });
  rows.forEach((row, i) => b.append(T0 + i * stepMs, new Map(Object.entries(row))));
  return b;
}

/** A stack key as the PMDA names it: innermost frame first, `+offset`, 4-space indent. */
function kstack(...innermostFirst: string[]): string {
  return '\n' + innermostFirst.map((f, i) => `    ${f}+${i * 7 + 3}\n`).join('');
}

interface Row {
  label: string;
  level: number;
  value: number;
  self: number;
}

function rowsOf(frame: DataFrame): Row[] {
  const [label, level, value, self] = ['label', 'level', 'value', 'self'].map(
    (n) => frame.fields.find((f) => f.name === n)!.values
  );
  return Array.from({ length: frame.length }, (_, i) => ({
    label: label[i],
    level: level[i],
    value: value[i],
    self: self[i],
  }));
}

/** Children of row i: the following rows one level deeper, up to the next row at i's level or above. */
function childrenOf(rows: Row[], i: number): number[] {
  const kids: number[] = [];
  for (let j = i + 1; j < rows.length && rows[j].level > rows[i].level; j++) {
    if (rows[j].level === rows[i].level + 1) {
      kids.push(j);
    }
  }
  return kids;
}

/**
 * What Grafana's flame graph assumes of a nested-set frame, checked row by row: one root at level
 * 0 first; pre-order (a row is at most one level deeper than the row before); value = self + the
 * children's values; positive values; siblings in label order and unique.
 */
function expectNestedSet(frame: DataFrame): Row[] {
  const rows = rowsOf(frame);
  expect(frame.fields.map((f) => [f.name, f.type])).toEqual([
    ['label', FieldType.string],
    ['level', FieldType.number],
    ['value', FieldType.number],
    ['self', FieldType.number],
  ]);
  for (const f of frame.fields) {
    expect(f.values.length).toBe(frame.length);
  }
  expect(rows.length).toBeGreaterThan(0);
  if (rows.length === 1 && rows[0].value === 0) {
    expect(rows[0]).toEqual(EMPTY);
    return rows;
  }
  expect(rows[0]).toMatchObject({ label: 'all', level: 0 });
  rows.forEach((r, i) => {
    if (i > 0) {
      expect(r.level).toBeGreaterThanOrEqual(1);
      expect(r.level).toBeLessThanOrEqual(rows[i - 1].level + 1);
    }
    expect(r.value).toBeGreaterThan(0);
    expect(r.self).toBeGreaterThanOrEqual(0);
    const kids = childrenOf(rows, i);
    expect(r.value).toBe(r.self + kids.reduce((s, k) => s + rows[k].value, 0));
    const labels = kids.map((k) => rows[k].label);
    expect(labels).toEqual([...labels].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(new Set(labels).size).toBe(labels.length);
  });
  return rows;
}

/** Path of labels from the root to each row: 'all/a/b'. */
function paths(rows: Row[]): Map<string, Row> {
  const out = new Map<string, Row>();
  const stack: string[] = [];
  for (const r of rows) {
    stack.length = r.level;
    stack.push(r.label);
    out.set(stack.join('/'), r);
  }
  return out;
}

// -------------------------------------------------------------------------------------------------
// tests/fixtures/kstacks.json was recorded from the real stack (pmproxy + pmcd + bpftrace PMDA +
// bpftrace 0.17, Debian 12): `profile:hz:99 { @ks[kstack] = count(); @kcomm[comm, kstack] = count(); }`,
// two samples (fetch + indom, pmproxy's raw text) three seconds apart. The buffers below are filled
// the way the engine fills them: instance ids named through the indom, one append per fetch.

interface Fixture {
  samples: Array<{ fetch: string; indom: Record<string, string> }>;
}
const fixture: Fixture = JSON.parse(readFileSync(join(__dirname, '../../tests/fixtures/kstacks.json'), 'utf8'));

function fixtureSample(i: number, variable: 'ks' | 'kcomm'): { t: number; values: Map<string, number> } {
  const metric = `bpftrace.scripts.fixture_kstacks.data.${variable}`;
  const fetched = JSON.parse(fixture.samples[i].fetch);
  const indom = JSON.parse(fixture.samples[i].indom[metric]);
  const names = new Map<number, string>(
    indom.instances.map((x: { instance: number; name: string }) => [x.instance, x.name])
  );
  const inst = fetched.values.find((v: { name: string }) => v.name === metric).instances;
  return {
    t: Math.round(fetched.timestamp * 1000),
    values: new Map(inst.map((x: { instance: number; value: number }) => [names.get(x.instance)!, x.value])),
  };
}

/** The fixture's two samples; with `fromStart`, an empty print 1 s before (the maps when the script started). */
function fixtureBuffer(variable: 'ks' | 'kcomm', fromStart = false): { buffer: WideSeriesBuffer; times: number[] } {
  const b = new WideSeriesBuffer({ retentionMs: 3_600_000, counter: true });
  const s0 = fixtureSample(0, variable);
  const s1 = fixtureSample(1, variable);
  if (fromStart) {
    b.append(s0.t - 1000, new Map());
  }
  b.append(s0.t, s0.values);
  b.append(s1.t, s1.values);
  return { buffer: b, times: [...b.times] };
}

const IDLE_PATH = [
  'all',
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
].join('/');

describe('buildFlameGraphFrame on the real-stack fixture', () => {
  it('is oriented root → outermost callers → sampled frames', () => {
    const { buffer } = fixtureBuffer('ks');
    const frame = buildFlameGraphFrame(buffer, ALL);
    const rows = expectNestedSet(frame);
    const byPath = paths(rows);

    // The second sample's increases: 286 idle + 10 others (9 of them from stacks first seen then).
    expect(rows[0]).toEqual({ label: 'all', level: 0, value: 296, self: 0 });
    // The root's children are where CPUs enter the kernel or start threads.
    const top = childrenOf(rows, 0).map((i) => rows[i].label);
    expect(top).toEqual([
      'asm_exc_page_fault',
      'common_startup_64',
      'entry_SYSCALL_64_after_hwframe',
      'ret_from_fork_asm',
    ]);
    // The idle loop: the boot CPU's stack down to the halt instruction, a leaf at level 12.
    expect(byPath.get(IDLE_PATH)).toEqual({ label: 'pv_native_safe_halt', level: 12, value: 286, self: 286 });
    // Leaves are the sampled frames.
    const clear = rows.find((r) => r.label === 'clear_page_erms')!;
    expect(clear.self).toBe(1);
    expect(clear.value).toBe(1);
    // __d_lookup_rcu+50 and +149 merge into one box once offsets are stripped.
    const lookup = byPath.get(
      'all/entry_SYSCALL_64_after_hwframe/do_syscall_64/__x64_sys_openat/do_sys_openat2/do_filp_open/path_openat/lookup_fast/__d_lookup_rcu'
    );
    expect(lookup).toMatchObject({ level: 8, value: 2, self: 2 });
    expect(rows.filter((r) => r.label === '__d_lookup_rcu')).toHaveLength(1);
  });

  it('from the script start, every sample counts: 591 = the map total', () => {
    const { buffer } = fixtureBuffer('ks', true);
    const rows = expectNestedSet(buildFlameGraphFrame(buffer, ALL));
    expect(rows[0].value).toBe(591);
    expect(paths(rows).get(IDLE_PATH)?.self).toBe(566);
    expect(childrenOf(rows, 0).map((i) => rows[i].label)).toEqual([
      'asm_exc_page_fault',
      'common_startup_64',
      'entry_SYSCALL_64_after_hwframe',
      'ret_from_fork_asm',
    ]);
  });

  it('scopes to the range: only the rows inside it count', () => {
    const { buffer, times } = fixtureBuffer('ks', true);
    const first = rowsOf(buildFlameGraphFrame(buffer, { refId: 'A', from: times[1] - 1, to: times[1] }));
    const second = rowsOf(buildFlameGraphFrame(buffer, { refId: 'A', from: times[1] + 1, to: times[2] + 1 }));
    expect(first[0].value).toBe(295);
    expect(second[0].value).toBe(296);
    expect(first[0].value + second[0].value).toBe(591);
    // Nothing observed in (times[2], ∞) nor before the first print.
    expect(rowsOf(buildFlameGraphFrame(buffer, { refId: 'A', from: times[2] + 1, to: Infinity }))).toEqual([EMPTY]);
    expect(rowsOf(buildFlameGraphFrame(buffer, { refId: 'A', from: 0, to: times[0] }))).toEqual([EMPTY]);
  });

  it('keyPartsAsRoots: @kcomm[comm, kstack] puts the comms under the root', () => {
    const { buffer } = fixtureBuffer('kcomm', true);
    const rows = expectNestedSet(buildFlameGraphFrame(buffer, { ...ALL, keyPartsAsRoots: true }));
    const byPath = paths(rows);
    expect(rows[0].value).toBe(619);
    const comms = childrenOf(rows, 0).map((i) => rows[i].label);
    expect(comms).toEqual([
      'bash',
      'bpftrace',
      'cat',
      'kdamond.0',
      'ls',
      'node',
      'pmproxy',
      'python3',
      'rcu_preempt',
      'sleep',
      'swapper/0',
    ]);
    // "bash," (no kernel stack: user space) is the comm's own samples.
    const last = fixtureSample(1, 'kcomm').values;
    expect(last.get('bash,')).toBe(1);
    expect(last.get('cat,')).toBe(5);
    expect(byPath.get('all/bash')).toMatchObject({ level: 1, self: 1 });
    expect(byPath.get('all/cat')).toMatchObject({ level: 1, self: 5 });
    expect(byPath.get('all/node')).toEqual({ label: 'node', level: 1, value: 2, self: 2 });
    expect(byPath.get(IDLE_PATH.replace('all/', 'all/swapper/0/'))).toMatchObject({ level: 13, self: 566 });
    expect(byPath.get('all/bash/entry_SYSCALL_64_after_hwframe')?.level).toBe(2);
  });

  it('without keyPartsAsRoots the comms merge and user-space samples are the root’s own', () => {
    const { buffer } = fixtureBuffer('kcomm', true);
    const rows = expectNestedSet(buildFlameGraphFrame(buffer, ALL));
    expect(rows[0].value).toBe(619);
    // Every "comm," key: the samples without a kernel stack.
    const userSpace = [...fixtureSample(1, 'kcomm').values]
      .filter(([k]) => k.endsWith(','))
      .reduce((s, [, v]) => s + v, 0);
    expect(rows[0].self).toBe(userSpace);
    expect(rows.some((r) => r.label === 'bash' || r.label === 'swapper/0')).toBe(false);
    // The same kernel stack from two comms is one path: bpftrace and sleep both hit this one.
    expect(rows.filter((r) => r.label === 'do_anonymous_page')).toHaveLength(1);
    expect(rows.find((r) => r.label === 'do_anonymous_page')?.value).toBe(2);
  });

  it('hideIdle drops the idle stack and nothing else', () => {
    const { buffer } = fixtureBuffer('ks', true);
    const rows = expectNestedSet(buildFlameGraphFrame(buffer, { ...ALL, hideIdle: true }));
    expect(rows[0].value).toBe(591 - 566);
    expect(rows.some((r) => r.label === 'common_startup_64' || r.label === 'pv_native_safe_halt')).toBe(false);
  });
});

describe('buildFlameGraphFrame: ranges', () => {
  const a = kstack('leaf_a', 'mid', 'entry');
  const b = kstack('leaf_b', 'mid', 'entry');
  const buffer = bufferWith([
    { [a]: 10, [b]: 100 }, // t0: history before the buffer: never counted
    { [a]: 11, [b]: 100 }, // t1
    { [a]: 13, [b]: 101 }, // t2
    { [a]: 1, [b]: 103 }, //  t3: a reset (clear())
    { [a]: null, [b]: 103 }, // t4: a missing from the print
    { [a]: 4, [b]: 110 }, //  t5
  ]);
  const total = (from: number, to: number) => {
    const f = buildFlameGraphFrame(buffer, { refId: 'A', from, to });
    return rowsOf(f)[0].value;
  };

  it('counts the increase seen at each row in [from, to], including the one into the first row', () => {
    expect(total(-Infinity, Infinity)).toBe(1 + 2 + 1 + 0 + 4 + (0 + 1 + 2 + 0 + 7));
    expect(total(T0 + 1000, T0 + 1000)).toBe(1); // exactly one row: the interval (t0, t1]
    expect(total(T0 + 1500, T0 + 2500)).toBe(2 + 1);
    expect(total(T0 + 2000, T0 + 3000)).toBe(2 + 1 + 1 + 2);
    expect(total(T0 + 3000, T0 + 5000)).toBe(1 + 2 + 4 + 7);
    expect(total(T0 + 5000, Infinity)).toBe(4 + 7);
  });

  it('row 0 alone, a range between rows, and from > to give the root alone, with a value of 0', () => {
    for (const [from, to] of [
      [T0, T0],
      [T0 + 1200, T0 + 1800],
      [T0 + 4000, T0 + 2000],
      [T0 + 9000, Infinity],
    ]) {
      const f = buildFlameGraphFrame(buffer, { refId: 'B', from, to });
      // Not zero rows: Grafana's flame graph throws on a frame without rows.
      expect(rowsOf(f)).toEqual([EMPTY]);
      expect(f.refId).toBe('B');
      expect(f.fields.map((x) => x.name)).toEqual(['label', 'level', 'value', 'self']);
      expect(f.meta?.preferredVisualisationType).toBe('flamegraph');
    }
  });

  it('an empty buffer and a one-row buffer give the root alone', () => {
    expect(rowsOf(buildFlameGraphFrame(bufferWith([]), ALL))).toEqual([EMPTY]);
    expect(rowsOf(buildFlameGraphFrame(bufferWith([{ [a]: 5 }]), ALL))).toEqual([EMPTY]);
  });
});

describe('buildFlameGraphFrame: the nested set', () => {
  it('gives exactly the expected rows for a small profile', () => {
    const buffer = bufferWith([
      {},
      {
        [kstack('vfs_read', 'ksys_read', 'do_syscall_64')]: 40,
        [kstack('ext4_file_read_iter', 'vfs_read', 'ksys_read', 'do_syscall_64')]: 25,
        [kstack('security_file_permission', 'vfs_read', 'ksys_read', 'do_syscall_64')]: 5,
        [kstack('tcp_sendmsg', 'sock_write_iter', 'do_syscall_64')]: 30,
        [kstack('do_syscall_64')]: 3,
      },
    ]);
    const frame = buildFlameGraphFrame(buffer, { ...ALL, unit: 'ns' });
    expect(frame.meta?.preferredVisualisationType).toBe('flamegraph');
    expect(frame.fields[2].config.unit).toBe('ns');
    expect(rowsOf(frame)).toEqual([
      { label: 'all', level: 0, value: 103, self: 0 },
      { label: 'do_syscall_64', level: 1, value: 103, self: 3 },
      { label: 'ksys_read', level: 2, value: 70, self: 0 },
      { label: 'vfs_read', level: 3, value: 70, self: 40 },
      { label: 'ext4_file_read_iter', level: 4, value: 25, self: 25 },
      { label: 'security_file_permission', level: 4, value: 5, self: 5 },
      { label: 'sock_write_iter', level: 2, value: 30, self: 0 },
      { label: 'tcp_sendmsg', level: 3, value: 30, self: 30 },
    ]);
    expectNestedSet(frame);
  });

  it("unit defaults to 'short'", () => {
    const frame = buildFlameGraphFrame(bufferWith([{}, { [kstack('f')]: 1 }]), ALL);
    expect(frame.fields.find((f) => f.name === 'value')?.config.unit).toBe('short');
  });

  it('matches a brute-force count of every path on random tree-like stacks', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    const names = Array.from({ length: 30 }, (_, i) => `fn_${String.fromCharCode(97 + (i % 26))}${i}`);
    const rows: Array<Record<string, number>> = [{}, {}, {}];
    const expected = new Map<string, number>(); // path 'all/x/y' → self
    for (let s = 0; s < 300; s++) {
      const depth = 1 + Math.floor(random() * 8);
      const outerFirst = Array.from(
        { length: depth },
        (_, d) => names[Math.floor(random() * (d < 2 ? 3 : names.length))]
      );
      const key = kstack(...[...outerFirst].reverse());
      if (key in rows[1]) {
        continue;
      }
      const c1 = Math.floor(random() * 4);
      const c2 = c1 + Math.floor(random() * 4);
      rows[1][key] = c1;
      rows[2][key] = c2;
      const p = ['all', ...outerFirst].join('/');
      expected.set(p, (expected.get(p) ?? 0) + c2);
    }
    const got = expectNestedSet(buildFlameGraphFrame(bufferWith(rows), ALL));
    const selfs = new Map([...paths(got)].filter(([, r]) => r.self > 0).map(([p, r]) => [p, r.self]));
    expect(selfs).toEqual(new Map([...expected].filter(([, v]) => v > 0)));
  });
});

describe('buildFlameGraphFrame: options', () => {
  const build = (rows: Array<Record<string, number | null>>, options: Partial<FlameGraphFrameOptions>) =>
    rowsOf(buildFlameGraphFrame(bufferWith([{}, ...rows]), { ...ALL, ...options }));

  it('hideUnresolved drops 0x… frames and keeps the rest of the stack', () => {
    const withAddr = '\n    0x7f0000001234\n    do_work+20\n    0x7f0000005678\n    main+3\n    0x55d000000001\n,app';
    const onlyAddr = '\n    0x7f0000009999\n    0x7f000000aaaa\n,app';
    const shown = build([{ [withAddr]: 3, [onlyAddr]: 2 }], { hideUnresolved: true, keyPartsAsRoots: true });
    expect(shown).toEqual([
      { label: 'all', level: 0, value: 5, self: 0 },
      { label: 'app', level: 1, value: 5, self: 2 },
      { label: 'main', level: 2, value: 3, self: 0 },
      { label: 'do_work', level: 3, value: 3, self: 3 },
    ]);
    const kept = build([{ [withAddr]: 3, [onlyAddr]: 2 }], {});
    expect(kept.map((r) => r.label)).toEqual([
      'all',
      '0x55d000000001',
      'main',
      '0x7f0000005678',
      'do_work',
      '0x7f0000001234',
      '0x7f000000aaaa',
      '0x7f0000009999',
    ]);
  });

  it('hideIdle keeps interrupts handled on an idle CPU', () => {
    const idle = kstack('intel_idle', 'cpuidle_enter_state', 'do_idle', 'cpu_startup_entry', 'start_secondary');
    const irq = kstack(
      'net_rx_action',
      'handle_softirqs',
      'sysvec_apic_timer_interrupt',
      'asm_sysvec_apic_timer_interrupt',
      'intel_idle',
      'cpuidle_enter_state',
      'do_idle',
      'cpu_startup_entry',
      'start_secondary'
    );
    const work = kstack('vfs_read', 'do_syscall_64');
    const shown = build([{ [idle]: 900, [irq]: 7, [work]: 3 }], { hideIdle: true });
    expect(shown[0].value).toBe(10);
    expect(shown.find((r) => r.label === 'net_rx_action')?.self).toBe(7);
    expect(build([{ [idle]: 900, [irq]: 7, [work]: 3 }], {})[0].value).toBe(910);
  });

  it('minSamples drops stacks, as drawn, with fewer samples; parents shrink and empty ones go', () => {
    const rows = [
      {
        [kstack('big', 'parent')]: 10,
        [kstack('small', 'parent')]: 2,
        [kstack('tiny', 'other')]: 1,
        // Two keys, one stack once offsets are stripped: 2 samples together.
        ['\n    twice+1\n    parent+9\n']: 1,
        ['\n    twice+5\n    parent+9\n']: 1,
      },
    ];
    expect(build(rows, { minSamples: 2 })).toEqual([
      { label: 'all', level: 0, value: 14, self: 0 },
      { label: 'parent', level: 1, value: 14, self: 0 },
      { label: 'big', level: 2, value: 10, self: 10 },
      { label: 'small', level: 2, value: 2, self: 2 },
      { label: 'twice', level: 2, value: 2, self: 2 },
    ]);
    expect(build(rows, { minSamples: 3 }).map((r) => r.label)).toEqual(['all', 'parent', 'big']);
    expect(build(rows, { minSamples: 11 })).toEqual([EMPTY]);
    expect(build(rows, { minSamples: 0 })).toHaveLength(7);
  });

  it('minSamples counts the samples in the range, not since the start', () => {
    const key = kstack('f', 'main');
    const buffer = bufferWith([{ [key]: 100 }, { [key]: 150 }, { [key]: 151 }]);
    expect(buildFlameGraphFrame(buffer, { ...ALL, minSamples: 2 }).length).toBe(3);
    expect(rowsOf(buildFlameGraphFrame(buffer, { refId: 'A', from: T0 + 2000, to: T0 + 2000, minSamples: 2 }))).toEqual(
      [EMPTY]
    );
  });

  it('keyPartsAsRoots with two other parts: comm, then pid, then the frames', () => {
    const shown = build(
      [{ ['bash,\n    f+1\n    main+2\n,100']: 2, ['bash,\n    g+1\n    main+2\n,101']: 1, ['zsh,\n    f+1\n,7']: 4 }],
      { keyPartsAsRoots: true }
    );
    expect(shown).toEqual([
      { label: 'all', level: 0, value: 7, self: 0 },
      { label: 'bash', level: 1, value: 3, self: 0 },
      { label: '100', level: 2, value: 2, self: 0 },
      { label: 'main', level: 3, value: 2, self: 0 },
      { label: 'f', level: 4, value: 2, self: 2 },
      { label: '101', level: 2, value: 1, self: 0 },
      { label: 'main', level: 3, value: 1, self: 0 },
      { label: 'g', level: 4, value: 1, self: 1 },
      { label: 'zsh', level: 1, value: 4, self: 0 },
      { label: '7', level: 2, value: 4, self: 0 },
      { label: 'f', level: 3, value: 4, self: 4 },
    ]);
  });
});

describe('buildFlameGraphFrame: the per-buffer parse cache', () => {
  it('gives the same frame on every build, follows new keys, and survives clear() and eviction', () => {
    const b = new WideSeriesBuffer({ retentionMs: 10_000, counter: true });
    const a = kstack('a', 'main');
    const c = kstack('c', 'main');
    b.append(T0, new Map([[a, 1]]));
    b.append(T0 + 1000, new Map([[a, 3]]));
    const first = rowsOf(buildFlameGraphFrame(b, ALL));
    expect(rowsOf(buildFlameGraphFrame(b, ALL))).toEqual(first);
    b.append(
      T0 + 2000,
      new Map([
        [a, 3],
        [c, 5],
      ])
    );
    expect(rowsOf(buildFlameGraphFrame(b, ALL)).map((r) => r.label)).toEqual(['all', 'main', 'a', 'c']);

    b.clear();
    const d = kstack('d', 'other');
    b.append(T0 + 3000, new Map([[d, 1]]));
    b.append(T0 + 4000, new Map([[d, 2]]));
    expect(rowsOf(buildFlameGraphFrame(b, ALL))).toEqual([
      { label: 'all', level: 0, value: 1, self: 0 },
      { label: 'other', level: 1, value: 1, self: 0 },
      { label: 'd', level: 2, value: 1, self: 1 },
    ]);

    // Eviction forgets `d` (all null once its rows are gone): only `e` remains.
    const e = kstack('e', 'main');
    for (let i = 5; i < 20; i++) {
      b.append(T0 + i * 1000, new Map([[e, i]]));
    }
    expect(b.keys()).toEqual([e]);
    expect(rowsOf(buildFlameGraphFrame(b, ALL)).map((r) => r.label)).toEqual(['all', 'main', 'e']);
  });
});

describe('buildFlameGraphFrame: incremental builds', () => {
  /** A random live profile: stacks appear over time, counts grow, some reset or go missing. */
  function liveRows(seed: number, ticks: number): Array<Map<string, number | null>> {
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    const names = Array.from({ length: 12 }, (_, i) => `fn_${i}`);
    const counts = new Map<string, number>();
    const rows: Array<Map<string, number | null>> = [];
    for (let t = 0; t < ticks; t++) {
      // A few new stacks per tick, some sharing prefixes, an idle one, unresolved frames.
      for (let n = 0; n < 3; n++) {
        const depth = 1 + Math.floor(random() * 6);
        const frames = Array.from({ length: depth }, (_, d) =>
          random() < 0.1 ? `0x${(d + 1).toString(16)}f00` : names[Math.floor(random() * (d < 2 ? 3 : 12))]
        );
        const key = random() < 0.05 ? kstack('cpu_idle', 'do_idle') : kstack(...frames);
        if (!counts.has(key)) {
          counts.set(key, 0);
        }
      }
      const row = new Map<string, number | null>();
      for (const [key, c] of counts) {
        const r = random();
        const next = r < 0.02 ? 1 : c + Math.floor(random() * 5); // 2 %: a reset (clear())
        counts.set(key, next);
        row.set(key, r > 0.97 ? null : next);
      }
      rows.push(row);
    }
    return rows;
  }

  it.each([
    ['a buffer that drops rows and keys', {}],
    ['a buffer that also thins old rows', { rates: false, coarsen: { afterMs: 15_000, stepMs: 4000 } }],
  ])(
    'equals a build from scratch on every tick, for sliding, growing and jumping ranges and every option: %s',
    (_, extra) => {
      const rows = liveRows(3, 120);
      const make = () => new WideSeriesBuffer({ retentionMs: 40_000, counter: true, ...extra });
      const live = make();
      // `{}` and `{ minSamples: 2 }` share a layout but draw different rows: the kept rows (see
      // rowShape) must follow whichever was built last.
      const variants: Array<Partial<FlameGraphFrameOptions>> = [
        {},
        { minSamples: 2 },
        { hideIdle: true, minSamples: 3 },
        { hideUnresolved: true },
        { keyPartsAsRoots: true, hideIdle: true, hideUnresolved: true },
      ];
      rows.forEach((row, t) => {
        live.append(T0 + t * 1000, row);
        const now = T0 + t * 1000;
        const ranges = [
          { refId: 'live', from: now - 20_000, to: Infinity },
          { refId: 'growing', from: T0 + 5000, to: now },
          { refId: 'jumping', from: now - (t % 7) * 3000, to: now - (t % 3) * 1000 },
        ];
        // The same rows in a buffer never built before: the full computation.
        const fresh = make();
        rows.slice(0, t + 1).forEach((r, i) => fresh.append(T0 + i * 1000, r));
        for (const range of ranges) {
          for (const variant of variants) {
            const options = { ...range, ...variant, refId: `${range.refId}${JSON.stringify(variant)}` };
            expect(rowsOf(buildFlameGraphFrame(live, options))).toEqual(rowsOf(buildFlameGraphFrame(fresh, options)));
          }
        }
      });
    }
  );

  it('counts a live range again when thinning dropped the row before its first', () => {
    // A sliding range just inside the rows kept at full resolution: a swap that thins the older
    // rows can drop the row the range's first increase is counted from (here at t = 12 it did:
    // the incremental sum said 131 samples where a fresh build counts 135).
    const make = () =>
      new WideSeriesBuffer({
        retentionMs: 600_000,
        counter: true,
        rates: false,
        coarsen: { afterMs: 10_000, stepMs: 3000 },
      });
    const key = kstack('f');
    const live = make();
    for (let t = 0; t < 40; t++) {
      live.append(T0 + t * 1000, new Map([[key, t * t]]));
      const options = { refId: 'A', from: T0 + t * 1000 - 8000, to: Infinity };
      const fresh = make();
      for (let i = 0; i <= t; i++) {
        fresh.append(T0 + i * 1000, new Map([[key, i * i]]));
      }
      expect(rowsOf(buildFlameGraphFrame(live, options))).toEqual(rowsOf(buildFlameGraphFrame(fresh, options)));
    }
  });

  it('draws a stack that had no samples in the ranges built so far once a range holds them, in label order', () => {
    // Keys are parsed and placed by the first build whose range gives them samples: here `b` and
    // `d` wait through the first builds, then enter between the stacks already placed.
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((f) => kstack(f, 'main'));
    const live = bufferWith([
      { [a]: 1, [b]: 5, [c]: 1, [d]: 2 },
      { [a]: 3, [b]: 5, [c]: 4, [d]: 2 },
      { [a]: 4, [b]: 5, [c]: 6, [d]: 2 },
      { [a]: 4, [b]: 9, [c]: 6, [d]: 7 },
    ]);
    const upTo = (row: number) => ({ refId: 'A', from: T0 + 500, to: T0 + row * 1000 });
    expect(rowsOf(buildFlameGraphFrame(live, upTo(2))).map((r) => `${r.label}:${r.value}`)).toEqual([
      'all:8',
      'main:8',
      'a:3',
      'c:5',
    ]);
    expect(rowsOf(buildFlameGraphFrame(live, upTo(3))).map((r) => `${r.label}:${r.value}`)).toEqual([
      'all:17',
      'main:17',
      'a:3',
      'b:4',
      'c:5',
      'd:5',
    ]);
    // And back to the first range: the placed stacks without samples there are not drawn.
    expect(rowsOf(buildFlameGraphFrame(live, upTo(2))).map((r) => r.label)).toEqual(['all', 'main', 'a', 'c']);
  });

  it('never changes a frame it returned', () => {
    const rows = liveRows(5, 40);
    const b = new WideSeriesBuffer({ retentionMs: 3_600_000, counter: true });
    const sent: Array<[DataFrame, string]> = [];
    rows.forEach((row, t) => {
      b.append(T0 + t * 1000, row);
      const frame = buildFlameGraphFrame(b, { refId: 'A', from: T0 + (t - 10) * 1000, to: Infinity });
      sent.push([frame, JSON.stringify(rowsOf(frame))]);
    });
    for (const [frame, copy] of sent) {
      expect(JSON.stringify(rowsOf(frame))).toBe(copy);
    }
  });
});
