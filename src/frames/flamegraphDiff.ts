import { DataFrame, FieldType } from '@grafana/data';

import type { WideSeriesBuffer } from '../buffers/WideSeriesBuffer';
import { buildFlameGraphFrame, FlameGraphFrameOptions } from './flamegraph';

export interface FlameGraphDiffOptions extends FlameGraphFrameOptions {
  /** The range to compare with, in ms since the epoch (the selected range is the comparison). */
  baseline: { from: number; to: number };
}

/** Names of the diff form's fields, as @grafana/flamegraph reads them (FlameGraphDataContainer). */
export const DIFF_FIELDS = ['label', 'level', 'value', 'self', 'valueRight', 'selfRight'] as const;

/**
 * A flame graph that compares two ranges of one stacks map, in the diff form of Grafana's flame
 * graph panel: the panel draws a diff when the frame has both `valueRight` and `selfRight`
 * (FlameGraphDataContainer.isDiffFlamegraph). Then `value`/`self` are the BASELINE ("left") and
 * `valueRight`/`selfRight` the COMPARISON ("right"), each a total including children and the
 * node's own samples; a box is as wide as both sides together, and its colour is the change of
 * its share of each side's total (green shrank, red grew, grey the same).
 *
 * Counts are the samples each side holds, counted as the single flame graph counts them (the
 * counter increase over each range, buffers/increase): Grafana normalises where it compares (the
 * colours and the tooltip's "% of total" divide each side by its own total), and its "Value" and
 * "Samples" rows are meant to be counts, so neither side is scaled.
 *
 * Both sides come from buildFlameGraphFrame (the baseline under its own cache slot, so a live
 * panel updates both incrementally) and are merged node by node: each side's siblings are in
 * label order, so one merge per level joins the same call paths; a path on one side only has 0
 * on the other. minSamples leaves out boxes with fewer samples than that in both ranges together.
 */
export function buildFlameGraphDiffFrame(buffer: WideSeriesBuffer, options: FlameGraphDiffOptions): DataFrame {
  const { baseline, minSamples, ...rest } = options;
  const right = buildFlameGraphFrame(buffer, rest);
  const left = buildFlameGraphFrame(buffer, { ...rest, refId: `${options.refId}${BASELINE_SLOT}`, ...baseline });
  return diffFrame(left, right, { refId: options.refId, unit: options.unit ?? 'short', minSamples: minSamples ?? 0 });
}

/** The baseline's own slot in the builder's per-query cache (a refId never holds this character). */
const BASELINE_SLOT = '\u0000baseline';

/** One side: the nested set's columns and each row's children (row indices, in order). */
interface Side {
  labels: string[];
  values: number[];
  selfs: number[];
  children: number[][];
}

function sideOf(frame: DataFrame): Side {
  const column = <T>(name: string) => frame.fields.find((f) => f.name === name)!.values as T[];
  const levels = column<number>('level');
  const children: number[][] = levels.map(() => []);
  // Pre-order: a row's parent is the last row one level up.
  const lastAt: number[] = [];
  levels.forEach((level, row) => {
    lastAt[level] = row;
    if (level > 0) {
      children[lastAt[level - 1]].push(row);
    }
  });
  return { labels: column('label'), values: column('value'), selfs: column('self'), children };
}

interface Rows {
  label: string[];
  level: number[];
  value: number[];
  self: number[];
  valueRight: number[];
  selfRight: number[];
}

/** Merges the baseline (left) and comparison (right) nested sets into one diff frame. */
export function diffFrame(
  leftFrame: DataFrame,
  rightFrame: DataFrame,
  options: { refId?: string; unit: string; minSamples: number }
): DataFrame {
  const left = sideOf(leftFrame);
  const right = sideOf(rightFrame);
  const out: Rows = { label: [], level: [], value: [], self: [], valueRight: [], selfRight: [] };

  const emit = (l: number, r: number, level: number) => {
    const value = l >= 0 ? left.values[l] : 0;
    const valueRight = r >= 0 ? right.values[r] : 0;
    if (level > 0 && value + valueRight < options.minSamples) {
      return;
    }
    out.label.push(l >= 0 ? left.labels[l] : right.labels[r]);
    out.level.push(level);
    out.value.push(value);
    out.self.push(l >= 0 ? left.selfs[l] : 0);
    out.valueRight.push(valueRight);
    out.selfRight.push(r >= 0 ? right.selfs[r] : 0);
    // The children of both, merged by label (each side's are in code-unit order of their labels).
    const a = l >= 0 ? left.children[l] : NONE;
    const b = r >= 0 ? right.children[r] : NONE;
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
      const la = i < a.length ? left.labels[a[i]] : undefined;
      const lb = j < b.length ? right.labels[b[j]] : undefined;
      if (lb === undefined || (la !== undefined && la < lb)) {
        emit(a[i++], -1, level + 1);
      } else if (la === undefined || lb < la) {
        emit(-1, b[j++], level + 1);
      } else {
        emit(a[i++], b[j++], level + 1);
      }
    }
  };
  // Both sides have the root (the builder gives it even to a range without samples).
  emit(0, 0, 0);

  const config = { unit: options.unit };
  return {
    refId: options.refId,
    fields: [
      { name: 'label', type: FieldType.string, config: {}, values: out.label },
      { name: 'level', type: FieldType.number, config: {}, values: out.level },
      { name: 'value', type: FieldType.number, config, values: out.value },
      { name: 'self', type: FieldType.number, config, values: out.self },
      { name: 'valueRight', type: FieldType.number, config, values: out.valueRight },
      { name: 'selfRight', type: FieldType.number, config, values: out.selfRight },
    ],
    length: out.label.length,
    meta: { preferredVisualisationType: 'flamegraph' },
  };
}

const NONE: number[] = [];
