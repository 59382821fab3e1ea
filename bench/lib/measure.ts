/** Small helpers shared by bench files: per-iteration CPU and wall time, percentiles, printing. */

export interface Sample {
  /** CPU time of the whole process (user + system), ms. */
  cpuMs: number;
  /** Wall-clock time, ms. */
  wallMs: number;
}

export interface Summary {
  n: number;
  median: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Runs `fn` `iterations` times after `warmup` unmeasured runs, timing each run on its own. */
export function measure(iterations: number, warmup: number, fn: (i: number) => void): Sample[] {
  for (let i = 0; i < warmup; i++) {
    fn(i);
  }
  collectGarbage();
  const samples: Sample[] = [];
  for (let i = 0; i < iterations; i++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    fn(warmup + i);
    const t1 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    samples.push({ cpuMs: (cpu.user + cpu.system) / 1000, wallMs: t1 - t0 });
  }
  return samples;
}

/** Percentiles of `values`; NaN throughout for none (printed as NaN, never a crash). */
export function summarize(values: number[]): Summary {
  if (values.length === 0) {
    return { n: 0, median: NaN, p90: NaN, p99: NaN, max: NaN, mean: NaN };
  }
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return {
    n: sorted.length,
    median: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: sorted[sorted.length - 1],
    mean: sorted.reduce((s, v) => s + v, 0) / sorted.length,
  };
}

export function fmt(ms: number): string {
  return ms >= 10 ? ms.toFixed(1) : ms.toFixed(3);
}

export function printTable(rows: Array<[string, Summary]>): void {
  const header = ['', 'n', 'median', 'p90', 'p99', 'max', 'mean'];
  const body = rows.map(([label, s]) => [
    label,
    String(s.n),
    fmt(s.median),
    fmt(s.p90),
    fmt(s.p99),
    fmt(s.max),
    fmt(s.mean),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  for (const r of body) {
    console.log(line(r));
  }
}

/** Calls global.gc() when node runs with --expose-gc (bench/run.mjs passes it). */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
  }
}

/** A small seeded PRNG (mulberry32), so every run sees the same data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A forced collection, then a pause (the main thread asleep) in which V8's background threads
 * finish sweeping what it freed. A build timed right after a collection of another builder's
 * garbage otherwise pays for sweeping it (allocations sweep the pages they need on the main
 * thread), which a page never does: its polls and first builds are not a millisecond apart
 * from a collection of a hundred megabytes of somebody else's objects.
 */
export function collectGarbageAndSettle(pauseMs = 200): void {
  collectGarbage();
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pauseMs);
}
