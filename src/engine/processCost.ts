import { FetchResult } from '../pmapi/types';

/**
 * What a process costs the host, from PCP's proc PMDA: its CPU share (user + system time, a
 * counter of milliseconds, over the time between two samples) and its resident memory. The
 * bpftrace PMDA names each script's bpftrace process (`state.pid`); this turns two fetches of
 * the proc metrics into each pid's share of one CPU.
 */

/** The proc metrics read for it: CPU time in ms (counters), resident set in KiB (instant). */
export const PROC_UTIME = 'proc.psinfo.utime';
export const PROC_STIME = 'proc.psinfo.stime';
export const PROC_RSS = 'proc.psinfo.rss';
export const PROC_METRICS = [PROC_UTIME, PROC_STIME, PROC_RSS];

export interface ProcessCost {
  /** Share of one CPU over the last sample window, 0.05 = 5 %; undefined after a single sample. */
  cpu?: number;
  /** Resident memory in bytes. */
  rssBytes?: number;
  /** The window `cpu` covers, in ms. */
  windowMs?: number;
}

interface Sample {
  t: number;
  cpuMs: number;
}

/** Per pid: the last sample of its CPU time, and what the last two samples say it costs. */
export class ProcessCosts {
  private readonly last = new Map<number, Sample>();
  private readonly costs = new Map<number, ProcessCost>();
  /** Whether the host answered the proc metrics at all (no proc PMDA: no meter, and a note). */
  available?: boolean;

  /** One fetch's proc values at time `t` (ms). Pids that are gone are forgotten. */
  take(result: FetchResult, t: number): void {
    const utime = result.values.get(PROC_UTIME);
    const stime = result.values.get(PROC_STIME);
    const rss = result.values.get(PROC_RSS);
    this.available = utime !== undefined && stime !== undefined;
    if (!utime || !stime) {
      return;
    }
    const sys = new Map<number, number>();
    for (const i of stime.instances) {
      if (i.instance !== null && typeof i.value === 'number') {
        sys.set(i.instance, i.value);
      }
    }
    const kib = new Map<number, number>();
    for (const i of rss?.instances ?? []) {
      if (i.instance !== null && typeof i.value === 'number') {
        kib.set(i.instance, i.value);
      }
    }
    const seen = new Set<number>();
    for (const i of utime.instances) {
      const pid = i.instance;
      const system = pid === null ? undefined : sys.get(pid);
      if (pid === null || typeof i.value !== 'number' || system === undefined) {
        continue;
      }
      seen.add(pid);
      const cpuMs = i.value + system;
      const before = this.last.get(pid);
      const cost: ProcessCost = { rssBytes: kib.has(pid) ? kib.get(pid)! * 1024 : undefined };
      // A counter that went back is another process with a reused pid: start over.
      if (before && t > before.t && cpuMs >= before.cpuMs) {
        cost.cpu = (cpuMs - before.cpuMs) / (t - before.t);
        cost.windowMs = t - before.t;
      }
      this.last.set(pid, { t, cpuMs });
      this.costs.set(pid, cost);
    }
    for (const pid of [...this.last.keys()]) {
      if (!seen.has(pid)) {
        this.last.delete(pid);
        this.costs.delete(pid);
      }
    }
  }

  of(pid: number | undefined): ProcessCost | undefined {
    return pid === undefined || pid <= 0 ? undefined : this.costs.get(pid);
  }
}
