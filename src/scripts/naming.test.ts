import { fnv1a64, NAME_PREFIX, prepareScript } from './naming';

describe('prepareScript', () => {
  it('names the script after its code, on a last line so line numbers stay the user’s', () => {
    const code = 'tracepoint:raw_syscalls:sys_enter {\n  @n = count();\n}';
    const prepared = prepareScript(code);
    expect(prepared.name).toMatch(/^bpflive_[0-9a-f]{16}$/);
    const lines = prepared.text.split('\n');
    expect(lines.slice(0, 3)).toEqual(code.split('\n'));
    expect(lines[3]).toBe(`// name: ${prepared.name}`);
  });

  it('gives the same name for the same code in any browser, and another for other code', () => {
    expect(prepareScript('BEGIN { @a = 1; }').name).toBe(prepareScript('BEGIN { @a = 1; }').name);
    expect(prepareScript('BEGIN { @a = 1; }').name).not.toBe(prepareScript('BEGIN { @a = 2; }').name);
  });

  it('ignores comments and trailing blanks when naming (a comment edit keeps the script)', () => {
    expect(prepareScript('BEGIN { @a = 1; } // first').name).toBe(prepareScript('BEGIN { @a = 1; }   \n\n').name);
  });

  it("replaces a user's own // name: (bpflive owns the name)", () => {
    const prepared = prepareScript('// name: mine\nBEGIN { @a = 1; }');
    expect(prepared.text).not.toMatch(/name: mine/);
    expect(prepared.text.split('\n')[1]).toBe('BEGIN { @a = 1; }');
    expect(prepared.name.startsWith(NAME_PREFIX)).toBe(true);
  });

  it('the hash is a valid PMDA name part and spreads', () => {
    const names = new Set(Array.from({ length: 2000 }, (_, i) => fnv1a64(`BEGIN { @a = ${i}; }`)));
    expect(names.size).toBe(2000);
    expect([...names].every((n) => /^[0-9a-f]{16}$/.test(n))).toBe(true);
  });
});
