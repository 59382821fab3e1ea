import { isKeyword } from './docs';
import { clauseAt, regionAt, scan, ScanResult, Token, tokenAt, tokenIndexBefore } from '../lexer/scan';

/** The call the cursor is an argument of: `hist(a, |)` → {name: 'hist', argIndex: 1}. */
export interface CallContext {
  name: string;
  argIndex: number;
  /** Offset of the `(`. */
  open: number;
}

export type SituationKind =
  /** Where a probe is written: the top level, between clauses. */
  | 'probe'
  /** Inside `/…/`. */
  | 'filter'
  /** Inside `{…}`. */
  | 'action'
  /** An argument of a function call, in a filter or an action. */
  | 'functionArgs'
  /** Right after `.` or `->`: a struct field. */
  | 'member'
  | 'comment'
  | 'string'
  /** `struct`, `config`, `#include` …: nothing to complete. */
  | 'preamble';

export interface Situation {
  kind: SituationKind;
  /** The word being typed, up to the cursor (`tracepoint:sch`, `@la`, `cou`). */
  prefix: string;
  /** Offsets of the whole word under the cursor: what a completion replaces. */
  from: number;
  to: number;
  /** For functionArgs (and strings inside a call): the innermost named call. */
  call?: CallContext;
  /** Where the call sits, for functionArgs: 'filter' or 'action'. */
  within?: 'filter' | 'action';
  /** In an action: right after `@map… =`, where the map functions (count, hist …) go. */
  mapAssignment?: boolean;
}

const WORD_KINDS = new Set(['ident', 'map', 'scratch', 'param']);

/** Where the cursor is, and the word it is typing. */
export function situationAt(text: string, offset: number, scanned: ScanResult = scan(text)): Situation {
  const token = tokenAt(scanned, offset);
  const empty = { prefix: '', from: offset, to: offset };

  if (token?.kind === 'comment' && offset > token.start && (offset < token.end || !isClosedBlock(token.text))) {
    return { kind: 'comment', ...empty };
  }
  if (token?.kind === 'preproc' && offset > token.start) {
    return { kind: 'preamble', ...empty };
  }

  const region = regionAt(scanned, offset);
  if (region === 'top') {
    if (token?.kind === 'probe' && offset > token.start) {
      return { kind: 'probe', prefix: token.text.slice(0, offset - token.start), from: token.start, to: token.end };
    }
    return { kind: 'probe', ...empty };
  }
  if (region === 'preamble') {
    return { kind: 'preamble', ...empty };
  }

  const within: 'filter' | 'action' = region === 'filter' ? 'filter' : 'action';
  const call = innermostCall(scanned, offset, within);

  if (token?.kind === 'string' && offset > token.start) {
    const closed = token.end - token.start >= 2 && token.text.endsWith('"') && offset === token.end;
    if (!closed) {
      return { kind: 'string', ...empty, call };
    }
  }

  const word = token && WORD_KINDS.has(token.kind) && offset > token.start ? token : undefined;
  const range = word ? { prefix: word.text.slice(0, offset - word.start), from: word.start, to: word.end } : empty;

  const before = previousToken(scanned, word ? word.start : offset);
  if (before && before.kind === 'punct' && (before.text === '.' || before.text === '->')) {
    return { kind: 'member', ...range };
  }
  if (call) {
    return { kind: 'functionArgs', ...range, call, within };
  }
  return {
    kind: within,
    ...range,
    mapAssignment: within === 'action' && isMapAssignment(scanned, word ? word.start : offset),
  };
}

function previousToken(scanned: ScanResult, before: number): Token | undefined {
  for (let i = tokenIndexBefore(scanned, before); i >= 0; i--) {
    const t = scanned.tokens[i];
    if (t.kind !== 'comment') {
      return t;
    }
  }
  return undefined;
}

/**
 * The innermost named call whose parentheses hold the cursor. Grouping parentheses are looked
 * through (`hist((a - b) / 1000)` is still in hist); a map key `[…]` or a block is not.
 */
export function innermostCall(
  scanned: ScanResult,
  offset: number,
  within: 'filter' | 'action'
): CallContext | undefined {
  const clause = clauseAt(scanned, offset);
  const span = within === 'filter' ? clause?.filter : clause?.action;
  const start = span?.start ?? 0;
  type Frame = { kind: 'call' | 'group' | 'bracket' | 'brace'; name?: string; argIndex: number; open: number };
  const stack: Frame[] = [];
  let prev: Token | undefined;
  for (const t of scanned.tokens) {
    if (t.start < start) {
      continue;
    }
    if (t.start >= offset) {
      break;
    }
    if (t.kind === 'comment') {
      continue;
    }
    if (t.kind === 'punct') {
      switch (t.text) {
        case '(': {
          const named = prev?.kind === 'ident' && !isKeyword(prev.text);
          stack.push({
            kind: named ? 'call' : 'group',
            name: named ? prev!.text : undefined,
            argIndex: 0,
            open: t.start,
          });
          break;
        }
        case '[':
          stack.push({ kind: 'bracket', argIndex: 0, open: t.start });
          break;
        case '{':
          stack.push({ kind: 'brace', argIndex: 0, open: t.start });
          break;
        case ')':
        case ']':
        case '}':
          stack.pop();
          break;
        case ',':
          if (stack.length > 0) {
            stack[stack.length - 1].argIndex++;
          }
          break;
        case ';':
          // A statement ends: any call still open was never closed; forget it.
          while (stack.length > 0 && stack[stack.length - 1].kind !== 'brace') {
            stack.pop();
          }
          break;
      }
    }
    prev = t;
  }
  for (let i = stack.length - 1; i >= 0; i--) {
    const f = stack[i];
    if (f.kind === 'call') {
      return { name: f.name!, argIndex: f.argIndex, open: f.open };
    }
    if (f.kind !== 'group') {
      return undefined;
    }
  }
  return undefined;
}

/** `@x = |`, `@x[comm] = |`: the tokens before the word are `@map [ … ] =`. */
function isMapAssignment(scanned: ScanResult, wordStart: number): boolean {
  let i = tokenIndexBefore(scanned, wordStart);
  while (i >= 0 && scanned.tokens[i].kind === 'comment') {
    i--;
  }
  if (i < 0 || scanned.tokens[i].text !== '=') {
    return false;
  }
  i--;
  if (i >= 0 && scanned.tokens[i].text === ']') {
    let depth = 0;
    for (; i >= 0; i--) {
      const t = scanned.tokens[i].text;
      if (t === ']') {
        depth++;
      } else if (t === '[') {
        depth--;
        if (depth === 0) {
          i--;
          break;
        }
      }
    }
  }
  return i >= 0 && scanned.tokens[i].kind === 'map';
}

function isClosedBlock(comment: string): boolean {
  return comment.startsWith('/*') && comment.length >= 4 && comment.endsWith('*/');
}
