import { alternativesFormat, expandAlternatives } from './metricNamesOf';

/** What Grafana's template service does with a format function: each variable's value through it. */
const write = (text: string, vars: Record<string, string | string[]>) =>
  text.replace(/\$(\w+)/g, (m, name: string) => (name in vars ? alternativesFormat(vars[name]) : m));

describe('metric names with dashboard variables', () => {
  it('a multi-value variable inside a name makes one name per value', () => {
    expect(expandAlternatives(write('disk.dev.$stat', { stat: ['read', 'write'] }))).toBe(
      'disk.dev.read, disk.dev.write'
    );
  });

  it('two of them make every combination; single values and plain names stay', () => {
    expect(
      expandAlternatives(write('$a.all.$b kernel.all.load,$one', { a: ['disk', 'kernel'], b: ['x', 'y'], one: 'pmcd' }))
    ).toBe('disk.all.x, disk.all.y, kernel.all.x, kernel.all.y, kernel.all.load, pmcd');
  });
});
