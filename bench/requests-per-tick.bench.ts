/**
 * pmproxy requests per poll tick with 1, 10 and 50 panels on one endpoint, against the REAL
 * stack (scripts/pcp-stack.sh up): each panel runs its own bpftrace script, all polled by one
 * Endpoint. Target: one /pmapi/fetch per tick whatever the panel count.
 */
import { Endpoint } from '../src/engine/Endpoint';
import { PmapiClient } from '../src/pmapi/client';
import { CONTROL_PATHS } from '../src/pmapi/request';
import { countingTransport, PMPROXY, pmproxyAvailable } from './lib/pmproxy';

const TICK_MS = 1000;
const MEASURED_TICKS = 10;

async function waitUntil(what: string, cond: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out: ${what}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function run(panels: number) {
  const { transport, counts } = countingTransport();
  const client = new PmapiClient(transport, {
    hostspec: 'localhost',
    polltimeoutSec: 30,
    controlPath: CONTROL_PATHS.editor,
  });
  const endpoint = new Endpoint(client, { pollIntervalMs: TICK_MS, retentionMs: 30 * 60_000, namespace: 'bench' });
  const leases = Array.from({ length: panels }, (_, i) =>
    endpoint.subscribe(`bench/${i}/A`, `interval:ms:100 { @n${i} = count(); }`, () => undefined)
  );
  const started = Date.now();
  const ready = () => leases.filter(({ lease }) => (lease.buffers.values().next().value?.length ?? 0) >= 2).length;
  await waitUntil(`every script to deliver data (${panels} panels)`, () => ready() === panels, 180_000).catch((e) => {
    const states = leases.map(
      ({ lease }) =>
        `${lease.phase}${lease.error ? `:${lease.error}` : ''}${lease.warnings.length ? `:${lease.warnings.join()}` : ''}`
    );
    throw new Error(`${e.message}; ${ready()} ready; states: ${[...new Set(states)].join(' | ')}`);
  });
  const startupS = (Date.now() - started) / 1000;

  counts.clear();
  const fetchesBefore = endpoint.fetchCount;
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, MEASURED_TICKS * TICK_MS));
  const ticks = endpoint.fetchCount - fetchesBefore;
  const elapsed = (Date.now() - t0) / 1000;
  const perTick = (path: string) => ((counts.get(path) ?? 0) / Math.max(1, ticks)).toFixed(2);
  const others = [...counts.entries()].filter(([p]) => p !== '/pmapi/fetch').map(([p, n]) => `${p}×${n}`);
  console.log(
    `${String(panels).padStart(3)} panels: ${ticks} ticks in ${elapsed.toFixed(1)} s, ` +
      `/pmapi/fetch per tick ${perTick('/pmapi/fetch')}, all requests per tick ${([...counts.values()].reduce((a, b) => a + b, 0) / Math.max(1, ticks)).toFixed(2)}` +
      `${others.length ? ` (others: ${others.join(', ')})` : ''}; startup ${startupS.toFixed(1)} s`
  );
  leases.forEach(({ release }) => release());
  await endpoint.close();
}

async function main() {
  if (!(await pmproxyAvailable())) {
    console.log(`SKIPPED: no pmproxy with the bpftrace PMDA at ${PMPROXY} (run: sudo scripts/pcp-stack.sh up)`);
    process.exitCode = 1;
    return;
  }
  for (const panels of [1, 10, 50]) {
    await run(panels);
  }
}

void main();
