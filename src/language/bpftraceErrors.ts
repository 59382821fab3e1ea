import { stripWithMap } from '../scripts/prepare';
import { prepareScript } from '../scripts/naming';
import { Diagnostic, diagnosticAt } from './diagnostics';
import { explainFailure, HostFacts } from './failureReasons';
import { pmdaView, VALID_MAP_NAME } from './pmdaView';
import { offsetOf, scan } from '../lexer/scan';

/**
 * bpftrace's errors, as they come back through the PMDA (`stdin:2:8-15: ERROR: syntax error, …`
 * then the code line and a `~~~` line), turned into markers on the user's code.
 *
 * bpftrace saw the text bpflive sent, not the user's: comments stripped (newlines kept, a block
 * comment inside a line became one space) and a `// name:` line added at the end, after which the
 * PMDA appended its own `interval:s:1 { print(@a); … }` block. So positions are mapped back
 * through the stripping, and a line past the user's last one is explained, not marked.
 */

export interface ErrorReport {
  /** Markers on the user's code. */
  diagnostics: Diagnostic[];
  /** What has no place in the user's code: errors in the PMDA's block, the PMDA's refusals. */
  notes: string[];
}

/** `stdin:L:C1-C2:`, `stdin:L:C:`, `stdin:L1-L2:`; columns 1-based, C2 exclusive. */
const LOCATED = /^stdin:(\d+)(?:-(\d+))?(?::(\d+)(?:-(\d+))?)?:\s*(ERROR|WARNING):\s*(.*)$/;
const ATTACH = /Error attaching probe:\s*'?([^']+?)'?\s*$/;
/** clang, behind bpftrace: `definitions.h:1:10: fatal error: 'linux/sched.h' file not found`. */
const HEADER_NOT_FOUND = /'([^'\s]+\.h)' file not found|Include headers with missing type definitions/;
const PMDA_REFUSALS =
  /every histogram needs|no bpftrace variables|output from printf|is already in use|invalid value '.*' for|must contain only alphanumeric/;

export function parseBpftraceErrors(message: string, code: string, host: HostFacts = {}): ErrorReport {
  const diagnostics: Diagnostic[] = [];
  const notes: string[] = [];
  const sent = sentText(code);
  const lines = message.split('\n');
  const seen = new Set<string>();
  const add = (d: Diagnostic) => {
    const key = `${d.startLine}:${d.startColumn}:${d.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      diagnostics.push(d);
    }
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    const m = LOCATED.exec(line);
    if (m) {
      const [, l1, l2, c1, c2, level, text] = m;
      const echo = lines[i + 1] !== undefined && !LOCATED.test(lines[i + 1].trim()) ? lines[i + 1] : undefined;
      const startLine = Number(l1);
      const severity = level === 'ERROR' ? 'error' : 'warning';
      if (startLine > sent.userLines) {
        notes.push(pastTheEnd(text, startLine, sent.userLines, echo, code));
        continue;
      }
      const endLine = Math.min(Number(l2 ?? l1), sent.userLines);
      const range = sent.toUser(startLine, c1 ? Number(c1) : undefined, endLine, c2 ? Number(c2) : undefined);
      add(
        diagnosticAt(
          code,
          range.start,
          range.end,
          severity,
          `bpftrace-${severity}`,
          `bpftrace: ${text}${hintFor(text, host)}`
        )
      );
      continue;
    }
    const attach = ATTACH.exec(line);
    if (attach) {
      const probe = attach[1];
      const why = attachReason(lines);
      const token = scan(code).tokens.find((t) => t.kind === 'probe' && t.text === probe);
      const text = `bpftrace could not attach ${probe}${why ? `: ${why}` : '.'}`;
      if (token) {
        add(diagnosticAt(code, token.start, token.end, 'error', 'bpftrace-attach', text));
      } else {
        notes.push(text);
      }
      continue;
    }
    const header = HEADER_NOT_FOUND.exec(line);
    if (header) {
      // clang's complaint names the header, not the line: mark the #include that asks for it.
      const reason = explainFailure(`${message}\n${code}`, host) ?? line;
      const includes = scan(code).tokens.filter(
        (t) =>
          t.kind === 'preproc' &&
          /^#include\s*<(linux|asm|net|uapi)\//.test(t.text) &&
          (!header[1] || t.text.includes(header[1]))
      );
      for (const include of includes) {
        add(diagnosticAt(code, include.start, include.end, 'error', 'bpftrace-include', reason));
      }
      if (includes.length === 0) {
        notes.push(reason);
      }
      continue;
    }
    if (PMDA_REFUSALS.test(line)) {
      notes.push(`The bpftrace PMDA refused the script: ${line.replace(/^ERROR:\s*/, '')}`);
      continue;
    }
    if (/^ERROR:/.test(line) && !/RLIMIT_MEMLOCK/.test(line)) {
      const text = line.replace(/^ERROR:\s*/, '');
      const reason = explainFailure(text, host);
      notes.push(`bpftrace: ${text}${reason ? ` — ${reason}` : ''}`);
    }
  }
  if (diagnostics.length === 0 && notes.length === 0 && message.trim() !== '') {
    notes.push(message.trim().split('\n')[0]);
  }
  return { diagnostics, notes };
}

/** A little more than bpftrace says, for its most common complaints. */
function hintFor(text: string, host: HostFacts): string {
  const reason = explainFailure(text, host);
  if (reason) {
    return ` — ${reason}`;
  }
  if (/Undefined map/.test(text)) {
    return ' (a map must be assigned somewhere before it is read; the PMDA also takes "@name =" inside strings and comparisons for maps)';
  }
  if (/tracepoint not found/.test(text)) {
    return ' (check the name in the completion list: the host lists its tracepoints)';
  }
  return '';
}

/** Why an attach failed, from the lines bpftrace printed before it. */
function attachReason(lines: string[]): string | undefined {
  const all = lines.join('\n');
  if (/kprobe_events\): No such file or directory|not traceable/.test(all)) {
    return 'the kernel offers no kprobes (no kprobe_events in tracefs), or the function cannot be traced. Use a tracepoint instead.';
  }
  if (/could not read symbols|No such file/i.test(all)) {
    return 'bpftrace could not find the binary or its symbols.';
  }
  return undefined;
}

function pastTheEnd(text: string, line: number, userLines: number, echo: string | undefined, code: string): string {
  const block = echo && /print\(|interval:/.test(echo) ? ` (${echo.trim().slice(0, 120)})` : '';
  let cause: string;
  const misread = pmdaView(code).matches.find((m) => !VALID_MAP_NAME.test(m.name));
  if (misread) {
    cause = `The PMDA took "${misread.name.replace(/\s+/g, ' ')}" for a map name and printed it there; see the marker on it in your code.`;
  } else if (/expecting \}|end of file|unexpected end/i.test(text)) {
    cause =
      'Your script probably leaves a "{" (or a filter\'s "/") unclosed, so bpftrace read on into the PMDA\'s block.';
  } else if (/Undefined map/.test(text)) {
    cause = 'The PMDA found a map name (perhaps inside a string or a comparison) that your script never assigns.';
  } else {
    cause = 'That block only prints the maps the PMDA found in your script, so the cause is usually how it read them.';
  }
  return (
    `bpftrace: ${text} — at line ${line}, past your script's last line (${userLines}): in the print block the bpftrace PMDA appends after your code${block}. ` +
    cause
  );
}

interface SentText {
  /** Lines of the user's code that reached bpftrace (trailing blank lines are trimmed). */
  userLines: number;
  /** Offsets in the user's code of a range given in the sent text's lines and columns. */
  toUser(
    line: number,
    column: number | undefined,
    endLine: number,
    endColumn: number | undefined
  ): {
    start: number;
    end: number;
  };
}

/** How the sent text maps back onto the user's code (the stripping's own source map). */
export function sentText(code: string): SentText {
  const userLines = prepareScript(code).body.split('\n').length;
  const mirror = stripWithMap(code);
  const sentLines = mirror.text.split('\n');

  const toUser = (line: number, column: number | undefined, exclusiveEnd: boolean): number => {
    if (column === undefined) {
      const userLineStart = offsetOf(code, line, 1);
      const eol = code.indexOf('\n', userLineStart);
      return exclusiveEnd ? (eol < 0 ? code.length : eol) : userLineStart;
    }
    const lineText = sentLines[line - 1] ?? '';
    const col = Math.min(column, lineText.length + (exclusiveEnd ? 1 : 0));
    const sentOffset = offsetOf(mirror.text, line, Math.max(1, col));
    if (exclusiveEnd) {
      const last = sentOffset - 1;
      return last >= 0 && last < mirror.map.length ? mirror.map[last] + 1 : offsetOf(code, line, column);
    }
    return sentOffset < mirror.map.length ? mirror.map[sentOffset] : offsetOf(code, line, column);
  };

  return {
    userLines,
    toUser(line, column, endLine, endColumn) {
      const start = toUser(line, column, false);
      const end = endColumn !== undefined ? toUser(endLine, endColumn, true) : toUser(endLine, undefined, true);
      return { start, end: Math.max(end, start + 1) };
    },
  };
}
