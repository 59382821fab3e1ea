import { stripComments, stripWithMap } from '../scripts/prepare';
import { parseBpftraceErrors, sentText } from './bpftraceErrors';

// Error texts as the PMDA returned them (bpftrace 0.17 behind PCP 6.0.3), after the engine's cleaning.
const SYNTAX = 'stdin:2:8-15: ERROR: syntax error, unexpected ;\n  @a = count(;\n       ~~~~~~~';
const UNKNOWN_FN = 'stdin:2:8-15: ERROR: Unknown function: counttt\n  @a = counttt();\n       ~~~~~~~';
const MULTILINE = 'stdin:2-4: ERROR: count() requires no arguments (2 provided)';
const UNCLOSED =
  'stdin:4:1-11: ERROR: syntax error, unexpected path, expecting }\ninterval:s:1 { print(@a); }\n~~~~~~~~~~';
const FILTER_MAP =
  'stdin:2:34-35: ERROR: syntax error, unexpected !, expecting ) or ","\ninterval:s:1 { print(@start[tid] !); print(@a); }\n                                 ~';
const KPROBE = [
  'stdin:1:1-16: WARNING: vfs_read is not traceable (either non-existing, inlined, or marked as "notrace"); attaching to it will likely fail',
  'kprobe:vfs_read { @r = count(); }',
  '~~~~~~~~~~~~~~~',
  'create_probe_event: open(/sys/kernel/debug/tracing/kprobe_events): No such file or directory',
  "ERROR: Error attaching probe: 'kprobe:vfs_read'",
].join('\n');

describe('parseBpftraceErrors', () => {
  it('marks a syntax error at its line and columns (end exclusive)', () => {
    const code = 'tracepoint:raw_syscalls:sys_enter {\n  @a = count(;\n}';
    const r = parseBpftraceErrors(SYNTAX, code);
    expect(r.notes).toEqual([]);
    expect(r.diagnostics).toEqual([
      {
        severity: 'error',
        code: 'bpftrace-error',
        message: 'bpftrace: syntax error, unexpected ;',
        startLine: 2,
        startColumn: 8,
        endLine: 2,
        endColumn: 15,
      },
    ]);
  });

  it('marks whole lines for a range of lines', () => {
    const code = 'tracepoint:raw_syscalls:sys_enter {\n  @a = count(\n    1,\n    2);\n}';
    const [d] = parseBpftraceErrors(MULTILINE, code).diagnostics;
    expect(d).toMatchObject({ startLine: 2, startColumn: 1, endLine: 4, endColumn: 8 });
    expect(d.message).toBe('bpftrace: count() requires no arguments (2 provided)');
  });

  it('maps columns back through a stripped block comment', () => {
    // Sent: "  @a = counttt();" — the user wrote a comment before the call.
    const code = 'tracepoint:raw_syscalls:sys_enter {\n  @a = /* calls */ counttt();\n}';
    expect(stripComments(code).split('\n')[1]).toBe('  @a =   counttt();');
    const message = 'stdin:2:10-17: ERROR: Unknown function: counttt';
    const [d] = parseBpftraceErrors(message, code).diagnostics;
    const line = code.split('\n')[1];
    expect(line.slice(d.startColumn - 1, d.endColumn - 1)).toBe('counttt');
    expect(parseBpftraceErrors(UNKNOWN_FN, 'x {\n  @a = counttt();\n}').diagnostics[0].startColumn).toBe(8);
  });

  it('explains an error in the PMDA print block instead of marking a line that does not exist', () => {
    const code = 'tracepoint:raw_syscalls:sys_enter {\n  @a = count();\n';
    const r = parseBpftraceErrors(UNCLOSED, code);
    expect(r.diagnostics).toEqual([]);
    expect(r.notes).toHaveLength(1);
    expect(r.notes[0]).toMatch(/at line 4, past your script's last line \(2\)/);
    expect(r.notes[0]).toMatch(/print block the bpftrace PMDA appends/);
    expect(r.notes[0]).toMatch(/interval:s:1 \{ print\(@a\); \}/);
    expect(r.notes[0]).toMatch(/"\{" .* unclosed/);
  });

  it('names the misread map when the print block breaks because of it', () => {
    const code = 'tracepoint:raw_syscalls:sys_enter /@start[tid] != 0/ { @a = count(); }';
    const r = parseBpftraceErrors(FILTER_MAP, code);
    expect(r.diagnostics).toEqual([]);
    expect(r.notes[0]).toMatch(/took "@start\[tid\] !" for a map name/);
  });

  it('marks the probe that could not attach, and the warning before it', () => {
    const code = 'kprobe:vfs_read { @r = count(); }';
    const r = parseBpftraceErrors(KPROBE, code);
    expect(r.diagnostics.map((d) => [d.severity, d.code, d.startColumn, d.endColumn])).toEqual([
      ['warning', 'bpftrace-warning', 1, 16],
      ['error', 'bpftrace-attach', 1, 16],
    ]);
    expect(r.diagnostics[1].message).toMatch(/could not attach kprobe:vfs_read: the kernel offers no kprobes/);
  });

  it('keeps the PMDA refusals and unplaced errors as notes', () => {
    expect(parseBpftraceErrors('every histogram needs to be in a separate variable', 'x').notes).toEqual([
      'The bpftrace PMDA refused the script: every histogram needs to be in a separate variable',
    ]);
    expect(parseBpftraceErrors('something odd happened', 'x').notes).toEqual(['something odd happened']);
    expect(parseBpftraceErrors('', 'x')).toEqual({ diagnostics: [], notes: [] });
  });

  it('counts the lines that reached bpftrace', () => {
    expect(sentText('a\nb\n\n\n').userLines).toBe(2);
    expect(sentText('// c\na\n// name: x').userLines).toBe(3);
  });
});

describe('stripWithMap', () => {
  const cases = [
    'BEGIN { @a = 1; } // trailing',
    '// table-retain-lines: 3\nBEGIN { printf("a // not a comment\\n"); }',
    'a /* one */ b /* two\nlines */ c\n  // indented\n"unterminated\nx',
    '/* never closed',
    '"esc \\" quote" /* c */ d',
  ];

  it.each(cases)('agrees with stripComments on %j', (code) => {
    const { text, map } = stripWithMap(code);
    expect(text.replace(/[ \t]+$/gm, '')).toBe(stripComments(code));
    expect(map).toHaveLength(text.length);
    // Every kept character maps to the same character in the user's code.
    for (let i = 0; i < text.length; i++) {
      if (text[i] !== ' ' && text[i] !== '\n') {
        expect(code[map[i]]).toBe(text[i]);
      }
    }
  });
});
