import { Children } from '../pmapi/types';

/**
 * From what the user types to the PCP metric names it means: `kernel.all.load`, `disk.dev.*`,
 * `kernel.all.cpu.{user,sys}`-free globs (`*` and `?` within one part of the name), several of
 * them separated by commas or spaces. A name that is not a leaf stands for every metric under it,
 * as pminfo and pmrep read it (`disk.dev` is all of disk.dev.*). The walk asks the host's own
 * namespace (`/pmapi/children`) one level at a time, and only below the first wildcard.
 */

/** At most this many metrics per query: each is a series set per tick, and the fetch's URL grows. */
export const MAX_METRICS = 200;

export type ChildrenSource = (prefix: string) => Promise<Children>;

/** The patterns of a Metrics field: split on commas and white space, duplicates dropped. */
export function metricPatterns(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter((p) => p !== ''))];
}

/** Whether a part of a name holds a wildcard. */
export function hasWildcard(part: string): boolean {
  return /[*?]/.test(part);
}

/** A glob over one part of a metric name: `*` any run of characters, `?` one. */
export function partMatcher(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** Every metric name `pattern` means on the host, sorted; [] when none. Throws past MAX_METRICS. */
export async function expandMetricPattern(pattern: string, children: ChildrenSource): Promise<string[]> {
  const parts = pattern.split('.');
  const firstWild = parts.findIndex(hasWildcard);
  const found = new Set<string>();
  if (firstWild < 0) {
    // A plain name: a leaf is itself, a non-leaf its subtree. Its parent's children say which.
    const parent = parts.slice(0, -1).join('.');
    const list = await children(parent);
    const last = parts[parts.length - 1];
    if (list.leaf.includes(last)) {
      return [pattern];
    }
    if (list.nonleaf.includes(last)) {
      await addSubtree(pattern, children, found);
    }
    return [...found].sort();
  }
  await walk(parts.slice(0, firstWild).join('.'), parts.slice(firstWild), children, found);
  return [...found].sort();
}

async function walk(prefix: string, rest: string[], children: ChildrenSource, found: Set<string>): Promise<void> {
  const [part, ...below] = rest;
  const matches = partMatcher(part);
  const list = await children(prefix);
  const join = (name: string) => (prefix ? `${prefix}.${name}` : name);
  for (const leaf of list.leaf) {
    if (below.length === 0 && matches.test(leaf)) {
      add(found, join(leaf));
    }
  }
  for (const node of list.nonleaf) {
    if (!matches.test(node)) {
      continue;
    }
    if (below.length === 0) {
      await addSubtree(join(node), children, found);
    } else if (hasWildcard(below[0])) {
      await walk(join(node), below, children, found);
    } else {
      // Literal parts below a wildcard: go down them without asking, then walk on.
      const literal = below.findIndex(hasWildcard);
      const end = literal < 0 ? below.length : literal;
      const name = [join(node), ...below.slice(0, end)].join('.');
      if (end === below.length) {
        for (const m of await expandMetricPattern(name, children).catch(notThere([]))) {
          add(found, m);
        }
      } else {
        await walk(name, below.slice(end), children, found).catch(notThere(undefined));
      }
    }
  }
}

async function addSubtree(prefix: string, children: ChildrenSource, found: Set<string>): Promise<void> {
  const list = await children(prefix);
  for (const leaf of list.leaf) {
    add(found, `${prefix}.${leaf}`);
  }
  for (const node of list.nonleaf) {
    await addSubtree(`${prefix}.${node}`, children, found);
  }
}

/** Too many matches: the walk stops at once and the query says so. */
export class TooManyMetricsError extends Error {}

/** A literal path under a wildcard that one branch lacks (`disk.*.read` under disk.all): nothing there. */
function notThere<T>(value: T): (e: unknown) => T {
  return (e) => {
    if (e instanceof TooManyMetricsError) {
      throw e;
    }
    return value;
  };
}

function add(found: Set<string>, name: string) {
  found.add(name);
  if (found.size > MAX_METRICS) {
    throw new TooManyMetricsError(
      `More than ${MAX_METRICS} metrics match: name fewer (e.g. disk.dev.read* instead of disk.*).`
    );
  }
}
