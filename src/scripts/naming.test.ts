import {
  DEFAULT_OUTPUT_LINES,
  fnv1a64,
  isRecordingName,
  namespaceOf,
  prepareRecording,
  prepareScript,
  recordingNameError,
  unencodableAt,
} from './naming';

describe('prepareScript', () => {
  it('keeps the user’s lines first (bpftrace’s line numbers stay theirs), bpflive’s lines last', () => {
    const code = 'tracepoint:raw_syscalls:sys_enter {\n  @n = count();\n}';
    const prepared = prepareScript(code, { namespace: 'ds1' });
    const lines = prepared.text.split('\n');
    expect(lines.slice(0, 3)).toEqual(code.split('\n'));
    expect(lines[3]).toBe(`// table-retain-lines: ${DEFAULT_OUTPUT_LINES}`);
    expect(lines[4]).toBe('// bpflive: ds1');
    expect(namespaceOf(prepared.text)).toBe('ds1');
  });

  it('registers no name: the PMDA must be free to expire a dead client’s script', () => {
    const prepared = prepareScript('// name: mine\nBEGIN { @a = 1; }');
    expect(prepared.text).not.toMatch(/^\/\/\s*name\s*:/m);
    expect(prepared.text.split('\n')[1]).toBe('BEGIN { @a = 1; }');
  });

  it('the same code gives the same text and key in any browser; other code, namespace or retention another', () => {
    const a = prepareScript('BEGIN { @a = 1; }', { namespace: 'x' });
    expect(prepareScript('BEGIN { @a = 1; }', { namespace: 'x' })).toEqual(a);
    expect(prepareScript('BEGIN { @a = 2; }', { namespace: 'x' }).key).not.toBe(a.key);
    expect(prepareScript('BEGIN { @a = 1; }', { namespace: 'y' }).key).not.toBe(a.key);
    expect(prepareScript('BEGIN { @a = 1; }', { namespace: 'x', outputLines: 10 }).key).not.toBe(a.key);
  });

  it('ignores comments and trailing blanks (a comment edit keeps the script)', () => {
    expect(prepareScript('BEGIN { @a = 1; } // first').text).toBe(prepareScript('BEGIN { @a = 1; }   \n\n').text);
  });

  it('keeps the user’s own table-retain-lines and bounds the default', () => {
    const own = prepareScript('// table-retain-lines: 5\nBEGIN { printf("x\\n"); }');
    expect(own.text.match(/table-retain-lines/g)).toHaveLength(1);
    expect(prepareScript('BEGIN{}', { outputLines: 0 }).text).toContain('table-retain-lines: 1\n');
    expect(prepareScript('BEGIN{}', { outputLines: 1e9 }).text).toContain('table-retain-lines: 10000\n');
  });

  it('a namespace cannot break out of its comment line', () => {
    const p = prepareScript('BEGIN{}', { namespace: 'a\nBEGIN { system("x") }' });
    expect(p.text.split('\n').pop()).toMatch(/^\/\/ bpflive: [A-Za-z0-9_.-]+$/);
  });

  it('the hash spreads', () => {
    const names = new Set(Array.from({ length: 2000 }, (_, i) => fnv1a64(`BEGIN { @a = ${i}; }`)));
    expect(names.size).toBe(2000);
  });
});

describe('unencodableAt', () => {
  it('finds a lone surrogate, which encodeURIComponent cannot encode', () => {
    expect(unencodableAt('BEGIN {\n  printf("\uD800");\n}')).toEqual({ line: 2, column: 11 });
    expect(unencodableAt('x\uDC00')).toEqual({ line: 1, column: 2 });
  });

  it('accepts any well-formed text, astral characters included', () => {
    expect(unencodableAt('BEGIN { printf("😀 \uFFFD ü"); }')).toBeUndefined();
  });
});

describe('prepareRecording', () => {
  it('names the same code the same recording, in any datasource, and other code another', () => {
    const a = prepareRecording('BEGIN { @a = count(); }');
    expect(a.name).toMatch(/^bpflive_rec_[0-9a-f]{12}$/);
    expect(prepareRecording('BEGIN { @a = count(); }  // same').name).toBe(a.name);
    expect(prepareRecording('BEGIN { @a = count(); @b = 1; }').name).not.toBe(a.name);
    expect(isRecordingName(a.name)).toBe(true);
    expect(isRecordingName('runqlat')).toBe(false);
  });

  it('registers the text under its name, last, with no namespace marker', () => {
    const r = prepareRecording('// name: theirs\nBEGIN { @a = count(); }', { name: 'runq_1' });
    expect(r.name).toBe('bpflive_rec_runq_1');
    const lines = r.text.split('\n');
    // The user's own name line stays an empty line: bpftrace's line numbers are the user's.
    expect(lines.slice(0, 2)).toEqual(['', 'BEGIN { @a = count(); }']);
    expect(lines[lines.length - 1]).toBe('// name: bpflive_rec_runq_1');
    expect(r.text).not.toContain('bpflive: ');
    expect(r.text).not.toContain('theirs');
    expect(namespaceOf(r.text)).toBeUndefined();
  });

  it('refuses a name the PMDA or PCP could not take, in words', () => {
    expect(recordingNameError('')).toBeUndefined();
    expect(recordingNameError('ok_name9')).toBeUndefined();
    expect(recordingNameError('bad-name')).toMatch(/letters, digits and _/);
    expect(recordingNameError('x'.repeat(41))).toMatch(/at most 40/);
    expect(() => prepareRecording('BEGIN { @a = 1; }', { name: 'a b' })).toThrow(/letters, digits/);
  });
});
