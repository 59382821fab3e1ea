import {
  BpfliveOptions,
  DEFAULT_HOSTSPEC,
  DEFAULT_MAX_SCRIPTS,
  DEFAULT_POLL_INTERVAL_SEC,
  DEFAULT_RETENTION,
} from '../types';

/**
 * The slowest poll allowed. The bpftrace PMDA stops a script nobody has read for
 * script_expiry_time (60 s by default); three polls inside that window leave room for a failed one.
 */
export const MAX_POLL_INTERVAL_SEC = 20;
/** The most scripts one client may run per datasource: each is a root bpftrace process. */
export const MAX_MAX_SCRIPTS = 500;

/** The datasource settings after defaults and validation: what the rest of the plugin reads. */
export interface EndpointSettings {
  hostspec: string;
  pollIntervalMs: number;
  retentionMs: number;
  /** The Admin's opt-in for Viewers to run scripts (Grafana's proxy enforces it too). */
  allowViewersToRun: boolean;
  /** Cap on scripts this client runs at once for this datasource. */
  maxScripts: number;
  /** The hosts a "Hosts" variable offers: the default host first, then the configured others. */
  hosts: string[];
  /** CPU budget per script as a share of one CPU (0.05), or undefined for none. */
  cpuBudget?: number;
  /** Stop a script of ours over the budget (the admin's choice; off by default). */
  stopOverBudget: boolean;
}

/** A budget is a share of one CPU: from a hundredth of a percent to all of it. */
export function cpuBudgetProblem(value: number | undefined): string | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!Number.isFinite(value) || value < 0.01 || value > 100) {
    return 'The CPU budget is a percentage of one CPU, from 0.01 to 100 (empty: no budget).';
  }
  return undefined;
}

/** Why a setting is refused, in words for the config page; undefined when it is fine. */
export function pollIntervalProblem(value: number | undefined): string | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!Number.isFinite(value) || value <= 0) {
    return `The poll interval must be a number of seconds from 1 to ${MAX_POLL_INTERVAL_SEC}.`;
  }
  if (value < 1) {
    return 'Faster than 1 s is refused: the bpftrace PMDA refreshes its values once a second, so faster polls only repeat the same values and load pmcd.';
  }
  if (value > MAX_POLL_INTERVAL_SEC) {
    return (
      `Slower than ${MAX_POLL_INTERVAL_SEC} s is refused: the bpftrace PMDA stops a script that nobody has read ` +
      'for script_expiry_time (60 s by default), and bpflive relies on that to stop scripts nobody watches. ' +
      `Polling every ${MAX_POLL_INTERVAL_SEC} s or faster keeps a watched script well inside that window.`
    );
  }
  return undefined;
}

export function maxScriptsProblem(value: number | undefined): string | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!Number.isInteger(value) || value < 1 || value > MAX_MAX_SCRIPTS) {
    return `Max scripts is a whole number from 1 to ${MAX_MAX_SCRIPTS}: each script is a bpftrace process running as root on the target host.`;
  }
  return undefined;
}

const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30m` → 1,800,000. undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2]] : undefined;
}

export function retentionProblem(text: string | undefined): string | undefined {
  if (text === undefined || text.trim() === '') {
    return undefined;
  }
  const ms = parseDuration(text);
  if (ms === undefined) {
    return 'Retention is a duration such as 30m, 2h or 1d.';
  }
  if (ms < 60_000) {
    return 'Retention must be at least 1m.';
  }
  if (ms > 7 * 86_400_000) {
    return 'Retention of more than 7d would hold too many points in the browser.';
  }
  return undefined;
}

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

/**
 * Settings with defaults applied. What is not a number falls back to the default; a number out
 * of range is clamped into it (the config page says why it is refused), so a provisioned 60 s
 * poll still runs at the slowest safe rate rather than at the default.
 */
export function endpointSettings(options: BpfliveOptions | undefined): EndpointSettings {
  const poll = options?.pollIntervalSec;
  const retention = options?.retention;
  const maxScripts = options?.maxScripts;
  const hostspec = options?.hostspec?.trim() || DEFAULT_HOSTSPEC;
  const others = (options?.hosts ?? '').split(/[\s,]+/).filter((h) => h !== '');
  return {
    hostspec,
    hosts: [...new Set([hostspec, ...others])],
    pollIntervalMs:
      (typeof poll === 'number' && Number.isFinite(poll) && poll > 0
        ? clamp(poll, 1, MAX_POLL_INTERVAL_SEC)
        : DEFAULT_POLL_INTERVAL_SEC) * 1000,
    retentionMs: parseDuration(retention && !retentionProblem(retention) ? retention : DEFAULT_RETENTION)!,
    // Only a real `true` counts here; Grafana's proxy is laxer (see BpfliveOptions.allowViewersToRun).
    allowViewersToRun: options?.allowViewersToRun === true,
    maxScripts:
      typeof maxScripts === 'number' && Number.isFinite(maxScripts)
        ? clamp(Math.floor(maxScripts), 1, MAX_MAX_SCRIPTS)
        : DEFAULT_MAX_SCRIPTS,
    cpuBudget:
      typeof options?.cpuBudgetPercent === 'number' && !cpuBudgetProblem(options.cpuBudgetPercent)
        ? options.cpuBudgetPercent / 100
        : undefined,
    // Stopping needs a budget to be over, and a real `true`: a stopped panel is the admin's explicit choice.
    stopOverBudget: options?.stopOverBudget === true,
  };
}
