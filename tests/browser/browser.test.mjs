/**
 * The built plugin (dist/module.js, unmodified) in headless Chromium, inside the minimal Grafana
 * host of host.jsx, talking to the real pmproxy through server.mjs's copy of Grafana's datasource
 * proxy. Run with tests/browser/run.sh (builds what is missing), or, with both bundles built:
 *
 *   node --test tests/browser/
 *
 * Env: BPFLIVE_UPSTREAM (pmproxy, default http://127.0.0.1:44322), CHROMIUM (default /usr/bin/chromium).
 * Screenshots: artifacts/browser/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { DEFAULT_UPSTREAM, PROXY_PREFIX, startServer, unusedPort } from './server.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const ARTIFACTS = join(ROOT, 'artifacts', 'browser');
const PMPROXY = process.env.BPFLIVE_UPSTREAM || DEFAULT_UPSTREAM;
const SCRIPT = 'tracepoint:raw_syscalls:sys_enter { @syscalls = count(); }';
const VIEWPORT = { width: 1100, height: 1000 };

/**
 * Uncaught page errors that are not the plugin's fault. Empty so far: the host sets
 * grafanaBootData (else @grafana/runtime logs "window.grafanaBootData was not set") and
 * MonacoEnvironment.getWorker (else Monaco logs "Could not create web worker(s)"), and both of those
 * are console messages, not page errors anyway. Console errors such as the 404s for Grafana's
 * fonts under /public/fonts/ (not shipped in node_modules) and the 4xx answers pmproxy gives on
 * purpose during Save & test are reported as test diagnostics, never failures.
 */
const HARMLESS_PAGE_ERRORS = [];

let browser;
/** Server whose datasource proxy reaches the real pmproxy. */
let up;
/** Server whose datasource proxy points at a closed port: pmproxy down. */
let down;
let closedPort;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  closedPort = await unusedPort();
  [browser, up, down] = await Promise.all([
    chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    }),
    startServer({ upstream: PMPROXY }),
    startServer({ upstream: `http://127.0.0.1:${closedPort}` }),
  ]);
});

after(async () => {
  await Promise.all([browser?.close(), up?.close(), down?.close()]);
});

/** Opens the host page on `server`, runs `fn(page)`, then fails on any uncaught page error. */
async function withPage(t, server, fn) {
  const page = await browser.newPage({ viewport: VIEWPORT });
  page.setDefaultTimeout(10_000);
  const pageErrors = [];
  const consoleErrors = [];
  page.on('pageerror', (e) => {
    if (!HARMLESS_PAGE_ERRORS.some((re) => re.test(e.message))) {
      pageErrors.push(e.stack || e.message);
    }
  });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') {
      consoleErrors.push(`${m.type()}: ${m.text()} ${m.location()?.url ?? ''}`.trim());
    }
  });
  try {
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => window.bpfliveHost?.ready || window.bpfliveHost?.startError, null, {
      timeout: 15_000,
    });
    const startError = await page.evaluate(() => window.bpfliveHost.startError);
    assert.equal(startError, undefined, `host failed to start: ${startError}`);
    await fn(page);
    const renderErrors = await page.evaluate(() => window.bpfliveHost.renderErrors ?? []);
    assert.deepEqual(renderErrors, [], 'a plugin component threw while rendering');
  } finally {
    for (const c of consoleErrors.filter((c) => !/\/public\/fonts\/|status of 404|status of 400/.test(c))) {
      t.diagnostic(`console ${c}`);
    }
    await page.close();
  }
  assert.deepEqual(pageErrors, [], 'uncaught errors in the page');
}

let pmproxyReady;
/** Waits (once per run, up to 20 s) for pmproxy to list the bpftrace PMDA's control metric. */
function waitForPmproxy() {
  pmproxyReady ??= (async () => {
    const deadline = Date.now() + 20_000;
    let last;
    while (Date.now() < deadline) {
      try {
        const res = await fetch(`${PMPROXY}/pmapi/metric?names=bpftrace.control.register`);
        if (res.ok) {
          return undefined;
        }
        last = `HTTP ${res.status}`;
      } catch (e) {
        last = e?.cause?.code ?? e?.message;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    return `pmproxy at ${PMPROXY} has no bpftrace PMDA (${last}); start it with scripts/pcp-stack.sh up`;
  })();
  return pmproxyReady.then((problem) => {
    if (problem) {
      assert.fail(problem);
    }
  });
}

/** Monaco renders spaces as U+00A0. */
const editorText = (page) =>
  page
    .locator('[data-testid="bpflive-query-editor"] .view-lines')
    .innerText()
    .then((s) => s.replace(/\u00a0/g, ' '));

test('(a) dist/module.js loads through AMD and exports a DataSourcePlugin', async (t) => {
  await withPage(t, up, async (page) => {
    const info = await page.evaluate(() => {
      const { DataSourcePlugin } = window.__deps['@grafana/data'];
      const plugin = window.bpfliveHost.plugin;
      return {
        exports: Object.keys(window.__pluginModule),
        amdDeps: window.__pluginDeps,
        isDataSourcePlugin: plugin instanceof DataSourcePlugin,
        dataSourceClass: typeof plugin.DataSourceClass,
        configEditor: typeof plugin.components.ConfigEditor,
        queryEditor: typeof plugin.components.QueryEditor,
        dsType: window.bpfliveHost.datasource?.type,
        dsIsApi: window.bpfliveHost.datasource instanceof window.__deps['@grafana/data'].DataSourceApi,
      };
    });
    t.diagnostic(`AMD deps of dist/module.js: ${info.amdDeps.join(', ')}`);
    assert.ok(info.exports.includes('plugin'), `exports: ${info.exports}`);
    assert.equal(info.isDataSourcePlugin, true);
    assert.equal(info.dataSourceClass, 'function');
    assert.equal(info.configEditor, 'function');
    assert.equal(info.queryEditor, 'function');
    assert.equal(info.dsIsApi, true, 'new plugin.DataSourceClass(...) is a DataSourceApi');
    assert.equal(info.dsType, 'bpflive-bpftrace-datasource');
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
    await host.fill('pcp://db1:44321');
    assert.equal(await host.inputValue(), 'pcp://db1:44321');
    assert.equal(await page.evaluate(() => window.bpfliveHost.configOptions.jsonData.hostspec), 'pcp://db1:44321');
    await host.fill('localhost');

    await poll.fill('0.5');
    const refusal = config.getByRole('alert').filter({ hasText: 'once a second' });
    await refusal.waitFor({ timeout: 5_000 });
    t.diagnostic(`refusal: ${await refusal.innerText()}`);
    assert.equal(await page.evaluate(() => window.bpfliveHost.configOptions.jsonData.pollIntervalSec), 0.5);
    await config.screenshot({ path: join(ARTIFACTS, 'config-editor.png') });

    await poll.fill('2');
    await refusal.waitFor({ state: 'detached', timeout: 5_000 });
  });
});

test('(c) QueryEditor: Monaco shows the script; edits commit on blur and Ctrl+S', async (t) => {
  await withPage(t, up, async (page) => {
    const editor = page.locator('[data-testid="bpflive-query-editor"] .monaco-editor[role="code"]');
    await editor.waitFor({ timeout: 15_000 });
    await page.waitForFunction(
      (s) =>
        document
          .querySelector('[data-testid="bpflive-query-editor"] .view-lines')
          ?.textContent.replace(/\u00a0/g, ' ')
          .includes(s),
      SCRIPT,
      { timeout: 10_000 }
    );
    assert.equal((await editorText(page)).trim(), SCRIPT);

    const edited = 'tracepoint:raw_syscalls:sys_enter { @syscalls[comm] = count(); }';
    await editor.click();
    await page.keyboard.press('ControlOrMeta+A');
    // One input event for the whole text, so Monaco's auto-closing of brackets does not apply.
    await page.keyboard.insertText(edited);
    await page.waitForFunction(
      (s) =>
        document
          .querySelector('[data-testid="bpflive-query-editor"] .view-lines')
          ?.textContent.replace(/\u00a0/g, ' ')
          .includes(s),
      edited
    );
    const whileTyping = await page.evaluate(() => ({
      changes: window.bpfliveHost.changeCount,
      runs: window.bpfliveHost.runQueryCount,
    }));
    assert.deepEqual(whileTyping, { changes: 0, runs: 0 }, 'nothing is committed while the editor has focus');

    await page.locator('#query-section h2').click(); // focus leaves the editor
    await page.waitForFunction(() => window.bpfliveHost.runQueryCount >= 1, null, { timeout: 5_000 });
    const afterBlur = await page.evaluate(() => ({
      query: window.bpfliveHost.lastQuery,
      changes: window.bpfliveHost.changeCount,
      runs: window.bpfliveHost.runQueryCount,
    }));
    assert.deepEqual(afterBlur.query, { refId: 'A', code: edited });
    assert.equal(afterBlur.changes, 1);
    assert.equal(afterBlur.runs, 1);
    await page.locator('#query-section').screenshot({ path: join(ARTIFACTS, 'query-editor.png') });

    // Ctrl/Cmd+S commits without leaving the editor.
    const saved = `${edited}\ninterval:s:1 { print(@syscalls); clear(@syscalls); }`;
    await editor.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.insertText(saved);
    await page.keyboard.press('ControlOrMeta+S');
    await page.waitForFunction(() => window.bpfliveHost.runQueryCount >= 2, null, { timeout: 5_000 });
    assert.equal(await page.evaluate(() => window.bpfliveHost.lastQuery.code), saved);
    assert.equal(await page.evaluate(() => window.bpfliveHost.changeCount), 2);
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
    const r = await page.evaluate(() => window.bpfliveHost.lastTestResult);
    assert.equal(r.status, 'success', `Save & test: ${JSON.stringify(r)}`);
    assert.match(r.message, /PCP \d/);
    assert.match(r.message, /\d+ probes/);
    assert.ok(shown.includes(r.message), 'the message is shown on the page');
    await config.screenshot({ path: join(ARTIFACTS, 'save-and-test.png') });

    // The window function, and the requests behind it: all via the proxy path, all answered.
    const again = await page.evaluate(() => window.bpfliveHost.testDatasource());
    assert.equal(again.status, 'success');
    const requests = await page.evaluate(() => window.bpfliveHost.requests);
    assert.ok(requests.length >= 3, JSON.stringify(requests));
    for (const req of requests) {
      assert.ok(req.url.startsWith(`${PROXY_PREFIX}/pmapi/`), `not through the proxy: ${req.url}`);
      assert.ok(req.status > 0, `no answer for ${req.url}`);
    }
  });
});

test('(e) Save & test with pmproxy down: the proxy answers 502 and the message says so', async (t) => {
  await withPage(t, down, async (page) => {
    await page.getByTestId('save-and-test').click();
    const result = page.getByTestId('test-result');
    await result.waitFor({ timeout: 20_000 });
    const r = await page.evaluate(() => window.bpfliveHost.lastTestResult);
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
    const r = await page.evaluate(() => window.bpfliveHost.lastTestResult);
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
