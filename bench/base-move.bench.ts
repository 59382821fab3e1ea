/**
 * The appends of a counter buffer whose keys count fast enough that their stores' base must move
 * (src/buffers/rawStore.ts: a Float32 row is a difference to a base, exact within 2^24 of it, and
 * the base moves to a count 2^23 past it) but slow enough never to widen to Float64: between
 * 2^23 and 2^24 events per retention, e.g. 1,000-1,900 a second per key over 2 hours, or
 * 4,000-7,500 over 30 minutes. That is a busy process's syscalls or a disk's I/Os, kept for a
 * dashboard's range. (cpu-per-tick's keys count 0-5,000 a second, which at 2 hours widens them
 * and at 30 minutes moves few bases within its windows.)
 *
 * Only the buffer's append is timed (main-thread CPU, bench/lib/thread-cpu), over three
 * retentions after a first one, each append on its own; the appends that compact stores (the
 * few appends after old rows were dropped that move the stores' rows to the front of their
 * arrays, see WideSeriesBuffer's Compaction) are told apart from the others, and the appends
 * during which V8 collected garbage (perf_hooks 'gc' entries) are counted apart from both.
 *
 * Run: npm run bench -- base-move
 */
import { PerformanceObserver } from 'node:perf_hooks';

import { WideSeriesBuffer } from '../src/buffers/WideSeriesBuffer';
import { seededRandom, summarize, Summary } from './lib/measure';
import { threadCpu } from './lib/threadCpu';

const STEP_MS = 1000;
const T0 = 1_700_000_000_000;

interface Case {
  series: number;
  points: number;
  /** Events a second per key, drawn once per key from [min, max]. */
  perSecond: [number, number];
}

const CASES: Case[] = [
  { series: 200, points: 7200, perSecond: [1000, 1900] },
  { series: 2000, points: 1800, perSecond: [4000, 7500] },
];

function line(label: string, s: Summary): string {
  return `${label}: n ${s.n}, median ${s.median.toFixed(4)} ms, p99 ${s.p99.toFixed(4)} ms, max ${s.max.toFixed(4)} ms`;
}

/** Every garbage collection V8 reports: [start, end] in performance.now() ms. */
const collections: Array<[number, number]> = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    collections.push([e.startTime, e.startTime + e.duration]);
  }
}).observe({ entryTypes: ['gc'] });

async function run({ series, points, perSecond: [min, max] }: Case): Promise<void> {
  const random = seededRandom(series + points);
  const keys = Array.from({ length: series }, (_, i) => `comm${i}`);
  const rates = keys.map(() => min + random() * (max - min));
  const counts = keys.map(() => 2 ** 32 + Math.floor(random() * 1e6));
  const row = keys.map(() => ({ value: 0 }));
  const b = new WideSeriesBuffer({ retentionMs: points * STEP_MS, counter: true });
  const ticks: Array<{ ms: number; start: number; end: number; compacting: boolean }> = [];
  for (let tick = 0; tick < 4 * points; tick++) {
    for (let k = 0; k < series; k++) {
      counts[k] += Math.round(rates[k] * (0.5 + random()));
      row[k].value = counts[k];
    }
    const before = b.compacting;
    const start = performance.now();
    const t0 = threadCpu.ns();
    b.appendRow(T0 + tick * STEP_MS, keys, row, STEP_MS);
    const ms = (threadCpu.ns() - t0) / 1e6;
    if (tick >= points) {
      ticks.push({ ms, start, end: performance.now(), compacting: before || b.compacting });
    }
  }
  // The observer hears of the last collections in a later task.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const collected = ticks.filter((t) => collections.some(([from, to]) => from < t.end && to > t.start));
  const clean = ticks.filter((t) => !collected.includes(t));
  const compacting = clean.filter((t) => t.compacting).map((t) => t.ms);
  const others = clean.filter((t) => !t.compacting).map((t) => t.ms);
  const whole = summarize(ticks.map((t) => t.ms));
  console.log(
    `${series}×${points}, ${min}-${max} a second per key (${threadCpu.source}): ` +
      `${line('appends that compacted stores', summarize(compacting))}; ${line('the others', summarize(others))}; ` +
      `${collected.length} appends with a garbage collection (median ${summarize(collected.map((t) => t.ms)).median.toFixed(3)} ms); ` +
      `all: p99/median ${(whole.p99 / whole.median).toFixed(2)}`
  );
}

(async () => {
  for (const c of CASES) {
    await run(c);
  }
})();
