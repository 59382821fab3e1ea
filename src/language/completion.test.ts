import type { Monaco } from '@grafana/ui';
import { completeAt, completionProvider, PROBE_LIMIT } from './completion';
import { ProbeCatalog } from './probeCatalog';

const catalog = ProbeCatalog.fromProbes([
  'tracepoint:sched:sched_switch',
  'tracepoint:sched:sched_wakeup',
  'tracepoint:sched:sched_process_exec',
  'tracepoint:syscalls:sys_enter_read',
  'tracepoint:syscalls:sys_exit_read',
  'tracepoint:xfs:xfs_readdir',
  'kprobe:vfs_read',
  'kprobe:vfs_write',
  'kprobe:do_nanosleep',
]);

/** `|` marks the cursor. */
function complete(textWithCursor: string, withCatalog = true) {
  const offset = textWithCursor.indexOf('|');
  const text = textWithCursor.slice(0, offset) + textWithCursor.slice(offset + 1);
  return completeAt(text, offset, withCatalog ? { catalog } : {});
}
const labels = (textWithCursor: string, withCatalog = true) =>
  complete(textWithCursor, withCatalog).items.map((i) => i.label);

describe('completeAt: probes', () => {
  it('offers probe types and snippets at the start of a clause', () => {
    const r = complete('|');
    expect(r.items.filter((i) => i.kind === 'probeType').map((i) => i.label)).toEqual(
      expect.arrayContaining([
        'tracepoint',
        'kprobe',
        'kretprobe',
        'fentry',
        'uprobe',
        'usdt',
        'profile',
        'interval',
        'BEGIN',
        'END',
      ])
    );
    const tp = r.items.find((i) => i.label === 'tracepoint')!;
    expect(tp).toMatchObject({ insertText: 'tracepoint:', retrigger: true, filterText: 'tracepoint t' });
    expect(r.items.find((i) => i.label === 'BEGIN')).toMatchObject({ insertText: 'BEGIN', retrigger: false });
    expect(r.items.filter((i) => i.kind === 'snippet').map((i) => i.label)).toEqual(
      expect.arrayContaining(['latency histogram', 'count by comm', 'kstack profile'])
    );
  });

  it('offers subsystems, then the host probes of a subsystem', () => {
    expect(labels('tracepoint:|')).toEqual([
      'tracepoint:sched:',
      'tracepoint:syscalls:',
      'tracepoint:xfs:',
      ...[
        'tracepoint:sched:sched_process_exec',
        'tracepoint:sched:sched_switch',
        'tracepoint:sched:sched_wakeup',
        'tracepoint:syscalls:sys_enter_read',
        'tracepoint:syscalls:sys_exit_read',
        'tracepoint:xfs:xfs_readdir',
      ],
    ]);
    expect(labels('tracepoint:sch|')).toEqual([
      'tracepoint:sched:',
      'tracepoint:sched:sched_process_exec',
      'tracepoint:sched:sched_switch',
      'tracepoint:sched:sched_wakeup',
    ]);
    const r = complete('tracepoint:sched:|');
    expect(r.items.map((i) => i.label)).toEqual([
      'tracepoint:sched:sched_process_exec',
      'tracepoint:sched:sched_switch',
      'tracepoint:sched:sched_wakeup',
    ]);
    expect(r).toMatchObject({ from: 0, to: 17, incomplete: false });
    expect(complete('tracepoint:sch|').items[0]).toMatchObject({
      kind: 'probeGroup',
      detail: '3 probes',
      retrigger: true,
    });
  });

  it('keeps the short name the user typed', () => {
    expect(labels('t:sched:sched_s|')).toEqual(['t:sched:sched_switch']);
  });

  it('finds an event by its own name when no subsystem matches', () => {
    const r = complete('tracepoint:sched_sw|');
    expect(r.items.map((i) => i.label)).toEqual(['tracepoint:sched:sched_switch']);
    expect(r.items[0].filterText).toBe('tracepoint:sched_swsched:sched_switch');
  });

  it('completes kprobes, kretprobes from the kprobe list, and replaces the whole probe', () => {
    expect(labels('kprobe:vfs|')).toEqual(['kprobe:vfs_read', 'kprobe:vfs_write']);
    expect(labels('kretprobe:do_|')).toEqual(['kretprobe:do_nanosleep']);
    const r = complete('kprobe:vf|s_rea { @n = count(); }');
    expect(r).toMatchObject({ from: 0, to: 14 });
  });

  it('asks again while the host list is not there, and offers nothing for probes it does not list', () => {
    expect(complete('tracepoint:sch|', false)).toMatchObject({ items: [], incomplete: true });
    expect(labels('fentry:vfs|')).toEqual([]);
    expect(labels('uprobe:/bin/bash:|')).toEqual([]);
  });

  it('caps a long list and asks again as the user types', () => {
    const many = ProbeCatalog.fromProbes(Array.from({ length: 1000 }, (_, i) => `kprobe:fn_${i}`));
    const r = completeAt('kprobe:fn', 9, { catalog: many });
    expect(r.items).toHaveLength(PROBE_LIMIT);
    expect(r.incomplete).toBe(true);
    expect(completeAt('kprobe:fn_99', 12, { catalog: many }).items.map((i) => i.label)).toEqual([
      'kprobe:fn_99',
      ...Array.from({ length: 10 }, (_, i) => `kprobe:fn_99${i}`),
    ]);
  });

  it('offers software and hardware events and timer units', () => {
    expect(labels('software:|')).toEqual(expect.arrayContaining(['software:page-faults:', 'software:cpu-clock:']));
    expect(labels('h:|')).toEqual(expect.arrayContaining(['h:cache-misses:']));
    expect(complete('profile:|').items[0]).toMatchObject({
      label: 'profile:hz:99',
      insertText: 'profile:hz:${1:99}',
      snippet: true,
    });
    expect(labels('interval:|')[0]).toBe('interval:s:1');
  });

  it('offers nothing in comments or after a bare probe like BEGIN:', () => {
    expect(labels('// tracepoint:|')).toEqual([]);
    expect(labels('BEGIN:|')).toEqual([]);
  });
});

describe('completeAt: filters and actions', () => {
  const script = 'tracepoint:a:b { @start[tid] = nsecs; $d = 1; }\ntracepoint:c:d ';

  it('offers functions with signatures, builtins and keywords in an action', () => {
    const r = complete('BEGIN { |');
    const hist = r.items.find((i) => i.label === 'hist')!;
    expect(hist).toMatchObject({ kind: 'mapFunction', insertText: 'hist($1)', snippet: true, detail: 'hist(int64 n)' });
    expect(hist.documentation).toMatch(/Power-of-two histogram/);
    expect(r.items.find((i) => i.label === 'count')).toMatchObject({ insertText: 'count()', snippet: false });
    expect(r.items.find((i) => i.label === 'printf')).toMatchObject({ kind: 'function' });
    expect(r.items.find((i) => i.label === 'comm')).toMatchObject({ kind: 'builtin', detail: 'string' });
    expect(r.items.find((i) => i.label === 'if')).toMatchObject({ kind: 'keyword', snippet: true });
  });

  it('puts map functions first after @x =, and the ones the PMDA cannot read last', () => {
    const r = complete('BEGIN { @x = |');
    const sort = (l: string) => r.items.find((i) => i.label === l)!.sortText!;
    expect(sort('count') < sort('printf')).toBe(true);
    expect(sort('avg') > sort('printf')).toBe(true);
    expect(r.items.find((i) => i.label === 'avg')!.documentation).toMatch(/PMDA cannot read/);
  });

  it('offers no map functions in a filter', () => {
    const l = labels('kprobe:f /|');
    expect(l).toContain('pid');
    expect(l).toContain('strncmp');
    expect(l).not.toContain('hist');
    expect(l).not.toContain('if');
  });

  it("offers the script's maps after @ and its variables after $", () => {
    expect(labels(`${script}{ @|`)).toEqual(['@start']);
    expect(labels(`${script}{ $|`)).toEqual(['$d']);
    expect(complete(`${script}{ @s|`)).toMatchObject({ from: script.length + 2, to: script.length + 4 });
  });

  it('offers argument values: stack modes, clocks, maps for clear()', () => {
    expect(labels('BEGIN { @[kstack(|').slice(0, 3)).toEqual(['bpftrace', 'perf', 'raw']);
    expect(labels('BEGIN { $t = nsecs(|').slice(0, 4)).toEqual(['monotonic', 'boot', 'tai', 'sw_tai']);
    expect(labels(`${script}{ clear(|`)[0]).toBe('@start');
    const inArgs = labels('BEGIN { printf("%d", |');
    expect(inArgs).toContain('pid');
    expect(inArgs).not.toContain('count');
  });

  it('offers nothing in a string or after a member access', () => {
    expect(labels('BEGIN { printf("co|')).toEqual([]);
    expect(labels('tracepoint:a:b { args->|')).toEqual([]);
  });
});

describe('completionProvider (Monaco adapter)', () => {
  const monaco = {
    languages: {
      CompletionItemKind: {
        Module: 1,
        Event: 2,
        Folder: 3,
        Function: 4,
        Method: 5,
        Variable: 6,
        Field: 7,
        Keyword: 8,
        Snippet: 9,
        EnumMember: 10,
      },
      CompletionItemInsertTextRule: { InsertAsSnippet: 4 },
    },
    Range: class {
      constructor(
        public startLineNumber: number,
        public startColumn: number,
        public endLineNumber: number,
        public endColumn: number
      ) {}
    },
  } as unknown as Monaco;

  function model(text: string, id = 'm1') {
    return {
      id,
      getValue: () => text,
      getOffsetAt: (p: { lineNumber: number; column: number }) =>
        text
          .split('\n')
          .slice(0, p.lineNumber - 1)
          .reduce((n, l) => n + l.length + 1, 0) +
        p.column -
        1,
      getPositionAt: (offset: number) => {
        const before = text.slice(0, offset).split('\n');
        return { lineNumber: before.length, column: before[before.length - 1].length + 1 };
      },
    };
  }
  const call = (
    provider: ReturnType<typeof completionProvider>,
    m: ReturnType<typeof model>,
    lineNumber: number,
    column: number
  ) =>
    provider.provideCompletionItems(
      m as never,
      { lineNumber, column } as never,
      {} as never,
      {} as never
    ) as unknown as Promise<{
      suggestions: Array<Record<string, unknown>>;
      incomplete?: boolean;
    }>;

  it('answers only for its own editor model, with ranges and commands', async () => {
    const provider = completionProvider(monaco, { modelId: () => 'm1', catalog: () => catalog });
    const m = model('BEGIN { @a = 1; }\ntracepoint:sch');
    const r = await call(provider, m, 2, 15);
    expect(r.suggestions.map((s) => s.label)).toContain('tracepoint:sched:sched_switch');
    const group = r.suggestions.find((s) => s.label === 'tracepoint:sched:')!;
    expect(group).toMatchObject({
      kind: 3,
      range: { startLineNumber: 2, startColumn: 1, endLineNumber: 2, endColumn: 15 },
    });
    expect(group.command).toEqual({ id: 'editor.action.triggerSuggest', title: 'Suggest' });
    expect((await call(provider, model('tracepoint:sch', 'other'), 1, 15)).suggestions).toEqual([]);
  });

  it('waits for the catalog on the first probe completion', async () => {
    let loaded: ProbeCatalog | undefined;
    const provider = completionProvider(monaco, {
      modelId: () => 'm1',
      catalog: () => loaded,
      loadCatalog: async () => (loaded = catalog),
    });
    const r = await call(provider, model('kprobe:vfs'), 1, 11);
    expect(r.suggestions.map((s) => s.label)).toEqual(['kprobe:vfs_read', 'kprobe:vfs_write']);
    const snippet = (await call(provider, model('BEGIN { @x = hi'), 1, 16)).suggestions.find(
      (s) => s.label === 'hist'
    )!;
    expect(snippet.insertTextRules).toBe(4);
  });
});
