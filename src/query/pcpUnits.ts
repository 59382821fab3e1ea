/**
 * Grafana unit ids for PCP's own unit metadata: the `units` of a metric's descriptor as pmproxy
 * prints it (`/pmapi/metric`: "none", "count", "Kbyte", "millisec", "Kbyte / sec", "count / sec",
 * "count x 10^3" …). Only what maps exactly gets a unit: a wrong unit misleads more than none, so
 * a scaled count or a dimension Grafana has no unit for (byte / count) stays unitless and the
 * panel's own unit setting, or the query's Unit field, decides.
 */

/** PCP's space and time scales as it prints them → Grafana's unit ids (PCP's Kbyte is 1024 bytes). */
const SPACE: Record<string, string> = {
  byte: 'bytes',
  Kbyte: 'kbytes',
  Mbyte: 'mbytes',
  Gbyte: 'gbytes',
  Tbyte: 'tbytes',
  Pbyte: 'pbytes',
};
const TIME: Record<string, string> = {
  nanosec: 'ns',
  microsec: 'µs',
  millisec: 'ms',
  sec: 's',
  min: 'm',
  hour: 'h',
};
/** Space per second: Grafana's binary (1024-based) per-second units, as PCP's scales are binary. */
const SPACE_PER_SEC: Record<string, string> = {
  byte: 'binBps',
  Kbyte: 'KiBs',
  Mbyte: 'MiBs',
  Gbyte: 'GiBs',
};

/**
 * The Grafana unit of a value in these PCP units, or undefined. "none" and a plain "count" are
 * numbers without a unit ('none' would hide Grafana's K/M scaling, so undefined).
 */
export function grafanaUnitOfPcp(units: string | undefined): string | undefined {
  const text = (units ?? '').trim();
  if (text === '' || text === 'none' || text === 'count') {
    return undefined;
  }
  const [numerator, denominator, ...rest] = text.split('/').map((s) => s.trim());
  if (rest.length > 0) {
    return undefined;
  }
  if (denominator === undefined) {
    return SPACE[numerator] ?? TIME[numerator];
  }
  if (denominator === 'sec') {
    if (numerator === 'count') {
      return 'count:/s';
    }
    return SPACE_PER_SEC[numerator];
  }
  return undefined;
}
