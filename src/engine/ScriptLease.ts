import { WideSeriesBuffer } from '../buffers/WideSeriesBuffer';
import { LogLineTracker } from '../frames/logs';
import { dataMetric, scriptMetric } from '../scripts/names';
import { ScriptRecord, ScriptStatus, ScriptVariable } from '../scripts/protocol';

export type LeaseStatus = 'registering' | ScriptStatus;

/** One bpftrace map variable of a script, as exported by the PMDA. */
export interface VariableInfo {
  /** `@syscalls`; the PMDA's text output is `@output`. */
  name: string;
  metric: string;
  /** count(), hist(), lhist(): cumulative, shown as per-second rates by default. */
  counter: boolean;
  /** The PMDA's metrictype label: histogram, stacks, output, or null. */
  metrictype: string | null;
  /** A string variable (printf output), not numbers. */
  text: boolean;
}

/** How many ticks after the start the error text is read for warnings. */
const START_CHECKS = 3;

/** PCP semantics and types as the PMDA reports them in a script's `variables`. */
const PM_SEM_COUNTER = 1;
const PM_TYPE_STRING = 6;

/**
 * One script on one endpoint, held by the queries that want its code. It knows the script's
 * PMDA-side state and its buffered data; the Endpoint's poll loop feeds it.
 */
export class ScriptLease {
  status: LeaseStatus = 'registering';
  /** Why the script does not run (bpftrace's or the PMDA's words), when status is error. */
  error?: string;
  /** It runs, but something the user should know: probes that could not attach, a restart. */
  warnings: string[] = [];
  probes?: number;
  exitCode?: number;
  variables: VariableInfo[] = [];
  readonly buffers = new Map<string, WideSeriesBuffer>();
  /** Latest text of string variables (@output), whole, as the PMDA holds it. */
  readonly texts = new Map<string, string>();
  /** The same text as lines, each new line once, stamped with when it arrived. */
  readonly logs = new Map<string, LogLineTracker>();
  readonly holders = new Set<string>();
  /** Bumped whenever anything a panel shows changes. */
  version = 0;
  /** The PMDA's data_bytes at the last sample: unchanged means bpftrace has not printed since. */
  lastDataBytes?: number;
  /**
   * Reads of the error text since the script reached `started`: attach warnings live there, and
   * the PMDA may collect bpftrace's stderr a moment after it reports the start.
   */
  startChecks = 0;
  /** Set while nobody holds the lease and it waits to be deregistered. */
  retiringSince?: number;
  /** Registration attempts that failed for reasons that may pass (unreachable, out of step). */
  failedAttempts = 0;
  /** Until this time (ms) no new registration is tried. */
  retryAfter = 0;
  /** A registration is under way. */
  registering = false;
  /** The lease can no longer be fixed by retrying (the PMDA or bpftrace rejected the code). */
  final = false;
  /**
   * We joined a script someone else registered (its name was in use) and have not seen its
   * status yet: if it turns out stopped or failed, it is a leftover, and we start it afresh.
   */
  joinedUnchecked = false;

  constructor(
    /** bpflive's name for the script: `bpflive_<hash of the code>`. */
    readonly name: string,
    /** What is stored to the PMDA. */
    readonly text: string,
    private readonly retentionMs: number
  ) {}

  /** Take over the PMDA's description of the script: which variables, what they are. */
  adopt(variables: Record<string, ScriptVariable> | undefined, state?: ScriptRecord['state']) {
    this.variables = Object.entries(variables ?? {}).map(([name, v]) => ({
      name,
      metric: dataMetric(this.name, name),
      counter: v.semantics === PM_SEM_COUNTER,
      metrictype: v.metrictype,
      text: v.datatype === PM_TYPE_STRING,
    }));
    for (const v of this.variables) {
      if (v.text && !this.logs.has(v.name)) {
        this.logs.set(v.name, new LogLineTracker());
      }
      if (!v.text && !this.buffers.has(v.name)) {
        this.buffers.set(v.name, new WideSeriesBuffer({ retentionMs: this.retentionMs, counter: v.counter }));
      }
    }
    this.status = state?.status ?? 'starting';
    this.error = undefined;
    this.warnings = [];
    this.startChecks = 0;
    this.lastDataBytes = undefined;
    this.failedAttempts = 0;
    this.final = false;
    this.changed();
  }

  fail(message: string, final: boolean) {
    this.status = 'error';
    this.error = message;
    this.final = final;
    this.changed();
  }

  /** The names this lease needs in the next fetch. */
  metricNames(): string[] {
    const names = [scriptMetric(this.name, 'status'), scriptMetric(this.name, 'data_bytes')];
    if (this.needsErrorText()) {
      names.push(
        scriptMetric(this.name, 'error'),
        scriptMetric(this.name, 'probes'),
        scriptMetric(this.name, 'exit_code')
      );
    }
    if (this.status !== 'error') {
      names.push(...this.variables.map((v) => v.metric));
    }
    return names;
  }

  /** The error text can be hundreds of KB: read it only when the state calls for it. */
  needsErrorText(): boolean {
    return (
      this.status === 'starting' ||
      (this.status === 'started' && this.startChecks < START_CHECKS) ||
      (this.status === 'error' && this.error === undefined) ||
      (this.status === 'stopped' && this.exitCode === undefined)
    );
  }

  get active(): boolean {
    return !this.registering && this.variables.length > 0 && this.retiringSince === undefined;
  }

  changed() {
    this.version++;
  }
}

/** bpftrace's stderr without the lines that are noise everywhere, e.g. RLIMIT_MEMLOCK. */
export function cleanErrorText(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/couldn't set RLIMIT_MEMLOCK|Unknown error -1: couldn't set/.test(l))
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

/** The notice a query shows for those warnings. */
export function warningNotice(warnings: string[]): string | undefined {
  if (warnings.length === 0) {
    return undefined;
  }
  const attach = warnings.some((w) => /could not attach|skipping|Could not read symbols|not traceable/i.test(w));
  const lead = attach ? 'bpftrace runs, but some probes may trace nothing' : 'bpftrace warned';
  return `${lead}: ${warnings.join('; ')}`;
}
