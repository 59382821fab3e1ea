import { chunksByLength, PmapiClient } from '../pmapi/client';
import { isPmapiError, PmapiError } from '../pmapi/errors';
import { FetchResult } from '../pmapi/types';
import { budgetOf } from '../scripts/budget';
import { foreignCharacterRefusal } from '../scripts/characters';
import { isRecordingName, namespaceOf, PreparedRecording, prepareScript, unencodableAt } from '../scripts/naming';
import { INFO_SCRIPTS_JSON, scriptMetric } from '../scripts/names';
import {
  deregisterScripts,
  readScriptList,
  scriptListOf,
  readProbeList,
  registerScript,
  ScriptRecord,
  ScriptRejectedError,
} from '../scripts/protocol';
import { bpftraceAgentStatus, describeAgentStatus, PMCD_AGENT_STATUS } from '../scripts/pmdaStatus';
import { HistoryLoader, SeriesReader } from './History';
import { InstanceNames } from './instanceNames';
import { hostnameOf } from './lookups';
import { expandMetricPattern, hasWildcard, metricPatterns } from './metricNames';
import { MetricSpec, MetricWatch, watchKey } from './MetricWatch';
import { PROC_METRICS, ProcessCost, ProcessCosts } from './processCost';
import { durationText } from '../shared/duration';
import { percentText } from '../shared/percent';
import { holdsScript, isRead } from './leaseMachine';
import { Poller } from './Poller';
import { StopRetries } from './StopRetries';
import { cleanErrorText, ScriptLease } from './ScriptLease';

/** Shared by the endpoints of one datasource: how many scripts it may hold on hosts at once. */
export interface ScriptBudget {
  max: number;
  used(): number;
}

export interface EndpointOptions {
  pollIntervalMs: number;
  retentionMs: number;
  /** Scripts are shared and swept only within a namespace (the datasource's uid). */
  namespace: string;
  /** How long a script nobody subscribes to keeps running (refreshes re-subscribe within it). */
  graceMs?: number;
  budget?: ScriptBudget;
  /** The datasource's CPU budget per script, as a share of one CPU (0.05 = 5 %); none when absent. */
  cpuBudget?: number;
  /** The admin's choice: a script of ours over its CPU budget twice in a row is stopped. */
  stopOverBudget?: boolean;
  /**
   * This session may start recordings: it stores through the Editor control route (never the
   * Viewers' one, even when the admin lets Viewers run scripts: a recording outlives the tab).
   */
  mayRecord?: boolean;
  /** pmproxy's series API (pmapi/series.ts), for named scripts' history; none without one. */
  series?: SeriesReader;
  now?: () => number;
}

/** Something that reads the host on the tick besides the leases (a running-scripts view). */
export interface TickReader {
  /** Called after every tick, whether the fetch answered or not. */
  onTick(): void;
}

export interface SubscribeOptions {
  /** `// table-retain-lines:` for a script that does not set it. */
  outputLines?: number;
  /** Show the script the host runs under this name (or id) instead of registering `code`. */
  joinName?: string;
  /**
   * A recorded query: join the named script `record.name`, or register `record.text` under it
   * when the host does not run it and this session may record. Never stopped by the lease.
   */
  record?: PreparedRecording;
}

/** Every this many ticks the leases are checked against the PMDA's own list of scripts. */
const SCRIPT_LIST_EVERY = 10;
/** Registrations are retried every tick this many times (a PMDA restart takes ~6 s), then every 5 s. */
const FAST_RETRIES = 30;
const SLOW_RETRY_MS = 5000;
/** A PCP metric query with globs looks its names up again this often (new metrics join). */
const RELOOK_MS = 30_000;
const OUT_OF_STEP_LIMIT = 3;
/** The next tick comes this soon while a script starts or the host is coming back. */
const HURRY_MS = 300;
/** While pmproxy does not answer, it is asked again this often (so data resumes within a tick). */
const OUTAGE_RETRY_MS = 500;
/** After waking from sleep, scripts found gone meanwhile are said to be gone for that (see goneMessage). */
const ASLEEP_SAID_MS = 15_000;
/** A script of our namespace nobody has read for this long is deregistered by any client. */
const ABANDONED_AFTER_MS = 120_000;
/**
 * Registrations under way at once. Each one makes the PMDA start a bpftrace (seconds of CPU to
 * compile on a small host); a burst of runs of one panel (an engineer pressing Run while editing)
 * then registers only the codes still wanted when their turn comes, not every code in between.
 */
const MAX_STARTS_AT_ONCE = 3;
/**
 * The proc metrics (CPU time and memory of the scripts' bpftrace processes) ride in the tick's one
 * fetch every this many ticks, not every tick: proc has no instance filter in pmproxy's fetch, so
 * each read walks every process of the host (pmcd's cost) and sends them all (about 100 bytes a
 * process); a CPU share over 5 s is also steadier than one over 1 s.
 */
export const PROC_EVERY = 5;

type Listener = () => void;

/**
 * One pmproxy + hostspec: the leases its queries hold there (the registry), the Poller whose tick
 * reads them all in ONE fetch, and the decisions that move leases through their life
 * (leaseMachine.ts): registering or joining, restarting, retiring, and releasing only what no
 * other client reads.
 */
export class Endpoint {
  private readonly leases = new Map<string, ScriptLease>();
  /** PCP metric queries (MetricWatch.ts): read in the same fetch as the scripts. */
  private readonly watches = new Map<string, MetricWatch>();
  private readonly watchListeners = new Map<MetricWatch, Set<Listener>>();
  private readonly leaseOfHolder = new Map<string, ScriptLease>();
  /** Per lease, each subscriber's listener and the holder it subscribed for. */
  private readonly listeners = new Map<ScriptLease, Map<Listener, string>>();
  /** The keys of each data metric's instances (PCP sends ids; names only from /pmapi/indom). */
  private readonly instanceNames = new InstanceNames();
  /** Scripts of our namespace that no lease of ours holds, and when their last_accessed_at last moved. */
  private readonly strangers = new Map<string, { lastAccessed: string; since: number }>();
  private readonly poller: Poller;
  private listSoon = false;
  private startsUnderWay = 0;
  private pmcdPid?: number;
  /**
   * That the bpftrace PMDA is not running, and pmcd's reason (pmcd.agent.status), while it is
   * not: its scripts are gone and its metrics answer frozen values; undefined while it runs.
   */
  private pmdaStopped?: string;
  private clockOffset?: number;
  /** CPU and memory of the host's processes by pid, sampled every PROC_EVERY ticks. */
  readonly costs = new ProcessCosts();
  /** The PMDA's last list of scripts (every script on the host, ours or not) and when it came. */
  private hostList?: { records: Array<Partial<ScriptRecord>>; t: number };
  private previousList?: { records: Array<Partial<ScriptRecord>>; t: number };
  /** Leases over their CPU budget: how many proc samples in a row. */
  private readonly overBudget = new Map<ScriptLease, number>();
  private readonly readers = new Set<TickReader>();
  /** Stops of our scripts the host did not answer: sent again until it does. */
  readonly stops: StopRetries;
  /** Named scripts' history from the series store, for this host; undefined without a series API. */
  readonly history?: HistoryLoader;
  private hostname?: Promise<string | undefined>;
  /** For tests and bench: how many fetches the tick sent. */
  fetchCount = 0;
  /** Ticks that asked for the host's list and got none (see diagnostics). */
  private listsMissing = 0;
  /** Why the last tick's fetch failed (pmproxy or pmcd unreachable), for readers; undefined when it answered. */
  transportError?: string;

  constructor(
    readonly client: PmapiClient,
    private readonly options: EndpointOptions
  ) {
    this.poller = new Poller(
      options.pollIntervalMs,
      () => this.tick(),
      () => this.leases.size > 0 || this.watches.size > 0 || this.readers.size > 0 || this.stops.pending,
      () => this.now()
    );
    this.stops = new StopRetries(
      client,
      () => this.now(),
      () => this.poller.keepGoing()
    );
    if (options.series) {
      this.history = new HistoryLoader(
        options.series,
        () => this.pmcdHostname(),
        () => this.clockOffset ?? 0,
        () => this.now()
      );
    }
  }

  /** pmcd's own name for its host (the series' `hostname` label), asked once; undefined when it did not answer. */
  private pmcdHostname(): Promise<string | undefined> {
    this.hostname ??= hostnameOf(this.client).catch(() => {
      this.hostname = undefined;
      return undefined;
    });
    return this.hostname;
  }

  private get graceMs() {
    return this.options.graceMs ?? Math.max(3 * this.options.pollIntervalMs, 5000);
  }

  /** How long a released script must go unread by others before it is deregistered. */
  private get quietMs() {
    return 2 * this.options.pollIntervalMs + 1000;
  }

  /**
   * How long a releasing lease may go undecided before its script is stopped anyway: a decision
   * takes two looks at the list a quiet period apart, so this is three quiet periods (a stray move
   * of last_accessed_at restarts the count, see decideRelease).
   */
  private get undecidedMs() {
    return 3 * this.quietMs;
  }

  private now() {
    return (this.options.now ?? Date.now)();
  }

  /** That the bpftrace PMDA is not running, with pmcd's reason; undefined while it runs (or unknown). */
  get pmdaNotRunning(): string | undefined {
    return this.pmdaStopped;
  }

  /**
   * How the tick is doing, in a line (for a report of what went wrong): ticks run, when the last
   * one began and whether it is still under way, the last tick that threw, when the host's list
   * was last read and what pmcd said of the PMDA.
   */
  diagnostics(): string {
    const now = this.now();
    const ago = (t: number | undefined) => (t === undefined ? 'never' : `${((now - t) / 1000).toFixed(1)} s ago`);
    const p = this.poller;
    return [
      `ticks ${p.ticks} (last began ${ago(p.lastStartedAt)}${p.busy ? ', still under way' : ''})`,
      p.lastError ? `last failed tick ${ago(p.lastError.at)}: ${p.lastError.message}` : 'no tick failed',
      `list read ${ago(this.hostList?.t)} (${this.hostList?.records.length ?? 0} scripts; asked for and missing ${this.listsMissing} times)`,
      `PMDA ${this.pmdaStopped ?? 'running'}`,
      `transport ${this.transportError ?? 'ok'}`,
    ].join(', ');
  }

  /** Ticks that began late (for tests: one noisy script must not delay the others). */
  get lateTicks(): number {
    return this.poller.lateTicks;
  }

  /**
   * `holder` (dashboard/panel/refId) wants `code` running. Returns the lease and a release
   * function. A holder that switches to other code gives up its previous script at once.
   */
  subscribe(
    holder: string,
    code: string,
    listener: Listener,
    options: SubscribeOptions = {}
  ): { lease: ScriptLease; release: () => void } {
    const record = options.record;
    // A recording is a named script like any other the lease joins; it only may also register it.
    const joinName = record?.name ?? (options.joinName?.trim() || undefined);
    const prepared = joinName
      ? { key: `name:${joinName}`, text: record?.text ?? '' }
      : prepareScript(code, { namespace: this.options.namespace, outputLines: options.outputLines });
    let lease = this.leases.get(prepared.key);
    if (!lease) {
      lease = new ScriptLease(prepared.key, prepared.text, {
        retentionMs: this.options.retentionMs,
        pollIntervalMs: this.options.pollIntervalMs,
        mayControl: this.client.mayControl,
        joinName,
        recorded: record !== undefined,
      });
      this.leases.set(lease.key, lease);
      if (!joinName || record) {
        this.refuseUnsendable(lease, code);
      }
    }
    // Grafana unsubscribes a query before it runs it again, so the holder's previous lease is
    // already retiring when the new code arrives: the code changed, and the old script goes now
    // rather than after a grace period (still only when no other client reads it).
    const previous = this.leaseOfHolder.get(holder);
    if (previous && previous !== lease) {
      previous.unhold(holder, this.now());
      if (previous.holders.size === 0 && previous.graceOver(this.now())) {
        this.listSoon = true;
      }
    }
    lease.hold(holder);
    this.leaseOfHolder.set(holder, lease);
    const subscribers = this.listeners.get(lease) ?? new Map<Listener, string>();
    subscribers.set(listener, holder);
    this.listeners.set(lease, subscribers);
    this.poller.wake();

    const held = lease;
    return {
      lease: held,
      release: () => {
        const subscribers = this.listeners.get(held);
        subscribers?.delete(listener);
        if (subscribers && [...subscribers.values()].includes(holder)) {
          return;
        }
        // The lease keeps running through a grace period, so a refresh or time-range change
        // (unsubscribe, then subscribe again) reuses it.
        if (held.unhold(holder, this.now())) {
          this.poller.keepGoing();
        }
      },
    };
  }

  /**
   * `holder` wants the PCP metrics of `spec`. Their names are looked up on the host first (globs
   * and subtrees through /pmapi/children, descriptors through /pmapi/metric), then they ride
   * every tick's one fetch. Released, a watch stays through the grace period, as a lease does.
   */
  watchMetrics(holder: string, spec: MetricSpec, listener: Listener): { watch: MetricWatch; release: () => void } {
    const key = watchKey(spec);
    let watch = this.watches.get(key);
    if (!watch) {
      watch = new MetricWatch(spec, this.options.retentionMs);
      this.watches.set(key, watch);
    }
    watch.holders.add(holder);
    watch.releasedAt = undefined;
    const listeners = this.watchListeners.get(watch) ?? new Set<Listener>();
    listeners.add(listener);
    this.watchListeners.set(watch, listeners);
    this.poller.wake();
    const held = watch;
    return {
      watch: held,
      release: () => {
        this.watchListeners.get(held)?.delete(listener);
        held.holders.delete(holder);
        if (held.holders.size === 0) {
          held.releasedAt = this.now();
          this.poller.keepGoing();
        }
      },
    };
  }

  /** The names `spec` means on the host, and their descriptors; the watch says what went wrong. */
  private async resolveWatch(watch: MetricWatch) {
    watch.resolving = true;
    try {
      const patterns = metricPatterns(watch.spec.metrics);
      const names: string[] = [];
      const unmatched: string[] = [];
      for (const pattern of patterns) {
        const found = await expandMetricPattern(pattern, (prefix) => this.client.children(prefix)).catch((e) => {
          if (isPmapiError(e, 'unknownMetric') || isPmapiError(e, 'badInput')) {
            return [];
          }
          throw e;
        });
        (found.length ? names : unmatched).push(...(found.length ? found : [pattern]));
      }
      const descriptors = [];
      for (const chunk of chunksByLength([...new Set(names)], 4000)) {
        descriptors.push(...(await this.client.metrics(chunk)));
      }
      watch.resolved(descriptors, unmatched);
      // Nothing found yet (an MMV process not started yet): look again in a while. Globs and
      // subtrees are looked up again now and then too: new metrics (a new MMV process) join.
      const relook = descriptors.length === 0 ? SLOW_RETRY_MS : patterns.some(hasWildcard) ? RELOOK_MS : Infinity;
      watch.resolveAt = this.now() + relook;
    } catch (e) {
      if (isPmapiError(e, 'unreachable') || isPmapiError(e, 'interrupted') || isPmapiError(e, 'pmcdUnreachable')) {
        watch.transport = describeTransport(e);
        watch.resolveAt = this.now() + SLOW_RETRY_MS;
      } else {
        watch.failed(e instanceof Error ? e.message : String(e));
        watch.resolveAt = Infinity;
      }
    } finally {
      watch.resolving = false;
      this.notifyWatch(watch);
      this.poller.wake();
    }
  }

  private notifyWatch(watch: MetricWatch) {
    for (const listener of this.watchListeners.get(watch) ?? []) {
      listener();
    }
  }

  /** Watches to look up, and watches nobody held through the grace period to drop. */
  private advanceWatches(now: number) {
    for (const watch of [...this.watches.values()]) {
      if (watch.releasedAt !== undefined && now - watch.releasedAt >= this.graceMs) {
        this.watches.delete(watch.key);
        this.watchListeners.delete(watch);
        for (const m of watch.metrics) {
          this.instanceNames.forget(m.name);
        }
      } else if (!watch.resolving && watch.phase !== 'failed' && now >= watch.resolveAt) {
        void this.resolveWatch(watch);
      }
    }
  }

  lease(key: string) {
    return this.leases.get(key);
  }

  /**
   * A reader of the whole host (the running-scripts view): while it is added, every tick's fetch
   * carries the PMDA's script list and, every PROC_EVERY ticks, the proc metrics.
   */
  addReader(reader: TickReader): () => void {
    this.readers.add(reader);
    this.listSoon = true;
    this.poller.wake();
    return () => {
      this.readers.delete(reader);
    };
  }

  /** Every script on the host as the PMDA's last list had it, with the list before it (for rates). */
  get scriptsOnHost():
    | {
        records: Array<Partial<ScriptRecord>>;
        t: number;
        previous?: { records: Array<Partial<ScriptRecord>>; t: number };
      }
    | undefined {
    return this.hostList && { ...this.hostList, previous: this.previousList };
  }

  /** What the script a lease reads costs the host (its bpftrace process), when known. */
  costOf(lease: ScriptLease): ProcessCost | undefined {
    const id = lease.scriptId;
    const record = id ? this.hostList?.records.find((r) => r.script_id === id || r.metadata?.name === id) : undefined;
    return this.costs.of(record?.state?.pid);
  }

  /**
   * Stops (deregisters) any script on the host by id: the Running scripts view's Stop. Only on
   * this session's control route; without one nothing is sent. The next list shows it gone.
   */
  async stopScript(scriptId: string): Promise<void> {
    if (!this.client.mayControl) {
      throw new Error('Your Grafana role may not stop scripts: an Editor or Admin can.');
    }
    // The PMDA deregisters a named script only by its name (its cluster's name; measured, PCP 6.0.3).
    const record = this.hostList?.records.find((r) => r.script_id === scriptId);
    await deregisterScripts(this.client, [record?.metadata?.name || scriptId]);
    this.listSoon = true;
    this.poller.wake();
  }

  /** Whether a lease's script was over the CPU budget at the last proc sample. */
  isOverBudget(lease: ScriptLease): boolean {
    return (this.overBudget.get(lease) ?? 0) > 0;
  }

  /** The host's probes, one comma-separated string (the editor's probe catalog caches it). */
  probeList(): Promise<string> {
    return readProbeList(this.client);
  }

  /** Text that cannot travel to pmproxy is refused here, before anything is sent. */
  private refuseUnsendable(lease: ScriptLease, code: string) {
    const bad = unencodableAt(code);
    // The datasource refuses foreign characters first (the editor's rule); this guards every other way in.
    const foreign = bad ? undefined : foreignCharacterRefusal(code);
    let reason: string | undefined;
    if (bad) {
      reason = `The script contains a character that cannot be sent (a lone UTF-16 surrogate) at line ${bad.line}, column ${bad.column}: remove it.`;
    } else if (foreign) {
      reason = foreign;
    } else {
      const { encoded, max } = budgetOf(lease.text);
      if (encoded > max) {
        reason = `The script is too long for pmproxy: ${encoded} characters once URL-encoded, at most ${max} fit. Comments are already left out; shorten the code.`;
      }
    }
    if (reason) {
      lease.registerStarted();
      lease.rejected(reason);
    }
  }

  // ------------------------------------------------------------------ the tick

  /** One tick now (tests and bench). */
  async pollOnce(): Promise<void> {
    await this.poller.runOnce();
  }

  /** One tick; returns a shorter delay for the next one while something is about to change. */
  private async tick(): Promise<number | undefined> {
    const ok = await this.readAll();
    const now = this.now();
    const soon = now + HURRY_MS;
    const starting = [...this.leases.values()].some(
      (l) =>
        l.awaitingFirstData(now) ||
        l.phase === 'registering' ||
        (l.phase === 'pending' && l.holders.size > 0 && l.retryAt <= soon)
    );
    if (!ok || this.pmdaStopped !== undefined) {
      return OUTAGE_RETRY_MS;
    }
    return starting ? HURRY_MS : undefined;
  }

  /** The one fetch of the tick and what follows from it; false when pmproxy did not answer. */
  private async readAll(): Promise<boolean> {
    await this.stops.retryDue();
    const now = this.now();
    this.advance(now);
    this.advanceWatches(now);
    const read = [...this.leases.values()].filter((l) => isRead(l.phase) && l.scriptId);
    const watched = [...this.watches.values()].filter((w) => w.phase === 'ready' && w.metrics.length > 0);
    // The ids asked for: a lease that registered again while the fetch was under way is judged next tick.
    const asked = new Map(read.map((l) => [l, l.scriptId]));
    const readIds = new Set(asked.values());
    const wantList =
      this.listSoon ||
      this.poller.ticks % SCRIPT_LIST_EVERY === 1 ||
      // A kept stop is done when the list no longer shows its script (see StopRetries).
      this.stops.pending ||
      [...this.leases.values()].some((l) => l.phase === 'releasing' || l.phase === 'waiting' || l.phase === 'stalled');
    // The scripts' processes. Their pids come from the last list (a running script keeps its pid),
    // not from a list fetched with them: the PMDA's manager answers each list itself, and under
    // busy scripts it did not answer in time ("did not reply in 2 seconds for list_scripts") and
    // fell out of step, so a list rides only the ticks that need it.
    const procTick = (read.length > 0 || this.readers.size > 0) && this.poller.ticks % PROC_EVERY === 1;
    const listNow = wantList || this.readers.size > 0 || (procTick && this.hostList === undefined);
    // Whether the PMDA runs rides with the list, and every tick while it does not.
    const checkPmda = listNow || this.pmdaStopped !== undefined;
    // Scripts and PCP metric queries together: still one fetch per tick.
    const names = ['pmcd.pid', ...read.flatMap((l) => l.metricNames()), ...watched.flatMap((w) => w.metricNames())];
    if (listNow) {
      names.push(INFO_SCRIPTS_JSON);
    }
    if (checkPmda) {
      names.push(PMCD_AGENT_STATUS);
    }
    if (procTick) {
      names.push(...PROC_METRICS);
    }
    if (read.length === 0 && watched.length === 0 && !checkPmda) {
      return true;
    }

    let result: FetchResult;
    try {
      this.fetchCount++;
      result = await this.client.fetch(names);
    } catch (e) {
      if (isPmapiError(e, 'interrupted')) {
        // Nothing is known of pmproxy: the page was asleep. Asked again at once, blaming no one.
        this.poller.noteAsleep(this.now() - now);
        return false;
      }
      for (const lease of read) {
        if (lease.setTransport(describeTransport(e))) {
          this.notify(lease);
        }
      }
      for (const watch of watched) {
        watch.transport = describeTransport(e);
        this.notifyWatch(watch);
      }
      this.transportError = describeTransport(e);
      for (const reader of this.readers) {
        reader.onTick();
      }
      return false;
    }
    this.transportError = undefined;
    if (listNow) {
      this.listSoon = false;
    }

    const pid = result.values.get('pmcd.pid')?.instances[0]?.value;
    if (typeof pid === 'number') {
      if (this.pmcdPid !== undefined && pid !== this.pmcdPid) {
        // pmcd restarted: every script is gone, and an old context may serve stale values.
        this.client.dropContext();
        this.instanceNames.clear();
        for (const lease of read) {
          this.vanish(lease, 'pmcd restarted on the host; the script is being registered again.');
        }
        this.pmcdPid = pid;
        return true;
      }
      this.pmcdPid = pid;
    }
    const t = this.sampleTime(result.timestampMs);
    await this.observeWatches(watched, result, t);
    if (checkPmda && this.pmdaDown(bpftraceAgentStatus(result), read)) {
      this.advance(this.now());
      this.releaseWhilePmdaDown();
      for (const reader of this.readers) {
        reader.onTick();
      }
      return true;
    }
    // The PMDA's list, parsed once for the tick: the running-scripts view and the leases' checks.
    const list = listNow ? scriptListOf(result) : undefined;
    if (listNow && !list) {
      this.listsMissing++;
    }
    if (list) {
      this.previousList = this.hostList;
      this.hostList = { records: list, t };
    }
    if (procTick) {
      this.costs.take(result, t);
      this.judgeBudget(read);
    }
    let wantListNow = false;
    for (const lease of read) {
      if (lease.scriptId !== asked.get(lease) || !isRead(lease.phase)) {
        continue;
      }
      lease.setTransport(undefined);
      await this.resolveInstances(lease, result);
      const changed = lease.observe(
        { t, values: result.values, keysOf: (metric, instances) => this.instanceNames.keysOf(metric, instances) },
        this.now()
      );
      if (!result.values.has(scriptMetric(lease.scriptId ?? '', 'status')) && lease.scriptId) {
        // Not in the PMNS any more: deregistered elsewhere, expired, or the PMDA restarted.
        this.vanish(lease, this.goneMessage());
      } else {
        if (changed) {
          this.notify(lease);
        }
        if (lease.missedPrint(this.now()) && !listNow) {
          wantListNow = true;
        }
      }
    }
    if (listNow) {
      this.reconcile(list, now, readIds);
    } else if (wantListNow) {
      try {
        // A print missed: bpftrace late, the script gone, or the PMDA itself not running.
        const found = await this.client.fetch([INFO_SCRIPTS_JSON, PMCD_AGENT_STATUS]);
        if (!this.pmdaDown(bpftraceAgentStatus(found), read)) {
          this.reconcile(scriptListOf(found), now, readIds);
        }
        this.listSoon = false;
      } catch {
        // The list comes with the next tick.
      }
    }
    this.advance(this.now());
    for (const reader of this.readers) {
      reader.onTick();
    }
    return true;
  }

  /** The PCP metric queries' share of the tick's fetch: into their buffers, then to their panels. */
  private async observeWatches(watched: MetricWatch[], result: FetchResult, t: number) {
    for (const watch of watched) {
      for (const m of watch.metrics) {
        await this.nameInstances(m.name, result);
      }
      watch.observe({
        t,
        values: result.values,
        keysOf: (metric, instances) => this.instanceNames.keysOf(metric, instances),
      });
      if (watch.hasSilent && !watch.resolving) {
        // A metric answered nothing (an MMV process exited, an agent stopped): look its names up
        // again soon, so what went away is said and no longer fetched, and what came back is read.
        watch.resolveAt = Math.min(watch.resolveAt, this.now() + SLOW_RETRY_MS);
      }
      this.notifyWatch(watch);
    }
  }

  /**
   * Each read lease's CPU share against the datasource's budget: over it, the lease's query warns
   * (leaseResponse asks isOverBudget); over it at two samples in a row (not one: compiling a script
   * costs bpftrace seconds of CPU at its start) and with the admin's choice, the script is stopped.
   */
  private judgeBudget(read: ScriptLease[]) {
    const budget = this.options.cpuBudget;
    for (const lease of read) {
      const cpu = this.costOf(lease)?.cpu;
      if (budget === undefined || budget <= 0 || cpu === undefined || cpu <= budget) {
        this.overBudget.delete(lease);
        continue;
      }
      const times = (this.overBudget.get(lease) ?? 0) + 1;
      this.overBudget.set(lease, times);
      const id = lease.scriptId;
      // Never a script that is not ours (a joined named script: lease.mayControl is false for it).
      if (times >= 2 && this.options.stopOverBudget && lease.mayControl && id && lease.phase !== 'retiring') {
        this.overBudget.delete(lease);
        lease.rejected(
          `Stopped: the script used ${percentText(cpu)} of a CPU, over the datasource's budget of ${percentText(budget)} per script (the datasource stops scripts over budget). Make it cheaper (fewer or rarer probes, a lower profile rate, filters) or ask an Admin to raise the budget.`
        );
        void this.stops.stop([id]);
        this.notify(lease);
      }
    }
    for (const lease of [...this.overBudget.keys()]) {
      if (!read.includes(lease)) {
        this.overBudget.delete(lease);
      }
    }
  }

  /** Lifecycle steps that are due: registrations, restarts, grace periods, releases. */
  private advance(now: number) {
    for (const lease of this.leases.values()) {
      const old = lease.restartDue(now);
      if (old) {
        if (!lease.joinName) {
          void this.stops.stop([old]);
        }
        this.notify(lease);
      }
      if (
        lease.phase === 'pending' &&
        lease.holders.size > 0 &&
        now >= lease.retryAt &&
        this.pmdaStopped === undefined &&
        this.startsUnderWay < MAX_STARTS_AT_ONCE
      ) {
        void this.start(lease);
      } else if (lease.phase === 'retiring' && now - (lease.retiringSince ?? now) >= this.graceMs) {
        lease.graceOver(now);
        this.listSoon = true;
      } else if (lease.phase === 'releasing' && !lease.scriptId) {
        lease.deregistered();
      } else if (
        lease.phase === 'releasing' &&
        lease.mayControl &&
        now - (lease.releasingSince ?? now) >= this.undecidedMs
      ) {
        // No look at the host's list decided it (none came, or none could be read): whether
        // someone else reads the script is unknown, and a script nobody's panel wants must not run
        // on as root. Stopped; another viewer of it, if any, registers it again within a tick.
        const id = lease.scriptId!;
        lease.deregistered();
        void this.stops.stop([id]);
      }
      if (lease.phase === 'released') {
        this.forget(lease);
      }
    }
  }

  /** Join a running copy of the exact text, else register it (when this session may). */
  private async start(lease: ScriptLease) {
    if (!lease.registerStarted()) {
      return;
    }
    this.startsUnderWay++;
    this.notify(lease);
    try {
      const copy = findTarget(await readScriptList(this.client), lease);
      if (copy?.script_id) {
        lease.joined(copy as ScriptRecord, this.now());
        noteOtherCode(lease, copy);
        this.listSoon = true;
        return;
      }
      if (lease.recorded) {
        await this.startRecording(lease);
        return;
      }
      if (lease.joinName) {
        lease.notRunning(
          `The host runs no script named "${lease.joinName}" now (the Running scripts query lists what it runs): it shows here as soon as the host runs it.`
        );
        return;
      }
      if (!lease.mayControl) {
        lease.notRunning(
          'This script is not running on the host, and your Grafana role may not start scripts: it appears here as soon as an Editor runs it (or an Admin allows Viewers to start scripts in the datasource settings).'
        );
        return;
      }
      const budget = this.options.budget;
      if (budget && budget.used() > budget.max) {
        lease.registerFailed(
          `This datasource runs its limit of ${budget.max} scripts at once in this browser; close other panels or raise "Max scripts" in the datasource settings.`,
          this.now() + SLOW_RETRY_MS
        );
        return;
      }
      const record = await registerScript(this.client, lease.text);
      if (!lease.registered(record, this.now())) {
        // The query moved on while the store was under way: nobody wants this script.
        void this.stops.stop([record.script_id]);
      }
      this.listSoon = true;
    } catch (e) {
      this.failed(lease, e);
    } finally {
      this.startsUnderWay--;
      this.notify(lease);
      this.poller.wake();
    }
  }

  /**
   * A recording the host does not run: an Editor's session registers it under its name (through
   * the Editor control route), anyone else's says who may. Two Editors at once: the second store
   * finds the name in use, and its next try joins the first's.
   */
  private async startRecording(lease: ScriptLease) {
    const name = lease.joinName ?? '';
    if (!this.options.mayRecord) {
      lease.notRunning(
        `Not recording: an Editor must start the recording "${name}" (it runs on the host after the tab closes, so only an Editor may start it). It shows here as soon as it runs.`
      );
      return;
    }
    try {
      const record = await registerScript(this.client, lease.text);
      // The PMDA exports a named script's metrics under its name, not its id.
      lease.registered({ ...record, script_id: name }, this.now());
    } catch (e) {
      if (e instanceof ScriptRejectedError && /already in use/i.test(e.message)) {
        // Started by another session a moment ago (joined next try), or stopped there (said until it runs).
        lease.registerFailed(
          `The host already has the recording "${name}" (just started by another session, or stopped there): it shows here as soon as it runs.`,
          this.now() + SLOW_RETRY_MS
        );
        return;
      }
      throw e;
    }
  }

  private failed(lease: ScriptLease, e: unknown) {
    if (e instanceof ScriptRejectedError) {
      lease.rejected(cleanErrorText(e.message));
    } else if (isPmapiError(e, 'permissionDenied')) {
      lease.gaveUp(
        lease.mayControl
          ? 'The bpftrace PMDA does not allow this datasource to register scripts: enable dynamic scripts, or use a Basic auth user listed in allowed_users (see Save & Test).'
          : e.message
      );
    } else if (isPmapiError(e, 'pmdaOutOfStep') && lease.failuresInARow + 1 >= OUT_OF_STEP_LIMIT) {
      lease.gaveUp(`The bpftrace PMDA is not responding correctly (${e.message}); restart pmcd on the host.`);
    } else {
      // Maybe passing (pmproxy or pmcd restarting, the PMDA not loaded yet): say so, keep the
      // data, try again every tick for a while (a PMDA restart takes seconds), then less often.
      const delay = lease.failuresInARow < FAST_RETRIES ? 0 : SLOW_RETRY_MS;
      // The PMDA may have stopped: the next tick asks pmcd (with the list).
      this.listSoon = true;
      lease.registerFailed(`Could not register the script yet: ${describeTransport(e)}`, this.now() + delay);
    }
  }

  /**
   * What pmcd says of the bpftrace PMDA (scripts/pmdaStatus.ts); true while it is not running.
   * Then the scripts are gone with it and their values are frozen, not data that stopped coming:
   * the leases wait unregistered, saying so, and nothing registers until it is back (a registration
   * would fail, and use up the fast retries of a wait that lasts up to a minute). Back, they
   * register at once. No answer about it is taken as running: never a wait with no end.
   */
  private pmdaDown(status: number | undefined, read: ScriptLease[]): boolean {
    if (status === undefined || status === 0) {
      if (this.pmdaStopped !== undefined) {
        this.pmdaStopped = undefined;
        this.sayToWaiting(undefined);
        this.poller.wake();
      }
      return false;
    }
    if (this.pmdaStopped === undefined) {
      this.client.dropContext();
      this.instanceNames.clear();
    }
    this.pmdaStopped = `The bpftrace PMDA is not running on the host (pmcd says: ${describeAgentStatus(status)})`;
    const message = `${this.pmdaStopped}. pmcd starts it again, within about a minute; the script is registered again then. Showing the last data.`;
    for (const lease of read) {
      this.vanish(lease, message);
    }
    // Panels opened meanwhile wait too: with the reason, not "Registering…".
    this.sayToWaiting(message);
    return true;
  }

  /**
   * While pmcd says the PMDA is not running, the tick ends before the list is looked at, so a
   * releasing lease would wait there for as long as that lasts, its script possibly still
   * running (seen in CI after the PMDA's second restart in a minute: a closed panel's script
   * still ran 30 s later, its lease releasing). A script of a PMDA that is down died with it;
   * one that still runs has nobody's panel here: the stop is sent, and kept until a list shows
   * the script gone (StopRetries).
   */
  private releaseWhilePmdaDown() {
    for (const lease of [...this.leases.values()]) {
      const id = lease.scriptId;
      if (lease.phase === 'releasing' && id && lease.mayControl && lease.deregistered()) {
        void this.stops.stop([id]);
        this.forget(lease);
      }
    }
  }

  /** A problem of the host on every lease that waits to register (or none). */
  private sayToWaiting(message: string | undefined) {
    for (const lease of this.leases.values()) {
      if ((lease.phase === 'pending' || message === undefined) && lease.setTransport(message)) {
        this.notify(lease);
      }
    }
  }

  /**
   * Why a script we read is gone from the host. Right after this page was asleep, the likely
   * reason is the PMDA's expiry of a script nobody read (this page does not know the expiry time,
   * so the text says what it knows: asleep, then gone); blaming a restart of the host sent users
   * looking for a crash.
   */
  private goneMessage(): string {
    const slept = this.poller.slept;
    if (slept && this.now() - slept.wokeAt < ASLEEP_SAID_MS) {
      return `This page was asleep for ${durationText(slept.ms)} (the computer slept, or the browser froze the tab), and on waking its script was gone from the host (the PMDA stops a script nobody reads for a while). It is being registered again.`;
    }
    return 'The script was gone on the host (the bpftrace PMDA restarted, or it was stopped there); it is being registered again.';
  }

  private vanish(lease: ScriptLease, reason: string) {
    if (lease.vanished(reason)) {
      if (reason) {
        // A script that went away unasked (a PMDA or pmcd restart, a deregister elsewhere): this
        // context may go on answering its frozen values, and a restarted PMDA hands the same
        // pmids to new scripts. A fresh context reads only what is there now.
        this.client.dropContext();
        this.instanceNames.clear();
      }
      this.notify(lease);
      this.poller.wake();
    }
  }

  /**
   * The PMDA's own list: leases whose script is gone register again, a lease that raced another
   * client to register the same text yields to the older copy, releasing leases learn whether
   * someone else still reads their script, and scripts of our namespace nobody reads go.
   */
  private reconcile(
    list: Array<Partial<ScriptRecord>> | undefined,
    now: number,
    readIds: ReadonlySet<string | undefined>
  ) {
    if (!list) {
      return;
    }
    // A named script's metrics (and its lease's key) go by its name, not its id: the PMDA's cluster name.
    const byId = new Map(list.filter((r) => r.script_id).map((r) => [r.script_id!, r]));
    for (const r of list) {
      if (r.metadata?.name) {
        byId.set(r.metadata.name, r);
      }
    }
    this.stops.listed((id) => byId.has(id));
    const ours = new Set<string>();
    for (const lease of [...this.leases.values()]) {
      const id = lease.scriptId;
      if (!id) {
        if (lease.phase === 'waiting') {
          const copy = findTarget(list, lease);
          if (copy?.script_id && lease.joined(copy as ScriptRecord, now)) {
            noteOtherCode(lease, copy);
            this.notify(lease);
          }
        }
        continue;
      }
      ours.add(id);
      const record = byId.get(id);
      if (!record) {
        if (lease.phase === 'releasing') {
          lease.deregistered();
        } else {
          this.vanish(lease, this.goneMessage());
        }
        continue;
      }
      if (lease.phase === 'releasing') {
        // Our own read in this very tick may have moved last_accessed_at: look again next tick.
        if (!readIds.has(id)) {
          this.decideRelease(lease, id, String(record.last_accessed_at ?? ''), now);
        }
        continue;
      }
      // Named scripts are one per name on a host: only unnamed copies can race.
      const first = lease.joinName ? undefined : findRunningCopy(list, lease.text);
      if (first?.script_id && first.script_id !== id && (lease.phase === 'starting' || lease.phase === 'running')) {
        // Two clients registered the same text at once: both keep the older id.
        if (lease.mayControl) {
          void this.stops.stop([id]);
        }
        this.vanish(lease, '');
      }
    }
    this.sweep(list, ours, now);
    for (const lease of [...this.leases.values()]) {
      if (lease.phase === 'released') {
        this.forget(lease);
      }
    }
  }

  private decideRelease(lease: ScriptLease, id: string, lastAccessed: string, now: number) {
    const seen = lease.noteAccess(lastAccessed, now);
    if (seen === 'readByOthers' || !lease.mayControl) {
      // Another client reads it (or this session may not stop scripts): leave it running; the
      // PMDA expires it once nobody reads it. After one move only, the quiet period starts again.
      lease.othersRead();
    } else if (seen === 'same' && now - (lease.releasingSince ?? now) >= this.quietMs) {
      lease.deregistered();
      void this.stops.stop([id]);
    }
  }

  /**
   * A fallback for PMDAs whose expiry does not work (stock PCP 6.0.3 expires only once): scripts
   * of OUR namespace that no lease of ours holds and nobody has read for a while are deregistered.
   */
  private sweep(list: Array<Partial<ScriptRecord>>, ours: Set<string>, now: number) {
    if (!this.client.mayControl) {
      return;
    }
    const abandonedAfter = Math.max(ABANDONED_AFTER_MS, 5 * this.options.pollIntervalMs);
    const abandoned: string[] = [];
    const present = new Set<string>();
    for (const record of list) {
      const id = record.script_id;
      // A recording is never abandoned: it runs for pmlogger, read or not (docs/history.md).
      if (
        !id ||
        ours.has(id) ||
        isRecordingName(record.metadata?.name) ||
        namespaceOf(record.code ?? '') !== this.options.namespace
      ) {
        continue;
      }
      present.add(id);
      const lastAccessed = String(record.last_accessed_at ?? '');
      const seen = this.strangers.get(id);
      if (!seen || seen.lastAccessed !== lastAccessed) {
        this.strangers.set(id, { lastAccessed, since: now });
      } else if (now - seen.since >= abandonedAfter) {
        abandoned.push(id);
      }
    }
    for (const id of this.strangers.keys()) {
      if (!present.has(id) || abandoned.includes(id)) {
        this.strangers.delete(id);
      }
    }
    if (abandoned.length) {
      void this.stops.stop(abandoned);
    }
  }

  /** pmproxy's clock, moved onto the browser's: exact spacing for rates, aligned with "now". */
  private sampleTime(serverMs: number) {
    const offset = this.now() - serverMs;
    if (this.clockOffset === undefined || Math.abs(offset - this.clockOffset) > 2000) {
      this.clockOffset = offset;
    }
    return serverMs + this.clockOffset;
  }

  /**
   * Names for instance ids not seen before: one /pmapi/indom request per metric that has some.
   * The usual tick (the same ids as the last) compares ids only (see InstanceNames); the keys made
   * here are the ones ScriptLease.observe then reads, at no further cost.
   */
  private async resolveInstances(lease: ScriptLease, result: FetchResult) {
    for (const v of lease.variables) {
      if (!v.text) {
        await this.nameInstances(v.metric, result);
      }
    }
  }

  /** One /pmapi/indom request for a metric whose fetched instances include ids never named. */
  private async nameInstances(metric: string, result: FetchResult) {
    const values = result.values.get(metric);
    if (values && !this.instanceNames.keysOf(metric, values.instances).complete) {
      try {
        const indom = await this.client.indom(metric);
        this.instanceNames.learn(metric, indom.instances);
      } catch {
        // Names come next tick; ids stand in meanwhile.
      }
    }
  }

  private forget(lease: ScriptLease) {
    if (this.leases.get(lease.key) === lease) {
      this.leases.delete(lease.key);
    }
    this.listeners.delete(lease);
    for (const v of lease.variables) {
      this.instanceNames.forget(v.metric);
    }
  }

  private notify(lease: ScriptLease) {
    for (const listener of this.listeners.get(lease)?.keys() ?? []) {
      listener();
    }
  }

  /** Leases that hold a script on the host (what the datasource's cap counts). */
  get scriptsHeld(): number {
    let n = 0;
    for (const lease of this.leases.values()) {
      if (holdsScript(lease.phase)) {
        n++;
      }
    }
    return n;
  }

  /** PCP metric queries this endpoint reads (for tests). */
  get watchKeys(): string[] {
    return [...this.watches.keys()];
  }

  /** Leases this endpoint keeps (for tests). */
  get leaseKeys(): string[] {
    return [...this.leases.keys()];
  }

  /**
   * Let go of everything as a closing page would, but politely: every lease is released at once
   * (no grace), then ticks run until each is deregistered or left to the clients still reading
   * it, or `timeoutMs` passes. Then polling stops.
   */
  async close(timeoutMs = 15_000): Promise<void> {
    const now = this.now();
    for (const lease of this.leases.values()) {
      for (const holder of [...lease.holders]) {
        lease.unhold(holder, now);
      }
      lease.graceOver(now);
    }
    this.leaseOfHolder.clear();
    this.listSoon = true;
    const deadline = Date.now() + timeoutMs;
    while ((this.leases.size > 0 || this.stops.pending) && Date.now() < deadline) {
      await this.pollOnce();
      if (this.leases.size > 0 || this.stops.pending) {
        await new Promise((r) => setTimeout(r, Math.min(1000, this.options.pollIntervalMs)));
      }
    }
    this.poller.stop();
  }
}

/** A recording joined by name whose code is not the query's: the query says whose data it shows. */
function noteOtherCode(lease: ScriptLease, copy: Partial<ScriptRecord>) {
  if (lease.recorded && copy.code !== undefined && copy.code !== lease.text) {
    lease.runsOtherCode(
      `The recording "${lease.joinName}" runs other code than this query's (an earlier version of it, or another query under the same recording name): the data shown is that code's. Stop recording and run the query again to record this code, or give this code its own Recording name.`
    );
  }
}

/** What a lease shows: the host's script of its name (a joined named script), else its own text's copy. */
function findTarget(
  list: Array<Partial<ScriptRecord>> | undefined,
  lease: ScriptLease
): Partial<ScriptRecord> | undefined {
  const name = lease.joinName;
  if (name === undefined) {
    return findRunningCopy(list, lease.text);
  }
  const found = (list ?? []).find(
    (r) =>
      (r.metadata?.name === name || r.script_id === name) &&
      r.state?.status !== 'error' &&
      r.state?.status !== 'stopped' &&
      r.state?.status !== 'stopping'
  );
  // The PMDA exports a named script's metrics under its name (bpftrace.scripts.<name>.…), not its id.
  return found && { ...found, script_id: found.metadata?.name || found.script_id };
}

/**
 * The script on the host whose code is exactly `text` and that still runs. Of several (two
 * clients registered at once), the first created, then the smallest id: every client picks the
 * same one, and the one already showing data is kept.
 */
function findRunningCopy(
  list: Array<Partial<ScriptRecord>> | undefined,
  text: string
): Partial<ScriptRecord> | undefined {
  let best: Partial<ScriptRecord> | undefined;
  for (const r of list ?? []) {
    const status = r.state?.status;
    if (r.code !== text || !r.script_id || status === 'error' || status === 'stopped' || status === 'stopping') {
      continue;
    }
    if (!best || orderOf(r) < orderOf(best)) {
      best = r;
    }
  }
  return best;
}

function orderOf(r: Partial<ScriptRecord>): string {
  return `${r.created_at ?? ''}|${r.script_id ?? ''}`;
}

function describeTransport(e: unknown): string {
  if (e instanceof PmapiError) {
    switch (e.kind) {
      case 'unreachable':
        // No answer at all within the request timeout: a hung pmproxy, or one waiting on a hung
        // pmcd past its own 10 s (queued behind another request), so neither is blamed alone.
        return /^no answer in/.test(e.message)
          ? `pmproxy does not answer (${e.message}): pmproxy, or the pmcd it waits for, is hung or overloaded; retrying.`
          : `pmproxy cannot be reached (${e.message}); retrying.`;
      case 'interrupted':
        return `no answer was waited for (${e.message}); retrying.`;
      case 'pmcdUnreachable':
        return `pmproxy cannot reach pmcd (${e.message}); retrying.`;
      case 'unknownMetric':
        return `the bpftrace PMDA is not loaded in pmcd (restarting?): ${e.message}`;
      default:
        return `pmproxy: ${e.message}`;
    }
  }
  return e instanceof Error ? e.message : String(e);
}
