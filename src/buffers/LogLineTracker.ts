import { lowerBound, upperBound } from '../shared/sorted';

export interface LogLineTrackerOptions {
  /** Lines kept (oldest dropped first). Default 10 000. */
  maxLines?: number;
}

/**
 * The complete lines held, as columns (one entry per line, oldest first). The arrays are only
 * appended to; dropping old lines replaces them. So a frame may reference them with its own
 * length (frames/logs.ts): its rows never change. Re-read them after each update.
 */
export interface LogColumns {
  /** Arrival time (ms) of each line; never decreasing. */
  readonly times: readonly number[];
  /** Position of the line within its tick (0, 1, …): orders the lines of one tick. */
  readonly nanos: readonly number[];
  readonly bodies: readonly string[];
  /** Unique per line, stable while it is held. */
  readonly ids: readonly string[];
}

/** The unterminated last line (a printf without '\n', or a line whose end the PMDA lost). */
export interface PartialLine {
  text: string;
  /** When the text first read so (ms). */
  at: number;
  /** Changes with the line that completes it, so the row is replaced rather than kept. */
  id: string;
}

const DEFAULT_MAX_LINES = 10_000;
/**
 * How much of the previous text is compared to decide that the new text merely continues it: its
 * first line and its last few KB, at the same offsets. Constant work per tick, whatever the size.
 */
const CHECK_CHARS = 4096;

/**
 * Turns the PMDA's printf output into log lines, each complete line exactly once, in order, and
 * keeps them (storage only: frames/logs.ts turns them into a logs frame).
 *
 * The PMDA hands over the whole text every tick, not what is new:
 * - normally ALL output so far (it only grows: hundreds of KB after a while);
 * - with `// table-retain-lines: N`, the first line (a header) and the last N lines: once full,
 *   old lines drop out of the front.
 * So each tick works out what is new:
 * 1. The common case, the text continues the previous one (same first line and same last few KB
 *    at the same place, and not shorter): the new lines are those after the previous end. The work
 *    is proportional to the new text only.
 * 2. Otherwise lines were dropped from the front (or the script restarted). If the first lines are
 *    equal it is the retained header: it is not new again. The longest run of the previous text's
 *    last lines that the new text starts with (after the header) is the overlap, already seen;
 *    what follows it is new. No overlap: every line is new (more than N lines came in one tick, or
 *    the output started over). A text the previous one starts with (it shrank) adds nothing.
 * A last line without its '\n' is not a line yet: it is taken once it is complete.
 *
 * What cannot be told apart, and how it is decided: when lines repeat, the text alone does not say
 * how many were added. Once the retained window is full, `H\ntick\ntick\n` followed by the same
 * text is read as "nothing new", though two more `tick`s may have pushed out two older ones, and
 * in general the LONGEST overlap wins (the fewest new lines: the new text continues the old one).
 * Without table-retain-lines the text only grows and nothing is ambiguous.
 *
 * Every line of one tick gets that tick's arrival time and its position within the tick (`nanos`),
 * so the lines of one tick keep their order in either sort order.
 */
export class LogLineTracker {
  readonly maxLines: number;

  private prevText = '';
  /** End of the last complete line of prevText (just after its '\n'): everything before is taken. */
  private consumed = 0;
  /** prevText's first line (with its '\n'), capped at CHECK_CHARS. */
  private prevHead = '';
  /** prevText's last CHECK_CHARS characters. */
  private prevTail = '';

  // Columns: appended to, never changed in place; replaced when old lines are dropped, so a frame
  // handed out earlier keeps its rows (it references the arrays with its own length).
  private times: number[] = [];
  private nanos: number[] = [];
  private bodies: string[] = [];
  private ids: string[] = [];
  private seq = 0;
  /** Lines dropped from the front to stay within maxLines, since the start. */
  private droppedLines = 0;
  /** The text after the last '\n' (not a line yet), and since when it reads so. */
  private partialText = '';
  private partialAt = 0;

  constructor(options: LogLineTrackerOptions = {}) {
    const maxLines = options.maxLines ?? DEFAULT_MAX_LINES;
    if (!(maxLines >= 1) || !Number.isFinite(maxLines)) {
      throw new RangeError(`maxLines must be at least 1, got ${maxLines}`);
    }
    this.maxLines = Math.floor(maxLines);
  }

  /** Lines held now. */
  get lineCount(): number {
    return this.bodies.length;
  }

  /** Lines dropped to keep at most maxLines, since the start: the panel says so. */
  get dropped(): number {
    return this.droppedLines;
  }

  /** The unterminated last line, or '' (see partialLine). */
  get partial(): string {
    return this.partialText;
  }

  /** The complete lines that arrived in [from, to], in order (e.g. for a CSV table of the range). */
  linesIn(from = -Infinity, to = Infinity): string[] {
    const [start, end] = this.rowsIn(from, to);
    return this.bodies.slice(start, end);
  }

  /**
   * Takes the text of one tick.
   *
   * @returns how many new complete lines it held.
   */
  update(text: string, arrivedAtMs: number): number {
    const lines = this.continuesPrevious(text) ? this.appendedLines(text) : this.rewrittenLines(text);
    this.remember(text);
    this.add(lines, arrivedAtMs);
    const partial = stripCr(text.slice(text.lastIndexOf('\n') + 1));
    if (partial !== this.partialText) {
      this.partialText = partial;
      this.partialAt = arrivedAtMs;
    }
    return lines.length;
  }

  /** The lines held, as columns (see LogColumns). */
  get columns(): LogColumns {
    return { times: this.times, nanos: this.nanos, bodies: this.bodies, ids: this.ids };
  }

  /** The unterminated last line, when there is one (see PartialLine). */
  get partialLine(): PartialLine | undefined {
    return this.partialText === ''
      ? undefined
      : { text: this.partialText, at: this.partialAt, id: `partial_${this.seq}` };
  }

  /** [start, end) of the rows with from <= time <= to (times never decrease). */
  rowsIn(from: number, to: number): [number, number] {
    const start = lowerBound(this.times, from);
    return [start, Math.max(start, upperBound(this.times, to))];
  }

  /** Cheap test (bounded work) that `text` is the previous text with more appended. */
  private continuesPrevious(text: string): boolean {
    const prev = this.prevText;
    if (text.length < prev.length) {
      return false;
    }
    return text.startsWith(this.prevHead) && text.startsWith(this.prevTail, prev.length - this.prevTail.length);
  }

  /** The complete lines after what was taken, in a text that continues the previous one. */
  private appendedLines(text: string): string[] {
    const lines: string[] = [];
    let start = this.consumed;
    let nl: number;
    while ((nl = text.indexOf('\n', start)) !== -1) {
      lines.push(stripCr(text.slice(start, nl)));
      start = nl + 1;
    }
    this.consumed = start;
    return lines;
  }

  /** The new complete lines of a text that does not continue the previous one. */
  private rewrittenLines(text: string): string[] {
    const end = text.lastIndexOf('\n') + 1;
    const current = splitLines(text, end);
    const previous = splitLines(this.prevText, this.consumed);
    this.consumed = end;
    if (current.length === 0 || this.prevText.startsWith(text.slice(0, end))) {
      return [];
    }
    if (previous.length > 0 && previous[0] === current[0]) {
      // The retained header: not new; match the rest.
      const overlap = longestOverlap(previous, 1, current, 1);
      return current.slice(1 + overlap);
    }
    return current.slice(longestOverlap(previous, 0, current, 0));
  }

  private remember(text: string): void {
    this.prevText = text;
    const firstNl = text.indexOf('\n');
    this.prevHead = text.slice(0, Math.min(firstNl === -1 ? text.length : firstNl + 1, CHECK_CHARS));
    this.prevTail = text.slice(Math.max(0, text.length - CHECK_CHARS));
    // A text that shrank below what was taken (output started over): start from its own end.
    this.consumed = Math.min(this.consumed, text.lastIndexOf('\n') + 1);
  }

  private add(lines: readonly string[], arrivedAtMs: number): void {
    if (lines.length === 0) {
      return;
    }
    let times = this.times;
    let nanos = this.nanos;
    let bodies = this.bodies;
    let ids = this.ids;
    const excess = bodies.length + lines.length - this.maxLines;
    this.droppedLines += Math.max(0, excess);
    if (excess > 0) {
      // New arrays (never splice): frames already handed out keep their rows. This copies up to
      // maxLines entries on each tick that brings lines once full: cheap next to the text itself.
      times = times.slice(excess);
      nanos = nanos.slice(excess);
      bodies = bodies.slice(excess);
      ids = ids.slice(excess);
    }
    // Only the newest maxLines of this tick can be kept anyway.
    const from = Math.max(0, lines.length - this.maxLines);
    for (let i = from; i < lines.length; i++) {
      times.push(arrivedAtMs);
      // Sub-millisecond order within the tick (Field.nanos holds 0..999 999).
      nanos.push(Math.min(i, 999_999));
      bodies.push(lines[i]);
      ids.push(`${arrivedAtMs}_${this.seq + i}`);
    }
    this.seq += lines.length;
    this.times = times;
    this.nanos = nanos;
    this.bodies = bodies;
    this.ids = ids;
  }
}

/** The complete lines of text[0, end) (end just after a '\n', or 0). */
function splitLines(text: string, end: number): string[] {
  if (end <= 0) {
    return [];
  }
  const lines = text.slice(0, end - 1).split('\n');
  return lines.map(stripCr);
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/**
 * The largest j such that a's last j elements (from a[aStart] on) equal b's first j elements
 * (from b[bStart] on): how far b continues a. Knuth–Morris–Pratt over lines, O(|a| + |b|) even
 * when every line is the same.
 */
export function longestOverlap(a: readonly string[], aStart: number, b: readonly string[], bStart: number): number {
  const m = Math.min(b.length - bStart, a.length - aStart);
  if (m <= 0) {
    return 0;
  }
  // failure[q] = length of the longest proper prefix of b[bStart, bStart+q+1) that is also its suffix.
  const failure = new Array<number>(m).fill(0);
  for (let q = 1, k = 0; q < m; q++) {
    while (k > 0 && b[bStart + q] !== b[bStart + k]) {
      k = failure[k - 1];
    }
    if (b[bStart + q] === b[bStart + k]) {
      k++;
    }
    failure[q] = k;
  }
  // Only the last m lines of a can take part in an overlap of at most m lines.
  let q = 0;
  for (let i = a.length - m; i < a.length; i++) {
    while (q > 0 && (q === m || a[i] !== b[bStart + q])) {
      q = failure[q - 1];
    }
    if (a[i] === b[bStart + q]) {
      q++;
    }
  }
  return q;
}
