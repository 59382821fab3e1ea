// csvtable.json is a tests/fixture recorded from the real stack (pmproxy + pmcd + bpftrace PMDA +
// bpftrace 0.17): a CSV printf with quoted file names and `// table-retain-lines: 5`.

import { parseCsv, parseCsvRecords } from './csv';
import { fixtureOutput } from '../test/fixtures';

describe('parseCsv', () => {
  it('parses the real printf CSV output, unquoting the quoted file names', () => {
    const rows = parseCsv(fixtureOutput('csvtable.json', 0));
    expect(rows).toHaveLength(6);
    expect(rows[0]).toEqual(['comm', 'pid', 'file']);
    expect(rows[1]).toEqual(['sleep', '25395', '/usr/lib/locale/C.utf8/LC_TIME']);
    expect(rows.every((r) => r.length === 3)).toBe(true);
  });

  it('splits records on LF and CRLF, ignores a final line break and skips empty lines', () => {
    expect(parseCsv('a,b\n1,2\n')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
    expect(parseCsv('a,b\r\n1,2\r\n')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
    expect(parseCsv('a,b\n\n1,2\r\n\r\n3,4')).toEqual([
      ['a', 'b'],
      ['1', '2'],
      ['3', '4'],
    ]);
    expect(parseCsv('')).toEqual([]);
    expect(parseCsv('\n\n')).toEqual([]);
  });

  it('keeps commas, line breaks and doubled quotes inside quoted fields', () => {
    expect(parseCsv('"a,b","say ""hi""","line1\nline2"\n')).toEqual([['a,b', 'say "hi"', 'line1\nline2']]);
    expect(parseCsv('x,"",y')).toEqual([['x', '', 'y']]);
    expect(parseCsv('""')).toEqual([['']]);
    expect(parseCsv('"a\r\nb",c\r\n')).toEqual([['a\r\nb', 'c']]);
  });

  it('keeps empty fields, leading and trailing ones too', () => {
    expect(parseCsv(',a,\n')).toEqual([['', 'a', '']]);
    expect(parseCsv('a,,b')).toEqual([['a', '', 'b']]);
  });

  it('is lenient with stray quotes', () => {
    expect(parseCsv('ab"c,d\n')).toEqual([['ab"c', 'd']]);
    expect(parseCsv('"ab"c,d\n')).toEqual([['abc', 'd']]);
    // printf("%s, \"%s\"\n"): the blank between comma and quote does not make the quotes literal.
    expect(parseCsv('a, "b,c"\n')).toEqual([['a', 'b,c']]);
    expect(parseCsv('a, b\n')).toEqual([['a', ' b']]);
  });

  it('reports a quoted field still open at the end (output still being printed)', () => {
    expect(parseCsvRecords('a,"unfinished\nmore')).toEqual({
      records: [['a', 'unfinished\nmore']],
      unterminated: true,
    });
    expect(parseCsvRecords('a,"done"\n').unterminated).toBe(false);
  });
});
