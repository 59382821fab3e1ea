import { scan } from '../lexer/scan';
import { BpftraceQuery, isMetricQuery } from '../types';

/** Longer lines are cut here: query history shows one line per query. */
const MAX_CHARS = 120;

/**
 * How a query reads in Explore's query history and elsewhere one line is shown: the first line of
 * the script that holds code (not a comment, a blank line or a `#include`), and the host when the
 * query names its own.
 */
export function queryDisplayText(query: Pick<BpftraceQuery, 'code' | 'hostspec' | 'queryType' | 'metrics'>): string {
  if (isMetricQuery(query)) {
    // A PCP metric query is its metric names (and its instance filter is detail).
    return onHost(`PCP: ${query.metrics?.trim() || '(no metrics)'}`, query.hostspec);
  }
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
  return onHost(line || '(empty script)', query.hostspec);
}

function onHost(text: string, hostspec: string | undefined): string {
  const host = hostspec?.trim();
  return host ? `${text} · on ${host}` : text;
}
