import { DataFrame } from '@grafana/data';

/**
 * A flame-graph frame (the nested set of ./flamegraph or ./flamegraphDiff) as folded stacks, the
 * text Brendan Gregg's flamegraph.pl, speedscope, inferno and Pyroscope read: one line per call
 * path that has samples of its own, its frames root first joined by ';', a space, the count:
 *
 *   swapper/0;secondary_startup_64;cpu_startup_entry;do_idle 412
 *
 * The root box (`all`) is not a frame and is left out. A line's count is the node's `self`, so
 * the lines add up to the root's total and folding them back gives the same graph. A diff frame
 * gives two counts per line, baseline then comparison (`a;b 10 14`), the form flamegraph.pl
 * draws as a differential flame graph (difffolded.pl's output). Lines are in the frame's order
 * (siblings by name). The format has no quoting, so in a label ';' becomes ':' and a line break
 * or tab a space (key parts such as a comm may hold them).
 */
export function foldedStacks(frame: DataFrame): string {
  const column = (name: string) => frame.fields.find((f) => f.name === name)?.values;
  const labels = column('label');
  const levels = column('level');
  const selfs = column('self');
  if (!labels || !levels || !selfs) {
    throw new Error('not a flame graph: folded stacks need the label, level and self fields');
  }
  const selfsRight = column('valueRight') && column('selfRight');
  const path: string[] = [];
  const lines: string[] = [];
  for (let row = 0; row < frame.length; row++) {
    const level: number = levels[row];
    if (level === 0) {
      continue;
    }
    path.length = level - 1;
    path.push(foldedLabel(String(labels[row])));
    const self = Number(selfs[row]) || 0;
    const selfRight = selfsRight ? Number(selfsRight[row]) || 0 : 0;
    if (self > 0 || selfRight > 0) {
      lines.push(selfsRight ? `${path.join(';')} ${self} ${selfRight}` : `${path.join(';')} ${self}`);
    }
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}

/** A label as one frame of a folded line (see foldedStacks). */
export function foldedLabel(label: string): string {
  return label.replace(/;/g, ':').replace(/[\r\n\t]+/g, ' ');
}
