import { outlierRows, outlierTableFrame } from './outliers';

const group = (values: Record<string, number>, series = 'kernel.all.load') =>
  Object.entries(values).map(([host, value]) => ({ host, series, value }));

describe('outlierRows', () => {
  it("marks a host outside its peers' mean ± k·σ, leaving it out of its own peers", () => {
    const rows = outlierRows(group({ a: 1, b: 1.2, c: 0.8, d: 1.1, e: 9 }));
    expect(rows[0]).toMatchObject({ host: 'e', outlier: true });
    // Peers of e: 1, 1.2, 0.8, 1.1 → mean 1.025, σ = √0.021875.
    expect(rows[0].peersMean).toBeCloseTo(1.025, 10);
    expect(rows[0].sigma).toBeCloseTo(Math.sqrt(0.021875), 10);
    expect(rows[0].z).toBeCloseTo((9 - 1.025) / Math.sqrt(0.021875), 8);
    expect(rows.filter((r) => r.outlier).map((r) => r.host)).toEqual(['e']);
  });

  it('sorts by |z| and honours k', () => {
    const values = group({ a: 10, b: 11, c: 12, d: 13, e: 20 });
    expect(outlierRows(values).map((r) => r.host)[0]).toBe('e');
    const strict = outlierRows(values, 100);
    expect(strict.some((r) => r.outlier)).toBe(false);
    const abs = strict.map((r) => Math.abs(r.z));
    expect(abs).toEqual([...abs].sort((x, y) => y - x));
  });

  it('marks a host that differs from peers that all agree (σ 0), and none when all agree', () => {
    const rows = outlierRows(group({ a: 5, b: 5, c: 5, d: 7 }));
    expect(rows[0]).toMatchObject({ host: 'd', z: Infinity, outlier: true });
    expect(outlierRows(group({ a: 5, b: 5, c: 5 })).every((r) => r.z === 0 && !r.outlier)).toBe(true);
  });

  it('compares only within a group (one metric and instance) and skips groups of fewer than three hosts', () => {
    const rows = outlierRows([
      ...group({ a: 1, b: 1, c: 50 }, 'load[1 minute]'),
      ...group({ a: 100, b: 1 }, 'load[5 minute]'),
      { host: 'x', series: 'load[1 minute]', value: NaN },
    ]);
    expect(rows.every((r) => r.series === 'load[1 minute]')).toBe(true);
    expect(rows).toHaveLength(3);
  });

  it('builds a table frame in the sorted order', () => {
    const frame = outlierTableFrame('A', outlierRows(group({ a: 1, b: 1.1, c: 0.9, d: 30 })), 'percent');
    expect(frame.fields.map((f) => f.name)).toEqual(['Host', 'Series', 'Mean', "Peers' mean", 'σ', 'z', 'Outlier']);
    expect(frame.fields[0].values[0]).toBe('d');
    expect(frame.fields[6].values[0]).toBe(true);
    expect(frame.fields[2].config.unit).toBe('percent');
  });
});
