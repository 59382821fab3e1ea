/**
 * The browser side of bench/browser-tick.bench.ts: today's tick (lib/tickPath.ts) and the control
 * loop, timed in the page with performance.now() (5 µs steps: the page is cross-origin isolated),
 * back to back or paced (one tick per task, as polls run). Bundled for the browser by the bench.
 */
import { collectGarbage } from '../lib/measure';
import { WideSeriesBuffer } from '../../src/buffers/WideSeriesBuffer';
import { bodies, fixedWork, heldMiB, newPath, Path, SpanSource, STEP_MS } from '../lib/tickPath';

export interface TickPageApi {
  /** A buffer of `series` counters filled with `points` ticks (a full retention). */
  prepare(series: number, points: number): void;
  /**
   * After a forced collection, `n` more ticks: each one's start (performance.now()) and duration
   * in ms, and whether its buffer was dropping old rows.
   */
  ticks(
    n: number,
    paced: boolean
  ): Promise<{ start: number[]; ms: number[]; migrating: boolean[]; compacting: boolean[] }>;
  /** A user-timing mark, and the performance.now() it was made at: ties the page's clock to a trace's. */
  mark(name: string): number;
  /** The control: a fixed loop as long as `medianMs`, timed `n` times the same way. */
  control(medianMs: number, n: number, paced: boolean): Promise<number[]>;
  /**
   * The JS heap held by one 200×1800 counter buffer (lib/tickPath.ts heldMiB), median MiB, its
   * rates over the spans of `source`. The JS heap only: Chrome's
   * performance.memory leaves out array buffers' stores (the raw counts), the same for both.
   */
  memory(source: SpanSource): number;
  /** performance.now()'s step here, ms, and whether the page is cross-origin isolated. */
  clock(): { stepMs: number; isolated: boolean };
}

let tick: Path | undefined;
let next: (() => string) | undefined;

/** The next task: what lies between two polls' ticks (each runs when its fetch's answer arrives). */
function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function timed(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

const api: TickPageApi = {
  prepare(series, points) {
    tick = newPath(
      points,
      Array.from({ length: series }, (_, i) => `comm${i}`)
    );
    next = bodies(series, series * points);
    for (let i = 0; i < points; i++) {
      tick(next());
    }
  },
  async ticks(n, paced) {
    collectGarbage();
    const start: number[] = [];
    const ms: number[] = [];
    const migrating: boolean[] = [];
    const compacting: boolean[] = [];
    for (let i = 0; i < n; i++) {
      if (paced) {
        await nextTask();
      }
      const text = next!();
      const before = tick!.migrating!();
      const compactingBefore = tick!.compacting!();
      const t0 = performance.now();
      tick!(text);
      start.push(t0);
      ms.push(performance.now() - t0);
      migrating.push(before || tick!.migrating!());
      compacting.push(!migrating[i] && (compactingBefore || tick!.compacting!()));
    }
    return { start, ms, migrating, compacting };
  },
  async control(medianMs, n, paced) {
    const work = fixedWork(medianMs, timed);
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      if (paced) {
        await nextTask();
      }
      ms.push(timed(work));
    }
    return ms;
  },
  memory(source) {
    // A new snapshot each time: performance.memory's object keeps the figures it was made with.
    const heap = () => (performance as unknown as { memory: { usedJSHeapSize: number } }).memory;
    const used = () => {
      collectGarbage();
      collectGarbage();
      return heap().usedJSHeapSize;
    };
    return heldMiB(() => new WideSeriesBuffer({ retentionMs: 1800 * STEP_MS, counter: true }), used, 0, source).median;
  },
  mark(name) {
    return performance.mark(name).startTime;
  },
  clock() {
    // The smallest step between distinct readings.
    let step = Infinity;
    let last = performance.now();
    for (let i = 0; i < 100_000 && step > 0.001; i++) {
      const now = performance.now();
      if (now !== last) {
        step = Math.min(step, now - last);
        last = now;
      }
    }
    return { stepMs: step, isolated: globalThis.crossOriginIsolated === true };
  },
};

(globalThis as unknown as { tickPage: TickPageApi }).tickPage = api;
