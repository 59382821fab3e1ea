/**
 * Dashboard variables in a PCP metric query's Metrics field. Metric names only select what is
 * read (no code runs on the host), so any value may go in; a multi-value variable inside a name
 * makes one name per value (`disk.dev.$stat` with read, write → `disk.dev.read, disk.dev.write`),
 * as a user means it, rather than Grafana's comma list written into the middle of one name.
 */

const OPEN = '\u0001';
const BETWEEN = '\u0002';
const CLOSE = '\u0003';

/** The format function to hand Grafana's template service: a multi-value becomes alternatives. */
export function alternativesFormat(value: unknown): string {
  return Array.isArray(value) ? `${OPEN}${value.map(String).join(BETWEEN)}${CLOSE}` : String(value);
}

/** Text written with `alternativesFormat`, each name with alternatives written out once per value. */
export function expandAlternatives(text: string): string {
  return text
    .split(/[\s,]+/)
    .filter((word) => word !== '')
    .flatMap(expandWord)
    .join(', ');
}

function expandWord(word: string): string[] {
  const start = word.indexOf(OPEN);
  const end = word.indexOf(CLOSE, start);
  if (start < 0 || end < 0) {
    return [word];
  }
  const head = word.slice(0, start);
  const rest = expandWord(word.slice(end + 1));
  return word
    .slice(start + 1, end)
    .split(BETWEEN)
    .flatMap((value) => rest.map((tail) => `${head}${value}${tail}`));
}
