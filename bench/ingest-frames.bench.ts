/**
 * CPU per poll tick to ingest one fetch and emit the time-series frame, for 200 counter series
 * at 30 minutes' retention (1 s ticks, 1800 points each) with rate conversion.
 * Target: ≤ 2 ms median. Compared with a naive full rebuild of the same frame each tick.
 *
 * Run: npm run bench  (or: npm run bench -- ingest-frames)
 */
import { DataFrame, FieldType, MutableDataFrame } from '@grafana/data';

import { WideSeriesBuffer } from '../src/buffers/WideSeriesBuffer';
import { buildTimeSeriesFrame, defaultDisplayName } from '../src/frames/timeseries';
import { measure, printTable, seededRandom, summarize } from './lib/measure';

const SERIES = 200;
const POINTS = 1800;
const STEP_MS = 1000;
const RETENTION_MS = POINTS * STEP_MS;
const TICKS = 4000; // measured incremental ticks: spans ~7 migrations (one per ~540 ticks)
const NAIVE_TICKS = 300;
const T0 = 1_700_000_000_000;
const OPTIONS = { refId: 'A', variable: '@bycomm', rate: true, host: 'bench' } as const;

/** A stream of fetches: 200 keys with random, increasing counts (a few reset, like bpftrace clear()). */
function fetches(seed: number) {
  const random = seededRandom(seed);
  const keys = Array.from({ length: SERIES }, (_, i) => `comm${i}`);
  const counts = keys.map(() => Math.floor(random() * 1e6));
  let tick = 0;
  return (): [number, Map<string, number | null>] => {
    const values = new Map<string, number | null>();
    for (let k = 0; k < SERIES; k++) {
      counts[k] = random() < 0.0005 ? 0 : counts[k] + Math.floor(random() * 5000);
      values.set(keys[k], counts[k]);
    }
    return [T0 + tick++ * STEP_MS, values];
  };
}

function prefilled(seed: number): { buffer: WideSeriesBuffer; next: ReturnType<typeof fetches> } {
  const buffer = new WideSeriesBuffer({ retentionMs: RETENTION_MS, counter: true });
  const next = fetches(seed);
  for (let i = 0; i < POINTS; i++) {
    const [t, v] = next();
    buffer.append(t, v);
  }
  return { buffer, next };
}

/**
 * The naive way (what grafana-pcp does each query): recompute every rate from the raw history and
 * copy it into a new MutableDataFrame, one addField per series.
 */
function naiveRebuild(buffer: WideSeriesBuffer): DataFrame {
  const times = buffer.times;
  const frame = new MutableDataFrame({ refId: OPTIONS.refId, name: OPTIONS.variable, fields: [] });
  frame.addField({ name: 'Time', type: FieldType.time, values: times.slice() });
  for (const key of buffer.keys()) {
    const raw = buffer.column(key, 'raw')!;
    const rates: Array<number | null> = new Array(raw.length);
    rates[0] = null;
    for (let i = 1; i < raw.length; i++) {
      const a = raw[i - 1];
      const b = raw[i];
      rates[i] = a !== null && b !== null && b >= a ? (b - a) / ((times[i] - times[i - 1]) / 1000) : null;
    }
    frame.addField({
      name: key,
      type: FieldType.number,
      values: rates,
      config: { displayNameFromDS: defaultDisplayName(OPTIONS.variable, key) },
    });
  }
  return frame;
}

/** Only the copying: a plain frame whose fields are copies of the buffer's rate columns. */
function copyRebuild(buffer: WideSeriesBuffer): DataFrame {
  const frame = buildTimeSeriesFrame(buffer, OPTIONS);
  return { ...frame, fields: frame.fields.map((f) => ({ ...f, values: f.values.slice() })) };
}

function main(): void {
  console.log(
    `ingest-frames: ${SERIES} counter series × ${POINTS} points (${RETENTION_MS / 60000} min at ${STEP_MS / 1000} s), rate on`
  );

  // Incremental: append one fetch + buildTimeSeriesFrame (fields reference the buffer's columns).
  const inc = prefilled(1);
  let last: DataFrame | undefined;
  const lengths: number[] = [];
  const incSamples = measure(TICKS, 300, () => {
    const [t, v] = inc.next();
    inc.buffer.append(t, v);
    last = buildTimeSeriesFrame(inc.buffer, OPTIONS);
    lengths.push(last.length);
  });

  // Naive: the same append + a full rebuild of the same frame.
  const naive = prefilled(1);
  let naiveLast: DataFrame | undefined;
  const naiveSamples = measure(NAIVE_TICKS, 20, () => {
    const [t, v] = naive.next();
    naive.buffer.append(t, v);
    naiveLast = naiveRebuild(naive.buffer);
  });

  // Copy-only: the same append + a frame of copied columns (no rate recompute, no MutableDataFrame).
  const copy = prefilled(1);
  const copySamples = measure(NAIVE_TICKS, 20, () => {
    const [t, v] = copy.next();
    copy.buffer.append(t, v);
    copyRebuild(copy.buffer);
  });

  // Same data, same frame: check that both paths agree on the final tick of the naive run.
  const check = buildTimeSeriesFrame(naive.buffer, OPTIONS);
  if (!sameFrame(check, naiveLast!)) {
    throw new Error('incremental and naive frames differ');
  }
  if (last!.fields.length !== SERIES + 1) {
    throw new Error(`expected ${SERIES + 1} fields, got ${last!.fields.length}`);
  }

  const incCpu = summarize(incSamples.map((s) => s.cpuMs));
  const incWall = summarize(incSamples.map((s) => s.wallMs));
  const naiveCpu = summarize(naiveSamples.map((s) => s.cpuMs));
  const naiveWall = summarize(naiveSamples.map((s) => s.wallMs));
  const copyCpu = summarize(copySamples.map((s) => s.cpuMs));
  console.log(
    `rows per frame during the run: ${Math.min(...lengths)}–${Math.max(...lengths)} (old rows dropped once 15 % past the retention)`
  );
  console.log('ms per tick (ingest one fetch + emit the frame):');
  printTable([
    ['incremental  CPU', incCpu],
    ['incremental  wall', incWall],
    ['naive rebuild CPU', naiveCpu],
    ['naive rebuild wall', naiveWall],
    ['copy-only rebuild CPU', copyCpu],
  ]);
  const ratio = naiveCpu.median / incCpu.median;
  console.log(
    `median CPU: incremental ${incCpu.median.toFixed(3)} ms (p90 ${incCpu.p90.toFixed(3)} ms), ` +
      `naive rebuild ${naiveCpu.median.toFixed(2)} ms → ratio ${ratio.toFixed(0)}× (means: ${(naiveCpu.mean / incCpu.mean).toFixed(0)}×); target ≤ 2 ms median: ` +
      (incCpu.median <= 2 ? 'MET' : 'MISSED')
  );
  console.log(
    `amortized (mean incl. evictions): ${incCpu.mean.toFixed(3)} ms; worst tick (an eviction): ${incCpu.max.toFixed(2)} ms`
  );
  if (incCpu.median > 2) {
    process.exitCode = 1;
  }
}

function sameFrame(a: DataFrame, b: DataFrame): boolean {
  if (a.length !== b.length || a.fields.length !== b.fields.length) {
    return false;
  }
  return a.fields.every((f, i) => {
    const g = b.fields[i];
    if (f.name !== g.name || f.config.displayNameFromDS !== g.config.displayNameFromDS) {
      return false;
    }
    // Row 0 may differ: after eviction the buffer keeps the rate it computed from an evicted row.
    for (let r = i === 0 ? 0 : 1; r < a.length; r++) {
      if (f.values[r] !== g.values[r]) {
        return false;
      }
    }
    return true;
  });
}

main();
