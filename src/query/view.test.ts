import { VariableInfo } from '../engine/ScriptLease';
import { chooseView } from './view';

const v = (name: string, metrictype: string | null = null, text = false): VariableInfo => ({
  name,
  metric: `bpftrace.scripts.x.data.${name.slice(1)}`,
  counter: !text,
  metrictype,
  text,
});
const usecs = v('@usecs', 'histogram');
const stacks = v('@ks', 'stacks');
const bycomm = v('@bycomm');
const total = v('@total');
const output = v('@output', 'output', true);
const csv = (isCsv: boolean) => () => isCsv;

describe('chooseView (Auto and chosen formats)', () => {
  it('Auto: a histogram becomes a heatmap, and says what else the script has', () => {
    const view = chooseView([bycomm, usecs], {}, csv(false));
    expect(view.format).toBe('heatmap');
    expect(view.variables).toEqual([usecs]);
    expect(view.note).toBe('Showing @usecs as a heatmap; this script also has @bycomm (choose under Variable).');
  });

  it('Auto: stacks become a flame graph', () => {
    expect(chooseView([stacks], {}, csv(false))).toMatchObject({ format: 'flamegraph', variables: [stacks] });
  });

  it('Auto: numbers become time series, all of them', () => {
    const view = chooseView([bycomm, total], {}, csv(false));
    expect(view).toMatchObject({ format: 'timeseries', variables: [bycomm, total] });
    expect(view.note).toBeUndefined();
  });

  it('Auto: CSV text with a header becomes a table, other text logs', () => {
    expect(chooseView([output], {}, csv(true)).format).toBe('table');
    expect(chooseView([output], {}, csv(false)).format).toBe('logs');
  });

  it('a chosen variable decides the format under Auto', () => {
    expect(chooseView([usecs, bycomm], { variable: '@bycomm' }, csv(false))).toMatchObject({
      format: 'timeseries',
      variables: [bycomm],
    });
  });

  it('a chosen format picks the first variable that fits', () => {
    expect(chooseView([bycomm, usecs], { format: 'histogram' }, csv(false))).toMatchObject({
      format: 'histogram',
      variables: [usecs],
    });
    expect(chooseView([usecs, bycomm], { format: 'table' }, csv(false))).toMatchObject({
      format: 'table',
      variables: [bycomm],
    });
  });

  it('says plainly when nothing fits, instead of an empty panel', () => {
    const view = chooseView([bycomm], { format: 'flamegraph' }, csv(false));
    expect(view).toMatchObject({ variables: [], problem: true });
    expect(view.note).toMatch(/No variable of this script can be shown as a flame graph/);
    const missing = chooseView([bycomm], { variable: '@nope' }, csv(false));
    expect(missing.note).toBe('The script has no variable @nope; it has @bycomm.');
    expect(chooseView([bycomm], { variable: '@bycomm', format: 'heatmap' }, csv(false)).note).toBe(
      '@bycomm cannot be shown as a heatmap.'
    );
  });
});
