/**
 * The PCP metric query editor in the built plugin: the query type selector, completion of metric
 * names from the real host's namespace (through the plugin's proxy to pmproxy's /pmapi/children),
 * and, once run, what PCP says of each metric (its semantics and units) under the fields.
 * Run with tests/browser/run.sh; the harness is harness.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sectionShot, TALL, up, useHarness, waitForPmproxy, withPage } from './harness';

useHarness();

test('(m) PCP metric query: names completed from the host, counters and instants as PCP says', async (t) => {
  await waitForPmproxy();
  await withPage(
    t,
    up,
    async (page) => {
      await page.getByLabel('PCP metric').click();
      const metrics = page.getByTestId('bpflive-metrics');
      await metrics.waitFor();
      const options = () =>
        page.$$eval('[data-testid="bpflive-metric-completions"] option', (os) =>
          os.map((o) => (o as HTMLOptionElement).value)
        );

      // The top level of the host's namespace, then kernel.all's children, as the user types.
      await page.waitForFunction(
        () =>
          document.querySelectorAll('[data-testid="bpflive-metric-completions"] option[value="kernel."]').length === 1,
        null,
        { timeout: 15_000 }
      );
      await metrics.fill('kernel.all.');
      await page.waitForFunction(
        () =>
          document.querySelectorAll('[data-testid="bpflive-metric-completions"] option[value="kernel.all.load"]')
            .length === 1,
        null,
        { timeout: 15_000 }
      );
      const level = await options();
      t.diagnostic(`kernel.all. completes to ${level.length} names`);
      assert.ok(level.includes('kernel.all.sysfork'));
      assert.ok(level.includes('kernel.all.cpu.'), 'a non-leaf is offered with its dot');

      await metrics.fill('kernel.all.load kernel.all.sysfork');
      await metrics.press('Enter');
      await page.waitForFunction(() => window.bpfliveHost.runQueryCount >= 1, null, { timeout: 5_000 });
      const descriptors = page.getByTestId('bpflive-metric-descriptors');
      await descriptors.waitFor({ timeout: 20_000 });
      const text = await descriptors.innerText();
      assert.match(text, /kernel\.all\.load: instant/);
      assert.match(text, /kernel\.all\.sysfork: counter, count → per-second rate/);
      const saved = (await page.evaluate(() => window.bpfliveHost.lastQuery)) as Record<string, unknown>;
      assert.equal(saved.queryType, 'metric');
      assert.equal(saved.metrics, 'kernel.all.load kernel.all.sysfork');
      await metrics.fill('kernel.all.load kernel.all.sysfork, disk.dev.');
      await page.waitForFunction(
        () =>
          document.querySelectorAll('[data-testid="bpflive-metric-completions"] option[value$="disk.dev.read_bytes"]')
            .length === 1,
        null,
        { timeout: 15_000 }
      );
      await sectionShot(page, 'metric-query.png');
    },
    TALL
  );
});
