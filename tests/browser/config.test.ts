/**
 * The datasource's configuration page in the built plugin: ConfigEditor's fields, and Save & test
 * through the datasource proxy against the real pmproxy, pmproxy down, and pmcd unreachable.
 * Run with tests/browser/run.sh; the harness is harness.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ARTIFACTS, closedPort, down, PROXY_PREFIX, up, useHarness, waitForPmproxy, withPage } from './harness';
import { describeRuntime, installedVersion, selectedRuntime } from './runtime';

useHarness();

const runtime = selectedRuntime();

test(`(a) the page gives the plugin the selected runtime: ${describeRuntime(runtime)}`, async (t) => {
  await withPage(t, up, async (page) => {
    await page.locator('#config-section').getByLabel('Host specification').waitFor();
    // The plugin's `react` external is the host's: a second React would fail the hooks anyway.
    assert.equal(await page.evaluate(() => window.__deps.react.version), installedVersion(runtime, 'react'));
  });
});

test('(b) ConfigEditor: URL, PCP fields, and the refusal of a sub-second poll interval', async (t) => {
  await withPage(t, up, async (page) => {
    const config = page.locator('#config-section');
    // The label also holds the field's description: "URLYour access method is …".
    const url = config.getByLabel(/^URL/);
    await url.waitFor();
    assert.equal(await url.getAttribute('placeholder'), 'http://localhost:44322');
    assert.equal(await url.inputValue(), 'http://localhost:44322');

    const host = config.getByLabel('Host specification');
    const poll = config.getByLabel('Poll interval (seconds)');
    const retention = config.getByLabel('Retention');
    assert.equal(await host.inputValue(), 'localhost');
    assert.equal(await poll.inputValue(), '1');
    assert.equal(await retention.inputValue(), '30m');
    assert.equal(await config.getByRole('alert').count(), 0, 'no validation message for the defaults');

    // Typing reaches onOptionsChange and comes back as the new value.
    await host.fill('pcp://127.0.0.2:44321');
    assert.equal(await host.inputValue(), 'pcp://127.0.0.2:44321');
    assert.equal(
      await page.evaluate(() => window.bpfliveHost.configOptions!.jsonData.hostspec),
      'pcp://127.0.0.2:44321'
    );
    await host.fill('localhost');

    await poll.fill('0.5');
    const refusal = config.getByRole('alert').filter({ hasText: 'once a second' });
    await refusal.waitFor({ timeout: 5_000 });
    t.diagnostic(`refusal: ${await refusal.innerText()}`);
    assert.equal(await page.evaluate(() => window.bpfliveHost.configOptions!.jsonData.pollIntervalSec), 0.5);
    await config.screenshot({ path: join(ARTIFACTS, 'config-editor.png') });

    await poll.fill('2');
    await refusal.waitFor({ state: 'detached', timeout: 5_000 });
  });
});

test('(d) Save & test through the datasource proxy against the real pmproxy', async (t) => {
  await waitForPmproxy();
  await withPage(t, up, async (page) => {
    const config = page.locator('#config-section');
    await config.getByLabel('Host specification').waitFor();
    await page.getByTestId('save-and-test').click();
    const result = page.getByTestId('test-result');
    await result.waitFor({ timeout: 20_000 });
    const shown = await result.innerText();
    t.diagnostic(`shown: ${shown.replace(/\s+/g, ' ')}`);
    const r = await page.evaluate(() => window.bpfliveHost.lastTestResult!);
    assert.equal(r.status, 'success', `Save & test: ${JSON.stringify(r)}`);
    assert.match(r.message, /PCP \d/);
    assert.match(r.message, /\d+ probes/);
    // The stack runs redis-server and pmproxy's series module, so the series store is reported.
    assert.match(r.message, /Series store: available/);
    assert.ok(shown.includes(r.message), 'the message is shown on the page');
    await config.screenshot({ path: join(ARTIFACTS, 'save-and-test.png') });

    // The window function, and the requests behind it: all via the proxy path, all answered.
    const again = await page.evaluate(() => window.bpfliveHost.testDatasource());
    assert.equal(again.status, 'success');
    const requests = await page.evaluate(() => window.bpfliveHost.requests);
    assert.ok(requests.length >= 3, JSON.stringify(requests));
    for (const req of requests) {
      // Reads go to /pmapi/… and /series/… (the series store's sentence), the permission check (a
      // deregister of a name no script has) to the Editors' control route.
      assert.ok(
        req.url.startsWith(`${PROXY_PREFIX}/pmapi/`) ||
          req.url.startsWith(`${PROXY_PREFIX}/series/`) ||
          req.url.startsWith(`${PROXY_PREFIX}/control/store`),
        `not through the proxy: ${req.url}`
      );
      assert.ok((req.status ?? 0) > 0, `no answer for ${req.url}`);
    }
  });
});

test('(e) Save & test with pmproxy down: the proxy answers 502 and the message says so', async (t) => {
  await withPage(t, down, async (page) => {
    await page.getByTestId('save-and-test').click();
    const result = page.getByTestId('test-result');
    await result.waitFor({ timeout: 20_000 });
    const r = await page.evaluate(() => window.bpfliveHost.lastTestResult!);
    t.diagnostic(`message: ${r.message}`);
    assert.equal(r.status, 'error');
    assert.match(r.message, /Cannot reach pmproxy/);
    assert.equal(await result.getAttribute('data-status'), 'error');
    const statuses = await page.evaluate(() => window.bpfliveHost.requests.map((q) => q.status));
    assert.deepEqual([...new Set(statuses)], [502]);
    await page.locator('#config-section').screenshot({ path: join(ARTIFACTS, 'save-and-test-unreachable.png') });

    const viaWindow = await page.evaluate(() => window.bpfliveHost.testDatasource());
    assert.equal(viaWindow.status, 'error');
    assert.match(viaWindow.message, /Cannot reach pmproxy/);
  });
});

test('(f) no HTTP answer at all (fetch rejects): also "Cannot reach pmproxy"', async (t) => {
  await withPage(t, up, async (page) => {
    // A direct URL to a closed port: window.fetch rejects, as when Grafana itself is unreachable.
    const r = await page.evaluate((url) => window.bpfliveHost.testDatasourceAt(url), `http://127.0.0.1:${closedPort}`);
    t.diagnostic(`message: ${r.message}`);
    assert.equal(r.status, 'error');
    assert.match(r.message, /Cannot reach pmproxy/);
    assert.equal(r.thrown, undefined, 'testDatasource resolves with the error; it does not throw');
  });
});

test('(g) pmproxy answers but cannot reach pmcd: Save & test says so', async (t) => {
  await waitForPmproxy();
  await withPage(t, up, async (page) => {
    await page.locator('#config-section').getByLabel('Host specification').fill('localhost:1');
    await page.getByTestId('save-and-test').click();
    await page.getByTestId('test-result').waitFor({ timeout: 20_000 });
    const r = await page.evaluate(() => window.bpfliveHost.lastTestResult!);
    t.diagnostic(`message: ${JSON.stringify(r.message)}`);
    assert.equal(r.status, 'error');
    assert.match(r.message, /cannot reach pmcd at "localhost:1"/);
    assert.equal(r.details?.message, 'state: pmcdUnreachable');
  });
});

// Grafana's backendSrv hands a non-2xx text answer (responseType 'text') to the plugin as
// data = {message: <raw body>, error: statusText, response: <raw body>}; the plugin must classify
// pmproxy's own body, not show its JSON.
test("(h) pmproxy's error JSON is not shown raw in the Save & test message", async (t) => {
  await waitForPmproxy();
  await withPage(t, up, async (page) => {
    await page.locator('#config-section').getByLabel('Host specification').fill('localhost:1');
    const r = await page.evaluate(() => window.bpfliveHost.testDatasource());
    t.diagnostic(`message: ${JSON.stringify(r.message)}`);
    assert.doesNotMatch(r.message, /"success"|\{"message"/);
    assert.match(r.message, /\(cannot connect to PMCD: Connection refused\)/);
  });
});
