/**
 * The calling thread's own CPU time (clock_gettime(CLOCK_THREAD_CPUTIME_ID), ns resolution),
 * read through the small addon in bench/lib/thread-cpu/ that bench/run.mjs builds and names in
 * BENCH_THREAD_CPU_ADDON. Called from a bench it is the main thread's CPU time: what a tick keeps
 * the thread busy for, without V8's background threads (concurrent marking, sweeping, compiling),
 * which process.cpuUsage() counts. When the addon could not be built (run.mjs then sets
 * BENCH_THREAD_CPU_UNAVAILABLE to why), `ns` falls back to process.cpuUsage() (whole process, µs)
 * and `source` says so: print it with the figures.
 */

export interface ThreadCpu {
  /** CPU time in ns since some fixed point: the main thread's, or the process's in the fallback. */
  ns: () => number;
  /** True when `ns` is the thread's own clock, false in the fallback. */
  perThread: boolean;
  /** What `ns` measures, for the bench's output. */
  source: string;
}

function processNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

function load(): ThreadCpu {
  const path = process.env.BENCH_THREAD_CPU_ADDON;
  let why = process.env.BENCH_THREAD_CPU_UNAVAILABLE ?? 'BENCH_THREAD_CPU_ADDON not set (run through bench/run.mjs)';
  if (path) {
    try {
      const addon = { exports: {} as { threadCpuNs?: () => number } };
      process.dlopen(addon, path);
      const ns = addon.exports.threadCpuNs;
      if (typeof ns === 'function' && ns() > 0) {
        return { ns, perThread: true, source: 'main-thread CPU (CLOCK_THREAD_CPUTIME_ID, bench/lib/thread-cpu)' };
      }
      why = `${path} has no working threadCpuNs()`;
    } catch (e) {
      why = `cannot load ${path}: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  return {
    ns: processNs,
    perThread: false,
    source: `FALLBACK: whole-process CPU (process.cpuUsage, µs), no thread CPU clock: ${why}`,
  };
}

export const threadCpu: ThreadCpu = load();
