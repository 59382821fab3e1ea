/**
 * A soak (not CI): panels that come and go for SOAK_MINUTES (default 30) against the REAL stack,
 * printing every minute the browser-side memory (heap after GC), the bpftrace processes on the
 * host, the PMDA's and pmproxy's resident memory, the leases held and the fetches per tick. At
 * the end every panel closes and the bench waits for the host to have no bpftrace left.
 *   SOAK_MINUTES=30 npm run bench -- soak
 * Exits non-zero when the processes ever exceed the scripts wanted, or something is left behind.
 */
import { execFileSync } from 'node:child_process';
import { Endpoint } from '../src/engine/Endpoint';
import { PmapiClient } from '../src/pmapi/client';
import { CONTROL_PATHS } from '../src/pmapi/request';
import { countingTransport, PMPROXY, pmproxyAvailable } from './lib/pmproxy';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 30);
const TICK_MS = 1000;
/** Steady panels, and panels that open and close every few seconds (refreshes, edits). */
const STEADY = [
  'interval:ms:100 { @ticks = count(); }',
  'tracepoint:raw_syscalls:sys_enter { @bycomm[comm] = count(); }',
  'tracepoint:sched:sched_switch { @lat = hist(args->prev_pid % 1000); }',
  'profile:hz:49 { @stacks[kstack] = count(); }',
  'tracepoint:syscalls:sys_enter_openat { printf("%d %s %s\\n", pid, comm, str(args->filename)); }',
];
const CHURN = (i: number) => `interval:ms:${100 + (i % 7)} { @churn${i % 3} = count(); }`;

const sh = (cmd: string) => execFileSync('bash', ['-c', cmd], { encoding: 'utf8' }).trim();
const bpftraceCount = () => Number(sh('pgrep -x bpftrace | wc -l'));
const rssMb = (pattern: string) =>
  (Number(sh(`ps -C ${pattern} -o rss= 2>/dev/null | awk '{s+=$1} END {print s+0}'`)) / 1024).toFixed(0);

async function main() {
  if (!(await pmproxyAvailable())) {
    console.log(`SKIPPED: no pmproxy with the bpftrace PMDA at ${PMPROXY} (run: sudo scripts/pcp-stack.sh up)`);
    process.exitCode = 1;
    return;
  }
  const { transport } = countingTransport();
  const client = new PmapiClient(transport, {
    hostspec: 'localhost',
    polltimeoutSec: 30,
    controlPath: CONTROL_PATHS.editor,
  });
  const endpoint = new Endpoint(client, { pollIntervalMs: TICK_MS, retentionMs: 30 * 60_000, namespace: 'soak' });
  const steady = STEADY.map((code, i) => endpoint.subscribe(`soak/${i}/A`, code, () => undefined));
  let churn: { release: () => void } | undefined;
  let churnCount = 0;
  let worstExcess = 0;
  const started = Date.now();
  let fetchesAtMinute = endpoint.fetchCount;
  console.log('minute  heapMB  bpftrace  wanted  leases  fetches/tick  pmdaMB  pmproxyMB');
  for (let minute = 1; minute <= MINUTES; minute++) {
    const minuteEnds = started + minute * 60_000;
    while (Date.now() < minuteEnds) {
      churn?.release();
      churn = endpoint.subscribe('soak/churn/A', CHURN(churnCount++), () => undefined);
      await new Promise((r) => setTimeout(r, 5_000));
      // Wanted: the steady scripts and the current churn script, plus those still in their grace
      // period or quiet window (at most 3 of the churn panel's last scripts at 5 s each).
      worstExcess = Math.max(worstExcess, bpftraceCount() - (STEADY.length + 4));
    }
    (globalThis as { gc?: () => void }).gc?.();
    const heap = (process.memoryUsage().heapUsed / 2 ** 20).toFixed(1);
    const fetches = ((endpoint.fetchCount - fetchesAtMinute) / 60).toFixed(2);
    fetchesAtMinute = endpoint.fetchCount;
    console.log(
      `${String(minute).padStart(6)}  ${heap.padStart(6)}  ${String(bpftraceCount()).padStart(8)}  ${String(STEADY.length + 1).padStart(6)}  ${String(endpoint.leaseKeys.length).padStart(6)}  ${fetches.padStart(12)}  ${rssMb('python3').padStart(6)}  ${rssMb('pmproxy').padStart(9)}`
    );
  }
  churn?.release();
  steady.forEach((s) => s.release());
  await endpoint.close(30_000);
  const deadline = Date.now() + 30_000;
  while (bpftraceCount() > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
  }
  const left = bpftraceCount();
  console.log(`after closing: ${left} bpftrace left; most processes over the wanted: ${worstExcess}`);
  if (left > 0 || worstExcess > 0) {
    process.exitCode = 1;
  }
}

void main();
