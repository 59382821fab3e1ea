import type { Monaco } from '@grafana/ui';
import { hoverAt, hoverProvider } from './hover';
import { ProbeCatalog } from './probeCatalog';

const catalog = ProbeCatalog.fromProbes([
  'tracepoint:syscalls:sys_enter_read',
  'tracepoint:syscalls:sys_enter_write',
  'tracepoint:sched:sched_switch',
]);

/** `|` marks the mouse. */
function hover(textWithCursor: string) {
  const offset = textWithCursor.indexOf('|');
  const text = textWithCursor.slice(0, offset) + textWithCursor.slice(offset + 1);
  return hoverAt(text, offset, { catalog });
}

describe('hoverAt', () => {
  it('documents a function with its signatures', () => {
    const h = hover('BEGIN { @x = lh|ist(1, 0, 10, 1); }')!;
    expect(h.contents[0]).toBe('```\nlhist(int64 n, int64 min, int64 max, int64 step)\n```');
    expect(h.contents[1]).toMatch(/Linear histogram/);
    expect(h.contents[2]).toMatch(/map function/);
    expect(h).toMatchObject({ from: 13, to: 18 });
  });

  it('warns on functions the PMDA cannot use, and on newer ones', () => {
    expect(hover('BEGIN { @x = a|vg(1); }')!.contents.join('\n')).toMatch(/PMDA cannot read/);
    expect(hover('BEGIN { if (has_|key(@x, 1)) {} }')!.contents.join('\n')).toMatch(/Newer than bpftrace 0\.17/);
    expect(hover('BEGIN { sys|tem("ls"); }')!.contents.join('\n')).toMatch(/unsafe/);
  });

  it('documents builtins, numbered ones and call forms', () => {
    expect(hover('BEGIN { @[co|mm] = count(); }')!.contents).toEqual([
      '```\nstring comm\n```',
      'Name of the current thread (as in /proc/PID/comm, at most 16 bytes).',
    ]);
    expect(hover('kprobe:f { @x = ar|g2; }')!.contents[0]).toBe('```\nint64 arg2\n```');
    expect(hover('BEGIN { $t = nse|cs(tai); }')!.contents[0]).toMatch(
      /nsecs\(\[monotonic\|boot\|tai\|sw_tai clock\]\)/
    );
  });

  it('documents a probe and whether the host lists it', () => {
    const h = hover('tracepoint:sched:sched_sw|itch { @n = count(); }')!;
    expect(h.contents[0]).toBe('**tracepoint** (t) — probe');
    expect(h.contents).toContain('Listed on this host.');
    expect(hover('tracepoint:sched:nope| { @n = count(); }')!.contents).toContain('Not in this host’s probe list.');
    expect(hover('t:syscalls:sys_enter_*| { @n = count(); }')!.contents.join('\n')).toMatch(
      /matches 2 probes: `tracepoint:syscalls:sys_enter_read`, `tracepoint:syscalls:sys_enter_write`/
    );
    expect(hover('kprobe:vfs_read| { @n = count(); }')!.contents).toContain('This host lists no kprobe probes.');
  });

  it('says how the PMDA exports a map', () => {
    const code = 'tracepoint:a:b { @lat = hist(1); @n[comm] = count(); @s[tid] += 1; }';
    expect(hover(code.replace('@lat', '@la|t'))!.contents[1]).toMatch(/as a histogram .* from hist\(\)/);
    expect(hover(code.replace('@n[', '@|n['))!.contents[1]).toMatch(/as a counter/);
    expect(hover(code.replace('@s[', '@|s['))!.contents[1]).toMatch(/misreads it as "@s\[tid\] \+"/);
  });

  it('explains positional parameters and scratch variables', () => {
    expect(hover('BEGIN { @x = $|1; }')!.contents[1]).toMatch(/without arguments/);
    expect(hover('BEGIN { $|a = 1; @x = $a; }')!.contents[1]).toMatch(/one probe/);
  });

  it('has nothing to say about punctuation, numbers or unknown words', () => {
    expect(hover('BEGIN {| }')).toBeUndefined();
    expect(hover('BEGIN { @x = 4|2; }')).toBeUndefined();
    expect(hover('BEGIN { @x = fo|o; }')).toBeUndefined();
  });
});

describe('hoverProvider', () => {
  it('answers for its own model with a range', () => {
    const monaco = {
      Range: class {
        constructor(
          public startLineNumber: number,
          public startColumn: number,
          public endLineNumber: number,
          public endColumn: number
        ) {}
      },
    } as unknown as Monaco;
    const text = 'BEGIN {\n  @x = count();\n}';
    const model = {
      id: 'm',
      getValue: () => text,
      getOffsetAt: () => text.indexOf('count') + 1,
      getPositionAt: (o: number) => ({ lineNumber: 2, column: o - text.indexOf('\n') }),
    };
    const provider = hoverProvider(monaco, { modelId: () => 'm', catalog: () => undefined });
    const h = provider.provideHover(model as never, {} as never, {} as never) as {
      range: object;
      contents: Array<{ value: string }>;
    };
    expect(h.range).toEqual({ startLineNumber: 2, startColumn: 8, endLineNumber: 2, endColumn: 13 });
    expect(h.contents[0].value).toBe('```\ncount()\n```');
    expect(
      hoverProvider(monaco, { modelId: () => 'other', catalog: () => undefined }).provideHover(
        model as never,
        {} as never,
        {} as never
      )
    ).toBeUndefined();
  });
});
