import { keyNamesOf } from './keyNames';

describe('keyNamesOf', () => {
  it('names key parts after the expressions in the script', () => {
    const code =
      'tracepoint:block:block_rq_issue { @io[comm, pid] = count(); @bytes[str(args->rwbs)] = sum(args->bytes); }';
    expect(keyNamesOf(code, '@io')).toEqual(['comm', 'pid']);
    expect(keyNamesOf(code, '@bytes')).toEqual(['rwbs']);
  });

  it('does not split inside function calls, and skips reads and comparisons', () => {
    expect(keyNamesOf('BEGIN { @x[func(a, b), cpu] = count(); }', '@x')).toEqual(['b', 'cpu']);
    expect(keyNamesOf('BEGIN { if (@x[1] == 2) {} }', '@x')).toBeUndefined();
    expect(keyNamesOf('BEGIN { @x = count(); }', '@x')).toBeUndefined();
  });

  it('does not confuse @x with @xy', () => {
    expect(keyNamesOf('BEGIN { @xy[comm] = count(); @x[pid] = count(); }', '@x')).toEqual(['pid']);
  });
});

describe('keyNamesOf reads the script as the editor does', () => {
  it('ignores assignments inside comments and strings', () => {
    const code = '// @x[old] = count()\nBEGIN { printf("@x[fake] = 1"); @x[pid] = count(); }';
    expect(keyNamesOf(code, '@x')).toEqual(['pid']);
    expect(keyNamesOf('/* @x[a] = count(); */ BEGIN { @x = count(); }', '@x')).toBeUndefined();
  });

  it('keeps brackets inside a key part together', () => {
    expect(keyNamesOf('BEGIN { @x[args->argv[0], cpu] = count(); }', '@x')).toEqual(['argv', 'cpu']);
  });
});

describe('keyNamesOf: every part keeps its place', () => {
  it('names a part after its scratch variable, and a literal part by its position', () => {
    const code = 'k { $dir = "R"; @bytes[comm, $dir, $major, 1] = sum(args->bytes); }';
    expect(keyNamesOf(code, '@bytes')).toEqual(['comm', 'dir', 'major', 'key3']);
  });
});
