/**
 * buildFlameGraphFrame on a big kernel profile: 10,000 distinct stacks of depth 40 drawn from a
 * call graph of 400 functions (so stacks share prefixes as real ones do), 60 one-second samples
 * of cumulative counts each, in a WideSeriesBuffer; the range leaves the first and the last sample
 * outside it (rows 1–58 count).
 *
 * Live ticks, before (main's builder before issue 13: bench/baseline/flamegraph.ts) and after in
 * the same run: one more print appended, then the frame for the last 58 s; and the first build.
 * Goals (issue 13): ≤ 15 ms per tick and ≤ 60 ms for the first build (medians). Also the heap
 * of such a profile's buffer (forced GC), with and without the rate column stack maps used to keep.
 *
 * Measured: warm (the same buffer again: a live panel's rebuild each poll, key parsing cached),
 * cold (a buffer never built before: every key parsed; the first build of a panel), and, for
 * comparison, a naive build of the same frame (regex split per build, an object trie, recursion,
 * MutableDataFrame.add() per row), checked to give the same rows.
 *
 * Run: npm run bench -- flamegraph
 */
import { DataFrame, FieldType, MutableDataFrame } from '@grafana/data';

import { WideSeriesBuffer } from '../src/buffers/WideSeriesBuffer';
import { STACK_HISTORY } from '../src/engine/ScriptLease';
import { buildFlameGraphFrame as mainBuild } from './baseline/flamegraph';
import type { WideSeriesBuffer as MainBuffer } from './baseline/WideSeriesBuffer';
import { buildFlameGraphFrame, FlameGraphFrameOptions } from '../src/frames/flamegraph';
import {
  collectGarbage,
  collectGarbageAndSettle,
  measure,
  printTable,
  seededRandom,
  summarize,
  Summary,
} from './lib/measure';

const STACKS = 10_000;
const DEPTH = 40;
const FUNCTIONS = 400;
const SAMPLES = 60;
const STEP_MS = 1000;
const T0 = 1_700_000_000_000;
const RUNS = 25;
const COLD_RUNS = 20;
const NAIVE_RUNS = 5;
const TICK_GOAL_MS = 15;
const FIRST_GOAL_MS = 60;
const LIVE_TICKS = 20;
const OPTIONS: FlameGraphFrameOptions = {
  refId: 'A',
  from: T0 + STEP_MS / 2,
  to: T0 + (SAMPLES - 1) * STEP_MS - STEP_MS / 2,
};

/**
 * Stack keys as the PMDA names them (innermost first, `sym+off`), with a sampling weight each.
 * Tree-like: most stacks copy a prefix of an earlier one (a deep one, usually) and walk on from
 * there through the call graph, so stacks share their callers and differ towards the leaves,
 * as in real profiles.
 */
function makeStacks(seed: number): Array<{ key: string; weight: number }> {
  const random = seededRandom(seed);
  const prefixes = ['do_', 'vfs_', 'ext4_', 'tcp_', 'sched_', '__x64_sys_', 'mm_', 'blk_', 'irq_', 'kmem_'];
  const verbs = ['read', 'write', 'alloc', 'lookup', 'flush', 'wait'];
  const names = Array.from({ length: FUNCTIONS }, (_, i) => `${prefixes[i % prefixes.length]}${verbs[i % 6]}_${i}`);
  // Each function calls a few others, the first ones far more often (a skewed call graph).
  const callees = names.map(() =>
    Array.from({ length: 2 + Math.floor(random() * 6) }, () => Math.floor(random() * FUNCTIONS))
  );
  const entries = [0, 1, 2, 3, 4, 5];
  const pick = <T>(xs: T[]): T => xs[Math.floor(Math.pow(random(), 2.5) * xs.length)];
  const seen = new Set<string>();
  const paths: number[][] = [];
  const stacks: Array<{ key: string; weight: number }> = [];
  while (stacks.length < STACKS) {
    let path: number[];
    if (paths.length === 0 || random() < 0.02) {
      path = [pick(entries)];
    } else {
      const from = paths[Math.floor(random() * paths.length)];
      path = from.slice(0, DEPTH - 1 - Math.floor(Math.pow(random(), 2) * (DEPTH - 2)));
    }
    while (path.length < DEPTH) {
      path.push(pick(callees[path[path.length - 1]]));
    }
    // Return addresses: fixed per call site; the sampled frame's offset varies.
    const lines = path.map((fn, d) =>
      d === DEPTH - 1
        ? `    ${names[fn]}+${1 + Math.floor(random() * 200)}`
        : `    ${names[fn]}+${(fn * 31 + path[d + 1] * 7) % 900}`
    );
    const key = '\n' + lines.reverse().join('\n') + '\n';
    if (!seen.has(key)) {
      seen.add(key);
      paths.push(path);
      stacks.push({ key, weight: 0.3 + Math.pow(random(), 4) * 20 });
    }
  }
  return stacks;
}

/** A profile's prints: the first holds every stack (the range starts after it); later ones add samples. */
function prints(stacks: Array<{ key: string; weight: number }>, seed: number) {
  const random = seededRandom(seed);
  const counts = stacks.map(() => 0);
  let s = 0;
  return (): [number, Map<string, number | null>] => {
    const values = new Map<string, number | null>();
    stacks.forEach((st, i) => {
      counts[i] += s === 0 ? 1 : Math.floor(st.weight * random() * 2);
      values.set(st.key, counts[i]);
    });
    return [T0 + s++ * STEP_MS, values];
  };
}

function makeBuffer(stacks: Array<{ key: string; weight: number }>, seed: number) {
  const buffer = new WideSeriesBuffer({ retentionMs: 30 * 60_000, counter: true, ...STACK_HISTORY });
  const next = prints(stacks, seed);
  for (let s = 0; s < SAMPLES; s++) {
    const [t, values] = next();
    buffer.append(t, values);
  }
  return { buffer, next };
}

/** Live ticks: append a print, build the last 58 s; the first build separately. Before and after alternate. */
function live(stacks: Array<{ key: string; weight: number }>): Array<[string, Summary]> {
  const builders = [
    (b: WideSeriesBuffer, o: FlameGraphFrameOptions) => mainBuild(b as unknown as MainBuffer, o),
    buildFlameGraphFrame,
  ];
  // Which builder goes first alternates, in the first builds and in the ticks, and each build
  // starts after a collection that had time to finish (collectGarbageAndSettle): the collection
  // frees the other builder's garbage (the old builder's first build leaves ~10× the new one's),
  // and V8 sweeps it while the next build runs, so one side paid for the other (new first builds
  // 52.5 and 75.4 ms in two runs, bimodal, with the pause and the turns missing).
  const inTurn = (i: number) => (i % 2 === 0 ? [0, 1] : [1, 0]);
  const firsts: number[][] = [[], []];
  for (let rep = 0; rep < 6; rep++) {
    for (const k of inTurn(rep)) {
      const { buffer } = makeBuffer(stacks, 2);
      collectGarbageAndSettle();
      const [s] = measure(1, 0, () => builders[k](buffer, OPTIONS));
      firsts[k].push(s.wallMs);
    }
  }
  const ticks: number[][] = [[], []];
  const runs = builders.map((build) => ({ build, ...makeBuffer(stacks, 2) }));
  runs.forEach((r) => r.build(r.buffer, OPTIONS));
  for (let i = 0; i < LIVE_TICKS; i++) {
    inTurn(i).forEach((k) => {
      const r = runs[k];
      const [t, values] = r.next();
      r.buffer.append(t, values);
      const options = { ...OPTIONS, from: t - (SAMPLES - 2) * STEP_MS, to: Infinity };
      collectGarbageAndSettle();
      const [s] = measure(1, 0, () => r.build(r.buffer, options));
      ticks[k].push(s.wallMs);
    });
  }
  return [
    ['first build, before', summarize(firsts[0])],
    ['first build, after', summarize(firsts[1])],
    ['live tick, before', summarize(ticks[0])],
    ['live tick, after', summarize(ticks[1])],
  ];
}

/** Heap (after GC) held by a buffer of the profile at `rows` prints (one a second). */
function heapOf(stacks: Array<{ key: string; weight: number }>, rows: number, options: object): number {
  collectGarbage();
  const base = process.memoryUsage().heapUsed;
  const buffer = new WideSeriesBuffer({ retentionMs: 30 * 60_000, counter: true, ...options });
  const next = prints(stacks, 3);
  for (let s = 0; s < rows; s++) {
    const [t, values] = next();
    buffer.append(t, values);
  }
  collectGarbage();
  const mb = (process.memoryUsage().heapUsed - base) / 1e6;
  if (buffer.length === 0) {
    throw new Error('empty buffer');
  }
  return mb;
}

// ---------------------------------------------------------------------------------------------
// The naive way, for comparison. Same semantics (range deltas, offsets stripped, siblings by label).

interface NaiveNode {
  self: number;
  total: number;
  children: Record<string, NaiveNode>;
}

/** Where the naive build's time goes, summed over its runs. */
const naivePhases = { parseAndTree: 0, totals: 0, mutableFrameRows: 0 };

function naiveBuild(buffer: WideSeriesBuffer, options: FlameGraphFrameOptions): DataFrame {
  let t = performance.now();
  const times = buffer.times;
  const root: NaiveNode = { self: 0, total: 0, children: {} };
  for (const key of buffer.keys()) {
    const column = buffer.column(key, 'raw')!;
    let samples = 0;
    for (let r = 1; r < times.length; r++) {
      if (times[r] < options.from || times[r] > options.to) {
        continue;
      }
      const v = column[r];
      const prev = column[r - 1];
      if (v !== null) {
        const d = prev === null || v < prev ? v : v - prev;
        samples += d > 0 ? d : 0;
      }
    }
    if (samples <= 0) {
      continue;
    }
    const frames = key
      .split('\n')
      .map((line) => line.trim().replace(/\+(0x[0-9a-f]+|\d+)$/i, ''))
      .filter((f) => f !== '')
      .reverse();
    let node = root;
    for (const f of frames) {
      node = node.children[f] ??= { self: 0, total: 0, children: {} };
    }
    node.self += samples;
  }
  naivePhases.parseAndTree += performance.now() - t;
  t = performance.now();
  const totals = (n: NaiveNode): number => {
    n.total = n.self + Object.values(n.children).reduce((s, c) => s + totals(c), 0);
    return n.total;
  };
  totals(root);
  naivePhases.totals += performance.now() - t;
  t = performance.now();
  const frame = new MutableDataFrame({
    refId: options.refId,
    fields: [
      { name: 'label', type: FieldType.string, values: [] },
      { name: 'level', type: FieldType.number, values: [] },
      { name: 'value', type: FieldType.number, values: [], config: { unit: 'short' } },
      { name: 'self', type: FieldType.number, values: [], config: { unit: 'short' } },
    ],
  });
  const emit = (label: string, n: NaiveNode, level: number) => {
    frame.add({ label, level, value: n.total, self: n.self });
    for (const name of Object.keys(n.children).sort()) {
      emit(name, n.children[name], level + 1);
    }
  };
  if (root.total > 0) {
    emit('all', root, 0);
  }
  frame.meta = { preferredVisualisationType: 'flamegraph' };
  naivePhases.mutableFrameRows += performance.now() - t;
  return frame;
}

function sameRows(a: DataFrame, b: DataFrame): boolean {
  if (a.length !== b.length) {
    return false;
  }
  return ['label', 'level', 'value', 'self'].every((name) => {
    const x = a.fields.find((f) => f.name === name)!.values;
    const y = b.fields.find((f) => f.name === name)!.values;
    for (let i = 0; i < a.length; i++) {
      if (x[i] !== y[i]) {
        return false;
      }
    }
    return true;
  });
}

function main(): void {
  let t = performance.now();
  const stacks = makeStacks(1);
  const { buffer } = makeBuffer(stacks, 2);
  const distinctFrames = new Set(stacks.flatMap((s) => s.key.split('\n').map((l) => l.trim().replace(/\+\d+$/, ''))));
  console.log(
    `flamegraph: ${buffer.keys().length} stacks × depth ${DEPTH} (${distinctFrames.size - 1} distinct functions), ` +
      `${buffer.length} samples each; range = rows 1–${SAMPLES - 2}; data made in ${(performance.now() - t).toFixed(0)} ms`
  );

  // Warm: the same buffer again and again (a live panel's rebuild per poll).
  let frame: DataFrame | undefined;
  t = performance.now();
  frame = buildFlameGraphFrame(buffer, OPTIONS);
  const firstMs = performance.now() - t;
  const warm = measure(RUNS, 3, () => {
    frame = buildFlameGraphFrame(buffer, OPTIONS);
  });
  const rows = frame!.length;
  const total = frame!.fields[2].values[0];

  // Cold: a buffer never built before, with the same data (built outside the timing).
  const coldWall: number[] = [];
  const coldCpu: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const { buffer: fresh } = makeBuffer(stacks, 2);
    const [s] = measure(1, 0, () => buildFlameGraphFrame(fresh, OPTIONS));
    coldWall.push(s.wallMs);
    coldCpu.push(s.cpuMs);
  }

  // Naive, over the same 10,000 stacks.
  let naiveFrame: DataFrame | undefined;
  const naive = measure(NAIVE_RUNS, 1, () => {
    naiveFrame = naiveBuild(buffer, OPTIONS);
  });
  const naiveRuns = NAIVE_RUNS + 1;
  if (!sameRows(frame!, naiveFrame!)) {
    throw new Error('buildFlameGraphFrame and the naive build differ');
  }

  console.log(`frame: ${rows} rows (nodes), ${total} samples in the range; first build ${firstMs.toFixed(1)} ms`);
  console.log('ms per buildFlameGraphFrame:');
  const warmWall = summarize(warm.map((s) => s.wallMs));
  const cold = summarize(coldWall);
  const naiveWall = summarize(naive.map((s) => s.wallMs));
  printTable([
    ['warm wall (same buffer)', warmWall],
    ['warm CPU', summarize(warm.map((s) => s.cpuMs))],
    ['cold wall (new buffer)', cold],
    ['cold CPU', summarize(coldCpu)],
    [`naive wall (${NAIVE_RUNS} runs)`, naiveWall],
  ]);
  console.log(
    `naive, mean per run: split keys + object tree ${(naivePhases.parseAndTree / naiveRuns).toFixed(1)} ms, ` +
      `recursive totals ${(naivePhases.totals / naiveRuns).toFixed(1)} ms, ` +
      `sorted recursion + MutableDataFrame.add() per row ${(naivePhases.mutableFrameRows / naiveRuns).toFixed(1)} ms`
  );
  console.log(
    `median: warm ${warmWall.median.toFixed(1)} ms, cold ${cold.median.toFixed(1)} ms, naive ${naiveWall.median.toFixed(0)} ms`
  );

  const liveRows = live(stacks);
  console.log('before (main before issue 13) and after, same data, same run (wall ms):');
  printTable(liveRows);
  const [firstBefore, firstAfter, tickBefore, tickAfter] = liveRows.map(([, s]) => s);
  const met = tickAfter.median <= TICK_GOAL_MS && firstAfter.median <= FIRST_GOAL_MS;
  console.log(
    `live tick: median ${tickAfter.median.toFixed(1)} ms (before ${tickBefore.median.toFixed(1)} ms, ×${(
      tickBefore.median / tickAfter.median
    ).toFixed(
      1
    )}); first build: median ${firstAfter.median.toFixed(1)} ms (before ${firstBefore.median.toFixed(1)} ms, ×${(
      firstBefore.median / firstAfter.median
    ).toFixed(1)}); goals ≤ ${TICK_GOAL_MS} ms per tick, ≤ ${FIRST_GOAL_MS} ms first: ` +
      `tick ${tickAfter.median <= TICK_GOAL_MS ? 'MET' : 'MISSED'}, first ${firstAfter.median <= FIRST_GOAL_MS ? 'MET' : 'MISSED'}`
  );

  // Before: a rate column and every row (measured at 5 minutes, × 6: it grows linearly).
  // After: the settings ScriptLease gives a stack map, measured over the full 30 minutes.
  const before = heapOf(stacks, 300, { rates: true }) * 6;
  const after = heapOf(stacks, 1800, STACK_HISTORY);
  console.log(
    `memory of the ${STACKS}-stack profile over 30 minutes (heap after GC): before ${before.toFixed(0)} MB ` +
      `(5 min measured × 6), after ${after.toFixed(0)} MB (measured); goal ≤ 50 MB: ${after <= 50 ? 'MET' : 'MISSED'}`
  );
  if (!met) {
    process.exitCode = 1;
  }
}

main();
