import { positionOf } from '../lexer/scan';

export type Severity = 'error' | 'warning' | 'info';

/** A problem at a place in the user's code; lines and columns are 1-based, `endColumn` exclusive. */
export interface Diagnostic {
  severity: Severity;
  /** Why, and what to do. */
  message: string;
  /** A stable id (`pmda-keyed-hist`, `bpftrace-error` …) for tests and for telling sources apart. */
  code: string;
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
}

/** A diagnostic over `[start, end)` of `text`; an empty span marks one character. */
export function diagnosticAt(
  text: string,
  start: number,
  end: number,
  severity: Severity,
  code: string,
  message: string
): Diagnostic {
  const from = positionOf(text, start);
  const to = positionOf(text, Math.max(end, start + 1));
  return {
    severity,
    code,
    message,
    startLine: from.line,
    startColumn: from.column,
    endLine: to.line,
    endColumn: to.column,
  };
}

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Errors first, then by position. */
export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return [...list].sort(
    (a, b) => RANK[a.severity] - RANK[b.severity] || a.startLine - b.startLine || a.startColumn - b.startColumn
  );
}
