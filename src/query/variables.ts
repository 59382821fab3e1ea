import { ScopedVars } from '@grafana/data';
import { scan, Token } from '../lexer/scan';
import { keyNamesOf } from './keyNames';

/**
 * Dashboard variables in a bpftrace script, its hostspec and its legend.
 *
 * The script runs as root on the host and a variable's value can come from a URL
 * (`?var-pid=…`), so a value is never pasted in as text. The one lexer (lexer/scan.ts) says where
 * each `$name` sits, and each place has its rule (docs/variables.md has the table):
 *
 * - **code** (filter, action, preamble): the value must be a number (`42`, `-1`, `0x1f`) or an
 *   identifier (`[A-Za-z_][A-Za-z0-9_]*`). Nothing else can be written there, so no value can
 *   add an operator, a statement or a probe.
 * - **string literal** (`"…$comm…"`): the value is escaped (`\` and `"`, tab and newline);
 *   other control characters are refused.
 * - **probe** (`kprobe:$func`): letters, digits and `_ . * + -`; a `/` only for a value that
 *   starts with one at the start of a segment (a path: `uprobe:$bin:main`). No `:`, `,`, blanks.
 * - **comment**: never touched (comments are not sent).
 *
 * A multi-value variable (or "All") is written in a form bpftrace accepts:
 * - `X == $v` / `$v == X` → `(X == a || X == b)`; `X != $v` → `(X != a && X != b)`, with `$v`
 *   or a string that is only `"$v"`; X is an operand (`pid`, `args->pid`, `str(args->filename)`);
 * - in a probe: the probe once per value, `kprobe:a, kprobe:b`.
 * Anywhere else a multi-value variable fails the query with a message naming it.
 *
 * Only names that are dashboard variables (or a repeated panel's scoped variables) are touched:
 * bpftrace's `$1`, `$#`, its scratch variables and a `$` in a string that names no variable stay
 * as written. A dashboard variable the script also assigns (`$x = …`, `let $x`) is refused: the
 * script would change meaning.
 */

/** Where the values of dashboard variables come from (Grafana's template service, or a test's table). */
export interface VariableSource {
  /** Is `name` a dashboard variable (or a scoped one)? */
  has(name: string): boolean;
  /** Its current values: one for a single value, several for multi-value or All. */
  values(name: string): string[];
}

/** One variable as it was written into the script (for the editor's "Variables:" line). */
export interface Replacement {
  name: string;
  values: string[];
  /** 1-based line of the first place it was used. */
  line: number;
  where: 'code' | 'string' | 'probe' | 'comparison' | 'hostspec' | 'filter';
}

/** A value that must not go where it was asked to: the message names the variable and the rule. */
export class VariableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VariableError';
  }
}

export interface Interpolated {
  code: string;
  replaced: Replacement[];
}

/** An ad-hoc filter, as Grafana hands it to a datasource (`comm = bash`, `pid =| 1,2`). */
export interface AdHocFilter {
  key: string;
  operator: string;
  value: string;
  values?: string[];
}

/** The keys ad-hoc filters may use: the builtins every probe but BEGIN, END and interval knows. */
export const AD_HOC_KEYS = ['comm', 'pid'] as const;

const NUMBER = /^-?(?:0[xX][0-9a-fA-F]+|\d+)$/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PROBE_PART = /^[A-Za-z0-9_.*+-]+$/;
const PROBE_PATH = /^\/[A-Za-z0-9_.*+\/-]*$/;
const HOSTSPEC = /^[A-Za-z0-9_.:@\[\]\/%-]+$/;
/** `$name` or `${name}` / `${name:format}` inside a string or a probe. */
const REFERENCE = /\$(?:\{(\w+)(?::[\w-]+)?\}|(\w+))/g;
/** Probes whose clause gets no ad-hoc filter: they run in no process's context. */
const CONTEXTLESS_PROBE = /^(?:BEGIN|END|interval:|i:)/;

/**
 * The script with the dashboard's variables and ad-hoc filters written in. Throws VariableError
 * for a value the rules refuse, naming the variable.
 */
export function interpolateScript(code: string, source: VariableSource, filters: AdHocFilter[] = []): Interpolated {
  const scanned = scan(code);
  const tokens = scanned.tokens;
  const edits: Edit[] = [];
  const replaced = new Map<string, Replacement>();
  const note = (name: string, values: string[], at: number, where: Replacement['where']) => {
    if (!replaced.has(name)) {
      replaced.set(name, { name, values, line: lineOf(code, at), where });
    }
  };

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind === 'probe') {
      const edit = probeEdit(t, source, note);
      if (edit) {
        edits.push(edit);
      }
    } else if (t.kind === 'string') {
      edits.push(...stringEdits(code, tokens, i, source, note));
    } else if (t.kind === 'scratch') {
      const ref = codeReference(code, t, source);
      if (ref) {
        refuseAssigned(tokens, i, ref.name);
        edits.push(valueEdit(code, tokens, i, ref, source.values(ref.name), note));
      }
    }
  }
  const written = applyEdits(code, edits);
  // Ad-hoc filters go into the clauses of the written script, scanned again: `${pid}` in a filter
  // reads to the lexer like an action's brace, the value written in its place does not.
  const filtered = applyEdits(written, adHocEdits(scan(written).clauses, filters, note));
  return { code: filtered, replaced: [...replaced.values()] };
}

/**
 * The hostspec with its variables written in: one host per value, so a multi-value variable gives
 * several hosts (the caller decides whether a query may run on several). Throws VariableError for
 * a value that is no host specification.
 */
export function interpolateHostspec(hostspec: string, source: VariableSource): string[] {
  let hosts = [''];
  let last = 0;
  for (const m of hostspec.matchAll(REFERENCE)) {
    const name = m[1] ?? m[2];
    if (!source.has(name)) {
      continue;
    }
    const values = source.values(name);
    if (values.length === 0) {
      throw new VariableError(`The variable $${name} has no value selected: pick one for the Host field.`);
    }
    const bad = values.find((v) => !HOSTSPEC.test(v));
    if (bad !== undefined) {
      throw new VariableError(
        `The variable $${name} has a value that is not a host specification (${JSON.stringify(bad)}): a host is letters, digits and . _ - : @ / [ ] %.`
      );
    }
    const before = hostspec.slice(last, m.index);
    hosts = hosts.flatMap((h) => values.map((v) => h + before + v));
    last = m.index! + m[0].length;
  }
  const rest = hostspec.slice(last);
  return [...new Set(hosts.map((h) => (h + rest).trim()))];
}

/**
 * The legend with dashboard variables written in (as text: a legend is never code). bpflive's own
 * legend names win over a dashboard variable of the same name: `$var`, `$key`, `$key0`…,
 * `$instance`, `$host`, and the key names of the script's maps (`$comm` of `@[comm]`).
 */
export function interpolateLegend(legend: string, code: string, source: VariableSource): string {
  const own = legendNamesOf(code);
  return legend.replace(REFERENCE, (match, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    if (own.has(name) || /^key\d+$/.test(name) || !source.has(name)) {
      return match;
    }
    return source.values(name).join(',');
  });
}

/** The dashboard variables a text names (`$name`, `${name}`), each once, in order. */
export function referencedVariables(text: string, source: VariableSource): string[] {
  const names = [...text.matchAll(REFERENCE)].map((m) => m[1] ?? m[2]).filter((n) => source.has(n));
  return [...new Set(names)];
}

// ------------------------------------------------------------------ the places

interface Edit {
  start: number;
  end: number;
  text: string;
}

type Note = (name: string, values: string[], at: number, where: Replacement['where']) => void;

interface Reference {
  name: string;
  start: number;
  end: number;
}

/** `$name` (a scratch token) or `${name}` (a bare `$` followed by `{name}`) that names a variable. */
function codeReference(code: string, t: Token, source: VariableSource): Reference | undefined {
  if (t.text === '$') {
    const m = /^\{(\w+)(?::[\w-]+)?\}/.exec(code.slice(t.end));
    return m && source.has(m[1]) ? { name: m[1], start: t.start, end: t.end + m[0].length } : undefined;
  }
  const name = t.text.slice(1);
  return source.has(name) ? { name, start: t.start, end: t.end } : undefined;
}

/** `$x = …`, `$x += …`, `let $x`: the script's own scratch variable, which a dashboard variable must not replace. */
function refuseAssigned(tokens: Token[], i: number, name: string) {
  const next = tokens[i + 1]?.text ?? '';
  const assigned = /^(?:=|[-+*/%&|^]=|<<=|>>=|\+\+|--)$/.test(next) || tokens[i - 1]?.text === 'let';
  if (assigned) {
    throw new VariableError(
      `$${name} is a dashboard variable and a scratch variable the script assigns: rename one of them (the script would change meaning).`
    );
  }
}

/** A variable in code position: a number or an identifier, or a comparison for several values. */
function valueEdit(code: string, tokens: Token[], i: number, ref: Reference, values: string[], note: Note): Edit {
  noValue(ref.name, values);
  if (values.length === 1) {
    const v = values[0];
    if (!NUMBER.test(v) && !IDENTIFIER.test(v)) {
      throw new VariableError(
        `The variable $${ref.name} is ${JSON.stringify(v)}, which cannot go into the script's code: there a value must be a number or an identifier. For text, put it in quotes ("$${ref.name}").`
      );
    }
    note(ref.name, values, ref.start, 'code');
    return { start: ref.start, end: ref.end, text: v };
  }
  for (const v of values) {
    if (!NUMBER.test(v) && !IDENTIFIER.test(v)) {
      throw new VariableError(
        `The variable $${ref.name} has a value that cannot go into the script's code (${JSON.stringify(v)}): there a value must be a number or an identifier.`
      );
    }
  }
  let last = i;
  while (tokens[last + 1] && tokens[last + 1].end <= ref.end) {
    last++;
  }
  const edit = comparisonEdit(code, tokens, i, last, ref.name, values);
  note(ref.name, values, ref.start, 'comparison');
  return edit;
}

/** Strings: `$name` that names a variable is replaced by its escaped value; `"$v"` alone may compare. */
function stringEdits(code: string, tokens: Token[], i: number, source: VariableSource, note: Note): Edit[] {
  const t = tokens[i];
  const inner = t.text.slice(1, t.text.endsWith('"') && t.text.length > 1 ? -1 : undefined);
  const whole = /^\$(?:\{(\w+)(?::[\w-]+)?\}|(\w+))$/.exec(inner);
  if (whole && source.has(whole[1] ?? whole[2])) {
    const name = whole[1] ?? whole[2];
    const values = source.values(name);
    noValue(name, values);
    if (values.length > 1) {
      const edit = comparisonEdit(
        code,
        tokens,
        i,
        i,
        name,
        values.map((v) => quoted(`$${name}`, v))
      );
      note(name, values, t.start, 'comparison');
      return [edit];
    }
  }
  const edits: Edit[] = [];
  for (const m of inner.matchAll(REFERENCE)) {
    const name = m[1] ?? m[2];
    if (!source.has(name)) {
      continue;
    }
    const values = source.values(name);
    noValue(name, values);
    if (values.length > 1) {
      throw new VariableError(
        `The variable $${name} has several values, and a string holds one: compare it as a whole ("comm == \\"$${name}\\"" becomes one comparison per value), or pick one value.`
      );
    }
    const start = t.start + 1 + m.index!;
    note(name, values, start, 'string');
    edits.push({ start, end: start + m[0].length, text: escaped(`$${name}`, values[0]) });
  }
  return edits;
}

/** A probe with variables: checked values, and the probe once per value of a multi-value one. */
function probeEdit(t: Token, source: VariableSource, note: Note): Edit | undefined {
  const refs = [...t.text.matchAll(REFERENCE)].filter((m) => source.has(m[1] ?? m[2]));
  if (refs.length === 0) {
    return undefined;
  }
  let variants = [''];
  let last = 0;
  for (const m of refs) {
    const name = m[1] ?? m[2];
    const values = source.values(name);
    noValue(name, values);
    const atSegmentStart = m.index === 0 || t.text[m.index! - 1] === ':';
    for (const v of values) {
      if (!PROBE_PART.test(v) && !(atSegmentStart && PROBE_PATH.test(v))) {
        throw new VariableError(
          `The variable $${name} has a value that cannot go into a probe (${JSON.stringify(v)}): there a value is letters, digits and _ . * + - (a path starting with / at the start of a part).`
        );
      }
    }
    const before = t.text.slice(last, m.index);
    variants = variants.flatMap((p) => values.map((v) => p + before + v));
    last = m.index! + m[0].length;
    note(name, values, t.start, 'probe');
  }
  variants = variants.map((p) => p + t.text.slice(last));
  return { start: t.start, end: t.end, text: variants.join(', ') };
}

/**
 * `X == $v` (or `$v == X`, `!=`) with several values: one comparison per value, joined by `||`
 * (`&&` for `!=`), in parentheses. `first`..`last` are the tokens of the variable itself.
 */
function comparisonEdit(
  code: string,
  tokens: Token[],
  first: number,
  last: number,
  name: string,
  values: string[]
): Edit {
  const before = tokens[first - 1];
  const after = tokens[last + 1];
  let operandStart: number | undefined;
  let operandEnd: number | undefined;
  let op: string | undefined;
  if (before && (before.text === '==' || before.text === '!=')) {
    op = before.text;
    operandStart = operandBackward(tokens, first - 2);
    operandEnd = first - 2;
  } else if (after && (after.text === '==' || after.text === '!=')) {
    op = after.text;
    operandStart = last + 2;
    operandEnd = operandForward(tokens, last + 2);
  }
  const lo = Math.min(operandStart ?? first, first);
  const hi = Math.max(operandEnd ?? last, last);
  if (
    op === undefined ||
    operandStart === undefined ||
    operandEnd === undefined ||
    operandEnd < operandStart ||
    !opensComparison(tokens[lo - 1]) ||
    !closesComparison(tokens, hi + 1)
  ) {
    throw new VariableError(
      `The variable $${name} has several values (${values.join(', ')}), which bpflive writes into a script only as a whole comparison: "pid == $${name}" or "comm == \\"$${name}\\"" (each becomes one comparison per value), between && / || / parentheses or alone in a filter. Use it so, or pick one value.`
    );
  }
  const operand = code.slice(tokens[operandStart].start, tokens[operandEnd].end);
  const join = op === '==' ? ' || ' : ' && ';
  return {
    start: tokens[lo].start,
    end: tokens[hi].end,
    text: `(${values.map((v) => `${operand} ${op} ${v}`).join(join)})`,
  };
}

/**
 * What may stand before and after a comparison that is rewritten as several: nothing binds
 * tighter there (`x + pid == $v` is `(x + pid) == $v`, so `pid` alone is not the operand).
 */
const BEFORE_COMPARISON = new Set(['(', '&&', '||', '!', ',', ';', '{', '=', '?', ':']);
const AFTER_COMPARISON = new Set([')', '&&', '||', ',', ';', '}', '?']);

function opensComparison(t: Token | undefined): boolean {
  return !t || BEFORE_COMPARISON.has(t.text) || (t.text === '/' && t.region === 'top');
}

function closesComparison(tokens: Token[], i: number): boolean {
  const t = tokens[i];
  // A filter's closing slash (not a division) is the one an action's brace follows.
  return !t || AFTER_COMPARISON.has(t.text) || (t.text === '/' && tokens[i + 1]?.text === '{');
}

const OPERAND_WORD = new Set(['ident', 'scratch', 'map', 'number', 'param']);

/** The first token of the operand that ends at token `i`: `pid`, `args->pid`, `str(args->f)`, `@m[tid]`. */
function operandBackward(tokens: Token[], i: number): number | undefined {
  let j = i;
  for (;;) {
    if (j < 0) {
      return undefined;
    }
    const t = tokens[j];
    if (t.text === ')' || t.text === ']') {
      const open = matching(tokens, j, -1);
      if (open === undefined) {
        return undefined;
      }
      j = open - 1;
      if (j < 0 || !OPERAND_WORD.has(tokens[j].kind)) {
        return t.text === ')' ? j + 1 : undefined;
      }
    } else if (!OPERAND_WORD.has(t.kind)) {
      return undefined;
    }
    if (tokens[j - 1] && (tokens[j - 1].text === '->' || tokens[j - 1].text === '.')) {
      j -= 2;
      continue;
    }
    return j;
  }
}

/** The last token of the operand that starts at token `i`. */
function operandForward(tokens: Token[], i: number): number | undefined {
  let j = i;
  if (!tokens[j]) {
    return undefined;
  }
  if (tokens[j].text === '(') {
    return matching(tokens, j, 1);
  }
  for (;;) {
    if (!tokens[j] || !OPERAND_WORD.has(tokens[j].kind)) {
      return undefined;
    }
    while (tokens[j + 1] && (tokens[j + 1].text === '(' || tokens[j + 1].text === '[')) {
      const close = matching(tokens, j + 1, 1);
      if (close === undefined) {
        return undefined;
      }
      j = close;
    }
    if (tokens[j + 1] && (tokens[j + 1].text === '->' || tokens[j + 1].text === '.')) {
      j += 2;
      continue;
    }
    return j;
  }
}

/** The bracket that matches token `i`, searching in `dir`. */
function matching(tokens: Token[], i: number, dir: 1 | -1): number | undefined {
  const pairs: Record<string, string> = { '(': ')', '[': ']', ')': '(', ']': '[' };
  const open = tokens[i].text;
  const close = pairs[open];
  let depth = 0;
  for (let j = i; j >= 0 && j < tokens.length; j += dir) {
    if (tokens[j].text === open) {
      depth++;
    } else if (tokens[j].text === close) {
      depth--;
      if (depth === 0) {
        return j;
      }
    }
  }
  return undefined;
}

/**
 * Ad-hoc filters as one predicate added to every clause whose probes run in a process's context:
 * `/X/` becomes `/PRED && (X)/`, a clause without a filter gets `/PRED/`. BEGIN, END and
 * interval clauses are left alone (no process is current there).
 */
function adHocEdits(clauses: ReturnType<typeof scan>['clauses'], filters: AdHocFilter[], note: Note): Edit[] {
  if (filters.length === 0) {
    return [];
  }
  const predicate = filters.map((f) => adHocPredicate(f, note)).join(' && ');
  const edits: Edit[] = [];
  for (const c of clauses) {
    if (c.probes.length === 0 || c.open === undefined || c.probes.some((p) => CONTEXTLESS_PROBE.test(p.text))) {
      continue;
    }
    if (c.filter) {
      // The predicate first: the PMDA reads a map name from an `@` to the next `=` on its line, so
      // a comparison after `/@start[tid]/` would become part of that name.
      edits.push({ start: c.filter.start, end: c.filter.start, text: `${predicate} && (` });
      edits.push({ start: c.filter.end, end: c.filter.end, text: ')' });
    } else {
      edits.push({ start: c.open, end: c.open, text: `/${predicate}/ ` });
    }
  }
  return edits;
}

function adHocPredicate(f: AdHocFilter, note: Note): string {
  if (!(AD_HOC_KEYS as readonly string[]).includes(f.key)) {
    throw new VariableError(
      `The ad-hoc filter on "${f.key}" is not one bpflive can apply: it filters by ${AD_HOC_KEYS.join(' and ')}.`
    );
  }
  const multi = f.operator === '=|' || f.operator === '!=|';
  const values = multi ? (f.values ?? f.value.split(',')) : [f.value];
  const op = f.operator.startsWith('!=') ? '!=' : f.operator === '=' || f.operator === '=|' ? '==' : undefined;
  if (!op) {
    throw new VariableError(
      `The ad-hoc filter ${f.key} ${f.operator} ${f.value} uses an operator bpftrace cannot apply (no regular expressions): use = or !=.`
    );
  }
  const name = `${f.key} ${f.operator}`;
  const written = values.map((v) => {
    if (f.key === 'comm') {
      return quoted(`of the ad-hoc filter ${f.key}`, v);
    }
    if (!/^\d+$/.test(v)) {
      throw new VariableError(
        `The ad-hoc filter pid ${f.operator} ${JSON.stringify(v)} needs a process id (a number).`
      );
    }
    return v;
  });
  note(name, values, 0, 'filter');
  const any = written.map((v) => `${f.key} == ${v}`).join(' || ');
  const one = written.length === 1;
  // "Not" as !(…) rather than !=: the PMDA misreads a `!=` on a line that reads a map (`@start[tid]`).
  if (op === '!=') {
    return `!(${any})`;
  }
  return one ? any : `(${any})`;
}

// ------------------------------------------------------------------ helpers

function noValue(name: string, values: string[]) {
  if (values.length === 0) {
    throw new VariableError(`The variable $${name} has no value selected: pick one.`);
  }
}

/** A value inside a bpftrace string literal: `\\` and `"` escaped, tab and newline spelled, other control characters refused. */
function escaped(what: string, v: string): string {
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(v)) {
    throw new VariableError(`The value ${what} contains a control character, which cannot go into a bpftrace string.`);
  }
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}

/** A value as a whole bpftrace string literal. */
function quoted(what: string, v: string): string {
  return `"${escaped(what, v)}"`;
}

function applyEdits(code: string, edits: Edit[]): string {
  const sorted = [...edits].sort((a, b) => b.start - a.start || b.end - a.end);
  let out = code;
  for (const e of sorted) {
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
  }
  return out;
}

function lineOf(code: string, at: number): number {
  let line = 1;
  for (let i = code.indexOf('\n'); i >= 0 && i < at; i = code.indexOf('\n', i + 1)) {
    line++;
  }
  return line;
}

/** bpflive's own legend names, and the key names of the script's maps. */
function legendNamesOf(code: string): Set<string> {
  const names = new Set(['var', 'key', 'instance', 'host']);
  const maps = new Set(
    scan(code)
      .tokens.filter((t) => t.kind === 'map')
      .map((t) => t.text)
  );
  for (const m of maps) {
    for (const k of keyNamesOf(code, m) ?? []) {
      names.add(k);
    }
  }
  return names;
}

/** The part of Grafana's template service bpflive reads. */
export interface TemplateService {
  getVariables(): Array<{ name: string; type?: string }>;
  replace(target: string, scopedVars?: ScopedVars, format?: (value: unknown) => string): string;
}

/**
 * The dashboard's variables (and a repeated panel's scoped ones) as a VariableSource. Values are
 * read through the template service's own formatting hook, so "All" and multi-value selections
 * arrive as the list of values they stand for. Ad-hoc filter variables are no `$name` in a script:
 * they are applied as filters. Grafana's built-ins (`$__interval` …) are not offered.
 */
export function templateSource(service: TemplateService, scopedVars: ScopedVars = {}): VariableSource {
  const names = new Set([
    ...service
      .getVariables()
      .filter((v) => v.type !== 'adhoc')
      .map((v) => v.name),
    ...Object.keys(scopedVars).filter((n) => !n.startsWith('__')),
  ]);
  return {
    has: (name) => names.has(name),
    values: (name) => {
      let values: string[] = [];
      service.replace(`\${${name}}`, scopedVars, (value: unknown) => {
        values = (Array.isArray(value) ? value : [value]).filter((v) => v !== undefined && v !== null).map(String);
        return '';
      });
      return values;
    },
  };
}
