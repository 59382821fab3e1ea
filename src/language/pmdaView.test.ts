import { blankComments, pmdaView } from './pmdaView';

// Expectations checked against the running PMDA (PCP 6.0.3): the variables its register read-back listed.
describe('pmdaView', () => {
  const names = (code: string) => pmdaView(code).variables.map((v) => v.name);

  it('finds maps assigned with = and what they hold', () => {
    const v = pmdaView(
      [
        'tracepoint:raw_syscalls:sys_enter { @calls = count(); @by[comm] = count(); @bytes = sum(args->id); }',
        'tracepoint:syscalls:sys_exit_read { @lat = hist(args->ret); @ks[kstack] = count(); }',
      ].join('\n')
    ).variables;
    expect(v.map((x) => [x.name, x.kind])).toEqual([
      ['@calls', 'counter'],
      ['@by', 'counter'],
      ['@bytes', 'instant'],
      ['@lat', 'histogram'],
      ['@ks', 'stacks'],
    ]);
  });

  it('takes garbage for names where the PMDA does', () => {
    // Register read-backs: ['@a[comm] +'], ['@x++; $y'], ['@s[tid]/ { @n'], ['@s[tid]/ { $d', '@n'].
    expect(names('tracepoint:raw_syscalls:sys_enter { @a[comm] += 1; }')).toEqual(['@a[comm] +']);
    expect(names('tracepoint:raw_syscalls:sys_enter { @x++; $y = 1; }')).toEqual(['@x++; $y']);
    expect(names('tracepoint:raw_syscalls:sys_enter /@s[tid]/ { @n = count(); }')).toEqual(['@s[tid]/ { @n']);
    expect(names('tracepoint:raw_syscalls:sys_enter /@s[tid]/ { $d = 1; @n = count(); }')).toEqual([
      '@s[tid]/ { $d',
      '@n',
    ]);
    expect(names('tracepoint:a:b /@start[tid] != 0/ { @a = count(); }')).toEqual(['@start[tid] !', '@a']);
  });

  it('reads == as an assignment of the map, which is harmless', () => {
    expect(names('tracepoint:a:b /@s == 1/ { @n = count(); }')).toEqual(['@s', '@n']);
  });

  it('predicts the refusals', () => {
    expect(pmdaView('tracepoint:a:b { @h[comm] = hist(1); }').rejection?.message).toBe(
      'every histogram needs to be in a separate variable'
    );
    expect(pmdaView('tracepoint:a:b { $x = 1; }').rejection?.message).toBe(
      'no bpftrace variables or printf statements found'
    );
    expect(pmdaView('tracepoint:a:b { @x++; }').rejection?.message).toMatch(/^no bpftrace variables/);
    expect(pmdaView('tracepoint:a:b { @output = count(); printf("x"); }').rejection?.message).toMatch(/@output/);
    expect(pmdaView('// table-retain-lines: many\nBEGIN { printf("x"); }').rejection?.message).toMatch(
      /table-retain-lines/
    );
    expect(pmdaView('tracepoint:a:b { printf("x\\n"); }').rejection).toBeUndefined();
  });

  it('adds @output for printf and time, and honours include', () => {
    expect(names('BEGIN { printf("hi"); }')).toEqual(['@output']);
    expect(names('BEGIN { time("%H"); @a = 1; }')).toEqual(['@a', '@output']);
    expect(names('// include: @b\nBEGIN { @a = 1; @b = 2; printf("x"); }')).toEqual(['@b']);
  });

  it('ignores comments, as bpflive strips them before sending', () => {
    expect(names('BEGIN { @a = 1; } // @name[%d] = x\n/* @c = 1 */')).toEqual(['@a']);
  });

  it('reads inside strings, as the PMDA does', () => {
    expect(names('BEGIN { printf("@x = %d\\n", 1); }')).toEqual(['@x', '@output']);
  });

  it('gives offsets in the user code', () => {
    const code = '/* c */ BEGIN { @a[comm] += 1; }';
    const m = pmdaView(code).matches[0];
    expect(code.slice(m.start, m.start + m.name.length)).toBe('@a[comm] +');
  });
});

describe('blankComments', () => {
  it('blanks comments but keeps length, newlines and PMDA directives', () => {
    const code = '// table-retain-lines: 3\nBEGIN { /* a\nb */ x } // end';
    const out = blankComments(code);
    expect(out).toHaveLength(code.length);
    expect(out.split('\n')).toEqual(['// table-retain-lines: 3', 'BEGIN {     ', '     x }       ']);
  });
});
