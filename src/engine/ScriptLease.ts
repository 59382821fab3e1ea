import { WideSeriesBuffer } from '../buffers/WideSeriesBuffer';
import { LogLineTracker } from '../buffers/LogLineTracker';
import { withReason } from '../language/failureReasons';
import { beginLines, callsExit, noEventsAdvice, scriptProbes } from '../language/probeTriggers';
import { InstanceValue, MetricValues } from '../pmapi/types';
import { joinedEventSplitter } from '../scripts/joinOutput';
import { isNameRanking, isScratch, MapUsage, mapUsage } from '../scripts/mapUsage';
import { dataMetric, scriptMetric } from '../scripts/names';
import { PMDA_SECONDS_PER_KEPT_LINE } from '../scripts/naming';
import { ScriptRecord, ScriptVariable } from '../scripts/protocol';
import type { NamedInstances } from './instanceNames';
import { LeaseEventType, LeasePhase, transition } from './leaseMachine';
import { PRINT_INTERVAL_MS, PrintCount, PrintCounter } from './printCount';
import { isNoiseLine, runtimeErrorNotice } from './runtimeErrors';

/** One bpftrace map variable of a script, as exported by the PMDA. */
export interface VariableInfo {
  /** `@syscalls`; the PMDA's text output is `@output`. */
  name: string;
  metric: string;
  /**
   * count(), hist(), lhist() (the PMDA's counter semantics) and sum() (a running total the PMDA
   * calls instant): cumulative, shown as per-second rates by default.
   */
  counter: boolean;
  /** The aggregating function the script assigns to it (`count`, `sum`, `max` …), if any. */
  aggregation?: string;
  /** Per-event state of the script (`@start[tid] = nsecs` … `delete()`): nothing to show. */
  scratch?: boolean;
  /** A count()/sum() keyed by names (comm, probe, str(…)): a ranking, read as a top-N table. */
  ranking?: boolean;
  /** The PMDA's metrictype label: histogram, stacks, output, or null. */
  metrictype: string | null;
  /** A string variable (printf output), not numbers. */
  text: boolean;
}

/** What one tick's fetch says about this lease's script. */
export interface LeaseSample {
  /** Sample time on the browser's clock (pmproxy's timestamp moved onto it). */
  t: number;
  values: ReadonlyMap<string, MetricValues>;
  /** The keys (instance names) of a data metric's fetched instances, in order (InstanceNames). */
  keysOf: (metric: string, instances: readonly InstanceValue[]) => NamedInstances;
}

export interface ScriptLeaseOptions {
  retentionMs: number;
  pollIntervalMs: number;
  /** Whether this session may register, restart and deregister scripts. */
  mayControl: boolean;
  /**
   * A script the host already runs under this name (the PMDA's autostart or named scripts): the
   * lease only joins it, never registers, restarts or deregisters it — it is not ours.
   */
  joinName?: string;
  /**
   * The named script is a recording (scripts/naming.ts prepareRecording): `text` is what an
   * Editor's session registers under `joinName` when the host does not run it. Like any named
   * script, the lease never stops it.
   */
  recorded?: boolean;
}

/** How many ticks after the start the error text is read for attach warnings. */
const START_CHECKS = 3;
/** While a script runs, its error text is read again every this many ticks (see runtimeErrors.ts). */
const ERROR_LOOK_EVERY = 10;
/** An error text past this size is read no more: a stack-lookup flood grows it by MBs. */
const ERROR_TEXT_LIMIT = 256 * 1024;
/** Restarts of a killed bpftrace allowed per minute before the lease gives up. */
export const MAX_RESTARTS_PER_MINUTE = 3;
/** A script that printed nothing but empty maps for this long gets a notice. */
const NO_EVENTS_AFTER_MS = 15_000;
/**
 * While releasing, moves of the script's last_accessed_at that mean another client reads it: the
 * second (see noteAccess). The first may be a read of this client's still under way.
 */
const ACCESS_MOVES_BY_OTHERS = 2;
/** PCP semantics and types as the PMDA reports them in a script's `variables`. */
const PM_SEM_COUNTER = 1;
const PM_TYPE_STRING = 6;

/**
 * This client's hold on one script text on one host: the phase it is in (leaseMachine.ts), the
 * PMDA's id and variables for it, its buffered data, and what the user should be told. Only its
 * own named transitions change it; the Endpoint decides when they happen.
 */
export class ScriptLease {
  readonly holders = new Set<string>();
  readonly buffers = new Map<string, WideSeriesBuffer>();
  /** Latest text of string variables (@output), whole, as the PMDA holds it. */
  readonly texts = new Map<string, string>();
  /** The same text as lines, each new line once, stamped with when it arrived. */
  readonly logs = new Map<string, LogLineTracker>();

  private phaseNow: LeasePhase = 'pending';
  private resumeTo?: LeasePhase;
  private id?: string;
  private vars: VariableInfo[] = [];
  private errorText?: string;
  /** Problems that persist while the script runs (attach warnings, output outrunning retention). */
  private lasting: string[] = [];
  /** A joined recording runs other code than this lease's (runsOtherCode); until it is joined again. */
  private otherCode?: string;
  /** Problems of the moment (a stall, a restart, a vanished script): over when data flows again. */
  private passing: string[] = [];
  /** pmproxy or pmcd could not be reached on the last tick. */
  private transport?: string;
  private infoText?: string;
  private probeCount?: number;
  private exit?: number;
  /** The PMDA's last status, and when it started saying "started". */
  private pmdaStatus?: string;
  private startedAt?: number;
  private startChecks = 0;
  /** The error text judged by the last periodic look (chars), when that was, and ticks since. */
  private errorSeen = 0;
  private errorLookAt?: number;
  private ticksSinceErrorLook = 0;
  private errorTooLong = false;
  /** Errors bpftrace reported while running (runtimeErrors.ts), or undefined for none. */
  private runtimeError?: string;
  private lastDataBytes?: number;
  private lastPrintAt?: number;
  private lastSampleT?: number;
  /** A sample since the start came with a known span (its counters could have a rate). */
  private spanned = false;
  private readonly prints = new PrintCounter();
  private sawEvents = false;
  /**
   * Every map of the last print was keyed and empty. bpftrace prints nothing at all for an empty
   * keyed map (measured, 0.17 JSON), so such a script is silent by nature, not stalled: a keyed
   * count of rare events (tcpretrans on a calm network) would otherwise look stuck after 5 s.
   */
  private mapsEmpty = false;
  /** The script's probes (see scriptProbes): read once, the text never changes. */
  private probeKinds?: ReturnType<typeof scriptProbes>;
  private retryAtMs = 0;
  private transientFailures = 0;
  private deaths: number[] = [];
  private retiringSinceMs?: number;
  private releasingSinceMs?: number;
  private accessAtRelease?: string;
  /** How often accessAtRelease moved while releasing (see noteAccess). */
  private accessMoves = 0;
  /** Bumped whenever anything a panel shows changes. */
  private versionNow = 0;
  /** Cuts the events a join() script glues into one line back apart (scripts/joinOutput.ts). */
  private readonly splitJoined: ((text: string) => string) | undefined;

  constructor(
    /** The lease registry's key (a hash of the text). */
    readonly key: string,
    /** What is stored to the PMDA, and what a running copy must equal to be joined. */
    readonly text: string,
    private readonly options: ScriptLeaseOptions
  ) {
    this.splitJoined = joinedEventSplitter(text);
  }

  get phase(): LeasePhase {
    return this.phaseNow;
  }
  get scriptId(): string | undefined {
    return this.id;
  }
  get variables(): readonly VariableInfo[] {
    return this.vars;
  }
  get error(): string | undefined {
    return this.errorText;
  }
  get warnings(): string[] {
    // Once each: the host's trouble can be both why the script went (passing) and why it waits.
    return [
      ...new Set([
        ...(this.transport ? [this.transport] : []),
        ...this.passing,
        ...this.lasting,
        ...(this.runtimeError ? [this.runtimeError] : []),
        ...(this.otherCode ? [this.otherCode] : []),
      ]),
    ];
  }
  get info(): string | undefined {
    return this.infoText;
  }
  get probes(): number | undefined {
    return this.probeCount;
  }
  get exitCode(): number | undefined {
    return this.exit;
  }
  get retryAt(): number {
    return this.retryAtMs;
  }
  /** How the last gaps between samples were counted in prints (for diagnosis; see PrintCounter). */
  get printCounts(): readonly PrintCount[] {
    return this.prints.lastCounts();
  }
  get releasingSince(): number | undefined {
    return this.releasingSinceMs;
  }
  get mayControl(): boolean {
    return this.options.mayControl && this.options.joinName === undefined;
  }
  get joinName(): string | undefined {
    return this.options.joinName;
  }
  get recorded(): boolean {
    return this.options.recorded === true;
  }
  /**
   * bpftrace prints every second; a running script whose print is more than half an interval
   * late may be gone (a PMDA that restarted keeps answering its old values on this context): the
   * Endpoint then looks at the PMDA's list at once.
   */
  missedPrint(now: number): boolean {
    return (
      this.printsMaps &&
      this.phaseNow === 'running' &&
      this.lastPrintAt !== undefined &&
      now - this.lastPrintAt > 1.5 * PRINT_INTERVAL_MS
    );
  }

  /**
   * The first values are due soon: worth a faster tick (for a few seconds at most). Running is not
   * enough: bpftrace's first output is its "Attaching N probes" line, a second before its first
   * print, and a rate needs a print after it. Hurrying only until that line left the first print to
   * the steady tick, up to a whole interval after bpftrace printed it.
   */
  awaitingFirstData(now: number): boolean {
    const early = this.phaseNow === 'starting' || (this.phaseNow === 'running' && !this.spanned);
    return early && this.startedAt !== undefined && now - this.startedAt < 5000;
  }

  /**
   * Only maps are printed every second (the PMDA's appended print block), and only maps with
   * something in them; printf output comes when events do. A script without maps, or whose maps
   * are all keyed and still empty, is never "late".
   */
  private get printsMaps(): boolean {
    return (!this.mapsEmpty || this.onlyTimedProbes) && this.vars.some((v) => !v.text);
  }

  /**
   * Whether every probe of the script fires by itself (profile, interval, BEGIN) and does its work
   * every time (no filter, no condition): its maps cannot stay empty, so bpftrace printing nothing
   * for long is a stall (a 999 Hz profile of stacks kept bpftrace busy for 43 s without a print,
   * and was told "no events"), never a wait for events. (`profile /pid != 0/` on an idle host
   * may well stay empty.)
   */
  private get onlyTimedProbes(): boolean {
    const probes = this.probesOfText();
    return probes.waiting.length === 0 && !probes.conditional;
  }

  // ------------------------------------------------------------------ registration

  registerStarted(): boolean {
    return this.move('registerStarted');
  }

  /** The PMDA took our text: a new script of ours. */
  registered(record: Pick<ScriptRecord, 'script_id' | 'variables'>, now: number): boolean {
    return this.adopt('registered', record, now);
  }

  /** A running script with exactly our text (code compared, not a name): read it. */
  joined(record: Pick<ScriptRecord, 'script_id' | 'variables'>, now: number): boolean {
    return this.adopt('joined', record, now);
  }

  /**
   * A recording joined by its name runs other code than this query's (the code changed under a
   * user-given name): the data is that code's, and the query must say so while it lasts.
   */
  runsOtherCode(message: string): void {
    this.otherCode = message;
    this.versionNow++;
  }

  /** A Viewer's session found no running copy and may not start one. */
  notRunning(message: string): boolean {
    this.passing = [];
    this.infoText = message;
    return this.move('notRunning');
  }

  /**
   * A registration failed for a reason that may pass (pmproxy or pmcd restarting, the PMDA not
   * loaded yet, the cap reached): say so, keep the data, try again at `retryAt`.
   */
  registerFailed(message: string, retryAt: number): boolean {
    this.transientFailures++;
    this.retryAtMs = retryAt;
    this.passing = [message];
    return this.move('registerFailed');
  }

  get failuresInARow(): number {
    return this.transientFailures;
  }

  /** The PMDA or bpftrace refused the text: retrying the same text cannot help. */
  rejected(message: string): boolean {
    // bpftrace's words name the symptom; the reason in front says what to change.
    this.errorText = withReason(message);
    this.passing = [];
    this.infoText = undefined;
    return this.move('rejected');
  }

  /** Not worth retrying any more (not allowed, the PMDA out of step, killed too often). */
  gaveUp(message: string): boolean {
    this.errorText = message;
    this.passing = [];
    return this.move('gaveUp');
  }

  private adopt(event: 'registered' | 'joined', record: Pick<ScriptRecord, 'script_id' | 'variables'>, now: number) {
    if (!this.move(event)) {
      return false;
    }
    this.id = record.script_id;
    // A name the PMDA misread (`@start[arg0] !`) is no map: it never holds data, and listing it
    // would only show the PMDA's garbage.
    const usage = mapUsage(this.text);
    this.vars = Object.entries(record.variables ?? {})
      .filter(([name]) => VALID_VARIABLE.test(name))
      .map(([name, v]) => variableInfo(record.script_id, name, v, usage));
    for (const v of this.vars) {
      if (v.text && !this.logs.has(v.name)) {
        this.logs.set(v.name, new LogLineTracker({ maxLines: retainedLines(this.text) }));
      }
      if (!v.text && !this.buffers.has(v.name)) {
        const stacks = v.metrictype === 'stacks';
        this.buffers.set(
          v.name,
          new WideSeriesBuffer({
            retentionMs: this.options.retentionMs,
            counter: v.counter,
            ...(stacks ? STACK_HISTORY : {}),
          })
        );
      }
    }
    this.errorText = undefined;
    this.infoText = undefined;
    this.lasting = [];
    this.otherCode = undefined;
    this.pmdaStatus = undefined;
    this.startedAt = now;
    this.startChecks = 0;
    this.errorSeen = 0;
    this.errorLookAt = undefined;
    this.ticksSinceErrorLook = 0;
    this.errorTooLong = false;
    this.runtimeError = undefined;
    this.lastDataBytes = undefined;
    this.lastPrintAt = undefined;
    this.spanned = false;
    this.mapsEmpty = false;
    this.prints.reset();
    this.probeCount = undefined;
    this.exit = undefined;
    this.transientFailures = 0;
    return true;
  }

  // ------------------------------------------------------------------ reading

  /** The metric names this lease needs in the next fetch. */
  metricNames(): string[] {
    const id = this.id;
    if (!id || !this.isReadNow()) {
      return [];
    }
    const names = [scriptMetric(id, 'status'), scriptMetric(id, 'data_bytes')];
    if (this.needsErrorText()) {
      names.push(scriptMetric(id, 'error'), scriptMetric(id, 'probes'), scriptMetric(id, 'exit_code'));
    }
    if (this.pmdaStatus !== 'error') {
      names.push(...this.vars.map((v) => v.metric));
    }
    return names;
  }

  private isReadNow() {
    const p = this.phaseNow;
    return p === 'starting' || p === 'running' || p === 'stalled' || p === 'exited' || p === 'retiring';
  }

  /** The error text can be hundreds of KB: read it only while it can matter. */
  private needsErrorText(): boolean {
    return (
      this.pmdaStatus === undefined ||
      this.pmdaStatus === 'starting' ||
      (this.pmdaStatus === 'started' && this.startChecks < START_CHECKS) ||
      (this.pmdaStatus === 'started' && !this.errorTooLong && this.errorLookDue()) ||
      this.pmdaStatus === 'error' ||
      (this.pmdaStatus === 'stopped' && this.exit === undefined)
    );
  }

  /**
   * One tick's values for this script. Moves the lease as the script's state says, takes new
   * data into the buffers, and keeps what the user should know up to date. Returns whether
   * anything a panel shows changed.
   */
  observe(sample: LeaseSample, now: number): boolean {
    const id = this.id;
    if (!id || !this.isReadNow()) {
      return false;
    }
    const value = (leaf: Parameters<typeof scriptMetric>[1]) =>
      sample.values.get(scriptMetric(id, leaf))?.instances[0]?.value;
    const status = value('status');
    if (typeof status !== 'string') {
      return false; // the Endpoint decides whether it vanished (it checks the PMDA's list).
    }
    const before = this.versionNow;
    this.pmdaStatus = status;
    const errorText = value('error');
    const exitCode = value('exit_code');
    const probes = value('probes');
    if (typeof probes === 'number') {
      this.probeCount = probes;
    }

    if (status === 'error') {
      if (typeof errorText !== 'string' || typeof exitCode !== 'number') {
        this.bump(); // the error text comes with the next fetch (needsErrorText)
        return true;
      }
      this.exit = exitCode;
      const cleaned = cleanErrorText(errorText);
      if (exitCode < 0 && !/\bERROR\b/.test(cleaned)) {
        this.died(-exitCode, now);
      } else {
        this.rejected(cleaned || `bpftrace failed (exit code ${exitCode}) without a message.`);
      }
      this.bump();
      return true;
    }
    if (status === 'stopped') {
      // What bpftrace printed before it exited (all of a BEGIN { …; exit(); } script's output, the
      // last print of any other) is still in the PMDA's metrics: take it before anything else.
      const dataBytes = value('data_bytes');
      if (typeof dataBytes === 'number' && dataBytes > 0 && dataBytes !== this.lastDataBytes) {
        this.ingest(sample, dataBytes);
        this.lastPrintAt = now;
      }
      if (typeof exitCode === 'number') {
        this.exit = exitCode;
        if (callsExit(this.text)) {
          this.move('exited');
        } else {
          // No exit() in the script: stopped from outside (SIGTERM or SIGINT, which bpftrace takes
          // as Ctrl-C: it prints, then exits 0), or bpftrace gave up by itself (a ustack map did,
          // exit code 0, after ~40 s of failed stack lookups): no end the panel asked for.
          this.stoppedOutside(now);
        }
      }
      this.bump();
      return true;
    }
    if (status === 'started') {
      this.startedAt ??= now;
      if (typeof errorText === 'string') {
        if (this.startChecks < START_CHECKS) {
          this.startChecks++;
          // The probe count settles once bpftrace attached everything: judge 0 on the last check.
          this.lasting = attachProblems(cleanErrorText(errorText), this.text);
        }
        this.lookAtErrors(errorText, now);
        this.bump();
      }
      // Counted after the look, so that the tick metricNames asked for the text on is the one
      // lookAtErrors takes as periodic: one rule (errorLookDue) for both.
      this.ticksSinceErrorLook++;
    }

    const dataBytes = value('data_bytes');
    // No new output from bpftrace since the last tick (or none yet): the values are not new.
    if (typeof dataBytes === 'number' && dataBytes > 0 && dataBytes !== this.lastDataBytes) {
      this.ingest(sample, dataBytes);
      this.lastPrintAt = now;
      this.passing = [];
      this.move('printed');
      this.bump();
    } else if (status === 'started') {
      if (!this.printsMaps && this.phaseNow === 'starting') {
        // Nothing is printed every second without maps: bpftrace running is all there is to see.
        this.move('printed');
      }
      this.checkSilence(now);
    }
    this.checkNoEvents(now);
    return this.versionNow !== before;
  }

  /** A periodic look at the error text is due: ERROR_LOOK_EVERY ticks since the last look. */
  private errorLookDue(): boolean {
    return this.ticksSinceErrorLook >= ERROR_LOOK_EVERY;
  }

  /**
   * The errors bpftrace reported while running, from the part of its error text past the last
   * periodic look. The start checks look too (errors from the first second show at once) but move
   * nothing on: the first periodic look counts from the start.
   */
  private lookAtErrors(errorText: string, now: number) {
    const periodic = this.startChecks >= START_CHECKS && this.errorLookDue();
    const added = errorText.length >= this.errorSeen ? errorText.slice(this.errorSeen) : errorText;
    const seconds = this.errorLookAt === undefined ? undefined : Math.round((now - this.errorLookAt) / 1000);
    const notice = runtimeErrorNotice(added, seconds);
    if (periodic || notice) {
      this.runtimeError = notice;
    }
    this.ticksSinceErrorLook = 0;
    if (periodic) {
      this.errorSeen = errorText.length;
      this.errorLookAt = now;
    }
    if (errorText.length > ERROR_TEXT_LIMIT) {
      this.errorTooLong = true;
      this.runtimeError = `${notice ?? 'bpftrace reported errors while running.'} Its error text passed ${ERROR_TEXT_LIMIT / 1024} KB, so it is read no more: this notice stays.`;
    }
  }

  private ingest(sample: LeaseSample, dataBytes: number) {
    const printsText = this.vars.some((v) => v.text);
    // Undefined for the first sample (no rate); NaN while the count of prints is unknown (no rate
    // either: a guess of two prints where there was one would show half the rate).
    let spanMs: number | undefined;
    if (this.lastDataBytes !== undefined && this.lastSampleT !== undefined) {
      const prints = this.prints.count(sample.t - this.lastSampleT, dataBytes - this.lastDataBytes, printsText);
      spanMs = prints === undefined ? NaN : prints * PRINT_INTERVAL_MS;
      this.spanned ||= prints !== undefined;
    }
    this.lastDataBytes = dataBytes;
    this.lastSampleT = sample.t;
    let maps = 0;
    let emptyMaps = 0;
    const full: string[] = [];
    for (const v of this.vars) {
      const values = sample.values.get(v.metric);
      if (!values) {
        continue;
      }
      if (v.text) {
        const value = values.instances[0]?.value;
        if (typeof value === 'string') {
          const text = this.splitJoined ? this.splitJoined(value) : value;
          this.texts.set(v.name, text);
          this.takeLines(v.name, text, sample.t, spanMs);
        }
        continue;
      }
      maps++;
      if (values.instances.length === 0) {
        emptyMaps++;
      }
      if (v.metrictype !== 'histogram' && values.instances.length === BPFTRACE_MAP_KEYS_MAX) {
        full.push(v.name);
      }
      if (!this.sawEvents) {
        this.sawEvents = values.instances.some((i) => typeof i.value === 'number' && !!i.value);
      }
      // By position: the keys array stays the same while the map's keys do (InstanceNames).
      const keys = sample.keysOf(v.metric, values.instances).keys;
      this.buffers.get(v.name)?.appendRow(sample.t, keys, values.instances, spanMs);
    }
    this.mapsEmpty = maps > 0 && emptyMaps === maps;
    this.lasting = this.lasting.filter((w) => !w.startsWith(KEY_LIMIT_LEAD));
    if (full.length > 0) {
      this.lasting.push(
        `${KEY_LIMIT_LEAD} ${full.join(', ')} ${full.length === 1 ? 'holds' : 'hold'} ${BPFTRACE_MAP_KEYS_MAX} keys, bpftrace's limit for a map: bpftrace drops every new key, so events of keys not yet in the map are not counted (the keys it holds count on). Key on less (comm rather than pid, kstack(8) rather than kstack) or filter the events.`
      );
    }
  }

  /** New printf lines; when more arrive between two reads than the PMDA keeps, some are lost. */
  private takeLines(variable: string, text: string, t: number, spanMs: number | undefined) {
    const log = this.logs.get(variable);
    if (!log) {
      return;
    }
    const added = log.update(text, t);
    // A header printed in BEGIN is no event: only lines past it are. A line still without its
    // newline is an event too (a join() tool's are all on one line).
    if (log.lineCount > beginLines(this.text) || log.partial) {
      this.sawEvents = true;
    }
    const kept = retainedLines(this.text);
    this.lasting = this.lasting.filter((w) => !w.startsWith(OUTPUT_LEAD));
    if (!spanMs) {
      return;
    }
    const perSecond = Math.round((added * 1000) / spanMs);
    if (added >= kept) {
      this.lasting.push(
        `${OUTPUT_LEAD} at least ${perSecond} lines/s, more than the ${kept} lines the PMDA keeps between two reads: some lines are lost. Raise "Output lines" in the query options, or print less (filter in the script).`
      );
    }
    // The PMDA copies every kept line for each printed one, in the process that serves every
    // script of the host: past half a CPU it falls behind, and every panel of the host with it.
    const pmdaShare = perSecond * kept * PMDA_SECONDS_PER_KEPT_LINE;
    if (pmdaShare > PMDA_SHARE_WARNING) {
      const enough = Math.max(100, Math.ceil((perSecond * 2 * this.options.pollIntervalMs) / 1000 / 100) * 100);
      this.lasting.push(
        `${OUTPUT_LEAD} ${perSecond} lines/s while the PMDA keeps ${kept}: it copies every kept line for each new one, about ${Math.round(
          pmdaShare * 100
        )} % of a CPU, and every script and panel on this host waits for it. ` +
          (enough < kept
            ? `Lower "Output lines" to about ${enough} (two reads' worth), or print less (filter in the script).`
            : 'Print less (filter in the script).')
      );
    }
  }

  private checkSilence(now: number) {
    const since = this.lastPrintAt ?? this.startedAt;
    if (since === undefined || !this.printsMaps) {
      return;
    }
    const quietMs = now - since;
    const limit = Math.max(3 * PRINT_INTERVAL_MS, 2 * this.options.pollIntervalMs) + 1000;
    if (quietMs <= limit) {
      return;
    }
    const seconds = Math.round(quietMs / 1000);
    // The PMDA's probe count alone misleads (it reads 0 for some scripts that trace fine); 0 probes
    // AND nothing printed since the start is a script that will never trace anything.
    const text =
      this.lastPrintAt === undefined && this.probeCount === 0
        ? `bpftrace attached 0 probes and has printed nothing in ${seconds} s: it runs, but nothing will ever be traced. Check the probe names against the host (the editor completes them), and that nothing invisible stands before the first probe (a U+FFFD or zero-width character).`
        : this.lastPrintAt === undefined
          ? `${STALL_LEAD} its maps ${seconds} s after starting (it prints them every second): the host may be overloaded, or the maps too large to print in time (e.g. stack maps under a high probe rate). Check the host's CPU; lower the probe frequency or key fewer things.`
          : `${STALL_LEAD} its maps for ${seconds} s (it prints them every second): the host may be overloaded, or the maps too large to print in time (e.g. stack maps under a high probe rate). Showing the last data; check the host's CPU; lower the probe frequency or key fewer things.`;
    this.passing = [...this.passing.filter((w) => !w.startsWith(STALL_LEAD)), text];
    this.move('silent');
    this.bump();
  }

  private checkNoEvents(now: number) {
    const quiet =
      !this.sawEvents &&
      this.phaseNow === 'running' &&
      this.startedAt !== undefined &&
      now - this.startedAt >= NO_EVENTS_AFTER_MS;
    const seconds = Math.round((now - (this.startedAt ?? now)) / 1000);
    const text = !quiet
      ? undefined
      : this.noneAttached()
        ? `No events in ${seconds} s, and bpftrace attached none of the probes that wait for them (${this.probeCount} attached: those that fire by themselves and the PMDA's print timer): bpftrace skips a probe it cannot attach, e.g. a uprobe on a function the binary does not have. Check the probe names against the host (the editor completes them).`
        : `No events in ${seconds} s: bpftrace runs and its probes are attached, but none has fired. ${noEventsAdvice(this.text)}`;
    if (text?.replace(/\d+ s/, '') !== this.infoText?.replace(/\d+ s/, '')) {
      this.infoText = text;
      this.bump();
    }
  }

  /**
   * Whether bpftrace attached no probe that waits for events: its count is no more than the
   * probes that fire by themselves plus the interval probe the PMDA appends to print the maps
   * (none with `// custom-output-block`, or without maps). The count alone misleads (see
   * checkSilence); this is asked only of a script that has seen no event.
   */
  private probesOfText(): ReturnType<typeof scriptProbes> {
    return (this.probeKinds ??= scriptProbes(this.text));
  }

  private noneAttached(): boolean {
    if (this.probeCount === undefined) {
      return false;
    }
    const { waiting, byItself } = this.probesOfText();
    const pmdaPrint = this.vars.some((v) => !v.text) && !/^\/\/\s*custom-output-block\b/m.test(this.text) ? 1 : 0;
    return waiting.length > 0 && this.probeCount <= byItself + pmdaPrint;
  }

  // ------------------------------------------------------------------ death and restarts

  private died(signal: number, now: number) {
    this.restartAfter(
      `bpftrace was killed (signal ${signal}${signal === 9 ? ', SIGKILL: the OOM killer or someone on the host' : ''})`,
      now
    );
  }

  private stoppedOutside(now: number) {
    this.restartAfter(
      'bpftrace stopped although the script never calls exit() (a SIGTERM or SIGINT on the host, or bpftrace giving up by itself)',
      now
    );
  }

  /** A script that ended without being asked: restarted with backoff (an Editor's), or told. */
  private restartAfter(what: string, now: number) {
    this.deaths = [...this.deaths.filter((t) => now - t < 60_000), now];
    if (!this.options.mayControl) {
      this.passing = [`${what}; it runs again when an Editor's panel restarts it.`];
      this.move('died');
      return;
    }
    if (this.deaths.length > MAX_RESTARTS_PER_MINUTE) {
      this.move('died');
      this.move('gaveUp');
      this.errorText = `${what} ${this.deaths.length} times in the last minute; bpflive stopped restarting it. Check the host (its kernel log, dmesg; its memory; what stops bpftrace), then run the query again.`;
      return;
    }
    const backoff = 1000 * 2 ** (this.deaths.length - 1);
    this.retryAtMs = now + backoff;
    this.passing = [
      `${what}; restarting it in ${Math.round(backoff / 1000)} s (restart ${this.deaths.length} of at most ${MAX_RESTARTS_PER_MINUTE} a minute).`,
    ];
    this.move('died');
  }

  /** A restart is due: the dead script's id is returned for deregistering; the lease registers anew. */
  restartDue(now: number): string | undefined {
    if (this.phaseNow !== 'restarting' || now < this.retryAtMs) {
      return undefined;
    }
    const old = this.id;
    this.id = undefined;
    this.move('restartDue');
    return old;
  }

  /**
   * The script is no longer on the host (pmcd or the PMDA restarted, someone deregistered it):
   * register it again. Its buffers keep their history, with a gap.
   */
  vanished(reason: string): boolean {
    if (!this.move('vanished')) {
      return false;
    }
    this.id = undefined;
    this.retryAtMs = 0;
    if (reason && this.phaseNow === 'pending') {
      this.passing = [reason];
    }
    return this.bump() > 0;
  }

  // ------------------------------------------------------------------ holders

  hold(holder: string): void {
    const first = this.holders.size === 0;
    this.holders.add(holder);
    if (!first) {
      return;
    }
    this.retiringSinceMs = undefined;
    if (this.phaseNow === 'releasing' || this.phaseNow === 'released') {
      // Not read since the grace ended: find the script again (joined if it still runs).
      this.id = undefined;
      this.releasingSinceMs = undefined;
      this.accessAtRelease = undefined;
      this.accessMoves = 0;
      this.move('held');
    } else if (this.phaseNow === 'retiring') {
      this.move('held');
    }
  }

  /** Returns true when the last holder left (the grace period starts). */
  unhold(holder: string, now: number): boolean {
    if (!this.holders.delete(holder) || this.holders.size > 0) {
      return false;
    }
    this.retiringSinceMs = now;
    return this.move('unheld');
  }

  get retiringSince(): number | undefined {
    return this.retiringSinceMs;
  }

  graceOver(now: number): boolean {
    if (!this.move('graceOver')) {
      return false;
    }
    this.releasingSinceMs = now;
    this.accessAtRelease = undefined;
    this.accessMoves = 0;
    return true;
  }

  /**
   * While releasing, each look at the PMDA's list: `lastAccessed` is the script's
   * last_accessed_at (moved by anyone's read of its metrics, not by reading the list). The first
   * look notes it. One move alone proves little: a read of this client's still under way, or
   * the PMDA's bookkeeping right after a restart, can move it once. Taken as another reader, it
   * left a script nobody read to the PMDA's expiry (seen once in 19 CI runs, right after a PMDA
   * restart: still running 30 s after its panel closed). So a move is noted and the quiet period
   * starts again from `now`; another client that reads the script moves it again within that
   * period ('readByOthers').
   */
  noteAccess(lastAccessed: string, now: number): 'unknown' | 'same' | 'moved' | 'readByOthers' {
    if (this.accessAtRelease === undefined) {
      this.accessAtRelease = lastAccessed;
      return 'unknown';
    }
    if (lastAccessed === this.accessAtRelease) {
      return 'same';
    }
    this.accessAtRelease = lastAccessed;
    this.releasingSinceMs = now;
    return ++this.accessMoves >= ACCESS_MOVES_BY_OTHERS ? 'readByOthers' : 'moved';
  }

  othersRead(): boolean {
    return this.move('othersRead');
  }

  deregistered(): boolean {
    return this.move('deregistered');
  }

  /** A problem of the moment that is not the script's (pmproxy unreachable…), or none. */
  setTransport(message: string | undefined): boolean {
    if (message === this.transport) {
      return false;
    }
    this.transport = message;
    return this.bump() > 0;
  }

  // ------------------------------------------------------------------ internals

  private move(event: LeaseEventType): boolean {
    const target = transition(this.phaseNow, event);
    if (target === undefined) {
      return false;
    }
    if (event === 'unheld') {
      this.resumeTo = this.phaseNow;
    }
    this.phaseNow = target === 'resume' ? (this.resumeTo ?? 'pending') : target;
    this.bump();
    return true;
  }

  private bump(): number {
    return ++this.versionNow;
  }
}

/**
 * A stack map is drawn as a flame graph of increases over a range, never as rates: no rate
 * column; and its history past 2 minutes is thinned to a row per 30 s (a 10k-stack profile over
 * 30 minutes then holds ~200 rows instead of 1800: tens of MB, not hundreds). A range selected
 * in that older history is counted to the nearest 30 s.
 */
export const STACK_HISTORY = { rates: false, coarsen: { afterMs: 2 * 60_000, stepMs: 30_000 } } as const;

const STALL_LEAD = 'bpftrace has not printed';
/** A map name as bpftrace has it (`@`, `@name`); the PMDA's misreads contain anything. */
const VALID_VARIABLE = /^@\w*$/;
const OUTPUT_LEAD = 'The script prints';
/**
 * bpftrace's default size of a map (BPFTRACE_MAP_KEYS_MAX, 4096 in 0.17): once full, updates of new
 * keys fail without a word. A map at exactly this many keys is taken as full; a host that raised the
 * limit sees its maps pass it, and the warning goes with the next print.
 */
const BPFTRACE_MAP_KEYS_MAX = 4096;
const KEY_LIMIT_LEAD = 'Map full:';
/** The estimated share of a CPU the PMDA spends keeping a script's lines that gets a warning. */
const PMDA_SHARE_WARNING = 0.5;

function variableInfo(
  scriptId: string,
  name: string,
  v: ScriptVariable,
  usage: ReadonlyMap<string, MapUsage>
): VariableInfo {
  const text = v.datatype === PM_TYPE_STRING;
  const used = text ? undefined : usage.get(name);
  // A count(), sum() or histogram the script clears on a timer at least as often as the PMDA
  // prints (`interval:s:1 { print(@); clear(@); }`) holds the counts of one period at each print:
  // rates or increases of them would be 0 or noise (a heatmap then draws each print, a histogram
  // the newest). Stack maps stay counters: the flame graph adds up increases across clears.
  const perPeriod = (used?.clearedEveryMs ?? Infinity) <= PRINT_INTERVAL_MS && v.metrictype !== 'stacks';
  return {
    name,
    metric: dataMetric(scriptId, name),
    // The PMDA marks sum() instant, but it only grows (for non-negative inputs): a counter.
    counter: (v.semantics === PM_SEM_COUNTER || used?.aggregation === 'sum') && !perPeriod,
    metrictype: v.metrictype,
    text,
    aggregation: used?.aggregation,
    scratch: isScratch(used),
    ranking: isNameRanking(used),
  };
}

/** The `// table-retain-lines:` of the text sent to the PMDA. */
function retainedLines(text: string): number {
  const m = /^\/\/\s*table-retain-lines\s*:\s*(\d+)/m.exec(text);
  return m ? Math.max(1, Number(m[1])) : 10_000;
}

/** What the error text of a running script says about probes that trace nothing. */
function attachProblems(cleaned: string, script: string): string[] {
  const notice = warningNotice(bpftraceWarnings(cleaned), cleaned, script);
  return notice ? [notice] : [];
}

/** bpftrace's stderr without the lines that are noise everywhere, e.g. RLIMIT_MEMLOCK. */
export function cleanErrorText(text: string): string {
  return text
    .split('\n')
    .filter((l) => !isNoiseLine(l))
    .join('\n')
    .trim();
}

/**
 * bpftrace's warnings for a script that runs: `could not attach probe …, skipping`, or a wildcard
 * that matched nothing because symbols could not be read. "started" alone does not mean tracing.
 */
export function bpftraceWarnings(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => /WARNING:/.test(l))
    .map((l) => l.replace(/^.*?WARNING:\s*/, '').trim())
    .filter((l) => l !== '');
}

/**
 * The notice a query shows for those warnings: which probes bpftrace skipped and why (the script
 * runs with the rest, so a panel fed by a skipped probe stays empty), then anything else it said.
 * `text` is the whole error text, for the lines that tell why (kprobe_events missing …).
 */
export function warningNotice(warnings: string[], text = warnings.join('\n'), script = ''): string | undefined {
  if (warnings.length === 0) {
    return undefined;
  }
  const attach = warnings.some((w) => /could not attach|skipping|Could not read symbols|not traceable/i.test(w));
  const lead = attach ? 'bpftrace runs, but some probes may trace nothing' : 'bpftrace warned';
  // Without the kernel's function list (no kprobes), a kprobe wildcard matches nothing, silently.
  const wildcards = [...script.matchAll(/(?:^|[\s,}])(k(?:ret)?probe:[\w.]*[*?][\w.*?]*)/g)].map((m) => m[1]);
  if (
    wildcards.length > 0 &&
    warnings.some((w) => /Could not read symbols from .*available_filter_functions/.test(w))
  ) {
    return `${lead}: bpftrace cannot read the kernel's function list (available_filter_functions; this kernel has no kprobes), so ${wildcards.join(', ')} matched nothing and records nothing; the script runs with its other probes. Use a tracepoint instead (tracepoint:syscalls:sys_enter_… for system calls, tracepoint:sched:… for the scheduler).`;
  }
  const skipped = [
    ...new Set(warnings.map((w) => /could not attach probe ([^\s,]+)/i.exec(w)?.[1]).filter((p): p is string => !!p)),
  ];
  if (skipped.length === 0) {
    return `${lead}: ${warnings.join('; ')}`;
  }
  const kernel = skipped.some((p) => /^k(ret)?probe:/.test(p));
  const others = warnings.filter((w) => !/could not attach probe|is not traceable/i.test(w));
  return (
    `${lead}: bpftrace skipped ${skipped.map((p) => `${p} (${skipReason(p, text)})`).join(', ')} and runs with the script's other probes, so what the skipped ones record stays empty.` +
    (kernel
      ? ' Use a tracepoint instead (tracepoint:syscalls:sys_enter_… for system calls, tracepoint:sched:… for the scheduler).'
      : '') +
    (others.length ? ` bpftrace also warned: ${others.join('; ')}` : '')
  );
}

function skipReason(probe: string, text: string): string {
  if (/^k(ret)?probe:/.test(probe)) {
    return /kprobe_events/.test(text)
      ? "this host's kernel has no kprobes"
      : 'the kernel does not list the function as traceable: renamed, inlined or notrace';
  }
  if (/^(u|ur|uprobe|uretprobe|usdt|U):/.test(probe)) {
    return 'the binary or the function was not found';
  }
  return 'bpftrace could not attach it';
}
