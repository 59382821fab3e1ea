import { MAX_OUTPUT_LINES } from '../scripts/naming';

/** The query option "Output lines" as the editor shows it: its bound, and what is wrong with a value. */
export const OUTPUT_LINES_MAX = MAX_OUTPUT_LINES;

/** Why the editor marks the value (it is bounded to OUTPUT_LINES_MAX when the script is made), or undefined. */
export function outputLinesError(outputLines: number | undefined): string | undefined {
  if (outputLines === undefined || outputLines <= MAX_OUTPUT_LINES) {
    return undefined;
  }
  return (
    `At most ${MAX_OUTPUT_LINES.toLocaleString('en-US')}: the script keeps that many. For every printed line ` +
    'the PMDA copies all the lines it keeps, in the process that serves every script of the host.'
  );
}
