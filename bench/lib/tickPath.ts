/**
 * One poll tick of a counter map as the client runs it (shared by bench/cpu-per-tick, timed in
 * Node, and bench/browser-tick, timed in Chromium): pmproxy's fetch bodies for `series` counters,
 * and today's path from a body to the time-series frame.
 */
import { DataFrame } from '@grafana/data';

import { WideSeriesBuffer } from '../../src/buffers/WideSeriesBuffer';
import { InstanceNames } from '../../src/engine/instanceNames';
import { buildTimeSeriesFrame } from '../../src/frames/timeseries';
import { readFetchAnswer } from '../../src/pmapi/fetchBody';
import { timestampToMs } from '../../src/pmapi/json';
import { seededRandom, summarize, Summary } from './measure';

export const STEP_MS = 1000;
export const T0 = 1_700_000_000_000;
/**
 * How far a sample's time falls after its nominal second, at most (ms): pmcd stamps each fetch
 * with the time it sampled, which the poll timer's lateness and the request's travel move by a few
 * ms. Whether it reaches the rates depends on the path (see SpanSource).
 */
export const SAMPLE_JITTER_MS = 5;

/** The time of sample `tick`: a whole number of steps after T0, plus up to SAMPLE_JITTER_MS. */
export function sampleTime(tick: number, random: () => number): number {
  return T0 + tick * STEP_MS + Math.floor(random() * SAMPLE_JITTER_MS);
}

/**
 * What a counter's rate is divided by, on bpflive's two paths into a buffer. It decides what V8
 * stores in a rate column: an integer is kept in the array itself, a fraction is a heap number of
 * its own (12 bytes more per value, and one more object for the collector to visit).
 * - 'prints': a bpftrace map (ScriptLease passes spanMs, its count of bpftrace's prints × 1 s), so
 *   a rate is a count's growth over whole seconds: an integer unless a gap held two prints.
 * - 'sampleTimes': a PCP metric (MetricWatch passes none), so a rate is a growth over the gap
 *   between pmcd's timestamps, never exactly 1 s: a fraction.
 */
export type SpanSource = 'prints' | 'sampleTimes';

/** The spanMs a sample's append passes on the path `source`: one print per sample. */
export function spanOf(source: SpanSource): number | undefined {
  return source === 'prints' ? STEP_MS : undefined;
}

export const METRIC = 'bpftrace.scripts.s.data.bycomm';
/** The bench's map is a counter (a number metric). */
export const isStringMetric = () => false;
// keyNames as the query path passes them (query/keyNames.ts: `@bycomm[comm]`): each field gets a label.
export const OPTIONS = { refId: 'A', variable: '@bycomm', rate: true, host: 'bench', keyNames: ['comm'] } as const;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** pmproxy's fetch bodies for `series` counters, with increasing counts (a few reset). */
export function bodies(series: number, seed: number): () => string {
  const random = seededRandom(seed);
  const counts = Array.from({ length: series }, () => Math.floor(random() * 1e6));
  let tick = 0;
  return (): string => {
    const t = sampleTime(tick++, random);
    const instances = counts.map((c, i) => {
      counts[i] = random() < 0.0005 ? 0 : c + Math.floor(random() * 5000);
      return `{"instance":${i},"value":${counts[i]}}`;
    });
    // The unpadded fraction pmproxy prints (see pmapi/json.ts), and its closing CR LF.
    const body = `{"context":1,"timestamp":${Math.floor(t / 1000)}.${(t % 1000) * 1000},"values":[{"pmid":"1.2.3","name":"${METRIC}","instances":[${instances.join(',')}]}]}\r\n`;
    // As the browser hands it over (Response.text(): decoded from the bytes, one flat string),
    // not the concatenation made here, which every reader would first have to flatten (a copy).
    return decoder.decode(encoder.encode(body));
  };
}

/**
 * One tick: a fetch body in, the frame out; `migrating` tells whether its buffer is dropping old
 * rows (copying successors), `compacting` whether it is moving its stores' rows after a swap.
 */
export type Path = ((text: string) => DataFrame) & { migrating?: () => boolean; compacting?: () => boolean };

/**
 * Today's engine as ScriptLease runs it: InstanceNames names the instances (the same keys array
 * while they stay), appendRow with the span of one print.
 */
export function newPath(points: number, names: string[]): Path {
  const b = new WideSeriesBuffer({ retentionMs: points * STEP_MS, counter: true });
  const instanceNames = new InstanceNames();
  instanceNames.learn(
    METRIC,
    names.map((name, instance) => ({ instance, name }))
  );
  const tick = (text: string) => {
    // The client's reading of a fetch (PmapiClient.fetchOnce), then what ScriptLease does with it.
    const body = readFetchAnswer(text, isStringMetric);
    const instances = body.values[0].instances;
    b.appendRow(
      timestampToMs(body.timestamp, NaN),
      instanceNames.keysOf(METRIC, instances).keys,
      instances,
      spanOf('prints')
    );
    return buildTimeSeriesFrame(b, OPTIONS);
  };
  return Object.assign(tick, { migrating: () => b.migrating, compacting: () => b.compacting });
}

/**
 * A fixed piece of work as long as a tick, for a control: an arithmetic loop over one small typed
 * array (no allocation, no garbage, the same every time), calibrated with `clockMs` (a function's
 * duration in ms on the clock the ticks are timed with) to take about `medianMs`. Timed as often
 * as the ticks, its p99 / median is what the machine does to a computation that cannot vary
 * (preemption by other processes, caches, frequency changes): a tick's p99 goal cannot be judged
 * below it.
 */
export function fixedWork(medianMs: number, clockMs: (fn: () => void) => number): () => void {
  const data = new Float64Array(4096).map((_, i) => i);
  let sink = 0;
  const loop = (rounds: number) => {
    let sum = 0;
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < data.length; i++) {
        sum += data[i] * 1.000001;
      }
    }
    sink += sum;
    if (sink === 42) {
      throw new Error('never: keeps the loop from being optimized away');
    }
  };
  // Calibrate: rounds per ms from a warmed-up, longer run.
  loop(200);
  const probes = Array.from({ length: 20 }, () => clockMs(() => loop(50))).sort((a, b) => a - b);
  const rounds = Math.max(1, Math.round((50 * medianMs) / Math.max(probes[10], 1e-6)));
  return () => loop(rounds);
}

/** What heldMiB fills: today's buffer or main's (bench/baseline). */
export interface Appendable {
  append(t: number, values: Map<string, number | null>, spanMs?: number): void;
}

/**
 * Memory held by one 200×1800 counter buffer, in MiB by `usedBytes` (which collects garbage
 * first), sampled every 40 appends over its third retention: the steady state of a panel open for
 * a while, past the first eviction cycles (whose columns began with each series' first sample, a
 * gap). Counts from `from`; rates over the spans of `source`.
 */
export function heldMiB(make: () => Appendable, usedBytes: () => number, from: number, source: SpanSource): Summary {
  const series = 200;
  const points = 1800;
  const keys = Array.from({ length: series }, (_, i) => `comm${i}`);
  const random = seededRandom(5);
  const counts = keys.map(() => from + Math.floor(random() * 1e6));
  const values = () => {
    const m = new Map<string, number | null>();
    keys.forEach((k, i) => m.set(k, (counts[i] += Math.floor(random() * 5000))));
    return m;
  };
  const base = usedBytes();
  const b = make();
  const mib: number[] = [];
  for (let i = 0; i < points * 3; i++) {
    b.append(sampleTime(i, random), values(), spanOf(source));
    if (i >= 2 * points && i % 40 === 0) {
      mib.push((usedBytes() - base) / 2 ** 20);
    }
  }
  return summarize(mib);
}
