import {
  CATALOG_RETRY_MS,
  globToRegExp,
  loadedProbeCatalog,
  loadProbeCatalog,
  ProbeCatalog,
  probeCatalogError,
} from './probeCatalog';

// As the PMDA sends it: unordered, one comma-separated string (bpftrace 0.17 on a kernel without kprobes).
const HOST_LIST = [
  'tracepoint:syscalls:sys_enter_read',
  'tracepoint:sched:sched_switch',
  'tracepoint:syscalls:sys_exit_read',
  'tracepoint:sched:sched_wakeup',
  'tracepoint:sched:sched_process_exec',
  'tracepoint:xfs:xfs_readdir',
  'tracepoint:syscalls:sys_enter_openat',
  'iter:task_file',
  'software:*:',
  'iter:task',
  'hardware:*:',
  'kfunc:vmlinux:vfs_read',
  'kfunc:vmlinux:vfs_write',
  'kfunc:ext4:ext4_file_read_iter',
].join(',');

describe('ProbeCatalog', () => {
  const catalog = ProbeCatalog.fromList(HOST_LIST);

  it('groups probes by provider', () => {
    expect(catalog.size).toBe(14);
    expect(catalog.providerNames()).toEqual(['hardware', 'iter', 'kfunc', 'software', 'tracepoint']);
    expect(catalog.providerSize('tracepoint')).toBe(7);
    expect(catalog.providerSize('kprobe')).toBe(0);
    expect(catalog.hasPlaceholder('software')).toBe(true);
    expect(catalog.hasPlaceholder('tracepoint')).toBe(false);
  });

  it('finds probes by prefix, sorted, with the total', () => {
    expect(catalog.withPrefix('tracepoint', 'sched:', 10)).toEqual({
      rests: ['sched:sched_process_exec', 'sched:sched_switch', 'sched:sched_wakeup'],
      total: 3,
    });
    expect(catalog.withPrefix('tracepoint', 's', 2)).toEqual({
      rests: ['sched:sched_process_exec', 'sched:sched_switch'],
      total: 6,
    });
    expect(catalog.withPrefix('tracepoint', '', 100).rests).toHaveLength(7);
    expect(catalog.withPrefix('tracepoint', 'sc', 100).total).toBe(3);
    expect(catalog.withPrefix('kprobe', 'vfs', 10)).toEqual({ rests: [], total: 0 });
  });

  it('lists first segments (subsystems, modules) with their sizes', () => {
    expect(catalog.groups('tracepoint', '', 10)).toEqual([
      { segment: 'sched', count: 3 },
      { segment: 'syscalls', count: 3 },
      { segment: 'xfs', count: 1 },
    ]);
    expect(catalog.groups('tracepoint', 'sy', 10)).toEqual([{ segment: 'syscalls', count: 3 }]);
    expect(catalog.groups('kfunc', '', 10).map((g) => g.segment)).toEqual(['ext4', 'vmlinux']);
  });

  it('finds probes by their last segment', () => {
    expect(catalog.withLastSegment('tracepoint', 'sched_sw', 10)).toEqual(['sched:sched_switch']);
    expect(catalog.withLastSegment('kfunc', 'vfs_', 10)).toEqual(['vmlinux:vfs_read', 'vmlinux:vfs_write']);
    expect(catalog.withLastSegment('tracepoint', '', 10)).toEqual([]);
  });

  it('answers membership and wildcards', () => {
    expect(catalog.has('tracepoint', 'sched:sched_switch')).toBe(true);
    expect(catalog.has('tracepoint', 'sched:sched_swit')).toBe(false);
    expect(catalog.matching('tracepoint', 'syscalls:sys_enter_*', 10).rests).toEqual([
      'syscalls:sys_enter_openat',
      'syscalls:sys_enter_read',
    ]);
    expect(catalog.matching('tracepoint', '*read*', 1)).toEqual({ rests: ['syscalls:sys_enter_read'], more: true });
    expect(catalog.matching('tracepoint', 'nothing:*', 10)).toEqual({ rests: [], more: false });
    expect(catalog.matching('tracepoint', 'sched:sched_switch', 10).rests).toEqual(['sched:sched_switch']);
  });

  it('matches a typed text against one probe, never across the commas of the list', () => {
    // `kprobe:a,kprobe:b` is one line of bpftrace (two probes, one action): asked whole, it is no probe.
    const list = 'kprobe:a,kprobe:c:d,kprobe:b,tracepoint:x:y';
    // Each on a fresh catalog read lazily and one read whole: the first lookups scan (see index).
    for (const fresh of [() => ProbeCatalog.fromList(list), () => ProbeCatalog.fromProbes(list.split(','))]) {
      expect(fresh().withPrefix('kprobe', 'a,kprobe:', 10)).toEqual({ rests: [], total: 0 });
      expect(fresh().has('kprobe', 'a,kprobe:b')).toBe(false);
      expect(fresh().matching('kprobe', 'a,kprobe:*', 10).rests).toEqual([]);
      expect(fresh().withLastSegment('kprobe', 'd,kprobe', 10)).toEqual([]);
      expect(fresh().withLastSegment('kprobe', 'd', 10)).toEqual(['c:d']);
      expect(fresh().withPrefix('kprobe', 'a', 10)).toEqual({ rests: ['a'], total: 1 });
    }
  });

  it('handles short names and an empty list', () => {
    const c = ProbeCatalog.fromProbes(['kprobe:a', 'kprobe:ab', 'kprobe:abc', 'kprobe:abcd', 'kprobe:b']);
    expect(c.withPrefix('kprobe', 'a', 10).rests).toEqual(['a', 'ab', 'abc', 'abcd']);
    expect(c.withPrefix('kprobe', 'ab', 10).rests).toEqual(['ab', 'abc', 'abcd']);
    expect(c.withPrefix('kprobe', 'abc', 10).rests).toEqual(['abc', 'abcd']);
    expect(c.has('kprobe', 'a')).toBe(true);
    expect(ProbeCatalog.fromList('').size).toBe(0);
  });

  it('reads blanks around names, skips entries without a provider, and counts a provider before indexing it', () => {
    const c = ProbeCatalog.fromList(' kprobe:vfs_read ,\nkprobe:vfs_write,junk,:x, ,software:*:,kfunc:vmlinux:a');
    expect(c.size).toBe(4);
    expect(c.providerNames()).toEqual(['kfunc', 'kprobe', 'software']);
    expect(c.providerSize('kprobe')).toBe(2);
    expect(c.hasPlaceholder('software')).toBe(true);
    expect(c.hasPlaceholder('kprobe')).toBe(false);
    expect(c.withPrefix('kprobe', 'vfs_', 10)).toEqual({ rests: ['vfs_read', 'vfs_write'], total: 2 });
    expect(c.withPrefix('kfunc', '', 10).rests).toEqual(['vmlinux:a']);
  });

  it('answers the same while its index is being built (scans) as once it is complete', () => {
    let seed = 9;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    const pick = (xs: string[]) => xs[Math.floor(random() * xs.length)];
    const words = ['sched', 'sched_ext', 'sys', 'a-b', 'a', 'vfs', 'vfs_read', 'x'];
    const listed = (count: number, providers: string[]) =>
      Array.from({ length: count }, (_, i) => {
        const provider = pick(providers);
        const rest =
          provider === 'kprobe'
            ? `${pick(words)}_${i % 700}`
            : `${pick(words)}:${pick(words)}${i % 300 === 0 ? '' : i % 50}`;
        return `${provider}:${rest}`;
      }).concat(['kprobe:vfs_read', 'kprobe:vfs_read']); // a listed duplicate counts twice, as in the index
    const prefixes = ['', 'a', 'a-', 'sched', 'sched:', 'sched_e', 'vfs_read', 'x:x1', 'zzz'];
    const lookups: Array<(c: ProbeCatalog, p: string, prefix: string) => unknown> = [
      (c, p, prefix) => c.withPrefix(p, prefix, 7),
      (c, p, prefix) => c.groups(p, prefix, 3),
      (c, p, prefix) => c.withLastSegment(p, prefix, 5),
      (c, p, prefix) => c.has(p, prefix),
      (c, p, prefix) => c.matching(p, `${prefix}*1`, 4),
      (c, p, prefix) => c.matching(p, `*:${prefix}?`, 4),
    ];
    const complete = (probes: string[]) => {
      const c = ProbeCatalog.fromProbes(probes);
      // A lookup adds 8,192 probes to the provider's index.
      for (let i = 0; i < 10; i++) {
        ['tracepoint', 'kprobe', 'kfunc', 'uprobe'].forEach((p) => c.has(p, ''));
      }
      return c;
    };

    // Every lookup as the first on its catalog: a scan.
    const probes = listed(6000, ['tracepoint', 'kprobe', 'kfunc', 'uprobe']);
    const indexed = complete(probes);
    for (const p of ['tracepoint', 'kprobe', 'kfunc', 'uprobe', 'hardware']) {
      for (const prefix of prefixes) {
        for (const lookup of lookups) {
          expect(lookup(ProbeCatalog.fromProbes(probes), p, prefix)).toEqual(lookup(indexed, p, prefix));
        }
      }
    }
    // A sequence on one catalog of 30,000 kprobes: scans while the index grows, then the index.
    const many = listed(30_000, ['kprobe']);
    const growing = ProbeCatalog.fromProbes(many);
    const whole = complete(many);
    for (const prefix of prefixes) {
      for (const lookup of lookups) {
        expect(lookup(growing, 'kprobe', prefix)).toEqual(lookup(whole, 'kprobe', prefix));
      }
    }
  });

  it('completes in idle time the indexes of the providers asked for, a chunk per step, and no others', () => {
    const list = Array.from({ length: 20_000 }, (_, i) => `kfunc:vmlinux:fn_${i}`)
      .concat(Array.from({ length: 5000 }, (_, i) => `kprobe:k_${i}`))
      .join(',');
    const catalog = ProbeCatalog.fromList(list);
    const reference = ProbeCatalog.fromProbes(list.split(','));
    // Until a lookup asks for a provider, there is nothing to do in idle time.
    expect(catalog.indexWhileIdle(() => true)).toBe(false);
    const first = catalog.withPrefix('kfunc', 'vmlinux:fn_19', 3);

    // A deadline is kept: one step while there is time, then the rest is left for later.
    let steps = 0;
    expect(catalog.indexWhileIdle(() => steps++ < 1)).toBe(true);
    expect(catalog.indexWhileIdle(() => true)).toBe(false);
    // Done: the index is complete (lookups no longer scan), no work remains, the answers unchanged.
    const providers = (catalog as unknown as { providers: Map<string, { index?: unknown }> }).providers;
    expect(providers.get('kfunc')?.index).toBeDefined();
    expect(catalog.indexWhileIdle(() => true)).toBe(false);
    expect(catalog.withPrefix('kfunc', 'vmlinux:fn_19', 3)).toEqual(first);
    for (const prefix of ['', 'vmlinux:', 'vmlinux:fn_1', 'vmlinux:fn_19999', 'x']) {
      expect(catalog.withPrefix('kfunc', prefix, 5)).toEqual(reference.withPrefix('kfunc', prefix, 5));
      expect(catalog.groups('kfunc', prefix, 5)).toEqual(reference.groups('kfunc', prefix, 5));
    }
    // kprobe was never asked for: still not read out of the list (a later first lookup scans it).
    expect(catalog.indexWhileIdle(() => true)).toBe(false);
    expect(providers.has('kprobe')).toBe(false);
  });

  it('answers the same at every step of its idle work, lookups in between', () => {
    // Big buckets that share their start (bursts under way when a lookup comes), small ones.
    const probes = Array.from({ length: 12_000 }, (_, i) => `kfunc:vmlinux:fn_${(i * 7919) % 12_000}`)
      .concat(Array.from({ length: 3000 }, (_, i) => `kfunc:ext4:ext4_${i % 97}_${i}`))
      .concat(Array.from({ length: 2000 }, (_, i) => `kfunc:xfs:x${i}`));
    const reference = ProbeCatalog.fromProbes(probes);
    const catalog = ProbeCatalog.fromList(probes.join(','));
    const prefixes = ['', 'vmlinux:fn_1', 'vmlinux:fn_11', 'ext4:ext4_9', 'xfs:x19', 'x', 'zz'];
    let round = 0;
    let more = true;
    while (more) {
      const prefix = prefixes[round % prefixes.length];
      expect(catalog.withPrefix('kfunc', prefix, 4)).toEqual(reference.withPrefix('kfunc', prefix, 4));
      expect(catalog.has('kfunc', `${prefix}0`)).toBe(reference.has('kfunc', `${prefix}0`));
      let steps = 0;
      more = catalog.indexWhileIdle(() => steps++ < 3);
      round++;
    }
    // Many rounds: the work was done in small steps, not at once.
    expect(round).toBeGreaterThan(10);
    for (const prefix of prefixes) {
      expect(catalog.withPrefix('kfunc', prefix, 6)).toEqual(reference.withPrefix('kfunc', prefix, 6));
      expect(catalog.groups('kfunc', prefix, 6)).toEqual(reference.groups('kfunc', prefix, 6));
    }
  });

  it('reads a provider out of the list when first asked, the whole list only for the size or all names', () => {
    // No blanks (as the PMDA sends it): providers are read out of the list one by one.
    const list = [
      'kprobe:vfs_read',
      'k:odd',
      'kprobe:vfs_write',
      'kprobe:vfs_write',
      'junk',
      ':x',
      'uprobe:/bin/bash:readline',
      'software:*:',
      'kprobekfunc:x',
      'kfunc:vmlinux:a',
      'kprobe:do_sys_open',
    ].join(',');
    const asSorted = () => ProbeCatalog.fromProbes(list.split(','));
    const lazy = ProbeCatalog.fromList(list);
    expect(lazy.providerSize('kprobe')).toBe(4);
    expect(lazy.withPrefix('kprobe', 'vfs_', 10)).toEqual(asSorted().withPrefix('kprobe', 'vfs_', 10));
    expect(lazy.providerSize('k')).toBe(1);
    expect(lazy.providerSize('tracepoint')).toBe(0);
    expect(lazy.providerSize('uprobe:/bin/bash')).toBe(0); // not a provider: 'uprobe' is
    expect(lazy.providerSize('')).toBe(0);
    expect(lazy.hasPlaceholder('software')).toBe(true);
    expect(lazy.has('uprobe', '/bin/bash:readline')).toBe(true);
    // Then the whole list: the providers read before are neither lost nor counted twice.
    expect(lazy.size).toBe(asSorted().size);
    expect(lazy.providerNames()).toEqual(asSorted().providerNames());
    for (const name of asSorted().providerNames().concat('tracepoint')) {
      expect(lazy.providerSize(name)).toBe(asSorted().providerSize(name));
      expect(lazy.withPrefix(name, '', 10)).toEqual(asSorted().withPrefix(name, '', 10));
    }
    // The first entry and the last one.
    expect(ProbeCatalog.fromList(list).withPrefix('kprobe', '', 10).rests).toEqual([
      'do_sys_open',
      'vfs_read',
      'vfs_write',
      'vfs_write',
    ]);
  });

  it('says whether the host lists any probe as size does, without reading the list whole', () => {
    const lists = ['', 'junk', ':x', ':x:y', ':x,junk,:y', ':x,kprobe:a', 'junk,kprobe:a', 'k:', ',,', 'a,b:c,d'];
    const split = jest.spyOn(String.prototype, 'split');
    try {
      for (const list of lists) {
        const expected = ProbeCatalog.fromProbes(list.split(',')).size > 0;
        split.mockClear();
        expect([list, ProbeCatalog.fromList(list).hasProbes]).toEqual([list, expected]);
        expect(split).not.toHaveBeenCalled();
      }
    } finally {
      split.mockRestore();
    }
    // A catalog made from probes, or read whole, answers from its count.
    expect(ProbeCatalog.fromProbes([' kprobe:a ']).hasProbes).toBe(true);
    expect(ProbeCatalog.fromProbes([]).hasProbes).toBe(false);
    const read = ProbeCatalog.fromList(':x,kprobe:a');
    expect(read.size).toBe(1);
    expect(read.hasProbes).toBe(true);
  });

  it('says whether a provider is listed as providerSize does, without reading its probes', () => {
    const list = 'kprobe:vfs_read,k:odd,junk,:x,uprobe:/bin/bash:readline,software:*:,kprobekfunc:x,kfunc:vmlinux:a';
    const names = [
      'kprobe',
      'k',
      'kfunc',
      'kprobekfunc',
      'uprobe',
      'software',
      'tracepoint',
      'junk',
      '',
      'uprobe:/bin/bash',
    ];
    const sorted = ProbeCatalog.fromProbes(list.split(','));
    const slice = jest.spyOn(String.prototype, 'slice');
    try {
      for (const name of names) {
        const lazy = ProbeCatalog.fromList(list);
        slice.mockClear();
        const listed = lazy.hasProvider(name);
        expect(slice).not.toHaveBeenCalled();
        expect([name, listed]).toEqual([name, sorted.providerSize(name) > 0]);
        expect([name, sorted.hasProvider(name)]).toEqual([name, listed]);
        // Asked again, or after its probes were read: the same answer.
        expect(lazy.hasProvider(name)).toBe(listed);
        expect(lazy.providerSize(name) > 0).toBe(listed);
        expect(lazy.hasProvider(name)).toBe(listed);
      }
    } finally {
      slice.mockRestore();
    }
  });

  it('answers from buckets, not a scan, on a large list', () => {
    const probes: string[] = [];
    for (let i = 0; i < 50_000; i++) {
      probes.push(`kprobe:fn_${(i * 7919) % 50_000}`);
    }
    const big = ProbeCatalog.fromProbes(probes);
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) {
      big.withPrefix('kprobe', `fn_${i}`, 50);
    }
    expect(big.withPrefix('kprobe', 'fn_4999', 50).rests).toEqual([
      'fn_4999',
      'fn_49990',
      'fn_49991',
      'fn_49992',
      'fn_49993',
      'fn_49994',
      'fn_49995',
      'fn_49996',
      'fn_49997',
      'fn_49998',
      'fn_49999',
    ]);
    // 1000 requests on 50,000 probes: a scan per request would take seconds.
    expect(performance.now() - t0).toBeLessThan(500);
  });
});

describe('globToRegExp', () => {
  it('turns * and ? into patterns and escapes the rest', () => {
    expect(globToRegExp('sys_enter_*').test('sys_enter_read')).toBe(true);
    expect(globToRegExp('a?c').test('abc')).toBe(true);
    expect(globToRegExp('a.c').test('abc')).toBe(false);
    expect(globToRegExp('vfs_*').test('xvfs_read')).toBe(false);
  });
});

describe('loadProbeCatalog', () => {
  it('fetches once per datasource and shares the result', async () => {
    const source = { fetchProbeList: jest.fn().mockResolvedValue(HOST_LIST) };
    expect(loadedProbeCatalog(source)).toBeUndefined();
    const [a, b] = await Promise.all([loadProbeCatalog(source), loadProbeCatalog(source)]);
    expect(a).toBe(b);
    expect(await loadProbeCatalog(source)).toBe(a);
    expect(source.fetchProbeList).toHaveBeenCalledTimes(1);
    expect(loadedProbeCatalog(source)).toBe(a);
  });

  it("keeps a catalog per host, fetched with the query's hostspec", async () => {
    const source = { fetchProbeList: jest.fn().mockResolvedValue(HOST_LIST) };
    await loadProbeCatalog(source, 'pcp://a');
    await loadProbeCatalog(source, 'pcp://b');
    await loadProbeCatalog(source);
    expect(source.fetchProbeList.mock.calls).toEqual([['pcp://a'], ['pcp://b'], [undefined]]);
  });

  it('remembers a failure and tries again only after a while', async () => {
    const source = {
      fetchProbeList: jest.fn().mockRejectedValueOnce(new Error('pmproxy down')).mockResolvedValue(HOST_LIST),
    };
    await expect(loadProbeCatalog(source)).rejects.toThrow('pmproxy down');
    expect(probeCatalogError(source)).toBe('pmproxy down');
    await expect(loadProbeCatalog(source)).rejects.toThrow('pmproxy down');
    expect(source.fetchProbeList).toHaveBeenCalledTimes(1);
    const later = await loadProbeCatalog(source, '', Date.now() + CATALOG_RETRY_MS + 1);
    expect(later.size).toBe(14);
    expect(source.fetchProbeList).toHaveBeenCalledTimes(2);
  });
});
