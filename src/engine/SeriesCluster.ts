import { dateTimeFormat } from '@grafana/data';
import { WideSeriesBuffer } from '../buffers/WideSeriesBuffer';
import { instanceFilter, isCounterSemantics } from './MetricWatch';
import { metricPatterns } from './metricNames';
import { PmapiError } from '../pmapi/errors';
import { PMPROXY_MAX_URL } from '../pmapi/limits';
import { SeriesClient, SeriesSample, seriesString, SeriesWindow } from '../pmapi/series';

/**
 * A PCP metric query over many hosts read from pmproxy's series store (what pmlogger records for
 * every host it farms) instead of one live poll per host: per metric pattern, ONE /series/query
 * whose expression carries the hosts (`hostname` label) gives every host's series ids (asked again
 * once a minute, so new hosts join), and per refresh /series/values reads their samples in the
 * window (one request per ~190 ids, the URL budget). What the ids are (metric, host, instance,
 * semantics) is asked once per id and kept.
 *
 * Hosts are named as the query names them: hostspecs (`localhost:44331`) or the names pmlogger
 * records (`db7`). A hostspec is matched to the store's `hostname` label by its host part; one
 * that still does not match is asked of its pmcd once (`pmcd.hostname`), which is how
 * `localhost:44331` becomes `bpflive-second`.
 */

/** One metric of one host: its samples in a buffer, as the live path keeps them. */
export interface ClusterMetric {
  name: string;
  sem: string;
  units: string;
  buffer: WideSeriesBuffer;
}

export interface ClusterHost {
  /** As the query named it (its hostspec). */
  host: string;
  /** The store's `hostname` label. */
  hostname: string;
  metrics: ClusterMetric[];
}

export interface ClusterRead {
  hosts: ClusterHost[];
  /** Things the user must be told (hosts without series, patterns that matched nothing). */
  notices: string[];
}

export interface ClusterSpec {
  metrics: string;
  instances?: string;
  /** Hostspecs or recorded host names; undefined: every host the store holds. */
  hosts?: string[];
  from: number;
  to: number;
  /** Spacing of samples to ask for (pmproxy picks recorded samples at that spacing). */
  intervalSec?: number;
}

interface SeriesInfo {
  metric: string;
  sem: string;
  units: string;
  indomNone: boolean;
  hostname?: string;
}

/** Room for an expression in one URL (hosts are split over several queries beyond it). */
const MAX_EXPR_CHARS = PMPROXY_MAX_URL - 2000;
/** How long the store's list of host names is trusted. */
const HOSTNAMES_TTL_MS = 60_000;
/** How far behind the newest the store's hosts may lag and still be read without a gap. */
const LAG_MS = 120_000;
/** How many queries' reads are kept between refreshes. */
const MAX_STATES = 50;
const METRIC_PATTERN = /^[A-Za-z0-9_.*?-]+$/;
/** How far back a missing host's newest sample is looked for (the recorder keeps 7 days by default). */
const NEWEST_LOOKBACK_MS = 8 * 24 * 3600_000;
/** Spacing of that look-back read: ~1,150 samples per series, the newest among them. */
const NEWEST_SPACING_SEC = 600;

export class SeriesCluster {
  private readonly info = new Map<string, SeriesInfo>();
  private readonly instanceNames = new Map<string, string>();
  private readonly pmcdNames = new Map<string, Promise<string | undefined>>();
  private storeHosts?: { at: number; names: Promise<Set<string>> };
  /** The reads of recent queries, by query, oldest first (see stateFor). */
  private readonly states = new Map<string, ReadState>();

  constructor(
    private readonly client: SeriesClient,
    /** pmcd's own host name for a hostspec (a live read), for hostspecs the store does not know. */
    private readonly pmcdHostname: (hostspec: string) => Promise<string | undefined>,
    private readonly now: () => number = Date.now
  ) {}

  async read(spec: ClusterSpec): Promise<ClusterRead> {
    const patterns = metricPatterns(spec.metrics);
    const bad = patterns.find((p) => !METRIC_PATTERN.test(p));
    if (bad) {
      throw new PmapiError('badInput', `"${bad}" is not a metric name or glob the series store can look up.`);
    }
    const keep = instanceFilter(spec.instances);
    if (typeof keep === 'string') {
      throw new PmapiError('badInput', keep);
    }
    const wanted = spec.hosts && (await this.hostnames(spec.hosts));
    // Every host the store records is wanted: no filter, so the expression stays one request.
    const named = wanted && new Set(wanted.values());
    const everyHost = named && [...(await this.knownHostnames())].every((h) => named.has(h));
    const filter = everyHost ? undefined : named && [...named];
    const state = this.stateFor(JSON.stringify([patterns, spec.instances ?? '', filter ?? null]), spec);
    const window: SeriesWindow = {
      startMs: state.nextStart(spec, named),
      finishMs: spec.to,
      intervalSec: spec.intervalSec,
    };
    const samples: SeriesSample[] = [];
    for (const pattern of patterns) {
      for (const expr of expressions(pattern, filter)) {
        samples.push(...(await this.client.samplesMatching(expr, window)));
      }
    }
    await this.learn(samples);
    state.add(groupByHost(samples, this.info, this.instanceNames, keep), spec);

    const notices: string[] = [];
    const hosts: ClusterHost[] = [];
    const requested = wanted ?? new Map([...state.hostnames()].map((h) => [h, h]));
    const missing: Array<[string, string]> = [];
    for (const [host, hostname] of requested) {
      const metrics = state.metricsIn(hostname, spec.from);
      if (metrics) {
        hosts.push({ host, hostname, metrics });
      } else if (wanted) {
        missing.push([host, hostname]);
      }
    }
    if (!wanted && hosts.length === 0) {
      notices.push(`${patterns.join(', ')}: no samples in the series store in this range.`);
    }
    if (missing.length) {
      notices.push(...(await this.missingNotices(patterns, missing, spec)));
    }
    return { hosts, notices };
  }

  /**
   * What earlier refreshes of the same query read: a refresh whose range only moved forward asks
   * for the new samples alone and appends them (the 5 minutes of a panel are re-read once, not on
   * every refresh). Another range, or other hosts, start afresh.
   */
  private stateFor(key: string, spec: ClusterSpec): ReadState {
    const kept = this.states.get(key);
    if (kept && kept.continues(spec)) {
      this.states.delete(key);
      this.states.set(key, kept);
      return kept;
    }
    const state = new ReadState(spec);
    this.states.set(key, state);
    if (this.states.size > MAX_STATES) {
      this.states.delete(this.states.keys().next().value!);
    }
    return state;
  }

  /** hostspec → the store's hostname label (or the host's bare name when nothing matches). */
  private async hostnames(hosts: string[]): Promise<Map<string, string>> {
    const known = await this.knownHostnames();
    const out = new Map<string, string>();
    for (const host of hosts) {
      const bare = bareHost(host);
      const direct = [host, bare, bare.split('.')[0]].find((n) => known.has(n));
      if (direct) {
        out.set(host, direct);
        continue;
      }
      let asked = this.pmcdNames.get(host);
      if (!asked) {
        asked = this.pmcdHostname(host).catch(() => undefined);
        this.pmcdNames.set(host, asked);
      }
      out.set(host, (await asked) ?? bare);
    }
    return out;
  }

  private knownHostnames(): Promise<Set<string>> {
    if (!this.storeHosts || this.now() - this.storeHosts.at > HOSTNAMES_TTL_MS) {
      const names = this.client.labelValues(['hostname']).then((v) => new Set((v.hostname ?? []).map(String)));
      this.storeHosts = { at: this.now(), names };
      names.catch(() => (this.storeHosts = undefined));
    }
    return this.storeHosts.names;
  }

  /** Descriptor, name, host and instance names of ids not seen before: once per id. */
  private async learn(samples: SeriesSample[]): Promise<void> {
    const newMetrics = new Set<string>();
    const unnamedInstances = new Set<string>();
    for (const s of samples) {
      if (!this.info.has(s.series)) {
        newMetrics.add(s.series);
      } else if (s.instance && !this.instanceNames.has(s.instance)) {
        unnamedInstances.add(s.series);
      }
    }
    if (newMetrics.size) {
      const ids = [...newMetrics];
      const [descs, names] = await Promise.all([this.client.descs(ids), this.client.metricNames(ids)]);
      for (const id of ids) {
        const d = descs.get(id);
        this.info.set(id, {
          metric: names.get(id) ?? id,
          sem: d?.semantics ?? 'instant',
          units: d?.units ?? 'none',
          indomNone: !d || d.indom === 'none',
        });
      }
      // Labels (hostname) sit on the metric's id, or on its instances' ids: one of each suffices.
      const labelled = new Map<string, string>();
      for (const s of samples) {
        if (newMetrics.has(s.series) && !labelled.has(s.series)) {
          labelled.set(s.series, s.instance ?? s.series);
        }
      }
      const labels = await this.client.labels([...labelled.values()]);
      for (const [metricId, labelId] of labelled) {
        const hostname = labels.get(labelId)?.hostname;
        this.info.get(metricId)!.hostname = hostname === undefined ? undefined : String(hostname);
      }
      for (const id of ids) {
        if (!this.info.get(id)!.indomNone) {
          unnamedInstances.add(id);
        }
      }
    }
    if (unnamedInstances.size) {
      for (const i of await this.client.instances([...unnamedInstances])) {
        this.instanceNames.set(i.instance, i.name);
      }
    }
  }

  /** Why a requested host has nothing: never recorded, or recorded until some time. */
  private async missingNotices(
    patterns: string[],
    missing: Array<[string, string]>,
    spec: ClusterSpec
  ): Promise<string[]> {
    const last = new Map<string, number>();
    try {
      const latest: SeriesSample[] = [];
      for (const pattern of patterns) {
        for (const expr of expressions(
          pattern,
          missing.map(([, n]) => n)
        )) {
          // The newest sample in the store's retention, read sparsely: /series/values with
          // `samples` counts from the window's start (the oldest), and the windowed expression
          // that counts from the end crashes pmproxy 6.0.3 on the error records a host that went
          // away leaves (pmapi/series.ts samplesMatching).
          const now = this.now();
          latest.push(
            ...(await this.client.samplesMatching(expr, {
              startMs: now - NEWEST_LOOKBACK_MS,
              finishMs: now,
              intervalSec: NEWEST_SPACING_SEC,
            }))
          );
        }
      }
      await this.learn(latest);
      for (const s of latest) {
        const hostname = this.info.get(s.series)?.hostname;
        if (hostname !== undefined) {
          last.set(hostname, Math.max(last.get(hostname) ?? 0, s.timestampMs));
        }
      }
    } catch {
      // The reason is a nicety: the notice stands without it.
    }
    const what = patterns.join(', ');
    return missing.map(([host, hostname]) => {
      const name = host === hostname ? host : `${host} (${hostname})`;
      const at = last.get(hostname);
      if (at === undefined) {
        return `No series of ${what} for host ${name} in the series store: pmlogger does not record it (host not farmed, or the metric not in its configuration).`;
      }
      const when = dateTimeFormat(at, { format: 'YYYY-MM-DD HH:mm:ss' });
      return at < spec.from
        ? `No series of ${what} for host ${name} in this range: its last sample is from ${when} (gone since, or pmlogger stopped recording it).`
        : `No series of ${what} for host ${name} in this range (its latest sample is from ${when}).`;
    });
  }
}

/** The host part of a hostspec: `pcp://db1:44321?x` → `db1`, `localhost:44331` → `localhost`. */
export function bareHost(hostspec: string): string {
  return hostspec
    .trim()
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/[/?@].*$/, '')
    .replace(/:\d+$/, '');
}

/**
 * The pattern with a `hostname` filter, split over several expressions when the hosts are many:
 * each stays under the URL budget once percent-encoded (a clause nearly doubles in the URL).
 */
export function expressions(pattern: string, hostnames?: string[]): string[] {
  if (!hostnames) {
    return [pattern];
  }
  const room = MAX_EXPR_CHARS - encodedLength(pattern);
  const out: string[] = [];
  let clauses: string[] = [];
  let length = 0;
  for (const h of hostnames) {
    const clause = `hostname==${seriesString(h)}`;
    const size = encodedLength(`${clause} || `);
    if (clauses.length && length + size > room) {
      out.push(`${pattern}{${clauses.join(' || ')}}`);
      clauses = [];
      length = 0;
    }
    clauses.push(clause);
    length += size;
  }
  if (clauses.length) {
    out.push(`${pattern}{${clauses.join(' || ')}}`);
  }
  return out;
}

function encodedLength(text: string): number {
  return encodeURIComponent(text).length;
}

/** metric name → its descriptor words and time → instance name → value. */
type HostSamples = Map<string, { meta: SeriesInfo; rows: Map<number, Map<string, number | null>> }>;

/**
 * hostname → its metrics' samples. Keyed by metric NAME: a host whose metric got a new id (its
 * pmcd restarted with another descriptor) still draws one series.
 */
function groupByHost(
  samples: SeriesSample[],
  info: Map<string, SeriesInfo>,
  instanceNames: Map<string, string>,
  keep: ((name: string) => boolean) | undefined
): Map<string, HostSamples> {
  const out = new Map<string, HostSamples>();
  for (const s of samples) {
    const meta = info.get(s.series);
    if (!meta?.hostname) {
      continue;
    }
    const name = s.instance ? (instanceNames.get(s.instance) ?? s.instance) : '';
    if (s.instance && keep && !keep(name)) {
      continue;
    }
    const host = getOrAdd(out, meta.hostname, () => new Map());
    const metric = getOrAdd(host, meta.metric, () => ({ meta, rows: new Map() }));
    const row = getOrAdd(metric.rows, s.timestampMs, () => new Map());
    const value = Number(s.value);
    row.set(name, s.value.trim() !== '' && Number.isFinite(value) ? value : null);
  }
  return out;
}

/**
 * One query's buffers (a host's metric each) and the newest sample each host has given, kept
 * between refreshes. A store whose hosts lag (pmlogger writes its archive in blocks, so a host's
 * newest samples may arrive after another's) is read again from the oldest recent host's newest
 * sample; a buffer takes only samples newer than it holds (WideSeriesBuffer.append), so nothing is
 * doubled.
 */
class ReadState {
  private readonly hosts = new Map<string, Map<string, ClusterMetric>>();
  private readonly newest = new Map<string, number>();
  private readonly from: number;
  private readonly spanMs: number;
  private to: number;

  constructor(spec: ClusterSpec) {
    this.from = spec.from;
    this.to = spec.to;
    this.spanMs = spec.to - spec.from;
  }

  /** Whether `spec` is this read moved forward (same length of range, not earlier). */
  continues(spec: ClusterSpec): boolean {
    const span = spec.to - spec.from;
    return spec.from >= this.from && spec.to >= this.to && Math.abs(span - this.spanMs) <= this.spanMs * 0.01;
  }

  /**
   * Where the next request starts: the range's start the first time, then just after the newest
   * sample of the host that is furthest behind. A wanted host with nothing recent (late, gone, or
   * never recorded) keeps the last LAG_MS in the request, so its late samples are not skipped.
   */
  nextStart(spec: ClusterSpec, wanted?: Iterable<string>): number {
    if (this.newest.size === 0) {
      return spec.from;
    }
    const floor = spec.to - LAG_MS;
    const hosts = wanted ? [...wanted] : [...this.newest.keys()];
    const starts = hosts.map((h) => {
      const t = this.newest.get(h);
      return t !== undefined && t >= floor ? t + 1 : floor;
    });
    return Math.max(spec.from, Math.min(spec.to, ...starts));
  }

  add(samples: Map<string, HostSamples>, spec: ClusterSpec): void {
    this.to = spec.to;
    for (const [hostname, metrics] of samples) {
      const kept = getOrAdd(this.hosts, hostname, () => new Map());
      for (const { meta, rows } of metrics.values()) {
        const m = getOrAdd(kept, meta.metric, () => ({
          name: meta.metric,
          sem: meta.sem,
          units: meta.units,
          buffer: new WideSeriesBuffer({
            // The range and a margin: older rows leave the buffer as it moves on.
            retentionMs: Math.max(1000, this.spanMs + LAG_MS),
            counter: isCounterSemantics(meta.sem),
          }),
        }));
        for (const t of [...rows.keys()].sort((a, b) => a - b)) {
          m.buffer.append(t, rows.get(t)!);
          this.newest.set(hostname, Math.max(this.newest.get(hostname) ?? 0, t));
        }
      }
    }
  }

  hostnames(): Iterable<string> {
    return this.hosts.keys();
  }

  /** The host's metrics, or undefined when it has no sample since `from` (gone, or never seen). */
  metricsIn(hostname: string, from: number): ClusterMetric[] | undefined {
    const metrics = this.hosts.get(hostname);
    if (!metrics || (this.newest.get(hostname) ?? -Infinity) < from) {
      return undefined;
    }
    return [...metrics.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}

function getOrAdd<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) {
    v = make();
    map.set(key, v);
  }
  return v;
}
