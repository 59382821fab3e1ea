import { clauseAt, offsetOf, positionOf, regionAt, scan, tokenAt, tokenUnder } from '../lexer/scan';

const kinds = (text: string) => scan(text).tokens.map((t) => `${t.kind}:${t.text}`);

describe('scan', () => {
  it('reads a clause: probes, filter, action', () => {
    const text = 'tracepoint:sched:sched_switch, kprobe:vfs_read /pid == 1/ { @x[comm] = count(); }';
    const s = scan(text);
    expect(s.clauses).toHaveLength(1);
    const c = s.clauses[0];
    expect(c.probes.map((p) => p.text)).toEqual(['tracepoint:sched:sched_switch', 'kprobe:vfs_read']);
    expect(text.slice(c.filter!.start, c.filter!.end)).toBe('pid == 1');
    expect(text.slice(c.action!.start, c.action!.end)).toBe(' @x[comm] = count(); ');
    expect(c.close).toBe(text.length - 1);
  });

  it('tokenizes expressions: maps, scratch variables, positional parameters, numbers, strings', () => {
    expect(kinds('BEGIN { $x = $1 + @a[tid] * 0x10 + 1_000 + 5ms; printf("%d\\n", $#); @ = 1; }')).toEqual([
      'probe:BEGIN',
      'punct:{',
      'scratch:$x',
      'punct:=',
      'param:$1',
      'punct:+',
      'map:@a',
      'punct:[',
      'ident:tid',
      'punct:]',
      'punct:*',
      'number:0x10',
      'punct:+',
      'number:1_000',
      'punct:+',
      'number:5ms',
      'punct:;',
      'ident:printf',
      'punct:(',
      'string:"%d\\n"',
      'punct:,',
      'param:$#',
      'punct:)',
      'punct:;',
      'map:@',
      'punct:=',
      'number:1',
      'punct:;',
      'punct:}',
    ]);
  });

  it('keeps a uprobe path in the probe, and a filter after it', () => {
    const s = scan('uprobe:/usr/bin/bash:readline /pid > 1/ { @n = count(); }');
    expect(s.clauses[0].probes[0].text).toBe('uprobe:/usr/bin/bash:readline');
    expect(s.clauses[0].filter).toBeDefined();
  });

  it('ends a probe at a filter written without a space', () => {
    const s = scan('kprobe:vfs_read/arg2 > 0/{ @n = count(); }');
    expect(s.clauses[0].probes[0].text).toBe('kprobe:vfs_read');
    expect(s.text.slice(s.clauses[0].filter!.start, s.clauses[0].filter!.end)).toBe('arg2 > 0');
  });

  it('tells a division in a filter from its closing slash', () => {
    const text = 'kprobe:f /(nsecs - @s) / 1000 > 5/\n{ @n = count(); }';
    const s = scan(text);
    expect(text.slice(s.clauses[0].filter!.start, s.clauses[0].filter!.end)).toBe('(nsecs - @s) / 1000 > 5');
    expect(s.clauses[0].action).toBeDefined();
  });

  it('copes with half-typed text: an open filter, an open block', () => {
    const s = scan('kprobe:f /pid == ');
    expect(regionAt(s, s.text.length)).toBe('filter');
    const t = scan('tracepoint:a:b { @x = hist(');
    expect(regionAt(t, t.text.length)).toBe('action');
    expect(t.clauses[0].close).toBeUndefined();
  });

  it('reads several clauses, nested blocks, comments and the preamble', () => {
    const text = [
      '#include <linux/sched.h>',
      'struct S { int x; }',
      '// a comment with { braces',
      'BEGIN { if (1) { @a = 1; } }',
      '/* block */ END { clear(@a); }',
    ].join('\n');
    const s = scan(text);
    expect(s.clauses.map((c) => c.probes.map((p) => p.text))).toEqual([['BEGIN'], ['END']]);
    expect(s.tokens[0].kind).toBe('preproc');
    expect(regionAt(s, text.indexOf('int x'))).toBe('preamble');
    expect(regionAt(s, text.indexOf('@a = 1'))).toBe('action');
    expect(regionAt(s, text.indexOf('} }') + 3)).toBe('top');
  });

  it('finds the token at and under a cursor', () => {
    const s = scan('BEGIN { count(); }');
    expect(tokenAt(s, 13)?.text).toBe('count'); // cou|nt( … at the end of the word
    expect(tokenAt(s, 10)?.text).toBe('count');
    expect(tokenUnder(s, 8)?.text).toBe('count');
    expect(tokenUnder(s, 7)).toBeUndefined();
  });

  it('finds the clause of an offset', () => {
    const text = 'BEGIN { @a = 1; }\nEND { @b = 2; }';
    const s = scan(text);
    expect(clauseAt(s, text.indexOf('@b'))?.probes[0].text).toBe('END');
  });

  it('converts offsets to 1-based lines and columns and back', () => {
    const text = 'ab\ncde\n\nf';
    expect(positionOf(text, 0)).toEqual({ line: 1, column: 1 });
    expect(positionOf(text, 4)).toEqual({ line: 2, column: 2 });
    expect(positionOf(text, 8)).toEqual({ line: 4, column: 1 });
    expect(positionOf(text, 9)).toEqual({ line: 4, column: 2 });
    expect(offsetOf(text, 2, 2)).toBe(4);
    expect(offsetOf(text, 2, 99)).toBe(6);
    expect(offsetOf(text, 9, 1)).toBe(text.length);
  });
});
