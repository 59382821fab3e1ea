import { scan } from '../lexer/scan';
import { stripComments } from './prepare';

/**
 * How a script uses each of its maps, read from its text. The PMDA exports only a map's values
 * and a coarse semantics (counter for count()/hist()/lhist(), instant for everything else), so
 * what Auto and the units need beyond that comes from the code:
 * - the aggregation (`sum()` is a running total, i.e. a counter; `max()`/`min()` are levels);
 * - scratch maps: state a snoop-style tool keeps between two probes of one event
 *   (`@start[tid] = nsecs` … `delete(@start[tid])`). Their values mean nothing on a panel.
 */
export interface MapUsage {
  /** The aggregating function assigned to it (`count`, `sum`, `max`, `hist` …), if any. */
  aggregation?: string;
  /** Assigned a plain value somewhere (`= nsecs`, `= arg0`, `+= 1`). */
  plain: boolean;
  /** `delete(@x[…])` or `delete(@x)` somewhere in the script. */
  deleted: boolean;
  /** The key expressions it is assigned with (`tid`, `comm, pid`); empty for a scalar. */
  keys: string[];
  /**
   * The shortest period (ms) of an interval probe whose action `clear()`s or `zero()`s it (the
   * `interval:s:1 { print(@x); clear(@x); }` of many tools): its values are counts since the
   * last clear, not a running total.
   */
  clearedEveryMs?: number;
}

const AGGREGATIONS = new Set(['count', 'sum', 'max', 'min', 'avg', 'stats', 'hist', 'lhist']);
/** Keys that name one thread or process in flight: per-event state, not something to chart. */
const PER_TASK_KEY = /^(tid|pid|arg\d|args->\w+|curtask|cpu)$/;

/** Every map of `code` (names as the PMDA spells them: `@` for the bare map) and how it is used. */
export function mapUsage(code: string): Map<string, MapUsage> {
  const text = withoutStrings(stripComments(code));
  const usage = new Map<string, MapUsage>();
  const entry = (name: string) => {
    let u = usage.get(name);
    if (!u) {
      u = { plain: false, deleted: false, keys: [] };
      usage.set(name, u);
    }
    return u;
  };
  const ref = /@[A-Za-z0-9_]*/g;
  let m: RegExpExecArray | null;
  while ((m = ref.exec(text))) {
    const name = m[0];
    let at = m.index + name.length;
    let key: string | undefined;
    if (text[at] === '[') {
      const close = matching(text, at);
      key = text.slice(at + 1, close).trim();
      at = close + 1;
    }
    const before = text.slice(Math.max(0, m.index - 16), m.index);
    if (/\bdelete\s*\(\s*$/.test(before)) {
      entry(name).deleted = true;
      continue;
    }
    const op = /^\s*(\+\+|--|[-+*/|&^]?=(?!=))\s*(?:([A-Za-z_]\w*)\s*\()?/.exec(text.slice(at, at + 64));
    if (!op) {
      continue;
    }
    const u = entry(name);
    if (key !== undefined && !u.keys.includes(key)) {
      u.keys.push(key);
    }
    if (op[1] === '=' && op[2] && AGGREGATIONS.has(op[2])) {
      u.aggregation = op[2];
    } else {
      u.plain = true;
    }
  }
  for (const [name, everyMs] of clearedByIntervals(code)) {
    const u = usage.get(name);
    if (u) {
      u.clearedEveryMs = everyMs;
    }
  }
  return usage;
}

/** Words that make a statement run on some firings of its clause only. */
const CONDITIONAL = new Set(['if', 'else', 'while', 'unroll', 'for']);

/** Milliseconds per unit of an interval probe (`interval:s:1`, `i:ms:500`; hz is a frequency). */
const INTERVAL_UNIT_MS: Record<string, number> = { s: 1000, ms: 1, us: 1e-3, ns: 1e-6 };

/** The period of an `interval:`/`i:` probe in ms, or undefined for any other probe. */
function intervalPeriodMs(probe: string): number | undefined {
  const m = /^(?:interval|i):(s|ms|us|ns|hz):(\d+)$/.exec(probe);
  if (!m || Number(m[2]) <= 0) {
    return undefined;
  }
  return m[1] === 'hz' ? 1000 / Number(m[2]) : Number(m[2]) * INTERVAL_UNIT_MS[m[1]];
}

/**
 * Maps that a clause firing only on intervals clears every time it fires (`clear(@x)`,
 * `zero(@x)`), with the shortest such period. A clear on an event (or in END) resets a total now
 * and then; one on a timer makes every value a count per period. A clause with a filter, a
 * condition or a loop may clear less often than it fires (`if (elapsed % 30 == 0) { clear(@) }`):
 * its clears are not counted.
 */
function clearedByIntervals(code: string): Map<string, number> {
  const scanned = scan(code);
  const cleared = new Map<string, number>();
  for (const clause of scanned.clauses) {
    const periods = clause.probes.map((p) => intervalPeriodMs(p.text));
    if (!clause.action || periods.length === 0 || periods.some((p) => p === undefined)) {
      continue;
    }
    const everyMs = Math.min(...(periods as number[]));
    const { start, end } = clause.action;
    const tokens = scanned.tokens.filter((t) => t.start >= start && t.end <= end && t.kind !== 'comment');
    const conditional = tokens.some((t) => (t.kind === 'ident' && CONDITIONAL.has(t.text)) || t.text === '?');
    if (clause.filter || conditional) {
      continue;
    }
    tokens.forEach((t, i) => {
      const map = tokens[i + 2];
      if (
        t.kind === 'ident' &&
        (t.text === 'clear' || t.text === 'zero') &&
        tokens[i + 1]?.text === '(' &&
        map?.kind === 'map'
      ) {
        cleared.set(map.text, Math.min(everyMs, cleared.get(map.text) ?? Infinity));
      }
    });
  }
  return cleared;
}

/** Keys that name things (a process, a probe, a function, a path): what top-N tables rank. */
const NAME_KEY = /^(?:comm|probe|func|cgroup)$|^(?:str|ksym|usym|path|buf)\s*\(/;

/**
 * A count or sum keyed by names (`@[comm] = count()`, `@bytes[comm] = sum(…)`): a ranking its
 * author reads as a top-N table once there are more than a handful of names.
 */
export function isNameRanking(u: MapUsage | undefined): boolean {
  return (
    !!u &&
    (u.aggregation === 'count' || u.aggregation === 'sum') &&
    u.keys.length > 0 &&
    u.keys.some((k) => k.split(',').some((part) => NAME_KEY.test(part.trim())))
  );
}

/**
 * A scratch map: only plain values (no aggregation), and either deleted per event or keyed by the
 * task/argument the event belongs to. Never a reason to hide a script's output.
 */
export function isScratch(u: MapUsage | undefined): boolean {
  if (!u || u.aggregation || !u.plain) {
    return false;
  }
  return u.deleted || (u.keys.length > 0 && u.keys.every((k) => PER_TASK_KEY.test(k)));
}

/** Strings blanked (same length), so `"@x = 1"` in a printf is not a map. */
function withoutStrings(text: string): string {
  return text.replace(/"(?:[^"\\\n]|\\.)*"/g, (s) => `"${' '.repeat(s.length - 2)}"`);
}

/** The index of the `]` closing the `[` at `open` (or the text's end). */
function matching(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '[') {
      depth++;
    } else if (text[i] === ']' && --depth === 0) {
      return i;
    }
  }
  return text.length;
}
