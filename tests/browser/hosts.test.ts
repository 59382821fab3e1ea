/**
 * One query on two real hosts, drawn: the plugin's query with Host field `$host`, a multi-value
 * dashboard variable holding this machine's pmcd and the second pmcd of
 * `scripts/pcp-stack.sh up --second-host` (port 44331), through the real pmproxy; Grafana's
 * time-series graph draws what the plugin returns. The screenshot is the README's.
 * Run with tests/browser/run.sh (the second host must be up).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ARTIFACTS, up, useHarness, withPage } from './harness';

useHarness();

const HOSTS = ['localhost', `localhost:${process.env.BPFLIVE_SECOND_PORT ?? '44331'}`];

test('(h) one query on two hosts: a series per host, labelled and named by host', async (t) => {
  await withPage(
    t,
    up,
    async (page) => {
      await page.waitForFunction(
        (n) => (window.bpfliveHost.hostsPanel ?? []).filter((f) => f.points >= 20).length === n,
        HOSTS.length,
        { timeout: 60_000 }
      );
      const frames = await page.evaluate(() => window.bpfliveHost.hostsPanel!);
      t.diagnostic(JSON.stringify(frames));
      assert.deepEqual(
        frames
          .map((f) => f.series)
          .flat()
          .sort(),
        HOSTS.map((h) => `${h}: @syscalls`).sort()
      );
      assert.deepEqual(frames.map((f) => f.labels[0].host).sort(), [...HOSTS].sort());
      await page.waitForTimeout(500);
      await page.locator('#hosts-section').screenshot({ path: join(ARTIFACTS, 'two-hosts.png') });
    },
    { search: `?view=hosts&hosts=${HOSTS.join(',')}`, viewport: { width: 1100, height: 520 } }
  );
});
