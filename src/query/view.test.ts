import { VariableInfo } from '../engine/ScriptLease';
import { AUTO_LEAD, chooseView, Evidence } from './view';

const v = (name: string, metrictype: string | null = null, text = false, extra: Partial<VariableInfo> = {}) => ({
  name,
  metric: `bpftrace.scripts.x.data.${name.slice(1)}`,
  counter: !text,
  metrictype,
  text,
  ...extra,
});
const usecs = v('@usecs', 'histogram');
const stacks = v('@ks', 'stacks');
const bycomm = v('@bycomm');
const total = v('@total');
const output = v('@output', 'output', true);
const start = v('@start', null, false, { counter: false, scratch: true });

/** Evidence with the given sizes (keys with values, or lines); CSV or not. */
function seen(sizes: Record<string, number> = {}, csv = false): Evidence {
  return { isCsv: () => csv, size: (x: VariableInfo) => sizes[x.name] ?? 0 };
}

describe('chooseView: Auto decides from evidence', () => {
  it('a histogram becomes a heatmap; the one-line note says why and what else there is', () => {
    const view = chooseView([bycomm, usecs], {}, seen());
    expect(view.format).toBe('heatmap');
    expect(view.variables).toEqual([usecs]);
    expect(view.note).toBe(
      'Auto: @usecs as a heatmap (it is a histogram). Also: Format Time series, Histogram, Table; Map @bycomm.'
    );
    expect(view.note).not.toContain('\n');
  });

  it('stacks become a flame graph', () => {
    expect(chooseView([stacks], {}, seen())).toMatchObject({ format: 'flamegraph', variables: [stacks] });
  });

  it('maps become time series, all of them', () => {
    const view = chooseView([bycomm, total], {}, seen({ '@bycomm': 3, '@total': 1 }));
    expect(view).toMatchObject({ format: 'timeseries', variables: [bycomm, total] });
    expect(view.note?.startsWith(AUTO_LEAD)).toBe(true);
    const sum = v('@bytes', null, false, { aggregation: 'sum' });
    expect(chooseView([sum], {}, seen({ '@bytes': 2 })).note).toBe(
      'Auto: @bytes as time series (it is a sum() map). Also: Format Table.'
    );
  });

  it('CSV text with a header becomes a table, other text logs', () => {
    expect(chooseView([output], {}, seen({ '@output': 5 }, true)).format).toBe('table');
    expect(chooseView([output], {}, seen({ '@output': 5 })).format).toBe('logs');
  });

  it('snoop-style: a scratch map (per tid, deleted) never hides @output, even before any event', () => {
    const before = chooseView([start, output], {}, seen());
    expect(before).toMatchObject({ format: 'logs', variables: [output] });
    expect(before.note).toMatch(/^Auto: @output as logs \(.*@start is per-event scratch, not shown\)/);
    // Even when the scratch map holds values (threads in flight), the events stay in view.
    const after = chooseView([start, output], {}, seen({ '@start': 4, '@output': 300 }));
    expect(after).toMatchObject({ format: 'logs', variables: [output] });
    expect(after.note).toContain('it printed 300 lines');
    expect(after.note).toContain('Map @start');
  });

  it('@output with events beats an empty map; once the map fills, Auto changes its mind', () => {
    const events = chooseView([bycomm, output], {}, seen({ '@output': 40 }));
    expect(events).toMatchObject({ format: 'logs', variables: [output] });
    expect(events.note).toContain('@bycomm has no data yet');
    expect(chooseView([bycomm, output], {}, seen({ '@output': 40, '@bycomm': 2 }))).toMatchObject({
      format: 'timeseries',
      variables: [bycomm],
    });
  });

  it('a banner line alone (BEGIN printf) is no event: the empty map is still the choice', () => {
    expect(chooseView([bycomm, output], {}, seen({ '@output': 1 }))).toMatchObject({
      format: 'timeseries',
      variables: [bycomm],
    });
  });

  it('a keyed map with many keys is a top-N table, not that many series', () => {
    const view = chooseView([bycomm], {}, seen({ '@bycomm': 21 }));
    expect(view).toMatchObject({ format: 'table', variables: [bycomm] });
    expect(view.note).toContain('it has 21 keys');
    expect(chooseView([bycomm], {}, seen({ '@bycomm': 20 })).format).toBe('timeseries');
  });

  it('a count or sum keyed by names is a ranking: a table past a handful of names', () => {
    const ranking = v('@bytes', null, false, { ranking: true, aggregation: 'sum' });
    const view = chooseView([ranking], {}, seen({ '@bytes': 9 }));
    expect(view).toMatchObject({ format: 'table', variables: [ranking] });
    expect(view.note).toContain('it ranks 9 names');
    expect(chooseView([ranking], {}, seen({ '@bytes': 8 })).format).toBe('timeseries');
    // Keys that are not names (a cpu, a syscall id) still need more than 20.
    expect(chooseView([bycomm], {}, seen({ '@bycomm': 9 })).format).toBe('timeseries');
  });

  it('a script of scratch maps only still shows them', () => {
    expect(chooseView([start], {}, seen())).toMatchObject({ format: 'timeseries', variables: [start] });
  });
});

describe('chooseView: what the user picks', () => {
  it('a chosen map decides the format, and Auto says nothing', () => {
    const view = chooseView([usecs, bycomm], { map: '@bycomm' }, seen());
    expect(view).toMatchObject({ format: 'timeseries', variables: [bycomm] });
    expect(view.note).toBeUndefined();
    expect(chooseView([start, output], { map: '@start' }, seen())).toMatchObject({ variables: [start] });
  });

  it('a chosen format picks the first map that fits', () => {
    expect(chooseView([bycomm, usecs], { format: 'histogram' }, seen())).toMatchObject({
      format: 'histogram',
      variables: [usecs],
    });
    expect(chooseView([usecs, bycomm], { format: 'table' }, seen())).toMatchObject({
      format: 'table',
      variables: [bycomm],
    });
    expect(chooseView([usecs, bycomm], { format: 'table' }, seen()).note?.startsWith(AUTO_LEAD)).toBeFalsy();
  });

  it('says plainly when nothing fits, instead of an empty panel', () => {
    const view = chooseView([bycomm], { format: 'flamegraph' }, seen());
    expect(view).toMatchObject({ variables: [], problem: true });
    expect(view.note).toMatch(/No map of this script can be shown as a flame graph/);
    const missing = chooseView([bycomm], { map: '@nope' }, seen());
    expect(missing.note).toBe('The script has no map @nope; it has @bycomm.');
    expect(chooseView([bycomm], { map: '@bycomm', format: 'heatmap' }, seen()).note).toBe(
      '@bycomm cannot be shown as a heatmap.'
    );
  });
});
