import { scan, ScanResult } from '../lexer/scan';

/**
 * The script as the bpftrace PMDA will read it, predicted before anything runs.
 *
 * The PMDA (PCP 6.0.3 `parser.py`) does not parse bpftrace. It finds "variables" with one regular
 * expression over the whole text, line by line: an `@`, the shortest run of characters up to an
 * optional `[key]`, then `=`, then optionally a function name and `(`. Every name it finds is
 * exported as a metric and printed each second by the `interval:s:1 { print(@a); … }` block it
 * appends. Observed consequences (research §9, and checked against the running PMDA):
 *  - `@h[comm] = hist(…)`: rejected at registration ("every histogram needs to be in a separate variable");
 *  - `/@s[tid] != 0/`, `@a[k] += 1`, `@x++; $y = 1;`: the "variable" is `@s[tid] !`, `@a[k] +`,
 *    `@x++; $y`, and the appended `print(…)` is a syntax error in code the user never wrote;
 *  - no variable and no printf()/time() at all: rejected ("no bpftrace variables or printf statements found").
 * bpflive strips comments before sending (src/scripts/prepare.ts), so comments are left out here
 * too, except the PMDA's own directives, which it keeps.
 */

export type PmdaVariableKind = 'histogram' | 'counter' | 'stacks' | 'instant' | 'output';

export interface PmdaVariable {
  /** What the PMDA takes for the name, `@` included; may be garbage such as `@s[tid] !`. */
  name: string;
  key?: string;
  /** The function assigned, when the PMDA saw one: `count`, `hist` … */
  func?: string;
  kind: PmdaVariableKind;
  /** Offsets of the whole match in the user's code. */
  start: number;
  end: number;
}

export interface PmdaView {
  /** Exported variables by name (the last match of a name wins, as in the PMDA), in order of appearance. */
  variables: PmdaVariable[];
  /** Every match, including repeats, in order. */
  matches: PmdaVariable[];
  /** printf() or time() anywhere: the PMDA adds an `@output` text variable. */
  output: boolean;
  /** The PMDA's own words when it will refuse the script at registration. */
  rejection?: { message: string; start: number; end: number };
  directives: {
    include?: string[];
    tableRetainLines?: string;
    /** Where the table-retain-lines directive is. */
    tableRetainLinesAt?: { start: number; end: number };
    customOutputBlock: boolean;
    name?: string;
  };
}

/** Must match the PMDA's pattern exactly: its quirks are the point. */
const VARIABLE = /(@.*?)(?:\[(.+?)\])?\s*=\s*(?:([a-zA-Z]\w*)\s*\()?/g;
const OUTPUT = /(printf|time)\s*\(/;
const METADATA = /^\/\/\s*([\w-]+)(?:\s*:\s*(.+?)\s*)?$/gm;
/** The directives src/scripts/prepare.ts keeps (and the PMDA acts on). */
const KEPT_DIRECTIVE = /^\/\/\s*(name|include|table-retain-lines|custom-output-block)\b/;

/** A valid map name: what a variable the PMDA found should look like. */
export const VALID_MAP_NAME = /^@\w*$/;

export function pmdaView(code: string, scanned: ScanResult = scan(code)): PmdaView {
  const text = blankComments(code, scanned);
  const directives: PmdaView['directives'] = { customOutputBlock: false };
  let rejection: PmdaView['rejection'];

  for (const m of text.matchAll(METADATA)) {
    const [, key, value] = m;
    const at = m.index ?? 0;
    if (key === 'include' && value) {
      directives.include = value.split(',');
    } else if (key === 'table-retain-lines') {
      directives.tableRetainLines = value;
      directives.tableRetainLinesAt = { start: at, end: at + m[0].length };
      if (!value || !/^\d+$/.test(value)) {
        rejection ??= {
          message: `invalid value '${value ?? ''}' for table-retain-lines, must be numeric`,
          start: at,
          end: at + m[0].length,
        };
      }
    } else if (key === 'custom-output-block') {
      directives.customOutputBlock = true;
    } else if (key === 'name') {
      directives.name = value;
    }
  }

  const matches: PmdaVariable[] = [];
  const byName = new Map<string, PmdaVariable>();
  for (const m of text.matchAll(VARIABLE)) {
    const [whole, name, key, func] = m;
    const start = m.index ?? 0;
    if (directives.include && !directives.include.includes(name)) {
      continue;
    }
    let kind: PmdaVariableKind = 'instant';
    if (func === 'hist' || func === 'lhist') {
      kind = 'histogram';
      if (key) {
        rejection ??= {
          message: 'every histogram needs to be in a separate variable',
          start,
          end: start + whole.length,
        };
      }
    } else if (func === 'count') {
      kind = key && /(^|,)[ku]stack($|,)/.test(key) ? 'stacks' : 'counter';
    }
    const v: PmdaVariable = { name, key, func, kind, start, end: start + whole.length };
    matches.push(v);
    byName.set(name, v);
  }

  const output = OUTPUT.test(text) && (!directives.include || directives.include.includes('@output'));
  if (output && byName.has('@output')) {
    const at = byName.get('@output')!;
    rejection ??= {
      message:
        'output from printf(), time() etc. will be stored in @output; rename the existing @output variable or remove the calls that print',
      start: at.start,
      end: at.end,
    };
  }
  const variables = [...byName.values()].sort((a, b) => a.start - b.start);
  if (output) {
    variables.push({ name: '@output', kind: 'output', start: 0, end: 0 });
  }
  if (variables.length === 0) {
    rejection ??= {
      message: 'no bpftrace variables or printf statements found',
      start: 0,
      end: 0,
    };
  }
  return { variables, matches, output, rejection, directives };
}

/**
 * The code with comments replaced by blanks of the same length (newlines kept), so offsets stay
 * those of the user's code; the directives the PMDA acts on stay as they are.
 */
export function blankComments(code: string, scanned: ScanResult = scan(code)): string {
  let out = '';
  let last = 0;
  for (const t of scanned.tokens) {
    if (t.kind !== 'comment') {
      continue;
    }
    if (KEPT_DIRECTIVE.test(t.text) && /(^|\n)[ \t]*$/.test(code.slice(0, t.start))) {
      continue;
    }
    out += code.slice(last, t.start) + t.text.replace(/[^\n]/g, ' ');
    last = t.end;
  }
  return out + code.slice(last);
}
