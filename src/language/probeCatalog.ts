/**
 * The probes a host offers (the PMDA's `bpftrace.info.tracepoints`: `bpftrace -l` at PMDA start,
 * one comma-separated string), indexed for completion and lints.
 *
 * A host may list 200,000 probes, and completion runs on every keystroke. Probes are grouped by
 * provider and then into buckets by their first characters (split further where many share a
 * start); a bucket is sorted the first time a request needs it, then searched by binary search.
 * Building costs one pass over the list and no global sort (sorting 200,000 strings takes
 * ~200 ms, more than a first completion may).
 *
 * Even that is more than a first completion may cost (splitting and sorting 200,000 probes by
 * provider: ~15–25 ms; indexing 86,000 kprobes: ~15 ms more). So the list is not split at first:
 * a provider is read out of it when first asked for (a native search for `,kprobe:`, noting
 * where each probe lies: see Places), and its index is built a chunk per lookup after its first
 * few; until the index is complete, lookups are answered by one scan of the provider's probes in
 * place (a native `startsWith` each: ~2–4 ms for 86,000), with exactly the index's answers (see
 * Scan).
 */

import { lowerBound, upperBound } from '../shared/sorted';

/** Characters per level of the index. */
const STEP = 3;
/** A bucket with more strings than this is split by the next characters. */
const LEAF_MAX = 1024;

/** A bucket of strings sharing their first characters; sorted the first time it is searched. */
interface Leaf {
  items: string[];
  sorted: boolean;
}

/** Buckets keyed by the first `depth` characters; big ones are split again, deeper. */
interface Split {
  depth: number;
  children: Map<string, Leaf | Split>;
  /** Child keys, sorted on first use. */
  keys?: string[];
  size: number;
}

const isLeaf = (n: Leaf | Split): n is Leaf => (n as Leaf).items !== undefined;
const sizeOf = (n: Leaf | Split): number => (isLeaf(n) ? n.items.length : n.size);

/**
 * Strings in buckets by their first characters (a "burst trie"): a bucket of more than LEAF_MAX
 * is split by the next characters when first searched, so no bucket is ever big to sort, even
 * when 70,000 names share their start (`vmlinux:…`, `/usr/lib/…`).
 */
class PrefixIndex {
  private root: Split = { depth: STEP, children: new Map(), size: 0 };
  /** Nodes settle() has still to visit, once it started. */
  private unsettled?: Unsettled[];

  get size(): number {
    return this.root.size;
  }

  /** One level only while building: big buckets are split later, when first searched. */
  add(s: string) {
    const root = this.root;
    root.size++;
    if (addToSplit(root, s)) {
      root.keys = undefined;
    }
  }

  /** Calls `visit` for every string starting with `prefix`, in sorted order, until it returns false. */
  forEachWithPrefix(prefix: string, visit: (s: string) => boolean | void): void {
    walk(this.root, prefix, visit);
  }

  /** Every string, in no particular order (nothing gets sorted). */
  forEachUnordered(visit: (s: string) => void): void {
    const go = (n: Leaf | Split) => {
      if (isLeaf(n)) {
        n.items.forEach(visit);
      } else {
        n.children.forEach(go);
      }
    };
    go(this.root);
  }

  countWithPrefix(prefix: string): number {
    return count(this.root, prefix);
  }

  /**
   * Idle work: what lookups otherwise do on first use (burst the big buckets, sort every bucket
   * and key list), a step at a time while `hasTime()`: a bucket sorted, or BURST_CHUNK strings of
   * a big one moved into its split (a bucket of 60,000 `vmlinux:` kfuncs took ~20 ms to burst at
   * once). Returns whether work remains. For a complete index only: add() after it would put
   * rests in buckets that were split.
   */
  settle(hasTime: () => boolean): boolean {
    const stack = (this.unsettled ??= [{ node: this.root }]);
    while (stack.length > 0) {
      if (!hasTime()) {
        return true;
      }
      const entry = stack[stack.length - 1];
      const { node, parent, key } = entry;
      if (parent && key !== undefined && parent.children.get(key) !== node) {
        // A lookup burst this bucket meanwhile: go on with its split.
        entry.node = parent.children.get(key)!;
        entry.bursting = undefined;
        continue;
      }
      if (isLeaf(node)) {
        if (!parent || key === undefined || !needsBurst(parent, key, node)) {
          stack.pop();
          sortedItems(node);
          continue;
        }
        const b = (entry.bursting ??= { split: emptySplit(node.items, parent.depth + STEP), added: 0 });
        const end = Math.min(node.items.length, b.added + BURST_CHUNK);
        for (let i = b.added; i < end; i++) {
          addToSplit(b.split, node.items[i]);
        }
        b.added = end;
        if (end === node.items.length) {
          parent.children.set(key, b.split);
          entry.node = b.split;
          entry.bursting = undefined;
        }
        continue;
      }
      stack.pop();
      for (const childKey of sortedKeys(node)) {
        stack.push({ node: node.children.get(childKey)!, parent: node, key: childKey });
      }
    }
    return false;
  }

  has(s: string): boolean {
    let node: Leaf | Split = this.root;
    while (!isLeaf(node)) {
      const child: Leaf | Split | undefined = childAt(node, s.slice(0, node.depth));
      if (!child) {
        return false;
      }
      node = child;
    }
    const items = sortedItems(node);
    return items[lowerBound(items, s)] === s;
  }
}

/**
 * A child, split first if it is a big bucket: splitting costs one pass over it, far less than
 * sorting it (70,000 strings take ~60 ms to sort).
 */
function childAt(node: Split, key: string): Leaf | Split | undefined {
  const child = node.children.get(key);
  if (child && isLeaf(child) && needsBurst(node, key, child)) {
    const split = emptySplit(child.items, node.depth + STEP);
    for (const s of child.items) {
      addToSplit(split, s);
    }
    node.children.set(key, split);
    return split;
  }
  return child;
}

/** A bucket too big to sort whose strings have more characters to split it by. */
function needsBurst(parent: Split, key: string, child: Leaf): boolean {
  return child.items.length > LEAF_MAX && key.length === parent.depth && parent.depth < 96;
}

/** The split a big bucket's strings go to (addToSplit), keyed deeper than minDepth. */
function emptySplit(items: string[], minDepth: number): Split {
  // Past what they all share (`vmlinux:`, `/usr/lib/x86_64-linux-gnu/`), or the split makes one
  // child as big as the bucket and must be done again, deeper.
  const depth = Math.max(minDepth, commonPrefixLength(items) + STEP);
  return { depth, children: new Map(), size: items.length };
}

/** Puts s in its bucket of the split (one level: the split's buckets are leaves); whether the bucket is new. */
function addToSplit(split: Split, s: string): boolean {
  const key = s.slice(0, split.depth);
  const child = split.children.get(key) as Leaf | undefined;
  if (child) {
    child.items.push(s);
    return false;
  }
  split.children.set(key, { items: [s], sorted: false });
  return true;
}

/** A node settle() has yet to visit (under `key` of `parent`), and its burst under way. */
interface Unsettled {
  node: Leaf | Split;
  parent?: Split;
  key?: string;
  bursting?: { split: Split; added: number };
}

function commonPrefixLength(items: string[]): number {
  const first = items[0] ?? '';
  let n = first.length;
  for (let i = 1; i < items.length && n > 0; i++) {
    const s = items[i];
    let k = 0;
    while (k < n && s.charCodeAt(k) === first.charCodeAt(k)) {
      k++;
    }
    n = k;
  }
  return n;
}

function sortedItems(leaf: Leaf): string[] {
  if (!leaf.sorted) {
    leaf.items.sort();
    leaf.sorted = true;
  }
  return leaf.items;
}

function sortedKeys(split: Split): string[] {
  if (!split.keys) {
    split.keys = [...split.children.keys()].sort();
  }
  return split.keys;
}

/** Visits, in order, the strings under `node` that start with `prefix`; false = stop. */
function walk(node: Leaf | Split, prefix: string, visit: (s: string) => boolean | void): boolean {
  if (isLeaf(node)) {
    const items = sortedItems(node);
    for (let i = lowerBound(items, prefix); i < items.length && items[i].startsWith(prefix); i++) {
      if (visit(items[i]) === false) {
        return false;
      }
    }
    return true;
  }
  if (prefix.length >= node.depth) {
    const child = childAt(node, prefix.slice(0, node.depth));
    return child ? walk(child, prefix, visit) : true;
  }
  const keys = sortedKeys(node);
  for (let k = lowerBound(keys, prefix); k < keys.length && keys[k].startsWith(prefix); k++) {
    if (!walk(childAt(node, keys[k])!, prefix, visit)) {
      return false;
    }
  }
  return true;
}

function count(node: Leaf | Split, prefix: string): number {
  if (isLeaf(node)) {
    if (prefix === '') {
      return node.items.length;
    }
    const items = sortedItems(node);
    return lowerBound(items, prefix + '\uffff') - lowerBound(items, prefix);
  }
  if (prefix.length >= node.depth) {
    const child = childAt(node, prefix.slice(0, node.depth));
    return child ? count(child, prefix) : 0;
  }
  if (prefix === '') {
    return node.size;
  }
  const keys = sortedKeys(node);
  let n = 0;
  for (let k = lowerBound(keys, prefix); k < keys.length && keys[k].startsWith(prefix); k++) {
    n += sizeOf(node.children.get(keys[k])!);
  }
  return n;
}

class ProviderIndex {
  readonly rests = new PrefixIndex();
  /** First segments (tracepoint subsystems, kfunc modules, uprobe paths) and their sizes. */
  groups = new Map<string, number>();
  private sortedGroups?: string[];

  add(rest: string) {
    this.rests.add(rest);
    const colon = rest.indexOf(':');
    if (colon > 0) {
      const seg = rest.slice(0, colon);
      const n = this.groups.get(seg);
      if (n === undefined) {
        this.sortedGroups = undefined;
      }
      this.groups.set(seg, (n ?? 0) + 1);
    }
  }

  groupNames(): string[] {
    if (!this.sortedGroups) {
      this.sortedGroups = [...this.groups.keys()].sort();
    }
    return this.sortedGroups;
  }

  /** See PrefixIndex.settle; the group names sorted too. */
  settle(hasTime: () => boolean): boolean {
    this.groupNames();
    return this.rests.settle(hasTime);
  }
}

/**
 * Where strings lie in one text (a provider's rests in the PMDA's list): a probe is cut out of the
 * list only when an answer or the index needs it. Reading 86,000 kprobes out of a 7 MB list as
 * places took 11 ms where cutting each out took 14, and scanning them with a native
 * `list.startsWith(prefix, at)` 7 ms where the cut strings took 9 (Node 20, one run).
 */
class Places {
  starts: Int32Array = new Int32Array(256);
  ends: Int32Array = new Int32Array(256);
  length = 0;

  push(start: number, end: number): void {
    if (this.length === this.starts.length) {
      this.starts = grown(this.starts);
      this.ends = grown(this.ends);
    }
    this.starts[this.length] = start;
    this.ends[this.length++] = end;
  }
}

function grown(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

/** One provider of the list: its probe count, and its index once requests built it. */
interface Provider {
  count: number;
  /** Until the index is built: where the provider's rests (after `name:`) are in the list. */
  rests?: Places;
  /** Entries such as `software:*:`: the provider exists, its events are not enumerated. */
  hasPlaceholder: boolean;
  index?: ProviderIndex;
  /** The index being built, and how many of `rests` it holds. */
  building?: ProviderIndex;
  added: number;
  /** Lookups answered so far (see SCAN_ONLY_LOOKUPS). */
  requests: number;
  /** First segments and their sizes, for scans (see Scan.groups). */
  segments?: Map<string, number>;
  /** Its index is complete and settled (see indexWhileIdle): no idle work left. */
  settled?: boolean;
}

/**
 * A provider's first lookups only scan: one completion makes two or three (groups, prefix, last
 * segment), and the first completion should not pay for the index.
 */
const SCAN_ONLY_LOOKUPS = 3;
/** Probes added to a provider's index per lookup until it is complete (~1.5 ms). */
const INDEX_CHUNK = 8192;
/** Probes added per step of idle work (~0.2 ms): a step can overrun the idle deadline by that much. */
const IDLE_CHUNK = 1024;
/** Strings of a big bucket moved into its split per step of idle work (PrefixIndex.settle; ~1 ms). */
const BURST_CHUNK = 4096;

const STAR = 42;

function newProvider(): Provider {
  return { rests: new Places(), count: 0, hasPlaceholder: false, added: 0, requests: 0 };
}

/**
 * The list with the blanks around names and rests taken out, and the entries without a provider
 * (no `name:` before the rest) left out: `bpftrace -l` writes none, a list made by hand may.
 */
function withoutBlanks(list: string): string {
  const entries: string[] = [];
  for (const entry of list.split(',')) {
    const colon = entry.indexOf(':');
    const start = entry.length - entry.trimStart().length;
    if (colon > start) {
      entries.push(`${entry.slice(start, colon)}:${entry.slice(colon + 1).trim()}`);
    }
  }
  return entries.join(',');
}

/** Past this many groups, searching each one for a name costs more than it helps. */
const MAX_GROUPS_SEARCHED = 5000;

export interface ProbeGroup {
  /** The first segment: `sched` of `tracepoint:sched:sched_switch`. */
  segment: string;
  count: number;
}

export class ProbeCatalog {
  private providers = new Map<string, Provider>();
  private total = 0;
  /** The PMDA's list, without blanks around names (withoutBlanks): every provider's rests lie in it. */
  private readonly text: string;
  /** The list was read whole (sort): every provider is known. */
  private readAll = false;
  /** Providers looked for in the unread list and not found. */
  private readonly absent = new Set<string>();

  private constructor(list: string) {
    this.text = list;
  }

  /**
   * One pass over the list that only sorts its entries by provider (the providers are few: an
   * entry is matched against them in place, no string is made for it). Providers already read out
   * of the list (see provider) are counted and not added again. A provider's index is built as
   * lookups need it (see index).
   */
  private sort(): void {
    const list = this.text;
    let size = 0;
    const names: string[] = [];
    const found: Array<Provider | undefined> = [];
    for (let at = 0; at < list.length;) {
      let end = list.indexOf(',', at);
      if (end < 0) {
        end = list.length;
      }
      const colon = list.indexOf(':', at);
      if (colon > at && colon < end) {
        size++;
        let k = 0;
        while (k < names.length && !(names[k].length === colon - at && list.startsWith(names[k], at))) {
          k++;
        }
        if (k === names.length) {
          const name = list.slice(at, colon);
          names.push(name);
          const known = this.providers.has(name);
          found.push(known ? undefined : newProvider());
          if (!known) {
            this.providers.set(name, found[k]!);
          }
        }
        const provider = found[k];
        if (provider) {
          // Not read out of the list before.
          provider.count++;
          provider.rests?.push(colon + 1, end);
          provider.hasPlaceholder ||= list.charCodeAt(colon + 1) === STAR;
        }
      }
      at = end + 1;
    }
    this.total = size;
    this.absent.clear();
    this.readAll = true;
  }

  /**
   * From the PMDA's comma-separated list. Nothing is split yet: a provider is read out of the list
   * when first asked for (provider), the whole list only when the size or every provider name is
   * asked for.
   */
  static fromList(list: string): ProbeCatalog {
    const blanks =
      list.indexOf(' ') >= 0 || list.indexOf('\n') >= 0 || list.indexOf('\t') >= 0 || list.indexOf('\r') >= 0;
    return new ProbeCatalog(blanks ? withoutBlanks(list) : list);
  }

  /** Probes as a list read whole at once (tests compare this with the lazy reading of fromList). */
  static fromProbes(probes: string[]): ProbeCatalog {
    const catalog = ProbeCatalog.fromList(probes.join(','));
    catalog.readWhole();
    return catalog;
  }

  /** How many probes the host lists. */
  get size(): number {
    this.readWhole();
    return this.total;
  }

  /**
   * Whether the host lists any probe at all: what the lints ask on every edit. Answered without
   * reading the list whole, as `size` must (200,000 entries), so that providers stay read one at
   * a time.
   */
  get hasProbes(): boolean {
    if (this.readAll) {
      return this.total > 0;
    }
    // The list has no blanks around names (fromList): an entry is a probe when its first ':'
    // follows a non-empty name (as sort counts). `at` is always an entry's start.
    const list = this.text;
    let at = 0;
    for (;;) {
      const colon = list.indexOf(':', at);
      if (colon < 0) {
        return false;
      }
      if (colon > list.lastIndexOf(',', colon) + 1) {
        return true;
      }
      const next = list.indexOf(',', colon);
      if (next < 0) {
        return false;
      }
      at = next + 1;
    }
  }

  private readWhole(): void {
    if (!this.readAll) {
      this.sort();
    }
  }

  /**
   * A provider, read out of the list if it was not sorted whole yet: every entry that starts with
   * `name:` (each found by a native search for `,name:`), so a first completion of `kprobe:…` costs
   * the kprobes, not the 200,000 probes of the list. Only their places are noted (Places).
   */
  private provider(name: string): Provider | undefined {
    const known = this.providers.get(name);
    if (known || this.readAll || this.knownAbsent(name)) {
      return known;
    }
    const list = this.text;
    const provider = newProvider();
    const rests = provider.rests!;
    const needle = `,${name}:`;
    const restAt = name.length + 1;
    /** Where the next entry that starts with `name:` begins, from `from` on; -1 when there is none. */
    const next = (from: number) => {
      const comma = list.indexOf(needle, from);
      return comma < 0 ? -1 : comma + 1;
    };
    for (let at = list.startsWith(`${name}:`) ? 0 : next(0); at >= 0;) {
      let end = list.indexOf(',', at);
      if (end < 0) {
        end = list.length;
      }
      rests.push(at + restAt, end);
      provider.hasPlaceholder ||= list.charCodeAt(at + restAt) === STAR;
      at = next(end);
    }
    if (rests.length === 0) {
      this.absent.add(name);
      return undefined;
    }
    provider.count = rests.length;
    this.providers.set(name, provider);
    return provider;
  }

  /**
   * `name` is no provider of the unread list without searching it: searched before and not
   * found, or not a provider name at all (what comes before a probe's first ':', see sort: never
   * '' and never with ':' or ',').
   */
  private knownAbsent(name: string): boolean {
    return this.absent.has(name) || name === '' || /[:,]/.test(name);
  }

  /**
   * The provider's index when complete, else a Scan of its probes; each request after the first
   * adds a chunk to the index. Undefined for a provider the host does not list.
   */
  private index(name: string): ProviderIndex | Scan | undefined {
    const provider = this.provider(name);
    if (!provider) {
      return undefined;
    }
    if (provider.index) {
      return provider.index;
    }
    const rests = provider.rests!;
    if (provider.requests++ >= SCAN_ONLY_LOOKUPS) {
      const index = this.addChunk(provider, rests, INDEX_CHUNK);
      if (index) {
        return index;
      }
    }
    return new Scan(provider, this.text, rests);
  }

  /**
   * Work for the editor's idle time (components/idleIndexing): adds to the indexes of the
   * providers asked for so far, a small chunk at a time while `hasTime()`, so the keystrokes after
   * a provider's first completion find its index complete instead of scanning every probe (a scan
   * of 60,000 kfuncs is ~10 ms a keystroke). Providers never asked for are left alone: most
   * scripts use two or three of them. Returns whether such work remains.
   */
  indexWhileIdle(hasTime: () => boolean): boolean {
    for (const provider of this.providers.values()) {
      if (provider.requests === 0 || provider.settled) {
        continue;
      }
      const rests = provider.rests;
      while (!provider.index && rests) {
        if (!hasTime()) {
          return true;
        }
        this.addChunk(provider, rests, IDLE_CHUNK);
      }
      // Then what its first lookups of each prefix would pay for (buckets burst and sorted).
      if (provider.index?.settle(hasTime)) {
        return true;
      }
      provider.settled = true;
    }
    return false;
  }

  /** Adds up to `size` more of the provider's probes to the index it is building; the index once complete. */
  private addChunk(provider: Provider, rests: Places, size: number): ProviderIndex | undefined {
    const index = (provider.building ??= new ProviderIndex());
    const { starts, ends } = rests;
    const list = this.text;
    const end = Math.min(rests.length, provider.added + size);
    for (let i = provider.added; i < end; i++) {
      index.add(list.slice(starts[i], ends[i]));
    }
    provider.added = end;
    return end === rests.length ? this.indexed(provider, index) : undefined;
  }

  private indexed(provider: Provider, index: ProviderIndex): ProviderIndex {
    provider.index = index;
    provider.rests = undefined;
    provider.building = undefined;
    provider.segments = undefined;
    return index;
  }

  /** Provider names as the host lists them (`tracepoint`, `kprobe`, `kfunc` …). */
  providerNames(): string[] {
    this.readWhole();
    return [...this.providers.keys()].sort();
  }

  /**
   * Whether the host lists any probe of `provider`. While the list is unread, one native search
   * for `,name:` answers it (a miss is remembered): checks that only ask whether a probe type
   * exists (kfunc on a kernel with BTF …) do not read its 86,000 entries as providerSize would.
   */
  hasProvider(name: string): boolean {
    if (this.providers.has(name)) {
      return true;
    }
    const list = this.text;
    if (this.readAll || this.knownAbsent(name)) {
      return false;
    }
    // As provider reads it: entries that start with `name:`.
    if (list.startsWith(`${name}:`) || list.indexOf(`,${name}:`) >= 0) {
      return true;
    }
    this.absent.add(name);
    return false;
  }

  providerSize(provider: string): number {
    return this.provider(provider)?.count ?? 0;
  }

  /** The provider lists `name:*:`-style placeholders rather than its events. */
  hasPlaceholder(provider: string): boolean {
    return this.provider(provider)?.hasPlaceholder ?? false;
  }

  /** The rests (after `provider:`) that start with `prefix`, sorted, at most `limit`, and how many match. */
  withPrefix(provider: string, prefix: string, limit: number): { rests: string[]; total: number } {
    const index = this.index(provider);
    if (!index) {
      return { rests: [], total: 0 };
    }
    if (index instanceof Scan) {
      return index.withPrefix(prefix, limit);
    }
    const rests: string[] = [];
    index.rests.forEachWithPrefix(prefix, (r) => {
      rests.push(r);
      return rests.length < limit;
    });
    return { rests, total: index.rests.countWithPrefix(prefix) };
  }

  /** Distinct first segments starting with `prefix` (subsystems of tracepoints …), sorted. */
  groups(provider: string, prefix: string, limit: number): ProbeGroup[] {
    const index = this.index(provider);
    if (!index) {
      return [];
    }
    const out: ProbeGroup[] = [];
    for (const [segment, count] of index instanceof Scan ? index.groupsWithPrefix(prefix) : index.groups) {
      if (segment.startsWith(prefix)) {
        out.push({ segment, count });
      }
    }
    out.sort((a, b) => compareStrings(a.segment, b.segment));
    return out.slice(0, limit);
  }

  /**
   * Rests whose name after the first segment starts with `prefix`: `sched_sw` finds
   * `sched:sched_switch`, `vfs_r` finds `vmlinux:vfs_read`. One prefix search per group, in
   * group order, so it costs no more than the groups (subsystems, modules) there are.
   */
  withLastSegment(provider: string, prefix: string, limit: number): string[] {
    const index = this.index(provider);
    if (!index || index.groups.size === 0 || index.groups.size > MAX_GROUPS_SEARCHED || prefix === '') {
      return [];
    }
    if (index instanceof Scan) {
      return index.withLastSegment(prefix, limit);
    }
    const out: string[] = [];
    for (const g of index.groupNames()) {
      index.rests.forEachWithPrefix(`${g}:${prefix}`, (r) => {
        out.push(r);
        return out.length < limit;
      });
      if (out.length >= limit) {
        break;
      }
    }
    return out;
  }

  has(provider: string, rest: string): boolean {
    const index = this.index(provider);
    return index instanceof Scan ? index.has(rest) : (index?.rests.has(rest) ?? false);
  }

  /**
   * Rests matching a bpftrace wildcard pattern (`*`, `?`), at most `limit`, and whether there
   * were more. Only the part before the first wildcard narrows the search.
   */
  matching(provider: string, pattern: string, limit: number): { rests: string[]; more: boolean } {
    const index = this.index(provider);
    if (!index) {
      return { rests: [], more: false };
    }
    const wild = pattern.search(/[*?]/);
    if (wild < 0) {
      return { rests: this.has(provider, pattern) ? [pattern] : [], more: false };
    }
    const re = globToRegExp(pattern);
    if (index instanceof Scan) {
      return index.matching(pattern.slice(0, wild), re, limit);
    }
    const rests: string[] = [];
    let more = false;
    index.rests.forEachWithPrefix(pattern.slice(0, wild), (r) => {
      if (re.test(r)) {
        if (rests.length >= limit) {
          more = true;
          return false;
        }
        rests.push(r);
      }
      return true;
    });
    return { rests, more };
  }
}

/**
 * A provider's probes answered by one pass over their places in the list, before its index is
 * complete: the same answers as ProviderIndex (sorted, same totals and limits). A rest is compared
 * in place (a native `startsWith` at its start, within its end) and only the ones answered are
 * cut out.
 */
class Scan {
  constructor(
    private readonly provider: Provider,
    private readonly list: string,
    private readonly rests: Places
  ) {}

  /** First segments and their sizes, counted once per provider while it has no index. */
  get groups(): Map<string, number> {
    return (this.provider.segments ??= this.segments(''));
  }

  /**
   * The first segments that start with `prefix` (and maybe others), with their sizes: until all
   * were counted (groups), only the rests that start with `prefix` are looked at, so a first
   * completion of `kprobe:vfs_r` does not look for a ':' in all 86,000 kprobes (~3 ms).
   */
  groupsWithPrefix(prefix: string): Map<string, number> {
    return this.provider.segments ?? this.segments(prefix);
  }

  private segments(prefix: string): Map<string, number> {
    const segments = new Map<string, number>();
    const list = this.list;
    this.forEachWithPrefix(prefix, (at, end) => {
      const colon = list.indexOf(':', at);
      if (colon > at && colon < end) {
        const segment = list.slice(at, colon);
        segments.set(segment, (segments.get(segment) ?? 0) + 1);
      }
    });
    return segments;
  }

  withPrefix(prefix: string, limit: number): { rests: string[]; total: number } {
    // The `limit` least matches, kept sorted; a match enters only if it beats the greatest.
    const least: string[] = [];
    let total = 0;
    this.forEachWithPrefix(prefix, (start, end) => {
      total++;
      const rest = this.list.slice(start, end);
      if (least.length < limit || rest < least[least.length - 1]) {
        least.splice(upperBound(least, rest), 0, rest);
        if (least.length > limit) {
          least.pop();
        }
      }
    });
    return { rests: least, total };
  }

  withLastSegment(prefix: string, limit: number): string[] {
    const found: Array<[string, string]> = [];
    const { list, rests } = this;
    const { starts, ends } = rests;
    for (let i = 0; i < rests.length; i++) {
      const at = starts[i];
      const end = ends[i];
      const colon = list.indexOf(':', at);
      if (colon > at && colon + 1 + prefix.length <= end && list.startsWith(prefix, colon + 1)) {
        found.push([list.slice(at, colon), list.slice(at, end)]);
      }
    }
    // In group order, then by name: the order the index visits them in.
    found.sort((a, b) => compareStrings(a[0], b[0]) || compareStrings(a[1], b[1]));
    return found.slice(0, limit).map(([, rest]) => rest);
  }

  has(rest: string): boolean {
    let found = false;
    this.forEachWithPrefix(rest, (start, end) => {
      found ||= end - start === rest.length;
    });
    return found;
  }

  matching(prefix: string, re: RegExp, limit: number): { rests: string[]; more: boolean } {
    const rests: string[] = [];
    this.forEachWithPrefix(prefix, (start, end) => {
      const rest = this.list.slice(start, end);
      if (re.test(rest)) {
        rests.push(rest);
      }
    });
    rests.sort(compareStrings);
    return { rests: rests.slice(0, limit), more: rests.length > limit };
  }

  /** Calls `visit` with the place of every rest that starts with `prefix`, in list order. */
  private forEachWithPrefix(prefix: string, visit: (start: number, end: number) => void): void {
    const { list, rests } = this;
    const { starts, ends } = rests;
    for (let i = 0; i < rests.length; i++) {
      const at = starts[i];
      if (at + prefix.length <= ends[i] && list.startsWith(prefix, at)) {
        visit(at, ends[i]);
      }
    }
  }
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

// ---------------------------------------------------------------------------------------------
// One catalog per endpoint (datasource instance), fetched once and lazily.

/** What can hand over a host's probe list: the DataSource (`fetchProbeList(hostspec?)`). */
export interface ProbeListSource {
  /** `hostspec`: a query's own pmcd host; the datasource's when undefined. */
  fetchProbeList(hostspec?: string): Promise<string>;
}

interface CatalogLoad {
  promise: Promise<ProbeCatalog>;
  catalog?: ProbeCatalog;
  error?: string;
  failedAt?: number;
}

/** A failed fetch (pmproxy restarting …) is tried again after this long, not on every keystroke. */
export const CATALOG_RETRY_MS = 30_000;

const loads = new WeakMap<object, Map<string, CatalogLoad>>();

/**
 * The probe catalog of a datasource's endpoint: the first call fetches the list, every later
 * call (any editor of any panel) shares that one promise. `endpointKey` is a query's own
 * hostspec ('' for the datasource's): each host has its own probes.
 */
export function loadProbeCatalog(source: ProbeListSource, endpointKey = '', now = Date.now()): Promise<ProbeCatalog> {
  let perSource = loads.get(source);
  if (!perSource) {
    perSource = new Map();
    loads.set(source, perSource);
  }
  const existing = perSource.get(endpointKey);
  if (existing && !(existing.failedAt !== undefined && now - existing.failedAt >= CATALOG_RETRY_MS)) {
    return existing.promise;
  }
  const load: CatalogLoad = {
    promise: Promise.resolve()
      .then(() => source.fetchProbeList(endpointKey || undefined))
      .then((list) => {
        load.catalog = ProbeCatalog.fromList(list);
        return load.catalog;
      })
      .catch((e: unknown) => {
        load.error = e instanceof Error ? e.message : String((e as { message?: string })?.message ?? e);
        load.failedAt = Date.now();
        throw e;
      }),
  };
  // Nobody may be waiting; the error is kept on the load.
  load.promise.catch(() => undefined);
  perSource.set(endpointKey, load);
  return load.promise;
}

/** The catalog if it has arrived, without fetching. */
export function loadedProbeCatalog(source: ProbeListSource, endpointKey = ''): ProbeCatalog | undefined {
  return loads.get(source)?.get(endpointKey)?.catalog;
}

/** Why the catalog could not be fetched, if it could not. */
export function probeCatalogError(source: ProbeListSource, endpointKey = ''): string | undefined {
  return loads.get(source)?.get(endpointKey)?.error;
}
