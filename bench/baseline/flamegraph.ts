// main's flame-graph builder before issue 13 (full re-sort every build), unchanged: the "before" of
// bench/flamegraph.bench.ts. Not used by the plugin.
import { DataFrame, FieldType } from '@grafana/data';

import type { SeriesColumn, WideSeriesBuffer } from './WideSeriesBuffer';
import { isIdleStack, isUnresolvedFrame, splitStackKey } from '../../src/frames/stacks';

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
 * A stack's samples in the range are the increases observed at the rows whose time lies in
 * [from, to], each against the row before (which may lie before `from`): an increase is counted
 * at the time it was seen, like the buffer's rate column. A decrease is a reset (clear(), a
 * restarted script): the new value counts. A null is a key missing from that print of the map,
 * which for a count() map means zero (not hit since the start or the last clear()): the next value
 * counts in full, so the first samples of a stack that appears mid-range are kept. Row 0 never
 * counts: nothing tells what its value accumulated since.
 *
 * Root `all` at level 0, then (keyPartsAsRoots) the key parts, then the outermost caller …
 * the sampled frame. Siblings are ordered by label (code-unit order), as in classic flame graphs:
 * the picture does not reshuffle while a live profile's counts change. A range without samples
 * gives the root alone with a value of 0 (Grafana's flame graph throws on a frame without rows).
 *
 * Cost: O(keys × rows in range) for the counts, then a sort of the stacks' label paths and one
 * sweep over them (see nestedSetFrame). Parsing the key strings is cached per buffer (see
 * StackCache), so a live panel re-parses only the stacks that are new since its last build.
 */
export function buildFlameGraphFrame(buffer: WideSeriesBuffer, options: FlameGraphFrameOptions): DataFrame {
  const cache = stackCache(buffer);
  const times = buffer.times;
  // First row whose time is >= from, but never row 0; last row whose time is <= to.
  const first = Math.max(1, lowerBound(times, options.from));
  const last = upperBound(times, options.to) - 1;

  const paths: Array<readonly number[]> = [];
  const counts: number[] = [];
  if (first <= last) {
    const withParts = options.keyPartsAsRoots === true;
    const resolvedOnly = options.hideUnresolved === true;
    for (const key of buffer.keys()) {
      const samples = samplesInRange(buffer.column(key, 'raw') as SeriesColumn, first, last);
      if (samples <= 0) {
        continue;
      }
      const stack = cache.parsed(key);
      if (options.hideIdle && stack.idle) {
        continue;
      }
      paths.push(cache.path(stack, withParts, resolvedOnly));
      counts.push(samples);
    }
  }
  return nestedSetFrame(paths, counts, cache, options);
}

/** Samples of one stack at rows first..last (first >= 1): see buildFlameGraphFrame. */
export function samplesInRange(column: SeriesColumn, first: number, last: number): number {
  let sum = 0;
  let prev = column[first - 1];
  for (let r = first; r <= last; r++) {
    const v = column[r];
    if (v !== null) {
      const d = prev === null || v < prev ? v : v - prev;
      if (d > 0) {
        sum += d;
      }
    }
    prev = v;
  }
  return sum;
}

/** First index with times[i] >= t (times.length if none). */
function lowerBound(times: readonly number[], t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid] < t) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

/** First index with times[i] > t (times.length if none). */
function upperBound(times: readonly number[], t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid] <= t) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

// ------------------------------------------------------------------------------------------------
// Parsed stack keys, cached per buffer.

/** One stack key, its frames and parts as ids into the cache's label table. */
interface ParsedStack {
  /** Outermost first. */
  frames: number[];
  parts: number[];
  idle: boolean;
  /** The label paths the options ask for, made on first use: [parts?][resolved only?]. */
  paths: Array<number[] | undefined>;
}

/**
 * Stack keys parsed once per buffer: a live panel rebuilds its flame graph on every poll from the
 * same, slowly growing set of keys. Labels are interned into one table, so paths are arrays of
 * small integers. When the buffer forgets keys (eviction, clear()) the cache starts over, which
 * also bounds the label table by what the buffer still holds.
 */
class StackCache {
  readonly labels: string[] = [];
  private readonly ids = new Map<string, number>();
  private readonly unresolved: boolean[] = [];
  private readonly entries = new Map<string, ParsedStack>();
  private keys: readonly string[] = [];
  private rank: Int32Array | undefined;

  /** Whether this cache still fits the buffer's keys (none forgotten since it was made). */
  fits(keys: readonly string[]): boolean {
    if (keys === this.keys) {
      return true;
    }
    if (this.entries.size > keys.length) {
      return false;
    }
    this.keys = keys;
    return true;
  }

  parsed(key: string): ParsedStack {
    let p = this.entries.get(key);
    if (!p) {
      const { frames, parts } = splitStackKey(key);
      p = {
        frames: frames.map((f) => this.id(f)),
        parts: parts.map((f) => this.id(f)),
        idle: isIdleStack(frames),
        paths: [],
      };
      this.entries.set(key, p);
    }
    return p;
  }

  /** The stack's path under the root: key parts first (withParts), frames without unresolved ones (resolvedOnly). */
  path(p: ParsedStack, withParts: boolean, resolvedOnly: boolean): number[] {
    const variant = (withParts ? 2 : 0) + (resolvedOnly ? 1 : 0);
    let path = p.paths[variant];
    if (!path) {
      const frames = resolvedOnly ? p.frames.filter((id) => !this.unresolved[id]) : p.frames;
      path = withParts && p.parts.length > 0 ? p.parts.concat(frames) : frames;
      p.paths[variant] = path;
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

  private id(label: string): number {
    let id = this.ids.get(label);
    if (id === undefined) {
      id = this.labels.length;
      this.labels.push(label);
      this.unresolved.push(isUnresolvedFrame(label));
      this.ids.set(label, id);
    }
    return id;
  }
}

const caches = new WeakMap<WideSeriesBuffer, StackCache>();

function stackCache(buffer: WideSeriesBuffer): StackCache {
  let cache = caches.get(buffer);
  if (!cache || !cache.fits(buffer.keys())) {
    cache = new StackCache();
    cache.fits(buffer.keys());
    caches.set(buffer, cache);
  }
  return cache;
}

// ------------------------------------------------------------------------------------------------
// The nested set. Sorting the label paths (by label rank, a prefix before its extensions) lays
// them out in exactly the pre-order of the tree with siblings in label order; one sweep then emits
// a row wherever a path leaves the previous one. No tree of objects and no per-node map is built:
// the work is the sort plus O(total path length), and the four columns are plain arrays filled once.

function nestedSetFrame(
  paths: Array<readonly number[]>,
  counts: number[],
  cache: StackCache,
  options: FlameGraphFrameOptions
): DataFrame {
  const labels: string[] = [];
  const levels: number[] = [];
  const values: number[] = [];
  const selfs: number[] = [];

  if (paths.length > 0) {
    const rank = cache.ranks();
    const compare = (a: readonly number[], b: readonly number[]): number => {
      const n = a.length < b.length ? a.length : b.length;
      for (let i = 0; i < n; i++) {
        if (a[i] !== b[i]) {
          return rank[a[i]] - rank[b[i]];
        }
      }
      return a.length - b.length;
    };
    const order = paths.map((_, i) => i).sort((x, y) => compare(paths[x], paths[y]));

    const minSamples = options.minSamples ?? 0;
    labels.push(ROOT_LABEL);
    levels.push(0);
    values.push(0);
    selfs.push(0);
    /** Row of the current node at each depth along the previous path; open[0] is the root. */
    const open: number[] = [0];
    let prev: readonly number[] = [];
    for (let k = 0; k < order.length;) {
      // Keys that draw the same path (offsets stripped, parts dropped …) are one stack.
      const path = paths[order[k]];
      let samples = 0;
      do {
        samples += counts[order[k]];
        k++;
      } while (k < order.length && compare(paths[order[k]], path) === 0);
      if (samples < minSamples) {
        continue;
      }
      let common = 0;
      const n = path.length < prev.length ? path.length : prev.length;
      while (common < n && path[common] === prev[common]) {
        common++;
      }
      for (let d = common; d < path.length; d++) {
        open[d + 1] = labels.length;
        labels.push(cache.labels[path[d]]);
        levels.push(d + 1);
        values.push(0);
        selfs.push(0);
      }
      for (let d = 0; d <= path.length; d++) {
        values[open[d]] += samples;
      }
      selfs[open[path.length]] += samples;
      prev = path;
    }
  }
  if (labels.length === 0) {
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
