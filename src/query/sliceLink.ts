import { DataFrame, DataLink, FieldType } from '@grafana/data';

/**
 * The data link a heatmap over time carries: a click on a cell sets the dashboard's range to that
 * cell's slice, where every flame graph (and table, histogram) of the dashboard is scoped to it:
 * the FlameScope way of reading a profile, from a heatmap of samples to the stacks of one moment.
 *
 * Grafana's heatmap keeps the time field's config (its links) on the cells it draws and offers
 * them in the cell's tooltip; with `oneClick`, panels that support it follow the link on the
 * first click. A data link can only name values, not compute (no "time minus one tick"): the
 * link's range is from = to = the cell's time (`${__value.time}`, the END of the cell, as a
 * heatmap from rows draws it). That range is exactly the cell: an increase counts at the time it
 * was seen (buffers/increase), so the range [t, t] holds the tick that ended at t, which is what
 * the cell shows. `${__all_variables}` keeps the dashboard's variables (the host …).
 */
export const SLICE_LINK: DataLink = {
  title: 'Flame graphs of this slice (the dashboard at this time)',
  url: '?${__all_variables}&from=${__value.time}&to=${__value.time}',
  oneClick: true,
};

/** The heatmap frame with SLICE_LINK on its time field (a new frame; the given one is not changed). */
export function withSliceLink(frame: DataFrame): DataFrame {
  return {
    ...frame,
    fields: frame.fields.map((f) =>
      f.type === FieldType.time ? { ...f, config: { ...f.config, links: [...(f.config.links ?? []), SLICE_LINK] } } : f
    ),
  };
}
