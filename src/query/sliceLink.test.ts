import { FieldType } from '@grafana/data';

import { WideSeriesBuffer } from '../buffers/WideSeriesBuffer';
import { buildFlameGraphFrame } from '../frames/flamegraph';
import { buildHeatmapRowsFrame } from '../frames/heatmap';
import { SLICE_LINK, withSliceLink } from './sliceLink';

const T0 = Date.UTC(2026, 11, 3, 17, 0, 0);

describe('withSliceLink', () => {
  it('puts the link on the time field only (Grafana keeps that field’s config on the cells), leaving the frame given alone', () => {
    const b = new WideSeriesBuffer({ retentionMs: 3_600_000, counter: true });
    b.append(
      T0,
      new Map([
        ['1', 0],
        ['2', 0],
      ])
    );
    b.append(
      T0 + 1000,
      new Map([
        ['1', 4],
        ['2', 1],
      ])
    );
    const frame = buildHeatmapRowsFrame(b, { refId: 'A', variable: '@usecs', rate: false, unit: 'µs' });
    const linked = withSliceLink(frame);
    expect(linked.fields.map((f) => [f.type, f.config.links?.length ?? 0])).toEqual(
      frame.fields.map((f) => [f.type, f.type === FieldType.time ? 1 : 0])
    );
    expect(frame.fields.every((f) => !f.config.links)).toBe(true);
    expect(linked.fields[0].values).toBe(frame.fields[0].values);
  });

  it('links to the range [t, t] of the cell’s time, which a flame graph reads as the tick that ended at t', () => {
    expect(SLICE_LINK.url).toBe('?${__all_variables}&from=${__value.time}&to=${__value.time}');
    const b = new WideSeriesBuffer({ retentionMs: 3_600_000, counter: true });
    const stack = '\n    f+1\n    main+2\n';
    [0, 5, 12, 30].forEach((count, i) => b.append(T0 + i * 1000, new Map([[stack, count]])));
    // The cell at T0 + 2 s shows the samples of the tick that ended then: 12 - 5.
    const t = T0 + 2000;
    const total = buildFlameGraphFrame(b, { refId: 'A', from: t, to: t }).fields[2].values[0];
    expect(total).toBe(7);
  });
});
