import { isPmapiError, PmapiError } from './errors';
import { FetchBody, readFetchAnswer } from './fetchBody';
import { parsePmproxyJson, timestampToMs } from './json';
import { encodeQuery, PmapiTransport, QueryParams } from './request';
import { Children, ContextInfo, FetchResult, InstanceDomain, MetricMetadata, MetricValues } from './types';
import { PMPROXY_MAX_URL } from './limits';

export interface PmapiClientOptions {
  /** pmcd host as pmproxy should reach it, e.g. `localhost` or `pcp://db1:44321`. */
  hostspec: string;
  /** Seconds pmproxy keeps an idle context; an unused context is dropped after this. */
  polltimeoutSec: number;
  /** Clock for timestamps pmproxy does not send. */
  now?: () => number;
  /**
   * Where stores go (CONTROL_PATHS), or undefined when this session may not start or stop
   * scripts: then nothing is sent and the store fails with `permissionDenied` at once.
   */
  controlPath?: string;
}

const notJson = (text: string) =>
  new PmapiError('unexpected', `pmproxy sent an answer that is not JSON: ${text.slice(0, 200)}`, 200);

/** A context died under us: pmproxy restarted or forgot it, or pmcd restarted behind it. */
const CONTEXT_LOST = (e: unknown) => isPmapiError(e, 'unknownContext') || isPmapiError(e, 'ipcFailure');

/**
 * The one pmproxy client of bpflive. It owns a pmapi context for one hostspec: created on first
 * use with a polltimeout, replaced when pmproxy forgets it or pmcd restarts behind it, and
 * requests that are safe to repeat are retried once on the new context.
 *
 * Stores are repeated only when the first attempt certainly did not reach the PMDA (its context
 * was unknown); a store whose read-back failed is never repeated, since a register would then
 * start a second bpftrace process.
 */
export class PmapiClient {
  private contextPromise?: Promise<ContextInfo>;
  private resolvedContext?: ContextInfo;
  private generation = 0;
  /** Store + read-back pairs run one at a time (see storeAndReadBack). */
  private storeQueue: Promise<unknown> = Promise.resolve();
  /** name → pmid, valid for the context generation in pmidGeneration. */
  private readonly pmidOf = new Map<string, string>();
  private pmidGeneration = -1;
  /** Types learnt from metric metadata, to recognise PCP's "no value" placeholder. */
  private readonly knownTypes = new Map<string, string>();

  constructor(
    private readonly transport: PmapiTransport,
    readonly options: PmapiClientOptions
  ) {}

  /**
   * Increases whenever a new context replaces an old one. Values fetched before and after a
   * change may come from different pmcd lifetimes: the script layer uses this to re-check its
   * scripts (pmproxy serves frozen or foreign values for stale names on an old context).
   */
  get contextGeneration(): number {
    return this.generation;
  }

  async context(): Promise<ContextInfo> {
    if (!this.contextPromise) {
      const attempt = this.createContext();
      this.contextPromise = attempt;
      attempt.then(
        (info) => {
          if (this.contextPromise === attempt) {
            this.resolvedContext = info;
          }
        },
        () => {
          if (this.contextPromise === attempt) {
            this.contextPromise = undefined;
          }
        }
      );
    }
    return this.contextPromise;
  }

  /** Forget the current context; the next request creates a new one. */
  dropContext(): void {
    this.contextPromise = undefined;
    this.resolvedContext = undefined;
  }

  /**
   * One pmFetch of all `names`. Unknown names are absent from the result, as pmproxy drops them.
   *
   * Names are sent as pmids: a name such as `bpftrace.scripts.bpflive_….data.x` is five times
   * the length of its pmid, and pmproxy refuses URLs over 8,000 characters (50 scripts' names
   * would not fit). Pmids come from /pmapi/metric once per name and context; a pmid that no longer
   * answers, or answers under another name, is looked up again, so a stale pmid can never hand
   * back another script's values.
   */
  async fetch(names: string[]): Promise<FetchResult> {
    if (names.length === 0) {
      return { timestampMs: this.now(), values: new Map() };
    }
    return this.withContext(async (context) => {
      if (this.pmidGeneration !== this.generation) {
        this.pmidOf.clear();
        this.pmidGeneration = this.generation;
      }
      const unresolved = [...new Set(names)].filter((n) => !this.pmidOf.has(n));
      if (unresolved.length) {
        await this.resolvePmids(unresolved, context);
      }
      const wanted = new Map<string, string>();
      for (const name of names) {
        const pmid = this.pmidOf.get(name);
        if (pmid) {
          wanted.set(pmid, name);
        }
      }
      const values = new Map<string, MetricValues>();
      let timestampMs: number | undefined;
      for (const chunk of chunksByLength([...wanted.keys()], MAX_LIST_CHARS)) {
        const result = await this.fetchOnce({ context, pmids: chunk.join(',') });
        timestampMs ??= result.timestampMs;
        for (const [name, v] of result.values) {
          if (wanted.get(v.pmid) === name) {
            values.set(name, v);
          }
        }
      }
      for (const name of wanted.values()) {
        if (!values.has(name)) {
          // Gone, or the pmid now belongs to something else: look the name up afresh next time.
          this.pmidOf.delete(name);
        }
      }
      return { timestampMs: timestampMs ?? this.now(), values };
    });
  }

  /** Names → pmids in as few /pmapi/metric requests as possible; unknown names stay unresolved. */
  private async resolvePmids(names: string[], context: number): Promise<void> {
    for (const chunk of chunksByLength(names, MAX_LIST_CHARS)) {
      try {
        const raw = await this.get<{ metrics?: MetricMetadata[] }>('/pmapi/metric', {
          context,
          names: chunk.join(','),
        });
        for (const m of raw.metrics ?? []) {
          this.pmidOf.set(m.name, m.pmid);
          this.knownTypes.set(m.name, m.type);
        }
      } catch (e) {
        // pmproxy fails the whole request for one unknown name: halve until the known ones resolve.
        if (!isPmapiError(e, 'unknownMetric') || chunk.length === 1) {
          if (isPmapiError(e, 'unknownMetric')) {
            continue;
          }
          throw e;
        }
        const half = Math.ceil(chunk.length / 2);
        await this.resolvePmids(chunk.slice(0, half), context);
        await this.resolvePmids(chunk.slice(half), context);
      }
    }
  }

  async metrics(names: string[]): Promise<MetricMetadata[]> {
    const raw = await this.withContext((context) =>
      this.get<{ metrics?: MetricMetadata[] }>('/pmapi/metric', { context, names: names.join(',') })
    );
    const metrics = raw.metrics ?? [];
    for (const m of metrics) {
      this.knownTypes.set(m.name, m.type);
    }
    return metrics;
  }

  async indom(metricName: string): Promise<InstanceDomain> {
    const raw = await this.withContext((context) =>
      this.get<InstanceDomain>('/pmapi/indom', { context, name: metricName })
    );
    return { indom: raw.indom, instances: raw.instances ?? [], labels: raw.labels };
  }

  async children(prefix: string): Promise<Children> {
    const raw = await this.withContext((context) =>
      this.get<Partial<Children>>('/pmapi/children', { context, prefix })
    );
    return { name: raw.name ?? prefix, leaf: raw.leaf ?? [], nonleaf: raw.nonleaf ?? [] };
  }

  /** pmStore of a string or number, by POST with an empty body (a form body crashes pmproxy 6.0.3). */
  async store(name: string, value: string | number): Promise<void> {
    await this.storeOnce(name, value);
  }

  /**
   * Store, then fetch `readBackName` on the SAME context: the bpftrace PMDA keeps the result of a
   * control store per pmcd context and hands it out once. Used for register/deregister.
   * `storeError` is set when the PMDA refused the store; the read-back usually says why.
   * Pairs are serialised: two registrations interleaved on one context would each read the
   * other's (or no) result.
   */
  storeAndReadBack(
    name: string,
    value: string | number,
    readBackName = name
  ): Promise<{ storeError?: PmapiError; readBack: MetricValues | undefined }> {
    const run = this.storeQueue.then(() => this.storeAndReadBackNow(name, value, readBackName));
    this.storeQueue = run.catch(() => undefined);
    return run;
  }

  private async storeAndReadBackNow(name: string, value: string | number, readBackName: string) {
    const { context, storeError } = await this.storeOnce(name, value);
    const result = await this.fetchOnce({ context: context.context, names: readBackName });
    return { storeError, readBack: result.values.get(readBackName) };
  }

  /** Whether this session may send stores at all. */
  get mayControl(): boolean {
    return this.options.controlPath !== undefined;
  }

  private async storeOnce(name: string, value: string | number) {
    const path = this.options.controlPath;
    if (path === undefined) {
      throw new PmapiError(
        'permissionDenied',
        'Your Grafana role may not start or stop scripts on this datasource (Editors and Admins may; an Admin can allow Viewers in the datasource settings).'
      );
    }
    for (let attempt = 0; ; attempt++) {
      const context = await this.context();
      try {
        await this.get(path, { context: context.context, name, value }, 'POST');
        return { context, storeError: undefined };
      } catch (e) {
        if (CONTEXT_LOST(e) && attempt === 0) {
          // pmproxy or pmcd did not take the store on this context; it is safe to send again.
          this.replaceContext(context);
          continue;
        }
        if (isPmapiError(e, 'badInput') || isPmapiError(e, 'permissionDenied')) {
          // Refused by the PMDA: its read-back on this context holds the reason.
          return { context, storeError: e };
        }
        throw e;
      }
    }
  }

  private async withContext<T>(request: (context: number) => Promise<T>): Promise<T> {
    const context = await this.context();
    try {
      return await request(context.context);
    } catch (e) {
      if (!CONTEXT_LOST(e)) {
        throw e;
      }
      this.replaceContext(context);
      const fresh = await this.context();
      return request(fresh.context);
    }
  }

  private replaceContext(stale: ContextInfo) {
    // Only the first caller that notices replaces it; concurrent callers share the new one.
    if (this.resolvedContext?.context === stale.context) {
      this.contextPromise = undefined;
      this.resolvedContext = undefined;
    }
  }

  private async createContext(): Promise<ContextInfo> {
    const info = await this.get<ContextInfo>('/pmapi/context', {
      hostspec: this.options.hostspec,
      polltimeout: this.options.polltimeoutSec,
    });
    this.generation++;
    return info;
  }

  private async get<T>(path: string, params: QueryParams, method: 'GET' | 'POST' = 'GET'): Promise<T> {
    const text = await this.transport(path, encodeQuery(params), method);
    try {
      return parsePmproxyJson<T>(text);
    } catch {
      throw notJson(text);
    }
  }

  /** One /pmapi/fetch: read by ./fetchBody when pmproxy spelled it as usual (every tick), else as JSON. */
  private async fetchOnce(params: QueryParams): Promise<FetchResult> {
    const text = await this.transport('/pmapi/fetch', encodeQuery(params), 'GET');
    let body: FetchBody;
    try {
      body = readFetchAnswer(text, (name) => this.knownTypes.get(name) === 'string');
    } catch {
      throw notJson(text);
    }
    const values = new Map<string, MetricValues>();
    for (const v of body.values) {
      values.set(v.name, v);
    }
    return { timestampMs: timestampToMs(body.timestamp, this.now()), values };
  }

  private now() {
    return (this.options.now ?? Date.now)();
  }
}

/** Room for a list of names or pmids in one URL; the rest (path, context, other parameters) gets 2,000. */
const MAX_LIST_CHARS = PMPROXY_MAX_URL - 2000;

/** Splits `items` into comma-joined lists of at most `max` characters each. */
export function chunksByLength(items: string[], max: number): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let length = 0;
  for (const item of items) {
    if (current.length && length + item.length + 1 > max) {
      chunks.push(current);
      current = [];
      length = 0;
    }
    current.push(item);
    length += item.length + 1;
  }
  if (current.length) {
    chunks.push(current);
  }
  return chunks;
}
