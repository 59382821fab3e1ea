import { emptyShape, idleAfter, idleRole, isUnresolvedFrame, normalizeRange, scanStackKey, stackParts } from './stacks';

/**
 * Stack keys (see ./stacks for their format) as paths of label ids, one key at a time over tables
 * shared by all the keys of a buffer.
 *
 * A profile's first flame graph parses every key it draws: 10,000 stacks of 40 frames are
 * 400,000 frame lines, yet only some 10,000 distinct ones (and a few hundred distinct functions).
 * Each line is cut out of its key as written and looked up in a table of the distinct lines; only
 * a line never seen is normalized to its label (normalizeRange), once. Slicing and the lookup's
 * hashing are native and fast from the first call, which matters here: a first build runs cold
 * code. The lookups are most of the parse (on 10,000 × 40: finding and slicing the lines ~10 ms,
 * with the lookups ~49 ms). Measured and dropped, in Node 20 on 10,000 × 40: a hash table probed
 * by a fingerprint of each line's characters, and tails of stacks shared between keys proved by
 * one string comparison each (both read characters in JavaScript and were 1.4–2× slower cold); a
 * trie of the lines, each line compared (===) with its node's children (2× slower); tails of the
 * key cut at fixed distances from its end and looked up whole (hashing them costs what it saves:
 * 20 % slower); chunks of 4 or 8 lines aligned from the end, looked up whole (18 % slower);
 * `split('\n')` instead of slicing (no faster; with a Map, 40 % slower); the symbol without its
 * `+offset` as the lookup key (found with lastIndexOf and a digit check: 45 % slower); an FNV
 * hash of the characters in JavaScript, checked with startsWith, so a hit makes no string (50 %
 * slower warm, 1.5–1.8× cold).
 *
 * Labels get one id each. The tables live as long as the parser: one per buffer's key set (see
 * flamegraph.ts), so the keys a live profile adds later mostly hit lines already seen.
 */
export interface ParsedKey {
  /** Label ids, outermost caller first … the sampled frame last. */
  frames: number[];
  /** The other key parts (comm, pid …) as label ids, in key order. */
  parts: number[];
  /** See isIdleStack. */
  idle: boolean;
}

/** A line without a label (blank). */
const NO_LABEL = -1;
/** The parts of a key that has none (shared: parts are only read). */
const NO_PARTS: number[] = [];

export class StackParser {
  /** Label of each id. */
  readonly labels: string[] = [];
  /** Per label id: an unresolved frame (isUnresolvedFrame). */
  readonly unresolved: boolean[] = [];
  private readonly roles: number[] = [];
  private readonly labelIds = new Map<string, number>();
  /**
   * Each distinct frame line, as written (offsets and all), to its label id or NO_LABEL. A
   * prototype-less object rather than a Map: a Map hashes each fresh slice through a call into
   * the runtime, a property lookup finds it in V8's string table; measured on 400,000 lines of
   * 10,000 keys (Node 20), 33 ms against 45.
   */
  private readonly lineLabels: Record<string, number> = Object.create(null);
  private readonly shape = emptyShape();

  /** One key; keys may come in any order (a flame graph parses each the first time it draws it). */
  parse(key: string): ParsedKey {
    const shape = scanStackKey(key, this.shape);
    const { starts, ends } = shape;
    const lineLabels = this.lineLabels;
    const roles = this.roles;
    const frames: number[] = [];
    let idle = false;
    for (let i = shape.lines - 1; i >= 0; i--) {
      const line = key.slice(starts[i], ends[i]);
      let label = lineLabels[line];
      if (label === undefined) {
        label = this.lineLabel(line);
      }
      if (label !== NO_LABEL) {
        frames.push(label);
        idle = idleAfter(idle, roles[label]);
      }
    }
    const parts = stackParts(shape);
    return { frames, parts: parts.length === 0 ? NO_PARTS : parts.map((p) => this.labelId(p)), idle };
  }

  /** A line not seen before: its label, normalized once. */
  private lineLabel(line: string): number {
    const text = normalizeRange(line, 0, line.length);
    const label = text === '' ? NO_LABEL : this.labelId(text);
    this.lineLabels[line] = label;
    return label;
  }

  private labelId(label: string): number {
    let id = this.labelIds.get(label);
    if (id === undefined) {
      id = this.labels.length;
      this.labels.push(label);
      this.unresolved.push(isUnresolvedFrame(label));
      this.roles.push(idleRole(label));
      this.labelIds.set(label, id);
    }
    return id;
  }
}
