import { stripComments } from './prepare';

describe('stripComments', () => {
  it('removes line and block comments but keeps every newline', () => {
    const code = [
      '// count syscalls',
      'tracepoint:raw_syscalls:sys_enter /* all of them */ {',
      '  @n = count(); // per second',
      '  /* a',
      '     b */',
      '}',
    ].join('\n');
    const stripped = stripComments(code);
    expect(stripped.split('\n')).toHaveLength(6);
    expect(stripped).toBe(['', 'tracepoint:raw_syscalls:sys_enter   {', '  @n = count();', '', '', '}'].join('\n'));
  });

  it('keeps the PMDA directives, which are comments that mean something', () => {
    const code =
      '// name: foo\n// include: @a\n// table-retain-lines: 10\n// custom-output-block\n// plain\nBEGIN { @a = 1; }';
    expect(stripComments(code)).toBe(
      '// name: foo\n// include: @a\n// table-retain-lines: 10\n// custom-output-block\n\nBEGIN { @a = 1; }'
    );
  });

  it('drops a comment that looks like an assignment (the PMDA would invent a variable)', () => {
    expect(stripComments('BEGIN { @a = 1; } // @name[%d] = count()')).toBe('BEGIN { @a = 1; }');
  });

  it('leaves // and /* inside strings alone', () => {
    const code = 'BEGIN { printf("http://x /* y */ %d\\n", 1); } // gone';
    expect(stripComments(code)).toBe('BEGIN { printf("http://x /* y */ %d\\n", 1); }');
  });

  it('handles escaped quotes in strings', () => {
    expect(stripComments('BEGIN { printf("a\\"//b"); } // c')).toBe('BEGIN { printf("a\\"//b"); }');
  });

  it('keeps a directive only at the start of a line', () => {
    expect(stripComments('BEGIN { @a = 1; } // name: x')).toBe('BEGIN { @a = 1; }');
  });

  it('strips a comment after a preprocessor line, which the editor shows as a comment too', () => {
    expect(stripComments('#include <linux/sched.h> // task_struct\nBEGIN { @a = 1; }')).toBe(
      '#include <linux/sched.h>\nBEGIN { @a = 1; }'
    );
  });

  it('keeps a // inside a quoted probe part', () => {
    const code = 'uprobe:"/opt/a//b":main { @n = count(); } // gone';
    expect(stripComments(code)).toBe('uprobe:"/opt/a//b":main { @n = count(); }');
  });
});
