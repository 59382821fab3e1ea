import { interruptedBySleep } from './asleep';
import { chunksByLength } from './client';
import { isPmapiError, PmapiError } from './errors';
import { PMPROXY_MAX_URL } from './limits';
import { encodeQuery, PmapiTransport, QueryParams } from './request';

/**
 * The one client of pmproxy's series REST API (/series/*): what pmlogger recorded and pmproxy
 * loaded into its key server (Redis/Valkey), for every host pmlogger farms. Reads only; /series/load
 * is never sent (plugin.json has no route for it).
 *
 * Shapes and behaviour checked on PCP 6.0.3 with redis-server 7.0 (tests/fixtures/series.json):
 *  - ids are 40 hex characters; a metric with an instance domain has one id for the metric and one
 *    per instance: values carry both (`series`, `instance`), and labels such as `hostname` are on
 *    the INSTANCE ids (the metric's own id has none).
 *  - `start`/`finish` take epoch seconds with a fraction; timestamps come back as epoch
 *    milliseconds with a fraction, values as strings (numbers are sent as text too).
 *  - `expr[start:…,finish:…]` would make /series/query answer the samples themselves, but
 *    pmproxy 6.0.3 segfaults on it over an error record: samples are read by id (samplesMatching).
 *  - With no key server, or the series module off, pmproxy 6.0.3 answers /series/ping but never
 *    answers a query (a test waited 60 s). So the client times out itself (`seriesUnavailable`)
 *    and, for `holdMs`, fails at once instead of piling up requests that never end.
 */
export interface SeriesClientOptions {
  /** How long to wait for an answer before calling the series store unavailable. */
  timeoutMs?: number;
  /** After a timeout, how long further requests fail at once. */
  holdMs?: number;
  now?: () => number;
}

/**
 * A time window; pmproxy includes samples at `startMs` and `finishMs`. With `samples` and neither
 * start nor finish, the newest samples; with a start, PCP 6.0.3 counts `samples` from the start.
 */
export interface SeriesWindow {
  startMs?: number;
  finishMs?: number;
  /** Seconds between samples pmproxy should return (it picks recorded samples at that spacing). */
  intervalSec?: number;
  /** At most this many samples per series, the most recent ones. */
  samples?: number;
}

export interface SeriesSample {
  /** The metric's series id. */
  series: string;
  /** The instance's series id, for a metric with an instance domain. */
  instance?: string;
  /** Epoch milliseconds. */
  timestampMs: number;
  /** As pmproxy sent it: text, also for numbers (Number() it when the desc says numeric). */
  value: string;
}

export interface SeriesDesc {
  series: string;
  source: string;
  pmid: string;
  /** "none" for a metric without instances. */
  indom: string;
  semantics: string;
  type: string;
  units: string;
}

export interface SeriesInstance {
  /** The metric's series id. */
  series: string;
  source: string;
  /** The instance's own series id (what values and labels use). */
  instance: string;
  id: number;
  name: string;
}

export type SeriesLabels = Record<string, string | number | boolean>;

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_HOLD_MS = 30_000;
/** Room for a list of series ids (or an expression) in one URL, as for pmapi names. */
const MAX_LIST_CHARS = PMPROXY_MAX_URL - 2000;
/** How long the ids of an expression are trusted: a host or metric recorded anew shows up after it. */
const IDS_TTL_MS = 60_000;
/** Expressions whose ids are kept (a dashboard's queries, with room). */
const MAX_EXPRS = 200;

export class SeriesClient {
  private unavailableUntil = 0;
  private unavailable?: PmapiError;
  /** Series ids by expression, for samplesMatching: a new host or metric is seen within IDS_TTL_MS. */
  private readonly idsByExpr = new Map<string, { at: number; ids: string[] }>();

  constructor(
    private readonly transport: PmapiTransport,
    private readonly options: SeriesClientOptions = {}
  ) {}

  /** Series ids matching a pmseries expression, e.g. `kernel.all.load{hostname=="db1"}`. */
  async query(expr: string): Promise<string[]> {
    return strings(await this.get('/series/query', { expr }));
  }

  /**
   * The samples of every series matching `expr` in `window`: the ids of `expr` (asked once per
   * IDS_TTL_MS and expression), then /series/values of those ids.
   *
   * Never the one-request form `expr[start:…,finish:…]`: pmproxy 6.0.3 segfaults answering it
   * whenever the window holds an error record (pmlogger logs one for a metric it could not fetch:
   * a host going away, a recording just stopped, a pmcd restart) or a map with no keys, while
   * /series/values skips such records (PCP's query.c; a crash loop on the stack, 137 segfaults in
   * an hour of tests, docs/recording.md). A host that disappears is exactly when a fleet query
   * reads such records, so the cost of one more request per refresh is the price of pmproxy staying up.
   */
  async samplesMatching(expr: string, window: SeriesWindow): Promise<SeriesSample[]> {
    const ids = await this.idsOf(expr);
    return ids.length ? this.values(ids, window) : [];
  }

  private async idsOf(expr: string): Promise<string[]> {
    const now = this.now();
    const known = this.idsByExpr.get(expr);
    if (known && now - known.at < IDS_TTL_MS) {
      return known.ids;
    }
    const ids = await this.query(expr);
    this.idsByExpr.delete(expr);
    if (ids.length === 0) {
      // Not kept: a recording just started reaches the store within seconds, not a minute.
      return ids;
    }
    this.idsByExpr.set(expr, { at: now, ids });
    if (this.idsByExpr.size > MAX_EXPRS) {
      // The oldest expression goes (a Map iterates in insertion order).
      this.idsByExpr.delete(this.idsByExpr.keys().next().value!);
    }
    return ids;
  }

  /** Samples of the given series ids in `window`, in as few requests as the URL limit allows. */
  async values(series: string[], window: SeriesWindow): Promise<SeriesSample[]> {
    const out: SeriesSample[] = [];
    for (const chunk of chunksByLength(unique(series), MAX_LIST_CHARS)) {
      const raw = await this.get('/series/values', {
        series: chunk.join(','),
        start: window.startMs === undefined ? undefined : seconds(window.startMs),
        finish: window.finishMs === undefined ? undefined : seconds(window.finishMs),
        interval: window.intervalSec,
        samples: window.samples,
      });
      out.push(...samples(raw));
    }
    return out;
  }

  /** Metric descriptors by series id (metric ids, not instance ids). */
  async descs(series: string[]): Promise<Map<string, SeriesDesc>> {
    const out = new Map<string, SeriesDesc>();
    for (const chunk of chunksByLength(unique(series), MAX_LIST_CHARS)) {
      for (const d of objects<SeriesDesc>(await this.get('/series/descs', { series: chunk.join(',') }))) {
        // pmproxy describes an unknown id as type "unknown" instead of leaving it out.
        if (d.type !== 'unknown') {
          out.set(d.series, d);
        }
      }
    }
    return out;
  }

  /** Labels by series id; for a metric with instances ask with the INSTANCE ids (see above). */
  async labels(series: string[]): Promise<Map<string, SeriesLabels>> {
    const out = new Map<string, SeriesLabels>();
    for (const chunk of chunksByLength(unique(series), MAX_LIST_CHARS)) {
      const raw = await this.get('/series/labels', { series: chunk.join(',') });
      for (const l of objects<{ series: string; labels?: SeriesLabels }>(raw)) {
        out.set(l.series, l.labels ?? {});
      }
    }
    return out;
  }

  /** Every value each label name has across the whole store, e.g. all `hostname`s. */
  async labelValues(names: string[]): Promise<Record<string, Array<string | number | boolean>>> {
    const raw = await this.get('/series/labels', { names: names.join(',') });
    return raw && typeof raw === 'object' && !Array.isArray(raw)
      ? (raw as Record<string, Array<string | number | boolean>>)
      : {};
  }

  /** The instances of metric series ids, with their own series ids and names. */
  async instances(series: string[]): Promise<SeriesInstance[]> {
    const out: SeriesInstance[] = [];
    for (const chunk of chunksByLength(unique(series), MAX_LIST_CHARS)) {
      out.push(...objects<SeriesInstance>(await this.get('/series/instances', { series: chunk.join(',') })));
    }
    return out;
  }

  /** Metric names by series id. */
  async metricNames(series: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const chunk of chunksByLength(unique(series), MAX_LIST_CHARS)) {
      const raw = await this.get('/series/metrics', { series: chunk.join(',') });
      for (const m of objects<{ series: string; name: string }>(raw)) {
        out.set(m.series, m.name);
      }
    }
    return out;
  }

  /** Names of recorded metrics matching a glob (`*` for all), across all hosts. */
  async metricsMatching(glob: string): Promise<string[]> {
    return strings(await this.get('/series/metrics', { match: glob }));
  }

  private now() {
    return (this.options.now ?? Date.now)();
  }

  private async get(path: string, params: QueryParams): Promise<unknown> {
    if (this.unavailable && this.now() < this.unavailableUntil) {
      throw this.unavailable;
    }
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const sentAt = Date.now();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          interruptedBySleep(sentAt + timeoutMs) ??
            new PmapiError(
              'seriesUnavailable',
              `pmproxy's series API did not answer in ${timeoutMs / 1000} s: its key server (Redis/Valkey) is down or not configured, or the series module is off in pmproxy.conf ([pmseries], [redis]). Live data is not affected.`
            )
        );
      }, timeoutMs);
    });
    let text: string;
    try {
      text = await Promise.race([this.transport(path, encodeQuery(params), 'GET'), timeout]);
    } catch (caught) {
      const e = lostKeyServer(caught) ?? caught;
      if (isPmapiError(e, 'seriesUnavailable')) {
        this.unavailable = e;
        this.unavailableUntil = this.now() + (this.options.holdMs ?? DEFAULT_HOLD_MS);
      }
      throw e;
    } finally {
      clearTimeout(timer);
    }
    this.unavailable = undefined;
    try {
      return JSON.parse(text);
    } catch {
      throw new PmapiError('unexpected', `pmproxy sent a series answer that is not JSON: ${text.slice(0, 200)}`, 200);
    }
  }
}

/**
 * pmproxy's answer to the request that finds its key server gone (Redis stopped while pmproxy ran):
 * an error quoting the key server's empty reply, e.g. `expected array from string map HVALS
 * (reply=none)`, seen on the stack when its redis-server stopped; the requests after it get no
 * answer at all. Both mean the same to the user.
 */
const KEY_SERVER_GONE = /\(reply=none\)|Redis|Valkey|key server/i;

function lostKeyServer(e: unknown): PmapiError | undefined {
  if (isPmapiError(e) && e.kind !== 'seriesUnavailable' && e.status >= 400 && KEY_SERVER_GONE.test(e.message)) {
    return new PmapiError(
      'seriesUnavailable',
      `pmproxy's series API lost its key server (Redis/Valkey): "${e.message}". Live data is not affected.`,
      e.status
    );
  }
  return undefined;
}

/** Epoch seconds as pmproxy's series window reads them (a fraction is kept to the ms). */
function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function unique(ids: string[]): string[] {
  return [...new Set(ids)];
}

function strings(raw: unknown): string[] {
  return Array.isArray(raw) ? raw.filter((x): x is string => typeof x === 'string') : [];
}

function objects<T>(raw: unknown): T[] {
  return Array.isArray(raw) ? (raw.filter((x) => x && typeof x === 'object') as T[]) : [];
}

function samples(raw: unknown): SeriesSample[] {
  const out: SeriesSample[] = [];
  for (const s of objects<{ series?: unknown; instance?: unknown; timestamp?: unknown; value?: unknown }>(raw)) {
    if (typeof s.series !== 'string' || typeof s.timestamp !== 'number') {
      continue;
    }
    out.push({
      series: s.series,
      instance: typeof s.instance === 'string' ? s.instance : undefined,
      timestampMs: Math.round(s.timestamp),
      value: typeof s.value === 'string' ? s.value : String(s.value),
    });
  }
  return out;
}

/**
 * A label value as a pmseries string literal. PCP 6.0.3's parser has no escape for `"` (a `\"`
 * is a syntax error) and reads `\` literally, so a value holding either, or a control character,
 * is refused rather than sent as a different query.
 */
export function seriesString(value: string): string {
  if (/["\\\u0000-\u001f]/.test(value)) {
    throw new PmapiError('badInput', `${JSON.stringify(value)} cannot be used in a series query (it holds " or \\)`);
  }
  return `"${value}"`;
}
