import { DataFrame, FieldType } from '@grafana/data';

import { increaseOverRows, increaseRows } from '../buffers/increase';
import { lowerBound } from '../shared/sorted';
import { WideSeriesBuffer } from '../buffers/WideSeriesBuffer';
import { ParsedKey, StackParser } from './stackParser';

export interface FlameGraphFrameOptions {
  refId: string;
  /** The selected range in ms since the epoch; `to` may be Infinity (a range that ends now). */
  from: number;
  to: number;
  /** The other key parts (comm, pid …) become the top levels under the root, in key order. */
  keyPartsAsRoots?: boolean;
  /** Leave out idle samples (see isIdleStack in ./stacks). */
  hideIdle?: boolean;
  /** Leave out unresolved frames (`0x7f…`), keeping the rest of their stacks. */
  hideUnresolved?: boolean;
  /** Leave out stacks (as drawn: after the options above) with fewer samples over the range. */
  minSamples?: number;
  /** Unit of `value` and `self`; 'short' by default (sample counts). */
  unit?: string;
}

/** Label of the root node. */
export const ROOT_LABEL = 'all';

/**
 * Grafana's flame-graph frame (a nested set: `label`, `level`, `value` = total incl. children,
 * `self`; rows in pre-order, each node's children right after it) for a stacks map over
 * [from, to], FlameScope-style: selecting a range elsewhere on the dashboard scopes the graph.
 *
 * The buffer holds one cumulative raw count per stack key (samples since the script started).
 * A stack's samples in the range are its counter increase there (buffers/increase: counted at the
 * time a print showed it; resets and keys that appear mid-range count in full).
 *
 * Root `all` at level 0, then (keyPartsAsRoots) the key parts, then the outermost caller …
 * the sampled frame. Siblings are ordered by label (code-unit order), as in classic flame graphs:
 * the picture does not reshuffle while a live profile's counts change. A range without samples
 * gives the root alone with a value of 0 (Grafana's flame graph throws on a frame without rows).
 *
 * Incremental, for a live panel that rebuilds on every poll (everything below is cached per
 * buffer, see StackCache): each stack's samples in the range are updated with the rows that
 * entered and left it since the last build (O(keys × new rows), see RangeSums); a key is parsed
 * (./stackParser) and placed once, by the first build that draws it: a stack without samples in
 * any range built so far costs neither (see Layout); the stacks' label paths are kept sorted, and
 * only the stacks placed since the last build are sorted and merged in; one sweep over the
 * sorted paths then emits the rows. A frame, once returned, never changes: its counts are new
 * arrays on every build, its labels and levels are shared only with frames of the same rows and
 * never written (see RowShape).
 */
export function buildFlameGraphFrame(buffer: WideSeriesBuffer, options: FlameGraphFrameOptions): DataFrame {
  keepShapesAlive();
  const keys = buffer.keys();
  const cache = stackCache(buffer, keys);
  const sums = cache.rangeSums(buffer, keys, options);
  const layout = cache.layout(keys, sums, options);
  return nestedSetFrame(layout, sums, cache, options);
}

/**
 * A tiny profile whose flame graph is built once and kept for the page's life, so that one object
 * of each kind the builder makes (cache, parser, parsed key, layout, sums …) always lives. V8
 * collects an object shape (a map) once no object of it is left, and throws away the optimized
 * code that was made for it: without this, each first build after an old buffer's cache had been
 * collected (a query edited, a cache started over) parsed its stacks with the parser's optimized
 * code gone (--trace-deopt over 14 first builds of new buffers: 51 "weak objects" deopts, 43 of
 * them in the parser; with the keeper 5, none in the parser; median first build 73–84 ms against
 * 57–64, Node 20).
 */
let shapeKeeper: WideSeriesBuffer | undefined;

function keepShapesAlive(): void {
  if (shapeKeeper) {
    return;
  }
  shapeKeeper = new WideSeriesBuffer({ retentionMs: 60_000, counter: true, rates: false });
  const key = '\n    keeper+1\n';
  shapeKeeper.append(0, new Map([[key, 1]]));
  shapeKeeper.append(1000, new Map([[key, 2]]));
  buildFlameGraphFrame(shapeKeeper, { refId: 'keeper', from: 0, to: 1000 });
}

// ------------------------------------------------------------------------------------------------
// Parsed stack keys, cached per buffer.

/**
 * Stack keys parsed once per buffer: a live panel rebuilds its flame graph on every poll from the
 * same, slowly growing set of keys. Labels are interned into one table, so paths are arrays of
 * small integers. When the buffer forgets keys (eviction, clear()) the cache starts over, which
 * also bounds the label table by what the buffer still holds.
 */
class StackCache {
  private readonly parser = new StackParser();
  readonly labels = this.parser.labels;
  /** Per key index (the cache's keys only ever grow, see fits): its frames and parts as label ids, once parsed. */
  private readonly parsedKeys: Array<ParsedKey | undefined> = [];
  /**
   * The label paths other than the frames as parsed, made on first use, by path variant (parts?
   * resolved only?) and key index. Kept apart from the parsed keys: a profile's first build
   * (no parts, every frame) then makes no object per key beyond the parser's.
   */
  private readonly otherPaths: Array<Array<number[] | undefined>> = [];
  private keys: readonly string[] = [];
  private rank: Int32Array | undefined;
  /** Per query (refId): its range's sums, kept for the next build. */
  private readonly sums = new Map<string, RangeSums>();
  /** Per option variant (parts, resolved only, idle hidden). */
  private readonly layouts: Array<Layout | undefined> = [];

  /** Whether this cache still fits the buffer's keys: the same list, or the same one with keys added. */
  fits(keys: readonly string[]): boolean {
    const mine = this.keys;
    if (keys === mine) {
      return true;
    }
    if (keys.length < mine.length) {
      return false;
    }
    for (let i = 0; i < mine.length; i++) {
      if (keys[i] !== mine[i]) {
        return false;
      }
    }
    this.keys = keys;
    return true;
  }

  /** Each key's samples in the options' range (by key index), updated from the last build's. */
  rangeSums(buffer: WideSeriesBuffer, keys: readonly string[], options: FlameGraphFrameOptions): number[] {
    const times = buffer.times;
    const rows = increaseRows(times, options.from, options.to);
    // By position (keys is buffer.keys()): no map lookup per key and build.
    const columns = buffer.columns('raw');
    const column = (k: number) => columns[k];
    const before = this.sums.get(options.refId);
    if (rows.first > rows.last) {
      this.sums.delete(options.refId);
      return new Array<number>(keys.length).fill(0);
    }
    const sums = before ? before.sums : [];
    const was = before && rowsNow(before, times);
    if (
      was &&
      was.first <= rows.first &&
      was.last <= rows.last &&
      rows.first - was.first + (rows.last - was.last) <= rows.last - rows.first + 1
    ) {
      const entered = { first: was.last + 1, last: rows.last };
      const left = { first: was.first, last: rows.first - 1 };
      for (let k = 0; k < before.keyCount; k++) {
        const col = column(k);
        sums[k] += increaseOverRows(col, entered) - increaseOverRows(col, left);
      }
      for (let k = before.keyCount; k < keys.length; k++) {
        sums[k] = increaseOverRows(column(k), rows);
      }
    } else {
      for (let k = 0; k < keys.length; k++) {
        sums[k] = increaseOverRows(column(k), rows);
      }
    }
    sums.length = keys.length;
    this.sums.set(options.refId, {
      times,
      first: rows.first,
      last: rows.last,
      firstT: times[rows.first],
      lastT: times[rows.last],
      beforeFirstT: times[rows.first - 1],
      sums,
      keyCount: keys.length,
    });
    return sums;
  }

  /**
   * The stacks' paths for these options in sorted order. Keys are placed the first time they have
   * samples in a build's range (`sums`): a big profile's first build over a range parses and sorts
   * only the stacks it draws; the keys placed now are sorted and merged in.
   */
  layout(keys: readonly string[], sums: readonly number[], options: FlameGraphFrameOptions): Layout {
    const withParts = options.keyPartsAsRoots === true;
    const resolvedOnly = options.hideUnresolved === true;
    const hideIdle = options.hideIdle === true;
    const variant = (withParts ? 2 : 0) + (resolvedOnly ? 1 : 0) + (hideIdle ? 4 : 0);
    const layout = (this.layouts[variant] ??= { keyCount: 0, waiting: [], order: [], common: [], groupOf: [] });
    const fresh: Group[] = [];
    const freshKeys: number[] = [];
    const waiting: number[] = [];
    const place = (k: number) => {
      if (!(sums[k] > 0)) {
        waiting.push(k);
        return;
      }
      const stack = this.parsedKey(keys, k);
      if (hideIdle && stack.idle) {
        return;
      }
      const group: Group = { path: this.path(stack, k, withParts, resolvedOnly), samples: 0 };
      layout.groupOf[k] = group;
      fresh.push(group);
      freshKeys.push(k);
    };
    layout.waiting.forEach(place);
    for (let k = layout.keyCount; k < keys.length; k++) {
      place(k);
    }
    layout.waiting = waiting;
    layout.keyCount = keys.length;
    if (fresh.length > 0) {
      // A comparison sort: measured against a tree of the paths walked in pre-order, it was
      // 3× faster on 10,000 paths of 40 (Node 20).
      const compare = this.comparePaths();
      fresh.sort((x, y) => compare(x.path, y.path));
      mergeInto(layout, fresh, compare, freshKeys);
    }
    return layout;
  }

  /** Orders label paths by label rank, a prefix before its extensions: the pre-order of the tree. */
  comparePaths(): (a: readonly number[], b: readonly number[]) => number {
    const rank = this.ranks();
    return (a, b) => {
      const n = a.length < b.length ? a.length : b.length;
      for (let i = 0; i < n; i++) {
        if (a[i] !== b[i]) {
          return rank[a[i]] - rank[b[i]];
        }
      }
      return a.length - b.length;
    };
  }

  /** Key k parsed, once. */
  parsedKey(keys: readonly string[], k: number): ParsedKey {
    return (this.parsedKeys[k] ??= this.parser.parse(keys[k]));
  }

  /** The stack's path under the root: key parts first (withParts), frames without unresolved ones (resolvedOnly). */
  path(p: ParsedKey, k: number, withParts: boolean, resolvedOnly: boolean): number[] {
    if (!resolvedOnly && (!withParts || p.parts.length === 0)) {
      return p.frames;
    }
    const variant = (withParts ? 2 : 0) + (resolvedOnly ? 1 : 0);
    const paths = (this.otherPaths[variant] ??= []);
    let path = paths[k];
    if (!path) {
      const unresolved = this.parser.unresolved;
      const frames = resolvedOnly ? p.frames.filter((id) => !unresolved[id]) : p.frames;
      path = withParts && p.parts.length > 0 ? p.parts.concat(frames) : frames;
      paths[k] = path;
    }
    return path;
  }

  /** Sort position of each label id in code-unit order of the labels. */
  ranks(): Int32Array {
    if (!this.rank || this.rank.length !== this.labels.length) {
      const labels = this.labels;
      const order = labels
        .map((_, i) => i)
        .sort((a, b) => (labels[a] < labels[b] ? -1 : labels[a] > labels[b] ? 1 : 0));
      const rank = new Int32Array(labels.length);
      order.forEach((id, position) => (rank[id] = position));
      this.rank = rank;
    }
    return this.rank;
  }
}

const caches = new WeakMap<WideSeriesBuffer, StackCache>();

/** The buffer's cache; a new one when the buffer forgot keys (eviction, clear()). */
function stackCache(buffer: WideSeriesBuffer, keys: readonly string[]): StackCache {
  let cache = caches.get(buffer);
  if (!cache || !cache.fits(keys)) {
    cache = new StackCache();
    cache.fits(keys);
    caches.set(buffer, cache);
  }
  return cache;
}

/** One query's range as last built, and every key's samples in it. */
interface RangeSums {
  times: readonly number[];
  first: number;
  last: number;
  /** The times of first and last: they find the rows again after the buffer swapped its arrays. */
  firstT: number;
  lastT: number;
  /** The time of the row before first: the increase counted at first is from it. */
  beforeFirstT: number;
  sums: number[];
  /** How many of the buffer's keys the sums cover. */
  keyCount: number;
}

/** The last build's rows in today's time column, or undefined when they are gone. */
function rowsNow(before: RangeSums, times: readonly number[]): { first: number; last: number } | undefined {
  if (before.times === times) {
    return before;
  }
  const first = lowerBound(times, before.firstT);
  const last = lowerBound(times, before.lastT);
  // Both still there, with every row between them and the row before first (the buffer may have
  // thinned old rows: the increase at a row whose predecessor went is counted from an older one).
  return first >= 1 &&
    times[first] === before.firstT &&
    times[first - 1] === before.beforeFirstT &&
    times[last] === before.lastT &&
    last - first === before.last - before.first
    ? { first, last }
    : undefined;
}

/** Stacks with the same path, in a sweep's order; `samples` is scratch space for one build. */
interface Group {
  path: readonly number[];
  samples: number;
}

/**
 * The stacks of one option variant as groups in pre-order, and which group each key (by index) is
 * in: none for a key not placed yet (no samples in any range built so far: it waits) or hidden
 * (idle, with hideIdle).
 */
interface Layout {
  /** How many of the buffer's keys were looked at: placed, hidden or waiting. */
  keyCount: number;
  /** The keys looked at that had no samples yet: the next builds place them once they have. */
  waiting: number[];
  order: Group[];
  /**
   * common[i]: how many labels order[i] shares with order[i-1]. In this order the prefix shared
   * by two groups is the least of `common` between them, so the sweep never compares paths.
   */
  common: number[];
  groupOf: Array<Group | undefined>;
  /** The rows of the last build (see rowShape). */
  rows?: RowShape;
}

/**
 * Merges the sorted groups of the keys just placed (`freshKeys`) into the layout's order. Keys that draw
 * the same path (offsets stripped, parts dropped …) are one stack: a new group equal to its
 * neighbour is dropped and its keys point to that one. `common` (each group's shared prefix
 * length with the one before it) is carried over where two old groups stay neighbours and
 * measured where a new group is involved.
 */
function mergeInto(
  layout: Layout,
  fresh: Group[],
  compare: (a: readonly number[], b: readonly number[]) => number,
  freshKeys: readonly number[]
) {
  const old = layout.order;
  const order: Group[] = [];
  const common: number[] = [];
  const replaced = new Map<Group, Group>();
  let i = 0;
  let j = 0;
  while (i < old.length || j < fresh.length) {
    const takeOld = j >= fresh.length || (i < old.length && compare(old[i].path, fresh[j].path) <= 0);
    const group = takeOld ? old[i++] : fresh[j++];
    const previous = order.length > 0 ? order[order.length - 1] : undefined;
    let shared = 0;
    if (previous && takeOld && i >= 2 && previous === old[i - 2]) {
      shared = layout.common[i - 1];
    } else if (previous) {
      // One walk gives both the shared prefix and whether a new group repeats its neighbour.
      shared = sharedPrefix(previous.path, group.path);
      if (!takeOld && shared === group.path.length && shared === previous.path.length) {
        replaced.set(group, previous);
        continue;
      }
    }
    order.push(group);
    common.push(shared);
  }
  if (replaced.size > 0) {
    for (const k of freshKeys) {
      const g = layout.groupOf[k];
      const to = g && replaced.get(g);
      if (to) {
        layout.groupOf[k] = to;
      }
    }
  }
  layout.order = order;
  layout.common = common;
}

/** The last row at `level` up to row `last` (the node of a path that another path just extended). */
function lastAtLevel(levels: number[], last: number, level: number): number {
  let r = last;
  while (levels[r] !== level) {
    r--;
  }
  return r;
}

/**
 * value = self + the values of the children, for rows in pre-order: one backward pass that keeps
 * the running sum of each level's finished children.
 */
function totalsFromSelf(levels: number[], selfs: number[], values: number[]): void {
  const childSums: number[] = [0];
  values.length = levels.length;
  for (let r = levels.length - 1; r >= 0; r--) {
    const level = levels[r];
    while (childSums.length < level + 2) {
      childSums.push(0);
    }
    const total = selfs[r] + childSums[level + 1];
    childSums[level + 1] = 0;
    childSums[level] += total;
    values[r] = total;
  }
}

function sharedPrefix(a: readonly number[], b: readonly number[]): number {
  const n = a.length < b.length ? a.length : b.length;
  let c = 0;
  while (c < n && a[c] === b[c]) {
    c++;
  }
  return c;
}

// ------------------------------------------------------------------------------------------------
// The nested set. The groups are in the pre-order of the tree with siblings in label order (see
// Layout); one sweep emits a row wherever a path leaves the previous one (rowShape). No tree of
// objects and no per-node map is built: the work is O(total path length of the stacks with
// samples), and the four columns are plain arrays. The label and level columns depend only on
// which stacks are drawn, so a build that draws the same stacks as the last one reuses them and
// only adds up the counts (O(rows) with no sweep).

function nestedSetFrame(layout: Layout, sums: number[], cache: StackCache, options: FlameGraphFrameOptions): DataFrame {
  let labels: string[] = [];
  let levels: number[] = [];
  const values: number[] = [];
  let selfs: number[] = [];

  let any = false;
  for (let k = 0; k < layout.keyCount; k++) {
    const group = layout.groupOf[k];
    if (group && sums[k] > 0) {
      group.samples += sums[k];
      any = true;
    }
  }
  if (any) {
    const minSamples = options.minSamples ?? 0;
    const order = layout.order;
    const drawn = new Uint8Array(order.length);
    let last = layout.rows;
    let same = last !== undefined && last.order === order;
    for (let g = 0; g < order.length; g++) {
      const samples = order[g].samples;
      drawn[g] = samples > 0 && samples >= minSamples ? 1 : 0;
      same = same && last!.drawn[g] === drawn[g];
    }
    if (!same) {
      last = rowShape(order, layout.common, drawn, cache.labels);
      layout.rows = last;
    }
    // The rows of the last build with these stacks drawn: their labels and levels are shared with
    // the frames built from the same shape (see RowShape: never written once made); only the
    // counts are new.
    labels = last!.labels;
    levels = last!.levels;
    selfs = new Array<number>(labels.length).fill(0);
    const selfRow = last!.selfRow;
    for (let g = 0; g < order.length; g++) {
      const group = order[g];
      if (drawn[g] === 1) {
        selfs[selfRow[g]] += group.samples;
      }
      group.samples = 0;
    }
    totalsFromSelf(levels, selfs, values);
  }
  if (!any) {
    // Nothing in the range: the root alone. A frame without rows makes Grafana's flame graph
    // throw (nestedSetToLevels reads levels[0][0]); a zero root draws as an empty graph.
    labels.push(ROOT_LABEL);
    levels.push(0);
    values.push(0);
    selfs.push(0);
  }

  const unit = options.unit ?? 'short';
  return {
    refId: options.refId,
    fields: [
      { name: 'label', type: FieldType.string, config: {}, values: labels },
      { name: 'level', type: FieldType.number, config: {}, values: levels },
      { name: 'value', type: FieldType.number, config: { unit }, values },
      { name: 'self', type: FieldType.number, config: { unit }, values: selfs },
    ],
    length: labels.length,
    meta: { preferredVisualisationType: 'flamegraph' },
  };
}

/**
 * The rows for a set of drawn groups: labels and levels, and the row that gets each group's own
 * samples. `labels` and `levels` go into every frame built from this shape as they are, so they
 * are never written once rowShape returns (a frame, once returned, never changes): a change of
 * the drawn groups makes a new shape.
 */
interface RowShape {
  order: Group[];
  drawn: Uint8Array;
  labels: string[];
  levels: number[];
  selfRow: Int32Array;
}

/**
 * One sweep over the groups in pre-order: a row wherever a drawn path leaves the previous one. A
 * live profile's rows change only when a stack enters or leaves the range (or minSamples), so the
 * shape is kept (Layout.rows) and the next builds share it.
 */
function rowShape(order: Group[], commonWithPrevious: number[], drawn: Uint8Array, names: string[]): RowShape {
  // First where each drawn group's rows start in its path, which counts the rows: the columns are
  // then made at their final size. Filled by push, their growth (copies of arrays in V8's
  // large-object space) took half of the sweep's time (measured on 96,000 rows of 6,400 groups,
  // Node 20: 5.1–5.7 ms by push, 1.7–3.0 ms counted first).
  const firstNew = new Int32Array(order.length);
  let rows = 1;
  /** Labels shared with the last group drawn (the least `common` since it, see Layout); -1 before any. */
  let shared = -1;
  for (let g = 0; g < order.length; g++) {
    if (commonWithPrevious[g] < shared) {
      shared = commonWithPrevious[g];
    }
    if (drawn[g] === 1) {
      const length = order[g].path.length;
      const from = shared < 0 ? 0 : shared;
      firstNew[g] = from;
      rows += length > from ? length - from : 0;
      shared = length;
    }
  }
  const labels = new Array<string>(rows);
  const levels = new Array<number>(rows);
  labels[0] = ROOT_LABEL;
  levels[0] = 0;
  let n = 1;
  const selfRow = new Int32Array(order.length).fill(-1);
  for (let g = 0; g < order.length; g++) {
    if (drawn[g] === 0) {
      continue;
    }
    const path = order[g].path;
    const from = firstNew[g];
    for (let d = from; d < path.length; d++) {
      labels[n] = names[path[d]];
      levels[n++] = d + 1;
    }
    // The group's own samples go to its deepest node: the last row, or the node it shares in full.
    selfRow[g] = path.length > from ? n - 1 : lastAtLevel(levels, n - 1, path.length);
  }
  return { order, drawn, labels, levels, selfRow };
}
