import { scan } from '../lexer/scan';
import { BpftraceQuery } from '../types';

/** Longer lines are cut here: query history shows one line per query. */
const MAX_CHARS = 120;

/**
 * How a query reads in Explore's query history and elsewhere one line is shown: the first line of
 * the script that holds code (not a comment, a blank line or a `#include`), and the host when the
 * query names its own.
 */
export function queryDisplayText(query: Pick<BpftraceQuery, 'code' | 'hostspec'>): string {
  const code = query.code ?? '';
  const first = scan(code).tokens.find((t) => t.kind !== 'comment' && t.kind !== 'preproc');
  let line = '';
  if (first) {
    const start = code.lastIndexOf('\n', first.start) + 1;
    const end = code.indexOf('\n', first.start);
    line = code.slice(start, end < 0 ? code.length : end).trim();
    // A comment after the code on that line is no part of what the query does.
    const comment = scan(line).tokens.find((t) => t.kind === 'comment');
    line = (comment ? line.slice(0, comment.start) : line).trim();
  }
  if (line.length > MAX_CHARS) {
    line = `${line.slice(0, MAX_CHARS - 1)}…`;
  }
  const host = query.hostspec?.trim();
  const text = line || '(empty script)';
  return host ? `${text} · on ${host}` : text;
}
