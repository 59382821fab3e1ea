import { MAX_OUTPUT_LINES } from '../scripts/naming';

/** The query option "Output lines" as the editor shows it: its bound, and what is wrong with a value. */
export const OUTPUT_LINES_MAX = MAX_OUTPUT_LINES;

/** Why the editor marks the value (it is bounded to OUTPUT_LINES_MAX when the script is made), or undefined. */
export function outputLinesError(outputLines: number | undefined): string | undefined {
  if (outputLines === undefined || outputLines <= MAX_OUTPUT_LINES) {
    return undefined;
  }
  // Short: Grafana shows it in one line under the field; the tooltip says why there is a bound.
  return `At most ${MAX_OUTPUT_LINES.toLocaleString('en-US')}: the script keeps ${MAX_OUTPUT_LINES.toLocaleString('en-US')} lines.`;
}
