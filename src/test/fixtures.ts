/**
 * Readers of tests/fixtures/*.json, which were recorded from the real stack (pmproxy + pmcd +
 * bpftrace PMDA + bpftrace 0.17, see tests/fixtures/README.md), and small buffers for frame tests.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { WideSeriesBuffer } from '../buffers/WideSeriesBuffer';
import { InstanceNames } from '../engine/instanceNames';
import { ScriptLease } from '../engine/ScriptLease';

export const T0 = 1_700_000_000_000;

export interface FixtureSample {
  t: number;
  values: Map<string, number | null>;
}

export function readFixture(file: string) {
  return JSON.parse(readFileSync(join(__dirname, '../../tests/fixtures', file), 'utf8'));
}

/** The accumulated printf text (@output) of one sample. */
export function fixtureOutput(file: string, sample: number): string {
  const fetch = JSON.parse(readFixture(file).samples[sample].fetch);
  return fetch.values.find((v: { name: string }) => v.name.endsWith('.data.output')).instances[0].value;
}

/** The fixture's samples of one variable as the engine appends them: time in ms, instance name → value. */
export function fixtureSamples(file: string, variable: string): FixtureSample[] {
  return readFixture(file).samples.map((s: { fetch: string; indom: Record<string, string> }) => {
    const fetch = JSON.parse(s.fetch);
    const metric = fetch.values.find((v: { name: string }) => v.name.endsWith(`.data.${variable}`));
    const indom = s.indom[metric.name];
    const names = new Map<number, string>(
      indom ? JSON.parse(indom).instances.map((i: { instance: number; name: string }) => [i.instance, i.name]) : []
    );
    const values = new Map<string, number | null>();
    for (const i of metric.instances) {
      values.set(i.instance === null ? '' : names.get(i.instance)!, typeof i.value === 'number' ? i.value : null);
    }
    return { t: Math.round(fetch.timestamp * 1000), values };
  });
}

/** A counter buffer holding the fixture's samples of one variable. */
export function fixtureBuffer(file: string, variable: string): { buffer: WideSeriesBuffer; samples: FixtureSample[] } {
  const samples = fixtureSamples(file, variable);
  const buffer = new WideSeriesBuffer({ retentionMs: 600_000, counter: true });
  samples.forEach((s) => buffer.append(s.t, s.values));
  return { buffer, samples };
}

/** Rows one second apart from T0. */
export function bufferWith(counter: boolean, rows: Array<Record<string, number | null>>): WideSeriesBuffer {
  const b = new WideSeriesBuffer({ retentionMs: 60_000, counter });
  rows.forEach((row, i) => b.append(T0 + i * 1000, new Map(Object.entries(row))));
  return b;
}

/**
 * A lease that read a fixture's samples through its real path (registered with the PMDA's
 * read-back, then observe() per sample), as the datasource would have on the real stack. The
 * fixture's script is named, so its metrics carry the name where a lease has the script id.
 */
export function fixtureLease(file: string, sampleCount?: number): ScriptLease {
  const fx = readFixture(file);
  const record = JSON.parse(JSON.parse(fx.readBack).values[0].instances[0].value);
  const name = /\/\/ name: (\w+)/.exec(fx.code)![1];
  const lease = new ScriptLease('k', fx.code, { retentionMs: 600_000, pollIntervalMs: 1000, mayControl: true });
  lease.hold('test');
  lease.registerStarted();
  lease.registered({ script_id: name, variables: record.variables }, T0);
  const samples = fx.samples.slice(0, sampleCount ?? fx.samples.length);
  samples.forEach((s: { fetch: string; indom: Record<string, string> }, i: number) => {
    const fetch = JSON.parse(s.fetch);
    const names = new InstanceNames();
    for (const [metric, text] of Object.entries(s.indom)) {
      names.learn(metric, JSON.parse(text).instances);
    }
    const t = T0 + (i + 1) * 3000;
    lease.observe(
      {
        t,
        values: new Map(fetch.values.map((v: { name: string }) => [v.name, v])),
        keysOf: (metric, instances) => names.keysOf(metric, instances),
      },
      t
    );
  });
  return lease;
}
