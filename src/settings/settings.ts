import { BpfliveOptions, DEFAULT_HOSTSPEC, DEFAULT_POLL_INTERVAL_SEC, DEFAULT_RETENTION } from '../types';

/** The datasource settings after defaults and validation: what the rest of the plugin reads. */
export interface EndpointSettings {
  hostspec: string;
  pollIntervalMs: number;
  retentionMs: number;
}

/** Why a setting is refused, in words for the config page; undefined when it is fine. */
export function pollIntervalProblem(value: number | undefined): string | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!Number.isFinite(value) || value <= 0) {
    return 'The poll interval must be a number of seconds, 1 or more.';
  }
  if (value < 1) {
    return 'Faster than 1 s is refused: the bpftrace PMDA refreshes its values once a second, so faster polls only repeat the same values and load pmcd.';
  }
  if (value > 3600) {
    return 'The poll interval must be at most 3600 s.';
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

/** Settings with defaults applied; invalid values fall back to the defaults (the config page says why). */
export function endpointSettings(options: BpfliveOptions | undefined): EndpointSettings {
  const poll = options?.pollIntervalSec;
  const retention = options?.retention;
  return {
    hostspec: options?.hostspec?.trim() || DEFAULT_HOSTSPEC,
    pollIntervalMs: (poll !== undefined && !pollIntervalProblem(poll) ? poll : DEFAULT_POLL_INTERVAL_SEC) * 1000,
    retentionMs: parseDuration(retention && !retentionProblem(retention) ? retention : DEFAULT_RETENTION)!,
  };
}
