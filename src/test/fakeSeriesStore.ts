/**
 * A stand-in for pmproxy's /series/* API over a generated fleet, for unit tests and bench/ (never
 * for integration tests, which use the real store). Every answer has the shape of the real
 * pmproxy 6.0.3 answers recorded in tests/fixtures/series.json: 40-hex ids, a metric id per host
 * and an id per instance, labels on the instance ids of a metric with instances, timestamps in ms
 * with a fraction, values as text. It understands the expressions bpflive sends: `pattern`,
 * `pattern{hostname=="a" || hostname=="b"}` for ids, and /series/values of those ids in a window
 * (a windowed expression is refused: it crashes the real pmproxy).
 */
import type { PmapiTransport } from '../pmapi/request';
import { SeriesClient } from '../pmapi/series';

export interface FakeMetric {
  name: string;
  sem: 'counter' | 'instant' | 'discrete';
  units?: string;
  /** Instance names, or none for a metric without instances. */
  instances?: string[];
  /** The value of `instance` ('' without instances) on `host` at time `t` (ms). */
  value: (host: string, instance: string, t: number) => number;
}

export interface FakeFleet {
  hosts: string[];
  metrics: FakeMetric[];
  /** Samples every this many ms, from `fromMs` to `toMs`; a host may stop at `lastMs[host]`. */
  intervalMs: number;
  fromMs: number;
  toMs: number;
  lastMs?: Record<string, number>;
}

/** When the example fleet's samples start (ms). */
export const FLEET_T0 = 1796330000000;

/**
 * The fleet the series-store tests share: four hosts every 10 s over 10 minutes; a counter that
 * grows 100/s on each but db4 (1,000/s, the outlier), and a load with two instances.
 */
export const exampleFleet = (over: Partial<FakeFleet> = {}): FakeFleet => ({
  hosts: ['db1', 'db2', 'db3', 'db4'],
  intervalMs: 10_000,
  fromMs: FLEET_T0,
  toMs: FLEET_T0 + 600_000,
  metrics: [
    {
      name: 'kernel.all.sysfork',
      sem: 'counter',
      value: (h, _i, t) => ((t - FLEET_T0) / 1000) * (h === 'db4' ? 1000 : 100),
    },
    {
      name: 'kernel.all.load',
      sem: 'instant',
      instances: ['1 minute', '5 minute'],
      value: (h, i) => (i === '1 minute' ? ({ db1: 1, db2: 1.2, db3: 0.9, db4: 1.1 }[h] ?? 0) : 2),
    },
  ],
  ...over,
});

/** A deterministic 40-hex id (FNV-1a, five rounds), standing in for pmseries' SHA-1 ids. */
export function fakeId(text: string): string {
  let out = '';
  for (let round = 0; round < 5; round++) {
    let h = 0x811c9dc5 ^ round;
    for (let i = 0; i < text.length; i++) {
      h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    }
    out += (h >>> 0).toString(16).padStart(8, '0');
  }
  return out;
}

interface Ids {
  metricId: Map<string, { host: string; metric: FakeMetric }>;
  instanceId: Map<string, { host: string; metric: FakeMetric; instance: string }>;
}

export function fakeSeriesStore(fleet: FakeFleet) {
  const ids: Ids = { metricId: new Map(), instanceId: new Map() };
  const metricIdOf = (host: string, m: FakeMetric) => fakeId(`${host}/${m.name}`);
  const instanceIdOf = (host: string, m: FakeMetric, i: string) => fakeId(`${host}/${m.name}/${i}`);
  for (const host of fleet.hosts) {
    for (const m of fleet.metrics) {
      ids.metricId.set(metricIdOf(host, m), { host, metric: m });
      for (const i of m.instances ?? []) {
        ids.instanceId.set(instanceIdOf(host, m, i), { host, metric: m, instance: i });
      }
    }
  }
  const calls: Array<{ path: string; query: string }> = [];

  const globRe = (glob: string) =>
    new RegExp(
      `^${glob
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`
    );

  function query(expr: string): string {
    const m = /^([^{[]+)(?:\{([^}]*)\})?(\[[^\]]*\])?$/.exec(expr);
    if (!m) {
      return `{"message":"cannot parse given string\\n\\n${expr}\\n^ -- syntax error\\n","success":false}`;
    }
    const [, pattern, filter, window] = m;
    if (window) {
      // The real pmproxy 6.0.3 segfaults on a windowed expression over an error record
      // (pmapi/series.ts samplesMatching): bpflive must never send one.
      throw new Error(`fake series store: a windowed expression (${expr}) would crash pmproxy 6.0.3`);
    }
    const hostSet = filter ? new Set([...filter.matchAll(/hostname=="([^"]*)"/g)].map((x) => x[1])) : undefined;
    const re = globRe(pattern);
    const hosts = fleet.hosts.filter((h) => !hostSet || hostSet.has(h));
    const metrics = fleet.metrics.filter((x) => re.test(x.name));
    return JSON.stringify(hosts.flatMap((h) => metrics.map((x) => metricIdOf(h, x))));
  }

  /** /series/values of metric ids: `start`/`finish` in seconds, `interval` spacing, `samples` from the start. */
  function values(series: string[], params: URLSearchParams): string {
    const start = params.has('start') ? Number(params.get('start')) * 1000 : -Infinity;
    const finish = params.has('finish') ? Number(params.get('finish')) * 1000 : Infinity;
    const spacing = Number(params.get('interval') ?? 0) * 1000;
    const parts: string[] = [];
    for (const sid of series) {
      const e = ids.metricId.get(sid);
      if (!e) {
        continue;
      }
      const last = Math.min(fleet.toMs, fleet.lastMs?.[e.host] ?? Infinity);
      let times: number[] = [];
      for (let t = fleet.fromMs; t <= last; t += fleet.intervalMs) {
        if (t >= start && t <= finish && (times.length === 0 || t - times[times.length - 1] >= spacing)) {
          times.push(t);
        }
      }
      if (params.has('samples')) {
        times = times.slice(0, Number(params.get('samples'))); // pmproxy 6.0.3 counts from the start
      }
      for (const t of times) {
        // pmlogger's record times are not round: a fraction of a ms, as pmproxy prints them.
        const ts = `${t + 7}.${(t % 997).toString().padStart(3, '0')}`;
        for (const inst of e.metric.instances ?? ['']) {
          const v = e.metric.value(e.host, inst, t);
          const instance = inst === '' ? '' : `"instance":"${instanceIdOf(e.host, e.metric, inst)}",`;
          parts.push(`{"series":"${sid}",${instance}"timestamp":${ts},"value":"${v}"}`);
        }
      }
    }
    return `[${parts.join(',')}]\r\n`;
  }

  const transport: PmapiTransport = async (path, queryText) => {
    calls.push({ path, query: queryText });
    const params = new URLSearchParams(queryText);
    const series = (params.get('series') ?? '').split(',').filter((s) => s);
    switch (path) {
      case '/series/query':
        return query(params.get('expr') ?? '');
      case '/series/values':
        return values(series, params);
      case '/series/descs':
        return JSON.stringify(
          series.map((s) => {
            const e = ids.metricId.get(s);
            return {
              series: s,
              source: fakeId(`source/${e?.host}`),
              pmid: e ? '60.0.1' : 'PM_ID_NULL',
              indom: e ? (e.metric.instances ? '60.1' : 'none') : 'unknown',
              semantics: e?.metric.sem ?? 'unknown',
              type: e ? 'double' : 'unknown',
              units: e ? (e.metric.units ?? 'none') : 'unknown',
            };
          })
        );
      case '/series/metrics':
        return JSON.stringify(
          series.filter((s) => ids.metricId.has(s)).map((s) => ({ series: s, name: ids.metricId.get(s)!.metric.name }))
        );
      case '/series/labels': {
        const names = params.get('names');
        if (names) {
          return JSON.stringify(names.split(',').includes('hostname') ? { hostname: fleet.hosts } : {});
        }
        // Labels of a metric with instances are on its instances' ids (as pmproxy 6.0.3 answers).
        const labelled = series.flatMap((s) => {
          const host =
            ids.instanceId.get(s)?.host ??
            (ids.metricId.get(s)?.metric.instances ? undefined : ids.metricId.get(s)?.host);
          return host ? [{ series: s, labels: { agent: 'linux', hostname: host } }] : [];
        });
        return JSON.stringify(labelled);
      }
      case '/series/instances':
        return JSON.stringify(
          series.flatMap((s) => {
            const e = ids.metricId.get(s);
            return (e?.metric.instances ?? []).map((name, id) => ({
              series: s,
              source: fakeId(`source/${e!.host}`),
              instance: instanceIdOf(e!.host, e!.metric, name),
              id,
              name,
            }));
          })
        );
      default:
        throw new Error(`fake series store: no ${path}`);
    }
  };
  return { transport, calls, client: new SeriesClient(transport) };
}
