import { WideSeriesBuffer } from '../buffers/WideSeriesBuffer';
import { InstanceValue, MetricMetadata } from '../pmapi/types';
import { partMatcher } from './metricNames';
import type { LeaseSample } from './ScriptLease';

/**
 * A PCP metric query's subscription on one Endpoint: the metrics its patterns name on the host,
 * their descriptors, and a buffer per metric filled from the Endpoint's one fetch per tick — the
 * same fetch that reads the scripts. Several panels with the same metrics and instance filter
 * share one watch (and its history), as they share a script.
 *
 * Counter or not is PCP's own word: the descriptor's semantics. `counter` (cumulative, e.g.
 * kernel.all.sysfork, disk.dev.read_bytes) is buffered as a counter, whose per-second rate the
 * buffer computes on append; `instant` and `discrete` (kernel.all.load, pmcd.numagents) are
 * values as they are. Nothing is guessed from a name.
 */

/** A metric the watch reads: its descriptor and its history. */
export interface WatchedMetric {
  name: string;
  /** PCP's semantics: 'counter', 'instant' or 'discrete'. */
  sem: string;
  /** PCP's units as pmproxy prints them ("Kbyte", "count / sec", "none" …). */
  units: string;
  /** PCP's one-line help, when the host has it. */
  oneline?: string;
  buffer: WideSeriesBuffer;
  /** No longer on the host (its names were looked up again and it was not there): not fetched, history kept. */
  gone?: boolean;
}

export interface MetricSpec {
  /** The Metrics field: names and globs, split by commas or spaces (metricNames.ts). */
  metrics: string;
  /** Instance names to keep: globs separated by `|`, or `/regular expression/`; all when empty. */
  instances?: string;
}

export type WatchPhase = 'resolving' | 'ready' | 'failed';

/** Whether PCP's semantics make the metric a counter (its rate is what a graph shows). */
export function isCounterSemantics(sem: string | undefined): boolean {
  return sem === 'counter';
}

/**
 * The instance filter as a test on instance names, or a message saying what is wrong with it.
 * Globs (`sd*|nvme*`) match the whole name; `/re/` searches it.
 */
export function instanceFilter(text: string | undefined): ((name: string) => boolean) | string | undefined {
  const t = (text ?? '').trim();
  if (t === '') {
    return undefined;
  }
  const regex = /^\/(.*)\/$/.exec(t);
  if (regex) {
    try {
      const re = new RegExp(regex[1]);
      return (name) => re.test(name);
    } catch (e) {
      return `The instance filter ${t} is not a valid regular expression: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  const globs = t.split('|').map((g) => partMatcher(g.trim()));
  return (name) => globs.some((g) => g.test(name));
}

/** The identity of a watch: what it reads, so equal queries share one. */
export function watchKey(spec: MetricSpec): string {
  return JSON.stringify([spec.metrics.trim(), (spec.instances ?? '').trim()]);
}

interface Kept {
  keys: readonly string[];
  /** The positions of the kept instances in the fetched row, and their names. */
  at: number[];
  names: string[];
}

export class MetricWatch {
  readonly key: string;
  readonly holders = new Set<string>();
  phase: WatchPhase = 'resolving';
  /** Why the watch cannot read (an unknown metric, a bad filter): shown as the query's error. */
  error?: string;
  /** What the user should know but does not stop the query (a pattern that matched nothing …). */
  warnings: string[] = [];
  /** The last fetch failed: why (the data stays, the next tick tries again). */
  transport?: string;
  metrics: WatchedMetric[] = [];
  /** When the metric names are looked up (again): a pattern that matched nothing is retried. */
  resolveAt = 0;
  resolving = false;
  releasedAt?: number;
  private readonly keep?: (name: string) => boolean;
  private readonly kept = new Map<string, Kept>();
  /** Metrics the last fetch did not answer (gone from the host, e.g. an MMV process exited). */
  private silent: string[] = [];

  constructor(
    readonly spec: MetricSpec,
    private readonly retentionMs: number
  ) {
    this.key = watchKey(spec);
    const filter = instanceFilter(spec.instances);
    if (typeof filter === 'string') {
      this.phase = 'failed';
      this.error = filter;
    } else {
      this.keep = filter;
    }
  }

  /** The metric names for this tick's fetch. */
  metricNames(): string[] {
    return this.phase === 'ready' ? this.metrics.filter((m) => !m.gone).map((m) => m.name) : [];
  }

  /** Whether a metric answered nothing last tick: its names are looked up again soon. */
  get hasSilent(): boolean {
    return this.silent.length > 0;
  }

  /**
   * The names the patterns matched, with their descriptors. History of a metric matched before is
   * kept; a metric no longer matched is dropped.
   */
  resolved(descriptors: MetricMetadata[], unmatched: string[]): void {
    const before = new Map(this.metrics.map((m) => [m.name, m]));
    const found = new Set(descriptors.map((d) => d.name));
    this.metrics = [
      ...descriptors.map((d): WatchedMetric => {
        const known = before.get(d.name);
        return known
          ? { ...known, gone: false }
          : {
              name: d.name,
              sem: d.sem,
              units: d.units,
              oneline: d['text-oneline'],
              buffer: new WideSeriesBuffer({ retentionMs: this.retentionMs, counter: isCounterSemantics(d.sem) }),
            };
      }),
      // Gone from the host (an MMV process that exited): its history stays on the panel.
      ...[...before.values()]
        .filter((m) => !found.has(m.name) && m.buffer.length > 0)
        .map((m) => ({ ...m, gone: true })),
    ];
    this.silent = [];
    this.warnings = unmatched.map(
      (p) => `${p} matches no metric on the host${this.metrics.length ? '' : ' (looked up again every few seconds)'}.`
    );
    this.phase = 'ready';
    this.error = undefined;
  }

  failed(message: string): void {
    this.phase = 'failed';
    this.error = message;
  }

  /** One tick's values: each metric's instances (filtered) appended to its buffer. */
  observe(sample: Pick<LeaseSample, 't' | 'values' | 'keysOf'>): boolean {
    this.transport = undefined;
    const silent: string[] = [];
    for (const m of this.metrics) {
      if (m.gone) {
        continue;
      }
      const values = sample.values.get(m.name);
      // No instances is also how pmproxy answers for a metric whose agent no longer serves it.
      if (!values || values.instances.length === 0) {
        silent.push(m.name);
        continue;
      }
      const keys = sample.keysOf(m.name, values.instances).keys;
      if (!this.keep) {
        m.buffer.appendRow(sample.t, keys, values.instances);
        continue;
      }
      const kept = this.keptOf(m.name, keys);
      const row: InstanceValue[] = kept.at.map((i) => values.instances[i]);
      m.buffer.appendRow(sample.t, kept.names, row);
    }
    this.silent = silent;
    return true;
  }

  /** Messages about the data itself, for the panel's notices. */
  get notices(): string[] {
    const silent = this.silent.length
      ? [
          `No values from the host now for ${this.silent.slice(0, 5).join(', ')}${this.silent.length > 5 ? ` and ${this.silent.length - 5} more` : ''} (gone from the host, or its agent stopped).`,
        ]
      : [];
    const gone = this.metrics
      .filter((m) => m.gone)
      .map(
        (m) =>
          `${m.name} is gone from the host (what served it stopped, e.g. an MMV process that exited); its history stays.`
      );
    return [...this.warnings, ...gone, ...silent, ...(this.transport ? [this.transport] : [])];
  }

  /** The instances the filter keeps, made again only when a metric's keys changed. */
  private keptOf(metric: string, keys: readonly string[]): Kept {
    const known = this.kept.get(metric);
    if (known && known.keys === keys) {
      return known;
    }
    const at: number[] = [];
    keys.forEach((k, i) => {
      if (this.keep!(k)) {
        at.push(i);
      }
    });
    const kept = { keys, at, names: at.map((i) => keys[i]) };
    this.kept.set(metric, kept);
    return kept;
  }
}
