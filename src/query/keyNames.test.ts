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
