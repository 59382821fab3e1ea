import { grafanaUnitOfPcp } from './pcpUnits';

// The units strings are pmproxy 6.0.3's own (/pmapi/metric on the CI stack): kernel.all.load
// "none", kernel.all.sysfork "count", disk.dev.read_bytes "Kbyte", kernel.all.cpu.user "millisec";
// the "/ sec" and "x 10^" forms are how pmproxy prints rate and scaled-count descriptors.
describe('grafanaUnitOfPcp', () => {
  it.each([
    ['none', undefined],
    ['', undefined],
    ['count', undefined],
    ['byte', 'bytes'],
    ['Kbyte', 'kbytes'],
    ['Mbyte', 'mbytes'],
    ['nanosec', 'ns'],
    ['microsec', 'µs'],
    ['millisec', 'ms'],
    ['sec', 's'],
    ['Kbyte / sec', 'KiBs'],
    ['byte / sec', 'binBps'],
    ['count / sec', 'count:/s'],
  ])('PCP %j → Grafana %j', (pcp, grafana) => {
    expect(grafanaUnitOfPcp(pcp)).toBe(grafana);
  });

  it('gives no unit where none maps exactly (a scaled count, space per count)', () => {
    expect(grafanaUnitOfPcp('count x 10^3')).toBeUndefined();
    expect(grafanaUnitOfPcp('byte / count')).toBeUndefined();
    expect(grafanaUnitOfPcp('Kbyte / sec / count')).toBeUndefined();
  });
});
