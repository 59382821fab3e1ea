import type { monacoTypes } from '@grafana/ui';
import { Diagnostic } from './diagnostics';
import { argsDotTokens, keyedHistogram } from './lints';
import { pmdaView, PmdaVariable, VALID_MAP_NAME } from './pmdaView';
import { offsetOf, scan, ScanResult, Token } from '../lexer/scan';
import { asciiLookalike, foreignCharacters } from '../scripts/characters';

/**
 * One-click fixes for the lints whose cure is mechanical: text in, fixed text out. Each fix makes
 * a script that fails only because of the host's bpftrace version or the PMDA's parser run as
 * the author meant it (or, for a keyed histogram, as near as the PMDA allows).
 * `codeActionProvider` offers them as quick fixes on the editor's markers.
 */

export interface Fix {
  /** What the fix does, as the editor's light bulb menu shows it. */
  title: string;
  /** The whole script after the fix. */
  apply(code: string): string;
}

/** The fixes for one marker (by its code and place), none if it has no mechanical fix. */
export function fixesFor(code: string, d: Pick<Diagnostic, 'code' | 'startLine' | 'startColumn'>): Fix[] {
  const at = offsetOf(code, d.startLine, d.startColumn);
  switch (d.code) {
    case 'args-dot':
      return [{ title: 'Write args->field (every bpftrace version reads it)', apply: fixArgsDot }];
    case 'pmda-keyed-hist': {
      const keyed = keyedHistogram(pmdaView(code).matches.find((m) => at >= m.start && at < m.end));
      return keyed
        ? [
            {
              title: `Drop the key of ${keyed.name}: one histogram over all ${keyed.key} (the PMDA refuses keyed histograms)`,
              apply: (text) => dropMapKey(text, keyed.name),
            },
          ]
        : [];
    }
    case 'pmda-misread-map': {
      const match = pmdaView(code).matches.find((m) => m.start === at);
      const fix = match && misreadFix(code, match);
      return fix ? [fix] : [];
    }
    case 'foreign-character':
      return [
        {
          title: 'Replace every pasted character outside strings with plain ASCII (or delete it)',
          apply: fixForeignCharacters,
        },
      ];
    default:
      return [];
  }
}

/**
 * Every non-ASCII character in code (not in strings) → its ASCII look-alike, or nothing. In two
 * steps: curly quotes become quotes first, so what they enclose is a string again and keeps its
 * accents (`printf(“déjà vu”)` → `printf("déjà vu")`); only what is still code after that is dropped.
 */
export function fixForeignCharacters(code: string): string {
  const lookalikes = replaceSpans(
    code,
    foreignCharacters(code).map((f) => ({
      start: f.start,
      end: f.end,
      text: asciiLookalike(code.slice(f.start, f.end), true),
    }))
  );
  return replaceSpans(
    lookalikes,
    foreignCharacters(lookalikes).map((f) => ({ start: f.start, end: f.end, text: f.replacement }))
  );
}

/** `args.field` → `args->field`, everywhere in the script. */
export function fixArgsDot(code: string): string {
  const dots = argsDotTokens(scan(code)).map((a) => a.dot);
  return replaceSpans(
    code,
    dots.map((t) => ({ start: t.start, end: t.end, text: '->' }))
  );
}

/** Every `@name[…]` written as `@name`: one map without a key. */
export function dropMapKey(code: string, name: string): string {
  const scanned = scan(code);
  const spans: Span[] = [];
  scanned.tokens.forEach((t, i) => {
    if (t.kind === 'map' && t.text === name && scanned.tokens[i + 1]?.text === '[') {
      const close = matching(scanned.tokens, i + 1, '[', ']');
      if (close !== undefined) {
        spans.push({ start: scanned.tokens[i + 1].start, end: scanned.tokens[close].end, text: '' });
      }
    }
  });
  return replaceSpans(code, spans);
}

/**
 * The rewrite for a name the PMDA misreads, when there is a mechanical one. The PMDA's pattern
 * runs from an "@" to the next "=" of the same line, so a map read followed by any "=" on its
 * line (a comparison, a filter with its action block) is taken for a name. The cure is a few
 * steps, each re-checked against the PMDA's pattern: the neatest that leaves no misread wins.
 */
function misreadFix(code: string, m: PmdaVariable): Fix | undefined {
  // ++, -- and compound assignments have their own advice (count(), sum()), no mechanical one.
  if (/(\+\+|--)/.test(m.name) || /([-+*/%&|^]|<<|>>)$/.test(m.name)) {
    return undefined;
  }
  const cured = cure(code, m.start, 0);
  if (!cured || cured.steps.length === 0) {
    return undefined;
  }
  const shown = m.name.replace(/\s+/g, ' ');
  return {
    title: `${cured.steps.join(', then ')} (the PMDA takes "${shown}" for a map name)`,
    apply: (text) => cure(text, m.start, 0)?.text ?? text,
  };
}

interface Cure {
  text: string;
  steps: string[];
  /** Line breaks in the middle of an expression: they work, but read worse. */
  breaks: number;
}

function cure(code: string, at: number, depth: number): Cure | undefined {
  const m = pmdaView(code).matches.find(
    (x) => !VALID_MAP_NAME.test(x.name) && x.start <= at + 2 && x.start + x.name.length > at
  );
  if (!m) {
    return { text: code, steps: [], breaks: 0 };
  }
  if (depth >= 3) {
    return undefined;
  }
  let best: Cure | undefined;
  for (const step of steps(code, m)) {
    const rest = cure(replaceSpans(code, [step.span]), at, depth + 1);
    if (!rest) {
      continue;
    }
    const whole = { text: rest.text, steps: [step.title, ...rest.steps], breaks: rest.breaks + (step.breaks ? 1 : 0) };
    if (
      !best ||
      whole.breaks < best.breaks ||
      (whole.breaks === best.breaks && whole.steps.length < best.steps.length)
    ) {
      best = whole;
    }
  }
  return best;
}

/** The rewrites that may help with one misread name. */
function steps(code: string, m: PmdaVariable): Array<{ title: string; span: Span; breaks: boolean }> {
  const scanned = scan(code);
  const out: Array<{ title: string; span: Span; breaks: boolean }> = [];
  if (/[!<>]$/.test(m.name)) {
    const rewrite = comparisonRewrite(scanned, m.start + m.name.length - 1);
    if (rewrite) {
      out.push({ title: `write ${rewrite.text}`, span: rewrite, breaks: false });
    }
  }
  if (/\/\s*\{/.test(m.name)) {
    const clause = scanned.clauses.find((c) => c.filter && m.start >= c.filter.start && m.start < c.filter.end);
    if (clause?.open !== undefined) {
      let from = clause.open;
      while (from > 0 && /[ \t]/.test(code[from - 1])) {
        from--;
      }
      out.push({
        title: 'start the action block on a line of its own',
        span: { start: from, end: clause.open, text: '\n' },
        breaks: false,
      });
    }
  }
  // bpftrace reads on across a line break; the PMDA's pattern does not.
  const read = mapReadEnd(scanned, m.start);
  if (read !== undefined) {
    out.push({
      title: `break the line after ${code.slice(m.start, read)}`,
      span: { start: read, end: read, text: '\n' },
      breaks: true,
    });
  }
  return out;
}

/** The end of the map read starting at `start` (`@m`, or `@m[…]` with its key). */
function mapReadEnd(scanned: ScanResult, start: number): number | undefined {
  const tokens = scanned.tokens;
  const i = tokens.findIndex((t) => t.start === start && t.kind === 'map');
  if (i < 0) {
    return undefined;
  }
  if (tokens[i + 1]?.text !== '[') {
    return tokens[i].end;
  }
  const close = matching(tokens, i + 1, '[', ']');
  return close === undefined ? undefined : tokens[close].end;
}

const INVERSE: Record<string, string> = { '!=': '==', '<=': '>', '>=': '<' };

/**
 * `@m[k] != v` as `!(@m[k] == v)` (`@m[k]` alone for `!= 0`), `<=` and `>=` likewise through
 * their inverse: the same test, with no "!", "<" or ">" between the map and an "=".
 */
function comparisonRewrite(scanned: ScanResult, opStart: number): Span | undefined {
  const tokens = scanned.tokens;
  const op = tokens.findIndex((t) => t.start === opStart);
  if (op < 1 || !(tokens[op].text in INVERSE)) {
    return undefined;
  }
  // The left side: a map, with its key if it has one.
  let left = op - 1;
  if (tokens[left].text === ']') {
    const open = matchingBackwards(tokens, left);
    left = open === undefined ? -1 : open - 1;
  }
  if (left < 0 || tokens[left].kind !== 'map') {
    return undefined;
  }
  // The right side: up to what ends the operand (the filter's "/", "&&", "||", a closing bracket).
  let right = op + 1;
  let depth = 0;
  while (right < tokens.length) {
    const t = tokens[right].text;
    if (t === '(' || t === '[') {
      depth++;
    } else if ((t === ')' || t === ']') && depth-- === 0) {
      break;
    } else if (depth === 0 && ['/', '&&', '||', ',', '?', ':', ';', '{'].includes(t)) {
      break;
    }
    right++;
  }
  if (right === op + 1) {
    return undefined;
  }
  const text = scanned.text;
  const lhs = text.slice(tokens[left].start, tokens[op - 1].end);
  const rhs = text.slice(tokens[op + 1].start, tokens[right - 1].end);
  const operator = tokens[op].text;
  const replacement = operator === '!=' && rhs === '0' ? lhs : `!(${lhs} ${INVERSE[operator]} ${rhs})`;
  return { start: tokens[left].start, end: tokens[right - 1].end, text: replacement };
}

interface Span {
  start: number;
  end: number;
  text: string;
}

function replaceSpans(code: string, spans: Span[]): string {
  let out = code;
  for (const s of [...spans].sort((a, b) => b.start - a.start)) {
    out = out.slice(0, s.start) + s.text + out.slice(s.end);
  }
  return out;
}

function matching(tokens: Token[], from: number, open: string, close: string): number | undefined {
  let depth = 0;
  for (let i = from; i < tokens.length; i++) {
    if (tokens[i].text === open) {
      depth++;
    } else if (tokens[i].text === close && --depth === 0) {
      return i;
    }
  }
  return undefined;
}

function matchingBackwards(tokens: Token[], from: number): number | undefined {
  let depth = 0;
  for (let i = from; i >= 0; i--) {
    if (tokens[i].text === ']') {
      depth++;
    } else if (tokens[i].text === '[' && --depth === 0) {
      return i;
    }
  }
  return undefined;
}

/** The fixes as Monaco quick fixes on bpflive's markers of this editor's model. */
export function codeActionProvider(deps: {
  modelId: () => string | undefined;
}): monacoTypes.languages.CodeActionProvider {
  return {
    provideCodeActions(model, _range, context) {
      if (model.id !== deps.modelId()) {
        return { actions: [], dispose() {} };
      }
      const code = model.getValue();
      const actions: monacoTypes.languages.CodeAction[] = [];
      for (const marker of context.markers) {
        const id = typeof marker.code === 'string' ? marker.code : marker.code?.value;
        if (!id) {
          continue;
        }
        for (const fix of fixesFor(code, {
          code: id,
          startLine: marker.startLineNumber,
          startColumn: marker.startColumn,
        })) {
          actions.push({
            title: fix.title,
            kind: 'quickfix',
            diagnostics: [marker],
            isPreferred: true,
            edit: {
              edits: [
                {
                  resource: model.uri,
                  versionId: model.getVersionId(),
                  textEdit: { range: model.getFullModelRange(), text: fix.apply(code) },
                },
              ],
            },
          });
        }
      }
      return { actions, dispose() {} };
    },
  };
}
