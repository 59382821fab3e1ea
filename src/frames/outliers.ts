import { DataFrame, FieldType } from '@grafana/data';
import { increaseOverRows, increaseRows } from '../buffers/increase';
import { rawValueAt } from '../buffers/rawStore';
import type { RawValues } from '../buffers/WideSeriesBuffer';

/**
 * Which hosts stand out from their peers for one metric: each host's mean over the range against
 * the mean and standard deviation of the OTHER hosts (leave-one-out). With the host itself in the
 * peers, one runaway host among few would pull the mean and σ towards itself and could never lie
 * k·σ away (of n hosts, |z| stays under (n−1)/√n: never 2 for five hosts).
 */

/** One host's (or one host's instance's) mean in a group of comparable values. */
export interface GroupValue {
  host: string;
  /** What is compared, e.g. `kernel.all.load[1 minute]`: rows of one group share it. */
  series: string;
  value: number;
}

export interface OutlierRow extends GroupValue {
  /** Mean and population standard deviation of the other hosts of the group. */
  peersMean: number;
  sigma: number;
  /** (value − peersMean) / sigma; ±Infinity when the peers all agree and the host differs. */
  z: number;
  outlier: boolean;
}

/** Fewer peers than this and a standard deviation says nothing: no host is marked. */
export const MIN_PEERS = 2;
export const DEFAULT_OUTLIER_K = 2;

/** The rows of every group (by `series`), sorted by |z| descending; groups with too few hosts left out. */
export function outlierRows(values: GroupValue[], k = DEFAULT_OUTLIER_K): OutlierRow[] {
  const groups = new Map<string, GroupValue[]>();
  for (const v of values) {
    if (Number.isFinite(v.value)) {
      const g = groups.get(v.series) ?? [];
      g.push(v);
      groups.set(v.series, g);
    }
  }
  const rows: OutlierRow[] = [];
  for (const group of groups.values()) {
    if (group.length < MIN_PEERS + 1) {
      continue;
    }
    // Sums once; each host's peers are the sums without it.
    let sum = 0;
    let sumSq = 0;
    for (const { value } of group) {
      sum += value;
      sumSq += value * value;
    }
    const n = group.length - 1;
    for (const v of group) {
      const peersMean = (sum - v.value) / n;
      const variance = Math.max(0, (sumSq - v.value * v.value) / n - peersMean * peersMean);
      const sigma = Math.sqrt(variance);
      const diff = v.value - peersMean;
      // Float noise around agreeing peers is no deviation.
      const same = Math.abs(diff) <= 1e-12 * Math.max(1, Math.abs(peersMean));
      const z = same ? 0 : sigma > 0 ? diff / sigma : diff > 0 ? Infinity : -Infinity;
      rows.push({ ...v, peersMean, sigma, z, outlier: Math.abs(z) > k });
    }
  }
  return rows.sort((a, b) => Math.abs(b.z) - Math.abs(a.z) || a.host.localeCompare(b.host));
}

/** The outlier view as a table frame: host, series, value, peers' mean, σ, z, outlier. */
export function outlierTableFrame(refId: string, rows: OutlierRow[], unit?: string): DataFrame {
  const config = unit ? { unit } : {};
  return {
    refId,
    name: 'Outliers',
    length: rows.length,
    fields: [
      { name: 'Host', type: FieldType.string, config: {}, values: rows.map((r) => r.host) },
      { name: 'Series', type: FieldType.string, config: {}, values: rows.map((r) => r.series) },
      { name: 'Mean', type: FieldType.number, config, values: rows.map((r) => r.value) },
      { name: "Peers' mean", type: FieldType.number, config, values: rows.map((r) => r.peersMean) },
      { name: 'σ', type: FieldType.number, config, values: rows.map((r) => r.sigma) },
      { name: 'z', type: FieldType.number, config: { decimals: 2 }, values: rows.map((r) => r.z) },
      { name: 'Outlier', type: FieldType.boolean, config: {}, values: rows.map((r) => r.outlier) },
    ],
  };
}

/**
 * One series' mean over [from, to]: for a counter its mean per-second rate, the increase over the
 * range (the live path's rule, buffers/increase.ts) over the time it covers; else the mean of the
 * samples in the range. null when the range holds nothing to tell.
 */
export function rangeMean(
  times: ArrayLike<number>,
  raw: RawValues,
  counter: boolean,
  from: number,
  to: number
): number | null {
  const rows = increaseRows(times, from, to);
  if (counter) {
    if (rows.first > rows.last) {
      return null;
    }
    const seconds = (times[rows.last] - times[rows.first - 1]) / 1000;
    return seconds > 0 ? increaseOverRows(raw, rows) / seconds : null;
  }
  let sum = 0;
  let n = 0;
  // Row 0 counts for a value (only a counter's first row tells nothing).
  for (let r = Math.max(0, rows.first - 1); r <= rows.last; r++) {
    const v = rawValueAt(raw, r);
    if (times[r] >= from && v !== null) {
      sum += v;
      n++;
    }
  }
  return n ? sum / n : null;
}
