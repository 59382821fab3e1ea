/**
 * The flame-graph frame builder (src/frames/flamegraph.ts) fed with the real-stack fixture
 * tests/fixtures/kstacks.json (recorded from pmproxy + pmcd + the bpftrace PMDA + bpftrace 0.17:
 * `profile:hz:99 { @ks[kstack] = count(); @kcomm[comm, kstack] = count(); }`) and rendered by
 * @grafana/flamegraph's FlameGraph component in headless Chromium (flamegraph-host.tsx, built by
 * build-flamegraph.ts in `before`). Needs no PCP stack. Run with tests/browser/run.sh, or:
 *
 *   TS_NODE_PROJECT=tests/tsconfig.json node -r ts-node/register --test tests/browser/flamegraph.test.ts
 *
 * Env: CHROMIUM (default /usr/bin/chromium), BPFLIVE_RUNTIME (runtime.ts). Screenshots:
 * artifacts/browser/grafana-<runtime>/flamegraph*.png.
 */
import { after, before, test, TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Browser, Page } from 'playwright-core';
import { buildFlameGraphPage, FLAMEGRAPH_PAGE } from './build-flamegraph';
import { ARTIFACTS, assertNoPageErrors, launchChromium, reportConsole, watchPage } from './chromium';
import type { FlameHost } from './pageApi';
import { installedVersion, selectedRuntime } from './runtime';
import { startServer, TestServer } from './server';

const VIEWPORT = { width: 1400, height: 900 };

let browser: Browser;
let server: TestServer;

before(async () => {
  await buildFlameGraphPage({ quiet: true });
  [browser, server] = await Promise.all([
    launchChromium(),
    // Only its static files are used (/host/ → tests/browser/dist/, Grafana's icons); no pmproxy.
    startServer({ upstream: 'http://127.0.0.1:9' }),
  ]);
});

after(async () => {
  await Promise.all([browser?.close(), server?.close()]);
});

/** Opens the page with `query`, runs `fn(page, host)`, then fails on any uncaught page error. */
async function withFlameGraph(
  t: TestContext,
  query: string,
  fn: (page: Page, host: FlameHost) => Promise<void>
): Promise<void> {
  const page = await browser.newPage({ viewport: VIEWPORT });
  page.setDefaultTimeout(10_000);
  const watch = watchPage(page);
  try {
    await page.goto(`${server.url}${FLAMEGRAPH_PAGE}${query}`);
    await page.waitForFunction(() => window.flameHost?.ready || window.flameHost?.error, null, { timeout: 15_000 });
    const host = await page.evaluate(() => ({ ...window.flameHost }));
    assert.equal(host.error, undefined, `the FlameGraph component threw: ${host.error}`);
    await fn(page, host);
  } finally {
    // Grafana's fonts (/public/fonts/) and a few icons are not in node_modules: 404s, harmless.
    reportConsole(t, watch, /status of 404/);
    await page.close();
  }
  assertNoPageErrors(watch);
}

/** Non-background pixels of the flame graph's canvas (it paints nothing until it has data). */
function paintedPixels(page: Page): Promise<{ painted: number; of: number }> {
  return page.getByTestId('flameGraph').evaluate((canvas: HTMLCanvasElement) => {
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    let painted = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] !== 0) {
        painted++;
      }
    }
    return { painted, of: canvas.width * canvas.height };
  });
}

const tooltipShown = () => /(^|\n)Total: \d/.test(document.body.innerText);

/**
 * The label and total of the tooltip the flame graph shows for the box under (x, y) of its
 * canvas: the tooltip's text is "<label>", ["and N similar items",] "Count", "Total: <n> (<p>%)", "Self: …".
 */
async function labelAt(page: Page, x: number, y: number): Promise<{ label: string; total: string }> {
  const box = (await page.getByTestId('flameGraph').boundingBox())!;
  // The canvas may still be re-laying out after a click: hover again until the tooltip shows.
  for (let attempt = 0; ; attempt++) {
    await page.mouse.move(box.x + x, box.y + y - 1);
    await page.mouse.move(box.x + x, box.y + y, { steps: 2 });
    try {
      await page.waitForFunction(tooltipShown, null, { timeout: 1_000 });
      break;
    } catch (e) {
      if (attempt === 4) {
        throw e;
      }
    }
  }
  const lines = (await page.locator('body').innerText()).split('\n');
  const totalLine = lines.findIndex((l) => /^Total: \d/.test(l));
  let i = totalLine - 1;
  // A collapsed group of single-child boxes adds "and N similar items" under its first label.
  while (i >= 0 && (lines[i].trim() === '' || lines[i] === 'Count' || /^and \d+ similar items$/.test(lines[i]))) {
    i--;
  }
  await page.mouse.move(0, 0);
  await page.waitForFunction(() => !/(^|\n)Total: \d/.test(document.body.innerText), null, { timeout: 2_000 });
  return { label: lines[i], total: lines[totalLine] };
}

/** Types into the flame graph's search box; the top table keeps the matching symbols. */
async function search(page: Page, text: string): Promise<void> {
  await page.getByPlaceholder('Search...').fill(text);
}

/** The top table's rows as [symbol, self, total], in the order shown. */
async function topTable(page: Page): Promise<Array<[string, number, number]>> {
  const cells = (await page.getByRole('table').innerText()).split('\n').filter((s) => s.trim() !== '');
  const rows: Array<[string, number, number]> = [];
  for (let i = cells.indexOf('Total') + 1; i + 2 < cells.length + 1; i += 3) {
    rows.push([cells[i], Number(cells[i + 1]), Number(cells[i + 2])]);
  }
  return rows;
}

test('@ks from the real-stack fixture renders: top table, canvas, root at the top, callers above callees', async (t) => {
  await withFlameGraph(t, '', async (page, host) => {
    assert.equal(host.reactVersion, installedVersion(selectedRuntime(), 'react'), 'the selected runtime runs the page');
    assert.equal(host.total, 591, 'every sample of the two prints');
    assert.deepEqual(host.topLevel, [
      'asm_exc_page_fault',
      'common_startup_64',
      'entry_SYSCALL_64_after_hwframe',
      'ret_from_fork_asm',
    ]);
    await page.getByTestId('flameGraph').waitFor();
    await page.getByText('591 | 591 samples (Count)').waitFor();

    // Top table, by self: the idle loop's halt first; then sorted by total: `all` first.
    const bySelf = await topTable(page);
    t.diagnostic(`top table by self: ${JSON.stringify(bySelf.slice(0, 4))}`);
    assert.deepEqual(bySelf[0], ['pv_native_safe_halt', 566, 566]);
    // Sorting by total: the first click sorts ascending, the second descending.
    await page.getByRole('button', { name: 'Total' }).click();
    await page.getByRole('button', { name: 'Total' }).click();
    const byTotal = await topTable(page);
    t.diagnostic(`top table by total: ${JSON.stringify(byTotal.slice(0, 4))}`);
    assert.deepEqual(byTotal[0], ['all', 0, 591]);
    assert.deepEqual(byTotal.slice(1, 3), [
      ['pv_native_safe_halt', 566, 566],
      ['default_idle', 0, 566],
    ]);
    // A kernel entry frame: the table is virtualized, so search for it.
    await search(page, 'entry_SYSCALL_64');
    await page.waitForFunction(() => {
      const t = document.querySelector<HTMLElement>('[role=table]')?.innerText ?? '';
      return t.includes('entry_SYSCALL_64_after_hwframe') && !t.includes('pv_native_safe_halt');
    });
    const found = await topTable(page);
    t.diagnostic(`top table, search "entry_SYSCALL_64": ${JSON.stringify(found)}`);
    assert.deepEqual(found, [['entry_SYSCALL_64_after_hwframe', 0, 15]]);
    await search(page, '');
    await page.waitForFunction(() =>
      document.querySelector<HTMLElement>('[role=table]')?.innerText.includes('pv_native_safe_halt')
    );

    const { painted, of } = await paintedPixels(page);
    t.diagnostic(`canvas: ${painted} of ${of} pixels painted`);
    assert.ok(painted > of * 0.05, 'the canvas is painted');

    // Orientation (Grafana draws an icicle: root on top): the top row is `all`, the next row the
    // outermost caller of 96 % of the samples, the boot CPU's idle path (collapsed to one group).
    assert.deepEqual(await labelAt(page, 100, 8), { label: 'all', total: 'Total: 591 (100%)' });
    const second = await labelAt(page, 100, 28);
    t.diagnostic(`row 2 under the cursor: ${JSON.stringify(second)}`);
    assert.match(second.label, /common_startup_64/);
    assert.match(second.total, /^Total: 566 /);
    await page.screenshot({ path: join(ARTIFACTS, 'flamegraph.png') });
  });
});

test('hideIdle: the kernel stacks that did work, expanded and readable', async (t) => {
  await withFlameGraph(t, '?hideIdle=1', async (page, host) => {
    assert.equal(host.total, 25);
    assert.ok(!host.topLevel!.includes('common_startup_64'), `top level: ${host.topLevel}`);
    await page.getByRole('radio', { name: 'Flame Graph' }).click();
    await page.getByRole('button', { name: 'Expand all groups' }).click();
    await page.getByText('25 | 25 samples (Count)').waitFor();
    assert.deepEqual(await labelAt(page, 300, 8), { label: 'all', total: 'Total: 25 (100%)' });
    // Row 2 at the right half: entry_SYSCALL_64_after_hwframe, 15 of 25 samples, then do_syscall_64 under it.
    const box = (await page.getByTestId('flameGraph').boundingBox())!;
    const entry = await labelAt(page, box.width * 0.7, 28);
    const below = await labelAt(page, box.width * 0.7, 48);
    t.diagnostic(`at 70 % width: ${entry.label} (${entry.total}) above ${below.label} (${below.total})`);
    assert.equal(entry.label, 'entry_SYSCALL_64_after_hwframe');
    assert.equal(below.label, 'do_syscall_64');
    assert.ok((await paintedPixels(page)).painted > 0);
    await page.screenshot({ path: join(ARTIFACTS, 'flamegraph-hide-idle.png') });
  });
});

test('keyPartsAsRoots on @kcomm[comm, kstack]: the comms are the first level', async (t) => {
  await withFlameGraph(t, '?variable=kcomm&keyPartsAsRoots=1&hideIdle=1', async (page, host) => {
    assert.equal(host.total, 619 - 566);
    assert.ok(host.topLevel!.includes('bash') && host.topLevel!.includes('sleep'), `top level: ${host.topLevel}`);
    await page.getByRole('radio', { name: 'Flame Graph' }).click();
    await page.getByRole('button', { name: 'Expand all groups' }).click();
    await page.getByText('53 | 53 samples (Count)').waitFor();
    const first = await labelAt(page, 5, 28);
    assert.equal(first.label, 'bash', 'comms in label order, bash leftmost');
    await page.screenshot({ path: join(ARTIFACTS, 'flamegraph-kcomm.png') });
  });
});

test('a range without samples: the root alone, drawn as an empty graph without errors', async (t) => {
  await withFlameGraph(t, '?empty=1', async (page, host) => {
    // A frame without rows would make the component throw (nestedSetToLevels reads levels[0][0]).
    assert.equal(host.rows, 1);
    assert.equal(host.total, 0);
    await page.getByTestId('flameGraph').waitFor();
    const text = await page.getByTestId('flamegraph-page').innerText();
    t.diagnostic(`shown: ${text.replace(/\s+/g, ' ').slice(0, 120)}`);
    assert.match(text, /0 \| 0 samples \(Count\)/);
    await page.screenshot({ path: join(ARTIFACTS, 'flamegraph-empty.png') });
  });
});

/** Pixels of the canvas whose colour leans to red (grew) or green (shrank), as the diff colours paint them. */
function diffPixels(page: Page): Promise<{ red: number; green: number; grey: number }> {
  return page.getByTestId('flameGraph').evaluate((canvas: HTMLCanvasElement) => {
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    const out = { red: 0, green: 0, grey: 0 };
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, a] = [data[i], data[i + 1], data[i + 3]];
      if (a === 0) {
        continue;
      }
      if (r > g + 40) {
        out.red++;
      } else if (g > r + 40) {
        out.green++;
      } else {
        out.grey++;
      }
    }
    return out;
  });
}

test('compare: the diff frame renders as Grafana’s diff flame graph, baseline and comparison in the tooltip, red and green boxes', async (t) => {
  await withFlameGraph(t, '?diff=1&hideIdle=1', async (page, host) => {
    // value/self are the first print (the baseline), valueRight/selfRight the second (the comparison).
    assert.ok(host.total! > 0 && host.totalRight! > 0, `totals ${host.total} / ${host.totalRight}`);
    await page.getByRole('radio', { name: 'Flame Graph' }).click();
    await page.getByRole('button', { name: 'Expand all groups' }).click();
    await page.getByTestId('flameGraph').waitFor();
    // The root's tooltip is the diff table: % of total, value and samples for each side.
    const box = (await page.getByTestId('flameGraph').boundingBox())!;
    await page.mouse.move(box.x + 100, box.y + 7);
    await page.mouse.move(box.x + 100, box.y + 8, { steps: 2 });
    await page.waitForFunction(() => /Baseline[\s\S]*Comparison[\s\S]*Diff/.test(document.body.innerText));
    const tip = await page.locator('body').innerText();
    const samples = tip.split('\n').find((l) => l.startsWith('Samples'));
    t.diagnostic(`root tooltip samples row: ${samples}`);
    assert.match(samples ?? '', new RegExp(`^Samples\\s+${host.total}\\s+${host.totalRight}\\s`));
    await page.screenshot({ path: join(ARTIFACTS, 'flamegraph-diff.png') });
    await page.mouse.move(0, 0);
    const colours = await diffPixels(page);
    t.diagnostic(`diff colours: ${JSON.stringify(colours)}`);
    assert.ok(colours.red > 0 && colours.green > 0, 'some stacks grew and some shrank between the two prints');
  });
});
