/**
 * The tick of bench/cpu-per-tick timed where the product runs it: in Chromium's main thread
 * (headless /usr/bin/chromium, or CHROMIUM), today's path only (lib/tickPath.ts). It answers
 * what the Node bench cannot: whether V8 as a browser runs it gives the same tail, and where the
 * young collections (scavenges) that make that tail fall when ticks come as polls do, one per
 * task, with the event loop turning in between (paced), rather than back to back.
 *
 * Clock: performance.now() in a cross-origin-isolated page (5 µs steps; printed), wall time on the
 * main thread, so preemption by other processes counts too: the control (a fixed loop as long as
 * the tick's median, timed the same way, lib/tickPath.ts fixedWork) is this machine's floor.
 * Collections: V8's MinorGC / MajorGC events from a Chrome trace of the same windows, matched by
 * time with the ticks (a performance.mark ties the page's clock to the trace's). Pauses between
 * ticks are printed beside the ticks' own figures: pacing moves them, it does not remove them.
 *
 * Run: npm run bench -- browser-tick
 */
import { build } from 'esbuild';
import { join } from 'node:path';

import { launchChromium } from '../tests/browser/launch';
import type { TickPageApi } from './browser/tickPage';
import { printTable, summarize, Summary } from './lib/measure';
import { SAMPLE_JITTER_MS, SpanSource } from './lib/tickPath';

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: { name?: string };
}

interface TickWindow {
  label: string;
  ticks: Awaited<ReturnType<TickPageApi['ticks']>>;
  control: number[];
}

const PAGE_URL = 'http://localhost/bench';

async function pageScript(): Promise<string> {
  const out = await build({
    entryPoints: [join(benchDir(), 'browser', 'tickPage.ts')],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
    write: false,
    logLevel: 'warning',
  });
  return out.outputFiles[0].text;
}

/** The bench's own folder: run.mjs passes it, as the bundle runs from a temp dir. */
function benchDir(): string {
  return process.env.BENCH_DIR ?? join(process.cwd(), 'bench');
}

/** A collection on the page's main thread, in the page's performance.now() ms. */
interface Collection {
  start: number;
  end: number;
  minor: boolean;
}

function collectionsOf(events: TraceEvent[], markName: string, markAt: number): Collection[] {
  const mark = events.find((e) => e.cat.includes('blink.user_timing') && e.name === markName);
  if (!mark) {
    throw new Error(`the trace has no mark ${markName}`);
  }
  const main = events.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const offset = mark.ts / 1000 - markAt;
  return events
    .filter((e) => (e.name === 'MinorGC' || e.name === 'MajorGC') && e.ph === 'X' && (!main || e.tid === main.tid))
    .map((e) => ({
      start: e.ts / 1000 - offset,
      end: (e.ts + (e.dur ?? 0)) / 1000 - offset,
      minor: e.name === 'MinorGC',
    }));
}

function describe(w: TickWindow, collections: Collection[]): string {
  const { start, ms, migrating, compacting } = w.ticks;
  const first = start[0];
  const last = start[start.length - 1] + ms[ms.length - 1];
  const inWindow = collections.filter((c) => c.end >= first && c.start <= last);
  const inTick = inWindow.filter((c) => start.some((s, i) => c.start < s + ms[i] && c.end > s));
  const between = inWindow.filter((c) => !inTick.includes(c));
  const s = summarize(ms);
  const control = summarize(w.control);
  const pause = (cs: Collection[]) => cs.reduce((sum, c) => sum + c.end - c.start, 0);
  const slow = ms.map((_, i) => i).filter((i) => ms[i] > 2 * s.median);
  const slowGc = slow.filter((i) => inTick.some((c) => c.start < start[i] + ms[i] && c.end > start[i])).length;
  const slowMigrating = slow.filter((i) => migrating[i]).length;
  const slowCompacting = slow.filter((i) => compacting[i]).length;
  return (
    `${w.label}: median ${s.median.toFixed(3)} ms, p99 ${s.p99.toFixed(3)} ms = ${(s.p99 / s.median).toFixed(2)}× ` +
    `median (goal ≤ 2: ${s.p99 <= 2 * s.median ? 'MET' : 'MISSED'}); control (a fixed loop of ` +
    `${control.median.toFixed(3)} ms timed the same way): p99/median ${(control.p99 / control.median).toFixed(2)}; ` +
    `collections: ${inTick.length} in ticks (${inTick.filter((c) => c.minor).length} scavenges, ` +
    `${pause(inTick).toFixed(1)} ms), ${between.length} between ticks (${between.filter((c) => c.minor).length} ` +
    `scavenges, ${pause(between).toFixed(1)} ms, max ${Math.max(0, ...between.map((c) => c.end - c.start)).toFixed(2)} ms); ` +
    `all collections: ${(pause(inWindow) / ms.length).toFixed(3)} ms per tick on average; ` +
    `${slow.length} ticks (${((100 * slow.length) / ms.length).toFixed(1)} %) over 2× the median: ${slowGc} with a ` +
    `collection, ${slowMigrating} dropping old rows, ${slowCompacting} compacting stores`
  );
}

async function main(): Promise<void> {
  const script = await pageScript();
  // Exact heap figures (performance.memory is otherwise rounded), and gc() for them.
  const browser = await launchChromium(['--js-flags=--expose-gc', '--enable-precise-memory-info']);
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    // Cross-origin isolated: performance.now() in 5 µs steps rather than 100 µs.
    await page.route(PAGE_URL, (route) =>
      route.fulfill({
        contentType: 'text/html',
        headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
        body: `<!doctype html><meta charset="utf-8"><title>bench</title><script>${script.replace(/<\/script/g, '<\\/script')}</script>`,
      })
    );
    await page.goto(PAGE_URL);
    const clock = await page.evaluate(() => (window as unknown as { tickPage: TickPageApi }).tickPage.clock());
    console.log(
      `${await browser.version()}: performance.now() steps ${(clock.stepMs * 1000).toFixed(1)} µs; cross-origin isolated: ${clock.isolated}`
    );
    const cdp = await context.newCDPSession(page);
    const events: TraceEvent[] = [];
    cdp.on('Tracing.dataCollected', (e) => events.push(...(e.value as unknown as TraceEvent[])));
    const rows: Array<[string, Summary]> = [];
    const lines: string[] = [];
    for (const [series, points, n] of [
      [2000, 1800, 800],
      [200, 7200, 2000],
      [200, 1800, 2000],
    ]) {
      await page.evaluate(
        ([s, p]) => (window as unknown as { tickPage: TickPageApi }).tickPage.prepare(s, p),
        [series, points]
      );
      const windows: TickWindow[] = [];
      await cdp.send('Tracing.start', {
        categories: 'devtools.timeline,blink.user_timing,v8',
        transferMode: 'ReportEvents',
      });
      const markName = `bench-${series}x${points}`;
      const markAt = await page.evaluate(
        (name) => (window as unknown as { tickPage: TickPageApi }).tickPage.mark(name),
        markName
      );
      for (const paced of [false, true]) {
        const ticks = await page.evaluate(
          ([k, p]) => (window as unknown as { tickPage: TickPageApi }).tickPage.ticks(k as number, p as boolean),
          [n, paced]
        );
        const median = summarize(ticks.ms).median;
        const control = await page.evaluate(
          ([m, k, p]) =>
            (window as unknown as { tickPage: TickPageApi }).tickPage.control(m as number, k as number, p as boolean),
          [median, n, paced]
        );
        windows.push({ label: `${series}×${points} ${paced ? 'paced' : 'back to back'}`, ticks, control });
      }
      const done = new Promise<void>((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()));
      await cdp.send('Tracing.end');
      await done;
      const collections = collectionsOf(events, markName, markAt);
      events.length = 0;
      for (const w of windows) {
        rows.push([w.label, summarize(w.ticks.ms)]);
        lines.push(describe(w, collections));
      }
    }
    const memory = (source: SpanSource) =>
      page.evaluate((s) => (window as unknown as { tickPage: TickPageApi }).tickPage.memory(s), source);
    const [map, metric] = [await memory('prints'), await memory('sampleTimes')];
    console.log(
      `JS heap held by one 200×1800 counter buffer (median over its third retention; sample times up to ` +
        `${SAMPLE_JITTER_MS} ms late): ${map.toFixed(2)} MiB for a bpftrace map (rates over its prints: integers), ` +
        `${metric.toFixed(2)} MiB for a PCP metric (rates over sample times: fractions); array buffers' stores not counted`
    );
    console.log(
      'tick: parse the fetch body + name instances + append + emit the frame; main-thread wall ms per tick, in Chromium'
    );
    printTable(rows);
    lines.forEach((l) => console.log(l));
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
