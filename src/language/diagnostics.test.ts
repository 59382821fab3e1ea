import { diagnosticAt, sortDiagnostics } from './diagnostics';

describe('diagnostics', () => {
  it('places a span of the text at 1-based lines and columns, end exclusive', () => {
    const text = 'BEGIN {\n  @a = avg(1);\n}';
    const start = text.indexOf('avg');
    expect(diagnosticAt(text, start, start + 3, 'warning', 'w', 'm')).toEqual({
      severity: 'warning',
      code: 'w',
      message: 'm',
      startLine: 2,
      startColumn: 8,
      endLine: 2,
      endColumn: 11,
    });
    // An empty span still marks one character.
    expect(diagnosticAt(text, 0, 0, 'error', 'e', 'm')).toMatchObject({ startColumn: 1, endColumn: 2 });
  });

  it('sorts errors first, then by place', () => {
    const d = (severity: 'error' | 'warning' | 'info', startLine: number) => ({
      severity,
      startLine,
      startColumn: 1,
      endLine: startLine,
      endColumn: 2,
      code: `${severity}${startLine}`,
      message: '',
    });
    expect(sortDiagnostics([d('info', 1), d('warning', 2), d('error', 3), d('error', 1)]).map((x) => x.code)).toEqual([
      'error1',
      'error3',
      'warning2',
      'info1',
    ]);
  });
});
