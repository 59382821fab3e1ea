/**
 * Completion against a host that lists 200,000 probes (what `bpftrace -l` gives on a kernel
 * with kprobes and BTF, plus listed uprobes), as the PMDA sends it: one unordered,
 * comma-separated string.
 *
 * Targets: the first completion, index build included, ≤ 30 ms (median; issue 13), measured in
 * the same run as main's catalog before issue 13 (bench/baseline/probeCatalog.ts, which indexed a
 * provider in full on its first request); completion requests ≤ 2 ms at p95. Requests are those of a user typing probes and actions into a realistic script, one
 * request per keystroke at the cursor, through the same pure path the editor uses (scan, cursor
 * situation, catalog, items). The "cold" session starts right after the index is built, so it pays
 * for the buckets sorted on first use; the warm one repeats it. Compared with a naive scan of the
 * whole list per request.
 *
 * Run: npm run bench -- completion
 */
import { completeAt, CompletionCatalog } from '../src/language/completion';
import { ProbeCatalog } from '../src/language/probeCatalog';
import { ProbeCatalog as MainCatalog } from './baseline/probeCatalog';
import { collectGarbage, fmt, measure, printTable, summarize } from './lib/measure';
import { PMPROXY, pmproxyAvailable } from './lib/pmproxy';
import { syntheticProbeList } from './lib/probeList';

const FIRST_TARGET_MS = 30;
const P95_TARGET_MS = 2;
const COLD_BUILDS = 7;
/** Idle time the editor gets between two keystrokes in the cold session (one frame). */
const IDLE_MS = 16;

/**
 * main's catalog before issue 13, as completeAt reads a catalog today (CompletionCatalog: a
 * method completion starts to call fails typecheck here until main's catalog answers it). It had
 * no hasProvider: completion then asked providerSize(p) > 0, which indexed the provider (what the
 * "before" figure measures), so that is what it answers with here.
 */
function mainCatalog(list: string): CompletionCatalog {
  const main = MainCatalog.fromList(list);
  return {
    hasProvider: (provider) => main.providerSize(provider) > 0,
    groups: (provider, prefix, limit) => main.groups(provider, prefix, limit),
    withPrefix: (provider, prefix, limit) => main.withPrefix(provider, prefix, limit),
    withLastSegment: (provider, prefix, limit) => main.withLastSegment(provider, prefix, limit),
  };
}

// ---------------------------------------------------------------------------------------------
// Requests: a user typing, one completion per keystroke at the cursor

const SCRIPT_HEAD = [
  '#include <linux/sched.h>',
  'BEGIN { printf("Tracing… Ctrl-C to end\\n"); }',
  '',
  'tracepoint:syscalls:sys_enter_read /comm == "nginx"/ {',
  '  @start[tid] = nsecs;',
  '}',
  '',
  'tracepoint:syscalls:sys_exit_read',
  '/@start[tid]/',
  '{',
  '  @lat_us = hist((nsecs - @start[tid]) / 1000);',
  '  delete(@start[tid]);',
  '}',
  '',
].join('\n');

/** What is typed, after the head of the script; every prefix is a request. */
const TYPED = [
  'kprobe:vfs_read',
  'kretprobe:vfs_r',
  'kprobe:tcp_sendmsg',
  'kprobe:__x64_sys_',
  'kprobe:do_',
  'kfunc:vmlinux:tcp_sendmsg',
  'kfunc:vfs_rea',
  'f:tcp_send',
  'tracepoint:syscalls:sys_enter_openat',
  't:sched:sched_switch',
  'tracepoint:sched_wak',
  'uprobe:/usr/lib/x86_64-linux-gnu/libc.so.6:malloc',
  'iter:task_file',
  'profile:hz:99',
];
const ACTIONS = ['{ @bytes[comm] = sum(arg2); @n = count(); @h = hist(retval); printf("%d\\n", pid); }'];

interface Request {
  text: string;
  offset: number;
  probe?: string;
}

function requests(): Request[] {
  const out: Request[] = [];
  for (const typed of TYPED) {
    for (let n = 1; n <= typed.length; n++) {
      const text = `${SCRIPT_HEAD}${typed.slice(0, n)}`;
      out.push({ text, offset: text.length, probe: typed.slice(0, n) });
    }
  }
  for (const action of ACTIONS) {
    const head = `${SCRIPT_HEAD}kprobe:vfs_read `;
    for (let n = 1; n <= action.length; n++) {
      const text = `${head}${action.slice(0, n)}`;
      out.push({ text, offset: text.length });
    }
  }
  return out;
}

/** The naive way: scan the whole list for every request (substring match, as grafana-pcp does). */
function naiveProbeCompletion(probes: string[], prefix: string, limit = 100): string[] {
  const out: string[] = [];
  for (const p of probes) {
    if (p.includes(prefix)) {
      out.push(p);
      if (out.length >= limit * 10) {
        break;
      }
    }
  }
  return out.slice(0, limit);
}

async function hostList(): Promise<string | undefined> {
  if (!(await pmproxyAvailable())) {
    return undefined;
  }
  const res = await fetch(`${PMPROXY}/pmapi/fetch?names=bpftrace.info.tracepoints`);
  const body = (await res.json()) as { values: Array<{ instances: Array<{ value: string }> }> };
  return body.values[0]?.instances[0]?.value;
}

async function main(): Promise<void> {
  const probes = syntheticProbeList();
  const list = probes.join(',');
  const reqs = requests();
  const probeReqs = reqs.filter((r) => r.probe?.includes(':'));
  console.log(
    `completion: ${probes.length.toLocaleString('en-US')} probes, ${(list.length / 1e6).toFixed(1)} MB list; ` +
      `${reqs.length} requests per session (${probeReqs.length} with a provider typed)`
  );

  // First completion, index build included, on a fresh catalog each time; before and after alternate.
  const first: number[] = [];
  const builds: number[] = [];
  const firstBefore: number[] = [];
  for (let i = 0; i < COLD_BUILDS; i++) {
    for (const before of [true, false]) {
      collectGarbage();
      const t0 = performance.now();
      const catalog = before ? mainCatalog(list) : ProbeCatalog.fromList(list);
      const t1 = performance.now();
      const r = completeAt(`${SCRIPT_HEAD}kprobe:vfs_r`, SCRIPT_HEAD.length + 12, { catalog });
      const t2 = performance.now();
      if (!r.items.some((x) => x.label === 'kprobe:vfs_read')) {
        throw new Error('first completion did not find kprobe:vfs_read');
      }
      if (before) {
        firstBefore.push(t2 - t0);
      } else {
        builds.push(t1 - t0);
        first.push(t2 - t0);
      }
    }
  }

  // Sessions: cold (right after the build: lazy bucket sorts included), then warm. Cold twice:
  // with no idle time at all (the lookups alone build each index, a chunk per lookup, scanning
  // meanwhile), and as in the editor, which finishes the indexes in the browser's idle time
  // between keystrokes (components/idleIndexing): IDLE_MS per keystroke, a frame, where typing
  // even 10 keys a second leaves ~100 ms. That idle work is timed apart: it blocks no keystroke.
  collectGarbage();
  let k = 0;
  const noIdleCatalog = ProbeCatalog.fromList(list);
  const coldNoIdle = measure(reqs.length, 0, () =>
    completeAt(reqs[k].text, reqs[k++].offset, { catalog: noIdleCatalog })
  );
  collectGarbage();
  const catalog = ProbeCatalog.fromList(list);
  const idleMs: number[] = [];
  const cold: Array<{ wallMs: number }> = [];
  for (const r of reqs) {
    const t0 = performance.now();
    completeAt(r.text, r.offset, { catalog });
    cold.push({ wallMs: performance.now() - t0 });
    // The idle time after the keystroke, timed apart from it.
    const start = performance.now();
    catalog.indexWhileIdle(() => performance.now() < start + IDLE_MS);
    idleMs.push(performance.now() - start);
  }
  const warmRounds = 5;
  k = 0;
  const warm = measure(reqs.length * warmRounds, reqs.length, () => {
    const r = reqs[k++ % reqs.length];
    completeAt(r.text, r.offset, { catalog });
  });

  // Sanity: what the sessions found.
  const check = (typed: string, label: string) => {
    const text = `${SCRIPT_HEAD}${typed}`;
    if (!completeAt(text, text.length, { catalog }).items.some((x) => x.label === label)) {
      throw new Error(`${typed} did not offer ${label}`);
    }
  };
  check('tracepoint:sched_wak', 'tracepoint:sched:sched_wakeup');
  check('kfunc:vfs_rea', 'kfunc:vmlinux:vfs_read');
  check('uprobe:/usr/lib/x86_64-linux-gnu/libc.so.6:mal', 'uprobe:/usr/lib/x86_64-linux-gnu/libc.so.6:malloc');

  // Naive: the same probe requests, each a scan of the whole list.
  k = 0;
  const naiveN = Math.min(120, probeReqs.length);
  const naive = measure(naiveN, 5, () => {
    const r = probeReqs[k++ % probeReqs.length];
    naiveProbeCompletion(probes, r.probe!);
  });

  const wall = (s: Array<{ wallMs: number }>) => summarize(s.map((x) => x.wallMs));
  console.log('ms (wall):');
  printTable([
    ['fromList (split, providers)', summarize(builds)],
    ['first completion, before', summarize(firstBefore)],
    ['first completion incl. build', summarize(first)],
    ['requests, cold, no idle time', wall(coldNoIdle)],
    [`requests, cold, ${IDLE_MS} ms idle`, wall(cold)],
    ['requests, warm sessions', wall(warm)],
    ['naive full scan per request', wall(naive)],
  ]);
  const coldWall = wall(cold);
  const idleWork = idleMs.filter((ms) => ms > 0.05);
  const warmWall = wall(warm);
  const p95 = (s: Array<{ wallMs: number }>) => {
    const v = s.map((x) => x.wallMs).sort((a, b) => a - b);
    return v[Math.min(v.length - 1, Math.floor(0.95 * v.length))];
  };
  const firstWorst = Math.max(...first);
  const firstMedian = summarize(first).median;
  const beforeMedian = summarize(firstBefore).median;
  const coldP95 = p95(cold);
  console.log(
    `first completion (index build included): median ${fmt(firstMedian)} ms (before ${fmt(beforeMedian)} ms, ` +
      `×${(beforeMedian / firstMedian).toFixed(1)}), worst of ${COLD_BUILDS} ${fmt(firstWorst)} ms; ` +
      `target median ≤ ${FIRST_TARGET_MS} ms: ${firstMedian <= FIRST_TARGET_MS ? 'MET' : 'MISSED'}`
  );
  console.log(
    `requests: cold p50 ${fmt(coldWall.median)} ms, p95 ${fmt(coldP95)} ms, max ${fmt(coldWall.max)} ms ` +
      `(with no idle time: p95 ${fmt(p95(coldNoIdle))} ms, max ${fmt(wall(coldNoIdle).max)} ms); ` +
      `warm p50 ${fmt(warmWall.median)} ms, p95 ${fmt(p95(warm))} ms; target p95 ≤ ${P95_TARGET_MS} ms: ` +
      (coldP95 <= P95_TARGET_MS ? 'MET' : 'MISSED')
  );
  console.log(
    `idle work (index building between keystrokes, not in them): ${idleWork.length} of ${idleMs.length} idle periods used, ` +
      `${fmt(idleWork.reduce((sum, ms) => sum + ms, 0))} ms in all, the longest ${fmt(Math.max(0, ...idleWork))} ms of ${IDLE_MS}`
  );
  console.log(
    `naive full scan: p50 ${fmt(wall(naive).median)} ms, p95 ${fmt(p95(naive))} ms per request ` +
      `(${(wall(naive).median / warmWall.median).toFixed(0)}× the indexed median)`
  );

  const real = await hostList().catch(() => undefined);
  if (real) {
    const t0 = performance.now();
    const c = ProbeCatalog.fromList(real);
    const r = completeAt('tracepoint:sch', 14, { catalog: c });
    console.log(
      `this host (${PMPROXY}): ${c.size.toLocaleString('en-US')} probes, first completion incl. build ${fmt(performance.now() - t0)} ms, ` +
        `"tracepoint:sch" → ${r.items.length} items`
    );
  } else {
    console.log(`this host: pmproxy at ${PMPROXY} not reachable, skipped`);
  }

  if (firstMedian > FIRST_TARGET_MS || coldP95 > P95_TARGET_MS) {
    process.exitCode = 1;
  }
}

void main();
