/**
 * THE bpftrace lexer: tokens with their offsets, and the clause structure
 * (`probes /filter/ { action }`). It never throws and copes with half-typed text, which is what
 * the editor sees most of the time. Everything that reads a script reads it this way — the
 * editor (completion, hover, lints), the comment stripping before a script is sent
 * (scripts/prepare.ts) and the key names of a map (query/keyNames.ts) — so what the editor
 * greys out as a comment is exactly what is left out of the sent text. Only Monaco's syntax
 * colouring (language/bpftrace.ts) has its own rules, because Monaco needs them declarative.
 * Pure: imports nothing.
 */

export type TokenKind =
  | 'comment'
  | 'string'
  | 'number'
  | 'ident'
  /** `@name`, or the bare `@`. */
  | 'map'
  /** `$name`, or a bare `$` being typed. */
  | 'scratch'
  /** `$1`, `$#`. */
  | 'param'
  /** A whole probe spec at the top level: `tracepoint:sched:sched_switch`, `uprobe:/bin/sh:main`. */
  | 'probe'
  | 'punct'
  /** `#include <…>`, `#define …`: the whole line. */
  | 'preproc';

/** Where a piece of text sits: between clauses, in a filter, in an action block, in the preamble. */
export type Region = 'top' | 'filter' | 'action' | 'preamble';

export interface Token {
  kind: TokenKind;
  start: number;
  /** Exclusive. */
  end: number;
  text: string;
  region: Region;
}

export interface Span {
  start: number;
  /** Exclusive. */
  end: number;
}

export interface Clause {
  probes: Token[];
  /** Between the slashes. */
  filter?: Span;
  /** Between the braces (to the end of the text when the brace is not closed yet). */
  action?: Span;
  /** Offset of the opening and closing brace; `close` is undefined while unclosed. */
  open?: number;
  close?: number;
}

export interface ScanResult {
  text: string;
  tokens: Token[];
  clauses: Clause[];
  /** Region changes, in order: from `at` on, text is in `region`. */
  regions: Array<{ at: number; region: Region }>;
}

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /\w/;
const SPACE = /\s/;
const MULTI_PUNCT = /->|\.\.|<<=|>>=|[=!<>]=|&&|\|\||<<|>>|\+\+|--|[-+*/%&|^]=/y;
const NUMBER = /0[xX][0-9a-fA-F_]+[uUlL]*|\d[\d_]*(?:[eE]\d+)?[A-Za-z]*/y;
/** Words that may open a statement before the first probe. */
export const PREAMBLE_KEYWORDS = ['struct', 'union', 'enum', 'config', 'let', 'macro', 'import', 'typedef'];
const PREAMBLE = new Set(PREAMBLE_KEYWORDS);

export function scan(text: string): ScanResult {
  const n = text.length;
  const tokens: Token[] = [];
  const clauses: Clause[] = [];
  const regions: ScanResult['regions'] = [{ at: 0, region: 'top' }];
  let region: Region = 'top';
  let depth = 0;
  let clause: Clause | undefined;
  let i = 0;

  const setRegion = (at: number, r: Region) => {
    region = r;
    const last = regions[regions.length - 1];
    if (last.at === at) {
      last.region = r;
    } else if (last.region !== r) {
      regions.push({ at, region: r });
    }
  };
  const push = (kind: TokenKind, start: number, end: number) => {
    tokens.push({ kind, start, end, text: text.slice(start, end), region });
    i = end;
  };
  const openClause = (): Clause => {
    if (!clause) {
      clause = { probes: [] };
      clauses.push(clause);
    }
    return clause;
  };
  const openAction = (at: number) => {
    const c = openClause();
    c.open = at;
    c.action = { start: at + 1, end: n };
    depth = 1;
    push('punct', at, at + 1);
    setRegion(at + 1, 'action');
  };

  while (i < n) {
    const c = text[i];
    const next = text[i + 1];
    if (SPACE.test(c)) {
      i++;
      continue;
    }
    if (c === '/' && next === '/') {
      const eol = text.indexOf('\n', i);
      push('comment', i, eol < 0 ? n : eol);
      continue;
    }
    if (c === '/' && next === '*') {
      const close = text.indexOf('*/', i + 2);
      push('comment', i, close < 0 ? n : close + 2);
      continue;
    }

    if (region === 'top') {
      if (c === '#' && atLineStart(text, i)) {
        push('preproc', i, endOfDirective(text, i));
        continue;
      }
      if (c === ',' || c === ';' || c === '}' || c === ')') {
        push('punct', i, i + 1);
        continue;
      }
      if (c === '{') {
        openAction(i);
        continue;
      }
      if (c === '/') {
        const at = i;
        const cl = openClause();
        cl.filter = { start: at + 1, end: n };
        push('punct', at, at + 1);
        setRegion(at + 1, 'filter');
        continue;
      }
      if (IDENT_START.test(c)) {
        const word = readWord(text, i);
        if (PREAMBLE.has(word) && !(clause && clause.probes.length > 0) && text[i + word.length] !== ':') {
          setRegion(i, 'preamble');
          push('ident', i, i + word.length);
          continue;
        }
      }
      if (IDENT_START.test(c) || c === '*' || c === '"') {
        const end = endOfProbe(text, i);
        if (clause && clause.open !== undefined) {
          clause = undefined;
        }
        const cl = openClause();
        push('probe', i, end);
        cl.probes.push(tokens[tokens.length - 1]);
        continue;
      }
      push('punct', i, i + 1);
      continue;
    }

    // filter, action, preamble: expressions.
    if (c === '"') {
      push('string', i, endOfString(text, i));
      continue;
    }
    if (/\d/.test(c)) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      push('number', i, i + (m ? m[0].length : 1));
      continue;
    }
    if (c === '@') {
      let j = i + 1;
      while (j < n && IDENT_PART.test(text[j])) {
        j++;
      }
      push('map', i, j);
      continue;
    }
    if (c === '$') {
      if (next === '#') {
        push('param', i, i + 2);
      } else if (next !== undefined && /\d/.test(next)) {
        let j = i + 1;
        while (j < n && /\d/.test(text[j])) {
          j++;
        }
        push('param', i, j);
      } else {
        let j = i + 1;
        while (j < n && IDENT_PART.test(text[j])) {
          j++;
        }
        push('scratch', i, j);
      }
      continue;
    }
    if (IDENT_START.test(c)) {
      push('ident', i, i + readWord(text, i).length);
      continue;
    }

    if (region === 'filter') {
      if (c === '/' && closesFilter(text, i + 1)) {
        const at = i;
        clause!.filter!.end = at;
        push('punct', at, at + 1);
        setRegion(at + 1, 'top');
        continue;
      }
      if (c === '{') {
        // An unclosed filter: the brace opens the action all the same.
        clause!.filter!.end = i;
        openAction(i);
        continue;
      }
    }

    if (c === '{') {
      depth++;
      push('punct', i, i + 1);
      continue;
    }
    if (c === '}') {
      const at = i;
      push('punct', at, at + 1);
      depth = Math.max(0, depth - 1);
      if (depth === 0) {
        if (region === 'action' && clause) {
          clause.action!.end = at;
          clause.close = at;
          clause = undefined;
        }
        setRegion(at + 1, 'top');
      }
      continue;
    }
    if (c === ';' && region === 'preamble' && depth === 0) {
      const at = i;
      push('punct', at, at + 1);
      setRegion(at + 1, 'top');
      continue;
    }
    MULTI_PUNCT.lastIndex = i;
    const m = MULTI_PUNCT.exec(text);
    push('punct', i, i + (m ? m[0].length : 1));
  }

  return { text, tokens, clauses, regions };
}

function readWord(text: string, i: number): string {
  let j = i;
  while (j < text.length && IDENT_PART.test(text[j])) {
    j++;
  }
  return text.slice(i, j);
}

export function atLineStart(text: string, i: number): boolean {
  for (let j = i - 1; j >= 0 && text[j] !== '\n'; j--) {
    if (text[j] !== ' ' && text[j] !== '\t') {
      return false;
    }
  }
  return true;
}

/**
 * A preprocessor line, with `\` continuations, up to a comment that follows it
 * (`#include <linux/sched.h> // task_struct`): the comment is a comment token of its own.
 */
function endOfDirective(text: string, i: number): number {
  let j = i;
  while (j < text.length) {
    const ch = text[j];
    if (ch === '"') {
      j = endOfString(text, j);
    } else if (ch === '/' && (text[j + 1] === '/' || text[j + 1] === '*')) {
      return j;
    } else if (ch === '\n') {
      if (text[j - 1] !== '\\') {
        return j;
      }
      j++;
    } else {
      j++;
    }
  }
  return text.length;
}

/**
 * Index just past a string literal opening at `start`: its closing quote, or the end of the line
 * when it is not closed (as the PMDA's comment stripper reads it too).
 */
export function endOfString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === '\\') {
      i += 2;
    } else if (text[i] === '"') {
      return i + 1;
    } else if (text[i] === '\n') {
      return i;
    } else {
      i++;
    }
  }
  return text.length;
}

/**
 * A probe spec runs to white space, `,`, `{` or a filter's `/`. A `/` is part of it where a
 * segment is a path (`uprobe:/usr/bin/bash:readline`); quoted parts may hold anything.
 */
function endOfProbe(text: string, start: number): number {
  let j = start;
  let segmentStart = start;
  while (j < text.length) {
    const ch = text[j];
    if (ch === '"') {
      j = endOfString(text, j);
      continue;
    }
    if (SPACE.test(ch) || ch === ',' || ch === '{' || ch === '}' || ch === ';') {
      break;
    }
    if (ch === '/') {
      const nextCh = text[j + 1];
      if (nextCh === '/' || nextCh === '*') {
        break;
      }
      if (j === segmentStart || text[segmentStart] === '/') {
        j++;
        continue;
      }
      break;
    }
    if (ch === ':') {
      segmentStart = j + 1;
    }
    j++;
  }
  return j;
}

/** A `/` closes a filter when what follows (past blanks and comments) is `{` or the end. */
function closesFilter(text: string, from: number): boolean {
  let j = from;
  while (j < text.length) {
    const ch = text[j];
    if (SPACE.test(ch)) {
      j++;
    } else if (ch === '/' && text[j + 1] === '/') {
      const eol = text.indexOf('\n', j);
      j = eol < 0 ? text.length : eol;
    } else if (ch === '/' && text[j + 1] === '*') {
      const close = text.indexOf('*/', j + 2);
      j = close < 0 ? text.length : close + 2;
    } else {
      return ch === '{';
    }
  }
  return true;
}

/** The region at an offset (a cursor sits between characters: `{|` is inside the action). */
export function regionAt(result: ScanResult, offset: number): Region {
  let r: Region = 'top';
  for (const change of result.regions) {
    if (change.at > offset) {
      break;
    }
    r = change.region;
  }
  return r;
}

/** Index of the last token that starts before `offset`, or -1. */
export function tokenIndexBefore(result: ScanResult, offset: number): number {
  let lo = 0;
  let hi = result.tokens.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (result.tokens[mid].start < offset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** The token a cursor at `offset` is in or touches at its end (`coun|t`, `count|`). */
export function tokenAt(result: ScanResult, offset: number): Token | undefined {
  const i = tokenIndexBefore(result, offset);
  if (i < 0) {
    return undefined;
  }
  const t = result.tokens[i];
  return offset <= t.end ? t : undefined;
}

/** The token under a position for hover: the one containing `offset` (start inclusive). */
export function tokenUnder(result: ScanResult, offset: number): Token | undefined {
  const i = tokenIndexBefore(result, offset + 1);
  if (i < 0) {
    return undefined;
  }
  const t = result.tokens[i];
  return offset < t.end ? t : undefined;
}

/** The clause whose probes, filter or action contain `offset`. */
export function clauseAt(result: ScanResult, offset: number): Clause | undefined {
  for (const c of result.clauses) {
    const start = c.probes[0]?.start ?? c.filter?.start ?? c.open ?? 0;
    const end = c.close !== undefined ? c.close + 1 : result.text.length;
    if (offset >= start && offset <= end) {
      return c;
    }
  }
  return undefined;
}

/** 1-based line and column of an offset, as Monaco and bpftrace count them. */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** Offset of a 1-based line and column, clamped to the text. */
export function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const eol = text.indexOf('\n', offset);
    if (eol < 0) {
      return text.length;
    }
    offset = eol + 1;
  }
  const eol = text.indexOf('\n', offset);
  const lineEnd = eol < 0 ? text.length : eol;
  return Math.min(offset + Math.max(0, column - 1), lineEnd);
}
