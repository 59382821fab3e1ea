import { PmapiClient } from '../pmapi/client';
import { isPmapiError, PmapiError } from '../pmapi/errors';
import { FetchResult } from '../pmapi/types';
import { NAME_PREFIX, prepareScript } from '../scripts/naming';
import { INFO_SCRIPTS_JSON, scriptMetric } from '../scripts/names';
import { deregisterScripts, isNameInUse, registerScript, ScriptRecord, ScriptRejectedError } from '../scripts/protocol';
import { bpftraceWarnings, cleanErrorText, ScriptLease, warningNotice } from './ScriptLease';

export interface EndpointOptions {
  pollIntervalMs: number;
  retentionMs: number;
  /** How long a script nobody subscribes to keeps running (refreshes re-subscribe within it). */
  graceMs?: number;
  /** A bpflive script nobody has read for this long is deregistered by any bpflive client. */
  abandonedAfterMs?: number;
  now?: () => number;
}

/** pmproxy's URL limit is 8,000 characters; the rest of the store URL takes about 100. */
export const MAX_ENCODED_SCRIPT = 7800;
/** Every this many ticks the lease list is checked against the PMDA's own list. */
const SCRIPT_LIST_EVERY = 10;
const MAX_TRANSIENT_FAILURES = 3;

type Listener = () => void;

/**
 * One pmproxy + hostspec: the scripts that queries hold there, and ONE poll loop that fetches
 * everything they need in one request per tick.
 */
export class Endpoint {
  private readonly leases = new Map<string, ScriptLease>();
  private readonly leaseOfHolder = new Map<string, ScriptLease>();
  /** Per lease, each subscriber's listener and the holder it subscribed for. */
  private readonly listeners = new Map<ScriptLease, Map<Listener, string>>();
  /** metric name → instance id → instance name (PCP sends ids; names only from /pmapi/indom). */
  private readonly instanceNames = new Map<string, Map<number, string>>();
  /** Other bpflive scripts on the host, and when their last_accessed_at last moved (our clock). */
  private readonly foreignAccess = new Map<string, { lastAccessed: string; since: number }>();
  /**
   * Script names this endpoint has read. pmproxy caches name → pmid → last values per context,
   * so after a script of such a name is deregistered, the old context keeps answering with the
   * dead script's frozen values: registering the name again needs a fresh context.
   */
  private readonly namesRead = new Set<string>();
  private timer?: ReturnType<typeof setTimeout>;
  private polling = false;
  private tickCount = 0;
  private pmcdPid?: number;
  private clockOffset?: number;
  /** For tests and bench: how many fetches the loop sent. */
  fetchCount = 0;

  constructor(
    readonly client: PmapiClient,
    private readonly options: EndpointOptions
  ) {}

  private get graceMs() {
    return this.options.graceMs ?? Math.max(3 * this.options.pollIntervalMs, 5000);
  }

  private now() {
    return (this.options.now ?? Date.now)();
  }

  /**
   * `holder` (dashboard/panel/refId) wants `code` running. Returns the lease and a release
   * function. A holder that switches to other code gives up its previous script at once.
   */
  subscribe(holder: string, code: string, listener: Listener): { lease: ScriptLease; release: () => void } {
    const prepared = prepareScript(code);
    const previous = this.leaseOfHolder.get(holder);
    let lease = this.leases.get(prepared.name);
    if (!lease) {
      lease = new ScriptLease(prepared.name, prepared.text, this.options.retentionMs);
      this.leases.set(lease.name, lease);
      this.checkLength(lease);
    }
    if (previous && previous !== lease) {
      previous.holders.delete(holder);
      if (previous.holders.size === 0) {
        // The code changed: the old script goes now, not after a grace period.
        void this.deregister(previous);
      }
    }
    lease.holders.add(holder);
    lease.retiringSince = undefined;
    this.leaseOfHolder.set(holder, lease);
    const subscribers = this.listeners.get(lease) ?? new Map<Listener, string>();
    subscribers.set(listener, holder);
    this.listeners.set(lease, subscribers);
    if (!lease.active && !lease.registering && !lease.final && lease.variables.length === 0) {
      void this.register(lease);
    }
    this.schedule(0);

    const held = lease;
    return {
      lease: held,
      release: () => {
        const subscribers = this.listeners.get(held);
        subscribers?.delete(listener);
        if (subscribers && [...subscribers.values()].includes(holder)) {
          return;
        }
        // No subscription left for this holder; the lease keeps running through a grace period
        // so a refresh or time-range change (unsubscribe, then subscribe again) reuses it.
        held.holders.delete(holder);
        if (held.holders.size === 0 && this.leases.get(held.name) === held) {
          held.retiringSince = this.now();
          this.schedule(this.options.pollIntervalMs);
        }
      },
    };
  }

  /** Number of scripts this endpoint keeps running or retiring (for tests). */
  get leaseCount() {
    return this.leases.size;
  }

  lease(name: string) {
    return this.leases.get(name);
  }

  private checkLength(lease: ScriptLease) {
    const encoded = encodeURIComponent(lease.text).length;
    if (encoded > MAX_ENCODED_SCRIPT) {
      lease.fail(
        `The script is too long for pmproxy: ${encoded} characters once URL-encoded, at most ${MAX_ENCODED_SCRIPT} fit. Comments are already left out; shorten the code.`,
        true
      );
    }
  }

  private async register(lease: ScriptLease) {
    if (lease.final || lease.registering || this.now() < lease.retryAfter) {
      return;
    }
    lease.registering = true;
    lease.status = 'registering';
    lease.changed();
    if (this.namesRead.has(lease.name)) {
      this.client.dropContext();
    }
    try {
      const record = await registerScript(this.client, lease.text);
      lease.adopt(record.variables, record.state);
    } catch (e) {
      if (isNameInUse(e) && e.record?.variables) {
        // Another viewer runs this very code already: read its script instead of starting one.
        lease.adopt(e.record.variables);
        lease.joinedUnchecked = true;
      } else if (e instanceof ScriptRejectedError) {
        lease.fail(cleanErrorText(e.message), true);
      } else if (isPmapiError(e, 'permissionDenied')) {
        lease.fail(
          'The bpftrace PMDA does not allow this datasource to register scripts: enable dynamic scripts, or use a Basic auth user listed in allowed_users (see Save & Test).',
          true
        );
      } else {
        // Maybe passing (pmproxy or pmcd restarting, the PMDA not loaded yet): say so, keep the
        // data, try again each tick for a while, then back off.
        lease.failedAttempts++;
        const outOfStep = isPmapiError(e, 'pmdaOutOfStep');
        const backoff = this.options.pollIntervalMs * 2 ** Math.max(0, lease.failedAttempts - 3);
        lease.retryAfter = this.now() + Math.min(30_000, backoff);
        if (outOfStep && lease.failedAttempts >= MAX_TRANSIENT_FAILURES) {
          lease.fail(
            `The bpftrace PMDA is not responding correctly (${(e as Error).message}); restart pmcd on the host.`,
            true
          );
        } else {
          lease.warnings = [`Could not register the script yet: ${describeTransport(e)}`];
          lease.changed();
        }
      }
    } finally {
      lease.registering = false;
      this.notify(lease);
    }
  }

  private async deregister(lease: ScriptLease) {
    this.forget(lease);
    try {
      await deregisterScripts(this.client, [lease.name]);
    } catch {
      // Not reachable now: any bpflive client sweeps abandoned bpflive scripts later.
    }
  }

  private forget(lease: ScriptLease) {
    if (this.leases.get(lease.name) === lease) {
      this.leases.delete(lease.name);
    }
    this.listeners.delete(lease);
    for (const [holder, l] of this.leaseOfHolder) {
      if (l === lease) {
        this.leaseOfHolder.delete(holder);
      }
    }
  }

  private schedule(delayMs: number) {
    if (this.timer !== undefined || this.polling) {
      if (delayMs === 0 && this.timer !== undefined && !this.polling) {
        clearTimeout(this.timer);
        this.timer = undefined;
      } else {
        return;
      }
    }
    if (this.leases.size === 0) {
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const started = this.now();
      // A steady cadence: the next tick is due one interval after this one began.
      void this.pollOnce().finally(() =>
        this.schedule(Math.max(0, this.options.pollIntervalMs - (this.now() - started)))
      );
    }, delayMs);
  }

  /** One tick: one fetch for every lease, then ingest, status, recovery and retirement. */
  async pollOnce(): Promise<void> {
    if (this.polling) {
      return;
    }
    this.polling = true;
    try {
      await this.tick();
    } finally {
      this.polling = false;
    }
  }

  private async tick() {
    this.tickCount++;
    const now = this.now();
    for (const lease of this.leases.values()) {
      if (lease.holders.size === 0 && lease.retiringSince !== undefined && now - lease.retiringSince >= this.graceMs) {
        void this.deregister(lease);
      } else if (!lease.active && !lease.registering && !lease.final && lease.holders.size > 0) {
        void this.register(lease);
      }
    }
    const live = [...this.leases.values()].filter((l) => l.active);
    const checkList = this.tickCount % SCRIPT_LIST_EVERY === 1;
    const names = ['pmcd.pid', ...live.flatMap((l) => l.metricNames())];
    if (checkList) {
      names.push(INFO_SCRIPTS_JSON);
    }
    if (live.length === 0 && !checkList) {
      return;
    }

    let result: FetchResult;
    try {
      this.fetchCount++;
      result = await this.client.fetch(names);
    } catch (e) {
      for (const lease of live) {
        lease.warnings = [describeTransport(e)];
        lease.changed();
        this.notify(lease);
      }
      return;
    }

    const pid = result.values.get('pmcd.pid')?.instances[0]?.value;
    if (typeof pid === 'number') {
      if (this.pmcdPid !== undefined && pid !== this.pmcdPid) {
        // pmcd restarted: every script is gone, and an old context may serve stale values.
        this.client.dropContext();
        this.instanceNames.clear();
      }
      this.pmcdPid = pid;
    }
    const sampleTime = this.sampleTime(result.timestampMs);

    for (const lease of live) {
      await this.ingest(lease, result, sampleTime);
    }
    if (checkList) {
      this.checkScriptList(result, live);
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

  private async ingest(lease: ScriptLease, result: FetchResult, t: number) {
    this.namesRead.add(lease.name);
    const status = result.values.get(scriptMetric(lease.name, 'status'))?.instances[0]?.value;
    if (typeof status !== 'string') {
      // The script is gone (pmcd restart, deregistered elsewhere): register it again. Its name,
      // and so its metric names, stay the same; buffers keep their history with a gap.
      lease.variables = [];
      lease.warnings = ['The script was gone on the host and has been registered again.'];
      this.client.dropContext();
      void this.register(lease);
      return;
    }
    if (lease.joinedUnchecked) {
      lease.joinedUnchecked = false;
      if (status === 'stopped' || status === 'error') {
        // A leftover of an earlier run (a closed browser, a killed bpftrace): start it afresh.
        lease.variables = [];
        await deregisterScripts(this.client, [lease.name]).catch(() => undefined);
        void this.register(lease);
        return;
      }
    }
    let changed = false;
    if (status !== lease.status) {
      lease.status = status as ScriptLease['status'];
      changed = true;
    }
    const errorText = result.values.get(scriptMetric(lease.name, 'error'))?.instances[0]?.value;
    if (typeof errorText === 'string') {
      const cleaned = cleanErrorText(errorText);
      if (lease.status === 'error') {
        lease.error = cleaned || 'bpftrace failed without a message.';
        lease.final = true;
      } else if (lease.status === 'started') {
        lease.startChecks++;
        const notice = warningNotice(bpftraceWarnings(cleaned));
        lease.warnings = notice ? [notice] : [];
      }
      const probes = result.values.get(scriptMetric(lease.name, 'probes'))?.instances[0]?.value;
      lease.probes = typeof probes === 'number' ? probes : lease.probes;
      const exit = result.values.get(scriptMetric(lease.name, 'exit_code'))?.instances[0]?.value;
      if (lease.status === 'stopped' && typeof exit === 'number') {
        lease.exitCode = exit;
      }
      changed = true;
    }

    const dataBytes = result.values.get(scriptMetric(lease.name, 'data_bytes'))?.instances[0]?.value;
    // No new output from bpftrace since the last tick (or none yet): the values are not new.
    const fresh = typeof dataBytes === 'number' && dataBytes > 0 && dataBytes !== lease.lastDataBytes;
    if (fresh) {
      lease.lastDataBytes = dataBytes as number;
      for (const v of lease.variables) {
        const values = result.values.get(v.metric);
        if (!values) {
          continue;
        }
        if (v.text) {
          const text = values.instances[0]?.value;
          if (typeof text === 'string') {
            lease.texts.set(v.name, text);
            lease.logs.get(v.name)?.update(text, t);
          }
          continue;
        }
        const byName = new Map<string, number | null>();
        const unknown = values.instances.some(
          (i) => i.instance !== null && !this.instanceNames.get(v.metric)?.has(i.instance)
        );
        if (unknown) {
          await this.refreshInstanceNames(v.metric);
        }
        const names = this.instanceNames.get(v.metric);
        for (const i of values.instances) {
          const key = i.instance === null ? '' : (names?.get(i.instance) ?? String(i.instance));
          byName.set(key, typeof i.value === 'number' ? i.value : null);
        }
        lease.buffers.get(v.name)?.append(t, byName);
      }
      changed = true;
    }
    if (changed) {
      lease.changed();
      this.notify(lease);
    }
  }

  private async refreshInstanceNames(metric: string) {
    try {
      const indom = await this.client.indom(metric);
      this.instanceNames.set(metric, new Map(indom.instances.map((i) => [i.instance, i.name])));
    } catch {
      // Names come next tick; ids stand in meanwhile.
    }
  }

  /**
   * The PMDA's own list of scripts, every few ticks: our scripts must be on it (an old context
   * can serve a deregistered script's frozen values), and bpflive scripts that nobody reads any
   * more — a closed browser never deregisters — are deregistered here.
   */
  private checkScriptList(result: FetchResult, live: ScriptLease[]) {
    const raw = result.values.get(INFO_SCRIPTS_JSON)?.instances[0]?.value;
    if (typeof raw !== 'string') {
      return;
    }
    let records: Array<Partial<ScriptRecord>>;
    try {
      records = JSON.parse(raw);
    } catch {
      return;
    }
    const onHost = new Map(records.filter((r) => r.metadata?.name).map((r) => [r.metadata!.name!, r]));
    for (const lease of live) {
      if (!onHost.has(lease.name) && !lease.registering) {
        lease.variables = [];
        this.client.dropContext();
        void this.register(lease);
      }
    }
    const now = this.now();
    const abandonedAfter = this.options.abandonedAfterMs ?? 60_000;
    const abandoned: string[] = [];
    for (const [name, record] of onHost) {
      if (!name.startsWith(NAME_PREFIX) || this.leases.has(name)) {
        this.foreignAccess.delete(name);
        continue;
      }
      const lastAccessed = String(record.last_accessed_at ?? '');
      const seen = this.foreignAccess.get(name);
      if (!seen || seen.lastAccessed !== lastAccessed) {
        this.foreignAccess.set(name, { lastAccessed, since: now });
      } else if (now - seen.since >= abandonedAfter) {
        abandoned.push(name);
        this.foreignAccess.delete(name);
      }
    }
    if (abandoned.length) {
      void deregisterScripts(this.client, abandoned).catch(() => undefined);
    }
  }

  private notify(lease: ScriptLease) {
    for (const listener of this.listeners.get(lease)?.keys() ?? []) {
      listener();
    }
  }

  /** The scripts this endpoint runs or keeps, by name (what a closing page should deregister). */
  scriptNames(): string[] {
    return [...this.leases.keys()];
  }

  /** Stop polling and deregister everything (datasource disposal, tests). */
  async dispose() {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const names = [...this.leases.keys()];
    this.leases.clear();
    this.listeners.clear();
    this.leaseOfHolder.clear();
    if (names.length) {
      await deregisterScripts(this.client, names).catch(() => undefined);
    }
  }
}

function describeTransport(e: unknown): string {
  if (e instanceof PmapiError) {
    switch (e.kind) {
      case 'unreachable':
        return `pmproxy cannot be reached (${e.message}); retrying.`;
      case 'pmcdUnreachable':
        return `pmproxy cannot reach pmcd (${e.message}); retrying.`;
      default:
        return `pmproxy: ${e.message}`;
    }
  }
  return e instanceof Error ? e.message : String(e);
}
