import { DataFrame, FieldType } from '@grafana/data';

import { WideSeriesBuffer } from '../buffers/WideSeriesBuffer';
import { buildFlameGraphFrame } from './flamegraph';
import { buildFlameGraphDiffFrame, DIFF_FIELDS } from './flamegraphDiff';

const T0 = 1_700_000_000_000;

/** A stack key as the PMDA names it: innermost frame first, `+offset`, 4-space indent. */
function kstack(...innermostFirst: string[]): string {
  return '\n' + innermostFirst.map((f, i) => `    ${f}+${i * 7 + 3}\n`).join('');
}

/** Cumulative counts per tick, one row a second from T0 (a counter, as the PMDA reads a count() map). */
function bufferWith(rows: Array<Record<string, number>>): WideSeriesBuffer {
  const b = new WideSeriesBuffer({ retentionMs: 3_600_000, counter: true });
  rows.forEach((row, i) => b.append(T0 + i * 1000, new Map(Object.entries(row))));
  return b;
}

type Row = Record<(typeof DIFF_FIELDS)[number], string | number>;

function rowsOf(frame: DataFrame): Row[] {
  // (A single flame graph has no valueRight/selfRight: read as 0.)
  const columns = DIFF_FIELDS.map((n) => frame.fields.find((f) => f.name === n)?.values ?? []);
  return Array.from(
    { length: frame.length },
    (_, i) => Object.fromEntries(DIFF_FIELDS.map((n, c) => [n, columns[c][i] ?? 0])) as Row
  );
}

/** Path of labels (root excluded) of each row → [value, self, valueRight, selfRight]. */
function byPath(frame: DataFrame): Record<string, number[]> {
  const path: string[] = [];
  const out: Record<string, number[]> = {};
  for (const r of rowsOf(frame)) {
    path.length = Number(r.level);
    path[Number(r.level)] = String(r.label);
    out[path.slice(1).join(';') || '(root)'] = [r.value, r.self, r.valueRight, r.selfRight].map(Number);
  }
  return out;
}

const A = kstack('a_inner', 'shared_mid', 'root_fn');
const B = kstack('b_inner', 'shared_mid', 'root_fn');
const C = kstack('c_only', 'root_fn');

// Baseline tick (row 1): A 10, B 5. Comparison tick (row 2): A +2, B +20, C +7.
const buffer = () => bufferWith([{}, { [A]: 10, [B]: 5 }, { [A]: 12, [B]: 25, [C]: 7 }]);
const BASELINE = { from: T0 + 1000, to: T0 + 1000 };
const COMPARISON = { refId: 'A', from: T0 + 2000, to: T0 + 2000 };

describe('buildFlameGraphDiffFrame', () => {
  it('has the fields of Grafana’s diff form: baseline in value/self, comparison in valueRight/selfRight', () => {
    const frame = buildFlameGraphDiffFrame(buffer(), { ...COMPARISON, baseline: BASELINE });
    expect(frame.fields.map((f) => [f.name, f.type])).toEqual([
      ['label', FieldType.string],
      ['level', FieldType.number],
      ['value', FieldType.number],
      ['self', FieldType.number],
      ['valueRight', FieldType.number],
      ['selfRight', FieldType.number],
    ]);
    expect(frame.meta?.preferredVisualisationType).toBe('flamegraph');
    expect(frame.fields[4].config.unit).toBe('short');
    expect(byPath(frame)).toEqual({
      '(root)': [15, 0, 29, 0],
      root_fn: [15, 0, 29, 0],
      'root_fn;c_only': [0, 0, 7, 7],
      'root_fn;shared_mid': [15, 0, 22, 0],
      'root_fn;shared_mid;a_inner': [10, 10, 2, 2],
      'root_fn;shared_mid;b_inner': [5, 5, 20, 20],
    });
  });

  it('each side equals the single flame graph of its own range', () => {
    const b = buffer();
    const diff = byPath(buildFlameGraphDiffFrame(b, { ...COMPARISON, baseline: BASELINE }));
    const single = (range: { from: number; to: number }) => byPath(buildFlameGraphFrame(b, { refId: 'X', ...range }));
    const left = single(BASELINE);
    const right = single(COMPARISON);
    for (const [path, [value, self, valueRight, selfRight]] of Object.entries(diff)) {
      expect([value, self]).toEqual(left[path] ? left[path].slice(0, 2) : [0, 0]);
      expect([valueRight, selfRight]).toEqual(right[path] ? right[path].slice(0, 2) : [0, 0]);
    }
    // And every path of either side is in the diff.
    expect(Object.keys(diff).sort()).toEqual([...new Set([...Object.keys(left), ...Object.keys(right)])].sort());
  });

  it('is a nested set Grafana can lay out: pre-order, siblings unique and in label order, totals add up', () => {
    const rows = rowsOf(buildFlameGraphDiffFrame(buffer(), { ...COMPARISON, baseline: BASELINE }));
    const kids = (i: number) =>
      rows
        .map((r, j) => ({ r, j }))
        .filter(
          ({ r, j }) =>
            j > i &&
            r.level === Number(rows[i].level) + 1 &&
            !rows.slice(i + 1, j).some((x) => x.level <= rows[i].level)
        );
    rows.forEach((r, i) => {
      const children = kids(i).map(({ r: c }) => c);
      const labels = children.map((c) => String(c.label));
      expect(labels).toEqual([...new Set(labels)].sort());
      for (const [total, own] of [
        ['value', 'self'],
        ['valueRight', 'selfRight'],
      ] as const) {
        expect(r[total]).toBe(Number(r[own]) + children.reduce((s, c) => s + Number(c[total]), 0));
      }
    });
  });

  it('a baseline without samples gives zeros on the left, not a missing field', () => {
    const frame = buildFlameGraphDiffFrame(buffer(), { ...COMPARISON, baseline: { from: T0 - 60_000, to: T0 - 1 } });
    const paths = byPath(frame);
    expect(paths['(root)']).toEqual([0, 0, 29, 0]);
    expect(Object.values(paths).every(([value, self]) => value === 0 && self === 0)).toBe(true);
  });

  it('minSamples leaves out boxes with fewer samples in both ranges together', () => {
    const frame = buildFlameGraphDiffFrame(buffer(), { ...COMPARISON, baseline: BASELINE, minSamples: 10 });
    expect(Object.keys(byPath(frame))).toEqual([
      '(root)',
      'root_fn',
      'root_fn;shared_mid',
      'root_fn;shared_mid;a_inner',
      'root_fn;shared_mid;b_inner',
    ]);
  });

  it('updates both sides as a live panel rebuilds: the same frame as a fresh buffer gives', () => {
    const live = buffer();
    buildFlameGraphDiffFrame(live, { ...COMPARISON, baseline: BASELINE });
    live.append(T0 + 3000, new Map(Object.entries({ [A]: 20, [B]: 25, [C]: 9 })));
    const next = { refId: 'A', from: T0 + 2000, to: T0 + 3000, baseline: { from: T0, to: T0 + 1999 } };
    const fresh = bufferWith([{}, { [A]: 10, [B]: 5 }, { [A]: 12, [B]: 25, [C]: 7 }, { [A]: 20, [B]: 25, [C]: 9 }]);
    expect(byPath(buildFlameGraphDiffFrame(live, next))).toEqual(byPath(buildFlameGraphDiffFrame(fresh, next)));
    expect(byPath(buildFlameGraphDiffFrame(live, next))['root_fn;shared_mid;a_inner']).toEqual([10, 10, 10, 10]);
  });
});
