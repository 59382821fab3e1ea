/**
 * One PCP metric query over 10, 100 and 1,000 hosts (issue 17): the browser's CPU and requests
 * through the series store (engine/SeriesCluster.ts: one /series/query per metric pattern and
 * refresh, answers turned into the same frames as live) against the live fan-out (one Endpoint
 * and one /pmapi/fetch per host and tick, the engine's own path, each tick's metricResponse).
 *
 * The query: `kernel.all.sysfork kernel.all.load` (a counter; an instant with three instances).
 * Series store: the panel's 5 minutes recorded every 10 s (pmlogger); the first refresh reads
 * them all (and what the ids are), each later one (the range moved on by 10 s) what is new.
 * Both sides answer from fakes whose bodies have the shape of real pmproxy 6.0.3 answers: the
 * series store's from tests/fixtures/series.json (recorded on the stack), the pmapi side's from
 * src/test/fakePmda.ts. The time the fakes take to make their answers is measured apart and taken
 * out: what is left is what the browser would do (parse, name, buffer, build frames).
 *
 * Printed: medians of CPU ms per refresh (series) and per tick (live), requests of each, and the
 * ratios per 10 s (a 10 s dashboard refresh against ten 1 s ticks).
 *
 * Run: npm run bench -- clusters
 */
import { Endpoint } from '../src/engine/Endpoint';
import { SeriesCluster } from '../src/engine/SeriesCluster';
import { PmapiClient } from '../src/pmapi/client';
import { SeriesClient } from '../src/pmapi/series';
import { CONTROL_PATHS, PmapiTransport } from '../src/pmapi/request';
import { clusterResponse } from '../src/query/clusterResponse';
import { metricResponse } from '../src/query/metricResponse';
import { FakePmda } from '../src/test/fakePmda';
import { fakeSeriesStore } from '../src/test/fakeSeriesStore';
import { BpftraceQuery } from '../src/types';
import { collectGarbage, fmt, summarize } from './lib/measure';

const HOST_COUNTS = [10, 100, 1000];
const METRICS = 'kernel.all.sysfork kernel.all.load';
const RANGE_MS = 5 * 60_000;
const RECORD_MS = 10_000;
const REFRESH_S = 10;
const T0 = 1_796_330_000_000;
const QUERY: BpftraceQuery = { refId: 'A', code: '', queryType: 'metric', metrics: METRICS };

interface Counts {
  requests: number;
  /** CPU time the fakes spent answering (taken out of the figures). */
  fakeMs: number;
}

/** A transport that counts requests and the time the fake spends answering into `state`. */
function timed(inner: PmapiTransport, state: Counts = { requests: 0, fakeMs: 0 }) {
  const transport: PmapiTransport = (path, query, method) => {
    state.requests++;
    const t0 = performance.now();
    // The fakes answer synchronously inside their async function: this times all their work.
    const answer = inner(path, query, method);
    state.fakeMs += performance.now() - t0;
    return answer;
  };
  return { transport, state };
}

async function seriesPath(hosts: number, refreshes: number) {
  const names = Array.from({ length: hosts }, (_, i) => `host-${String(i).padStart(4, '0')}.example.com`);
  const to = T0 + RANGE_MS;
  const store = fakeSeriesStore({
    hosts: names,
    intervalMs: RECORD_MS,
    fromMs: T0 - RANGE_MS,
    toMs: to + refreshes * REFRESH_S * 1000,
    metrics: [
      { name: 'kernel.all.sysfork', sem: 'counter', units: 'count', value: (_h, _i, t) => Math.floor((t - T0) / 300) },
      {
        name: 'kernel.all.load',
        sem: 'instant',
        instances: ['1 minute', '5 minute', '15 minute'],
        value: (h, i) => (h.length + i.length) / 10,
      },
    ],
  });
  const { transport, state } = timed(store.transport);
  const cluster = new SeriesCluster(new SeriesClient(transport, { timeoutMs: 60_000 }), async () => undefined);
  const refresh = async (i: number) => {
    const range = { from: T0 + i * REFRESH_S * 1000, to: to + i * REFRESH_S * 1000 };
    const read = await cluster.read({ metrics: METRICS, hosts: names, ...range });
    return clusterResponse({ ...QUERY, metricSource: 'series' }, read, range, true);
  };
  // The first refresh learns what the ids are (descs, names, labels, instances), once.
  state.requests = 0;
  state.fakeMs = 0;
  const c0 = process.cpuUsage();
  const first = await refresh(0);
  const c1 = process.cpuUsage(c0);
  const firstMs = (c1.user + c1.system) / 1000 - state.fakeMs;
  const firstRequests = state.requests;
  if (first.data.length !== hosts * 2) {
    throw new Error(`series path drew ${first.data.length} frames, expected ${hosts * 2}`);
  }
  const cpu: number[] = [];
  let requests = 0;
  for (let i = 1; i <= refreshes; i++) {
    collectGarbage();
    state.requests = 0;
    state.fakeMs = 0;
    const c0 = process.cpuUsage();
    await refresh(i);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000 - state.fakeMs);
    requests = state.requests;
  }
  return { cpu: summarize(cpu), requests, firstRequests, firstMs };
}

async function livePath(hosts: number, ticks: number) {
  let clock = T0;
  const pmdas: FakePmda[] = [];
  const state: Counts = { requests: 0, fakeMs: 0 };
  const endpoints: Endpoint[] = [];
  const responses: unknown[] = [];
  for (let h = 0; h < hosts; h++) {
    // Each host its own pmcd, as N hosts of a fleet.
    const pmda = new FakePmda();
    pmda.clock = clock;
    pmdas.push(pmda);
    const hostTransport = timed(pmda.transport('bench'), state).transport;
    const client = new PmapiClient(hostTransport, {
      hostspec: `host-${h}`,
      polltimeoutSec: 30,
      controlPath: CONTROL_PATHS.editor,
    });
    const endpoint = new Endpoint(client, {
      pollIntervalMs: 1000,
      retentionMs: RANGE_MS,
      namespace: 'bench',
      now: () => clock,
    });
    const { watch } = endpoint.watchMetrics(`bench/${h}/A`, { metrics: METRICS }, () =>
      responses.push(metricResponse(QUERY, watch, { host: `host-${h}`, oneOfHosts: true }))
    );
    endpoints.push(endpoint);
  }
  const tick = async () => {
    clock += 1000;
    for (const p of pmdas) {
      p.clock = clock;
      p.print();
    }
    for (const e of endpoints) {
      await e.pollOnce();
    }
  };
  // Resolve names and instances, and fill a few rows.
  for (let i = 0; i < 5; i++) {
    await tick();
  }
  const cpu: number[] = [];
  let requests = 0;
  for (let i = 0; i < ticks; i++) {
    collectGarbage();
    responses.length = 0;
    state.requests = 0;
    state.fakeMs = 0;
    const c0 = process.cpuUsage();
    await tick();
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000 - state.fakeMs);
    requests = state.requests;
  }
  if (responses.length !== hosts) {
    throw new Error(`live path answered ${responses.length} responses per tick, expected ${hosts}`);
  }
  for (const e of endpoints) {
    await e.close(0);
  }
  return { cpu: summarize(cpu), requests };
}

async function main() {
  console.log(
    `query "${METRICS}" on N hosts; series store: ${RANGE_MS / 60_000} min recorded every ${RECORD_MS / 1000} s, refreshed every ${REFRESH_S} s; live: one tick\n`
  );
  console.log(
    'hosts | series: ms/refresh (median; first)  requests/refresh (first) | live: ms/tick (median)  requests/tick | per 10 s: CPU live÷series  requests live÷series'
  );
  for (const hosts of HOST_COUNTS) {
    const runs = hosts >= 1000 ? 9 : 21;
    const series = await seriesPath(hosts, runs);
    const live = await livePath(hosts, runs);
    const per10Live = live.cpu.median * REFRESH_S;
    console.log(
      `${String(hosts).padStart(5)} | ${fmt(series.cpu.median).padStart(10)} ms (${fmt(series.firstMs)} ms) ${String(series.requests).padStart(6)} (${series.firstRequests})` +
        ` | ${fmt(live.cpu.median).padStart(10)} ms ${String(live.requests).padStart(8)}` +
        ` | ${(per10Live / series.cpu.median).toFixed(1).padStart(8)}× ${((live.requests * REFRESH_S) / series.requests).toFixed(0).padStart(8)}×`
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
