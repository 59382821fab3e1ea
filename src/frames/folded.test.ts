import { readFileSync } from 'fs';
import { join } from 'path';

import { DataFrame } from '@grafana/data';

import { WideSeriesBuffer } from '../buffers/WideSeriesBuffer';
import { buildFlameGraphFrame } from './flamegraph';
import { buildFlameGraphDiffFrame } from './flamegraphDiff';
import { foldedLabel, foldedStacks } from './folded';

// tests/fixtures/kstacks.json was recorded from the real stack (pmproxy + pmcd + bpftrace PMDA +
// bpftrace 0.17): `profile:hz:99 { @ks[kstack] = count(); @kcomm[comm, kstack] = count(); }`, two
// prints three seconds apart. Filled into a buffer the way the engine does (see flamegraph.test.ts).
interface Fixture {
  samples: Array<{ fetch: string; indom: Record<string, string> }>;
}
const fixture: Fixture = JSON.parse(readFileSync(join(__dirname, '../../tests/fixtures/kstacks.json'), 'utf8'));

function fixtureBuffer(variable: 'ks' | 'kcomm'): { buffer: WideSeriesBuffer; times: number[] } {
  const metric = `bpftrace.scripts.fixture_kstacks.data.${variable}`;
  const buffer = new WideSeriesBuffer({ retentionMs: 3_600_000, counter: true });
  fixture.samples.forEach((sample, i) => {
    const fetched = JSON.parse(sample.fetch);
    const names = new Map<number, string>(
      JSON.parse(sample.indom[metric]).instances.map((x: { instance: number; name: string }) => [x.instance, x.name])
    );
    const t = Math.round(fetched.timestamp * 1000);
    if (i === 0) {
      buffer.append(t - 1000, new Map()); // the maps when the script started
    }
    const instances = fetched.values.find((v: { name: string }) => v.name === metric).instances;
    buffer.append(
      t,
      new Map(instances.map((x: { instance: number; value: number }) => [names.get(x.instance)!, x.value]))
    );
  });
  return { buffer, times: [...buffer.times] };
}

/**
 * A folded-stacks reader, written here from the format's description (as flamegraph.pl reads it:
 * the count is the last blank-separated word, the frames before it are split at ';'), so the test
 * does not trust the writer's own idea of the format. Gives path → counts, summed over repeats.
 */
function parseFolded(text: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const line of text.split('\n')) {
    if (line === '') {
      continue;
    }
    const m = /^(.*?) (\d+(?:\.\d+)?)(?: (\d+(?:\.\d+)?))?$/.exec(line);
    if (!m) {
      throw new Error(`not a folded line: ${JSON.stringify(line)}`);
    }
    const counts = m[3] === undefined ? [Number(m[2])] : [Number(m[2]), Number(m[3])];
    const was = out.get(m[1]);
    out.set(m[1], was ? was.map((c, i) => c + counts[i]) : counts);
  }
  return out;
}

/** The frame's own samples per path (root left out), read from the nested set directly. */
function selfByPath(frame: DataFrame, selfFields: string[]): Map<string, number[]> {
  const col = (n: string) => frame.fields.find((f) => f.name === n)!.values;
  const path: string[] = [];
  const out = new Map<string, number[]>();
  for (let r = 0; r < frame.length; r++) {
    const level = col('level')[r];
    path.length = level;
    path[level] = foldedLabel(col('label')[r]);
    const counts = selfFields.map((n) => col(n)[r]);
    if (level > 0 && counts.some((c) => c > 0)) {
      out.set(path.slice(1).join(';'), counts);
    }
  }
  return out;
}

describe('foldedStacks', () => {
  it('round trip on the real-stack profile: every path with its own samples, root first, adding up to the total', () => {
    const { buffer } = fixtureBuffer('kcomm');
    const frame = buildFlameGraphFrame(buffer, { refId: 'A', from: -Infinity, to: Infinity, keyPartsAsRoots: true });
    const text = foldedStacks(frame);
    const parsed = parseFolded(text);
    expect(parsed).toEqual(selfByPath(frame, ['self']));
    const total = frame.fields.find((f) => f.name === 'value')!.values[0];
    expect([...parsed.values()].reduce((s, [c]) => s + c, 0)).toBe(total);
    // Root first: the comm (a key part) opens each line, the sampled function ends it.
    const idle = [...parsed.keys()].find((p) => p.startsWith('swapper/') && p.endsWith('pv_native_safe_halt'));
    expect(idle).toBeDefined();
    expect(idle!.split(';')[1]).toBe('common_startup_64');
    // Each path once: flamegraph.pl would add repeats, which would mean the writer split a node.
    expect(text.trim().split('\n').length).toBe(parsed.size);
  });

  it('a diff frame folds to two counts per line, baseline then comparison', () => {
    const { buffer, times } = fixtureBuffer('ks');
    const frame = buildFlameGraphDiffFrame(buffer, {
      refId: 'A',
      from: times[2],
      to: times[2],
      baseline: { from: times[1], to: times[1] },
    });
    const parsed = parseFolded(foldedStacks(frame));
    expect(parsed).toEqual(selfByPath(frame, ['self', 'selfRight']));
    const sum = (i: number) => [...parsed.values()].reduce((s, c) => s + c[i], 0);
    const values = (n: string) => frame.fields.find((f) => f.name === n)!.values[0];
    expect([sum(0), sum(1)]).toEqual([values('value'), values('valueRight')]);
    expect(sum(0)).toBeGreaterThan(0);
    expect(sum(1)).toBeGreaterThan(0);
  });

  it('keeps the format’s separators out of labels', () => {
    const frame: DataFrame = {
      fields: [
        { name: 'label', type: 'string' as never, config: {}, values: ['all', 'a;b', 'tab\there', 'x'] },
        { name: 'level', type: 'number' as never, config: {}, values: [0, 1, 2, 2] },
        { name: 'value', type: 'number' as never, config: {}, values: [5, 5, 2, 3] },
        { name: 'self', type: 'number' as never, config: {}, values: [0, 0, 2, 3] },
      ],
      length: 4,
    };
    expect(foldedStacks(frame)).toBe('a:b;tab here 2\na:b;x 3\n');
  });

  it('an empty range folds to nothing, and a frame that is no flame graph is refused', () => {
    const { buffer, times } = fixtureBuffer('ks');
    expect(foldedStacks(buildFlameGraphFrame(buffer, { refId: 'A', from: times[2] + 1, to: Infinity }))).toBe('');
    expect(() => foldedStacks({ fields: [], length: 0 })).toThrow(/not a flame graph/);
  });
});
