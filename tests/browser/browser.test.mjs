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
async function withPage(t, server, fn, { viewport = VIEWPORT, search = '' } = {}) {
  const page = await browser.newPage({ viewport });
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
    await page.goto(`${server.url}/${search}`);
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
    await host.fill('pcp://127.0.0.2:44321');
    assert.equal(await host.inputValue(), 'pcp://127.0.0.2:44321');
    assert.equal(
      await page.evaluate(() => window.bpfliveHost.configOptions.jsonData.hostspec),
      'pcp://127.0.0.2:44321'
    );
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
      // Reads go to /pmapi/…, the permission check (a deregister of a name no script has) to the
      // Editors' control route.
      assert.ok(
        req.url.startsWith(`${PROXY_PREFIX}/pmapi/`) || req.url.startsWith(`${PROXY_PREFIX}/control/store`),
        `not through the proxy: ${req.url}`
      );
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

// ---------------------------------------------------------------------------------------------
// The bpftrace editor: language, completion from the host's probe list, markers from the real stack.

const EDITOR = '[data-testid="bpflive-query-editor"] .monaco-editor[role="code"]';
/** Tall enough for the query section and Monaco's widgets below the config section. */
const TALL = { viewport: { width: 1100, height: 2000 } };

/** Replaces the editor's text in one input event (no auto-closing, no suggestions). */
async function replaceText(page, text) {
  await page.locator(EDITOR).click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(text);
}

/**
 * Replaces the editor's text as a paste does: one edit, no auto-closing or auto-indenting
 * (typing a multi-line text would get a second "}" from Monaco's bracket closing).
 */
async function pasteText(page, text) {
  await page.locator(EDITOR).click();
  await page.evaluate((t) => {
    const editor = window.bpfliveHost.monaco.editor.getEditors()[0];
    editor.executeEdits('paste', [{ range: editor.getModel().getFullModelRange(), text: t }]);
    editor.pushUndoStop();
  }, text);
}

/** Empties the editor and leaves the cursor in it. */
async function clearEditor(page) {
  await page.locator(EDITOR).click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
}

const markers = (page) =>
  page.evaluate(() =>
    window.bpfliveHost.monaco.editor.getModelMarkers({ owner: 'bpflive' }).map((m) => ({
      severity: m.severity,
      code: typeof m.code === 'string' ? m.code : m.code?.value,
      source: m.source,
      message: m.message,
      startLineNumber: m.startLineNumber,
      startColumn: m.startColumn,
      endLineNumber: m.endLineNumber,
      endColumn: m.endColumn,
    }))
  );

/** The visible rows of Monaco's suggest widget, as text. */
async function suggestions(page) {
  const widget = page.locator('.suggest-widget.visible');
  await widget.waitFor({ timeout: 5_000 });
  return widget
    .locator('.monaco-list-row')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? r.textContent));
}

/** Waits until the suggest widget shows a row whose label starts with `label`. */
async function waitForSuggestion(page, label) {
  await page.waitForFunction(
    (l) =>
      [...document.querySelectorAll('.suggest-widget.visible .monaco-list-row')].some((r) =>
        (r.getAttribute('aria-label') ?? '').startsWith(l)
      ),
    label,
    { timeout: 8_000 }
  );
}

/** The probe catalog has arrived when the host's list was fetched through the proxy. */
async function catalogFetched(page) {
  try {
    await page.waitForFunction(
      () => window.bpfliveHost.requests.some((r) => r.url.includes('bpftrace.info.tracepoints') && r.status === 200),
      null,
      { timeout: 15_000 }
    );
  } catch (e) {
    const requests = await page.evaluate(() => window.bpfliveHost.requests);
    throw new Error(`the probe list was not fetched: ${JSON.stringify(requests)}`, { cause: e });
  }
}

/** A screenshot of the query section, with room around it for Monaco's floating widgets. */
async function sectionShot(page, name, { above = 0, below = 0 } = {}) {
  const box = await page.locator('#query-section').boundingBox();
  await page.screenshot({
    path: join(ARTIFACTS, name),
    clip: { x: box.x, y: box.y - above, width: box.width, height: box.height + above + below },
  });
}

test('(i) editor: bpftrace highlighting in the real Monaco', async (t) => {
  await withPage(
    t,
    up,
    async (page) => {
      await page.locator(EDITOR).waitFor({ timeout: 15_000 });
      const text =
        'tracepoint:sched:sched_switch /pid > $1/ { @lat[comm] = hist(nsecs - $t); printf("%d\\n", 1); } // c';
      const tokens = await page.evaluate((s) => {
        const out = {};
        const line = window.bpfliveHost.monaco.editor.tokenize(s, 'bpftrace')[0];
        line.forEach((tok, i) => {
          const end = i + 1 < line.length ? line[i + 1].offset : s.length;
          out[s.slice(tok.offset, end)] = tok.type;
        });
        return out;
      }, text);
      t.diagnostic(JSON.stringify(tokens));
      assert.equal(tokens['tracepoint'], 'keyword.bpftrace');
      assert.equal(tokens['sched'], 'type.bpftrace');
      assert.equal(tokens['sched_switch'], 'type.bpftrace');
      assert.equal(tokens['pid'], 'predefined.bpftrace');
      assert.equal(tokens['$1'], 'constant.bpftrace');
      assert.equal(tokens['@lat'], 'tag.bpftrace');
      assert.equal(tokens['hist'], 'predefined.bpftrace');
      assert.equal(tokens['$t'], 'variable.bpftrace');
      assert.equal(tokens['\\n'], 'string.escape.bpftrace');
      assert.equal(tokens['// c'], 'comment.bpftrace');
      const bad = await page.evaluate(
        () => window.bpfliveHost.monaco.editor.tokenize('tracepont:a:b { }', 'bpftrace')[0][0].type
      );
      assert.equal(bad, 'invalid.bpftrace', 'an unknown probe type is shown as invalid');
    },
    TALL
  );
});

test("(j) editor: probe completion from the host's list, function completion and signature help", async (t) => {
  await waitForPmproxy();
  await withPage(
    t,
    up,
    async (page) => {
      await page.locator(EDITOR).waitFor({ timeout: 15_000 });
      await catalogFetched(page);
      await clearEditor(page);
      await page.keyboard.type('tracepoint:sch', { delay: 25 });
      await waitForSuggestion(page, 'tracepoint:sched:sched_');
      const rows = await suggestions(page);
      t.diagnostic(`tracepoint:sch → ${rows.slice(0, 6).join(' | ')}`);
      assert.ok(
        rows.some((r) => r.startsWith('tracepoint:sched:')),
        'the sched subsystem is offered'
      );
      assert.ok(
        rows.filter((r) => /^tracepoint:sched:sched_\w+/.test(r)).length >= 3,
        "probes of the host's sched subsystem are offered"
      );
      await sectionShot(page, 'editor-completion.png', { below: 220 });

      // Narrow down and accept: the whole probe is inserted.
      await page.keyboard.type('ed:sched_swi', { delay: 25 });
      await waitForSuggestion(page, 'tracepoint:sched:sched_switch');
      await page.waitForFunction(
        () =>
          (
            document.querySelector('.suggest-widget.visible .monaco-list-row.focused')?.getAttribute('aria-label') ?? ''
          ).startsWith('tracepoint:sched:sched_switch'),
        null,
        { timeout: 5_000 }
      );
      await page.keyboard.press('Enter');
      await page.waitForFunction(
        () =>
          document.querySelector('[data-testid="bpflive-query-editor"] .view-lines')?.textContent.trim() ===
          'tracepoint:sched:sched_switch',
        null,
        { timeout: 3_000 }
      );

      // In an action block: the map functions.
      await page.keyboard.type(' { @n = co', { delay: 25 });
      await waitForSuggestion(page, 'count');
      assert.ok((await suggestions(page)).some((r) => r.startsWith('count')));
      await page.keyboard.press('Escape');
      await page.keyboard.type('unt(); @lat = hi', { delay: 25 });
      await waitForSuggestion(page, 'hist');
      await page.keyboard.press('Enter');
      // The snippet puts the cursor between the parentheses: signature help shows.
      const hints = page.locator('.parameter-hints-widget.visible');
      await hints.waitFor({ timeout: 5_000 });
      const signature = (await hints.innerText()).replace(/\s+/g, ' ');
      t.diagnostic(`signature help: ${signature}`);
      assert.match(signature, /hist\(int64 n/);
      assert.match(await editorText(page), /@lat = hist\(\)/);
    },
    TALL
  );
});

test('(k) editor: a lint marker for kprobe:vfs_read on a host without kprobes, before anything runs', async (t) => {
  await waitForPmproxy();
  await withPage(
    t,
    up,
    async (page) => {
      await page.locator(EDITOR).waitFor({ timeout: 15_000 });
      await catalogFetched(page);
      const runsBefore = await page.evaluate(() => window.bpfliveHost.runQueryCount);
      await replaceText(page, 'kprobe:vfs_read { @reads = count(); }');
      // Lints follow the text within ~150 ms; the script would only run after ~1 s.
      await page.waitForFunction(
        () =>
          window.bpfliveHost.monaco.editor
            .getModelMarkers({ owner: 'bpflive' })
            .some((m) => (m.code?.value ?? m.code) === 'probe-type-not-on-host'),
        null,
        { timeout: 900 }
      );
      assert.equal(
        await page.evaluate(() => window.bpfliveHost.runQueryCount),
        runsBefore,
        'the marker came before any run'
      );
      const [m] = (await markers(page)).filter((x) => x.code === 'probe-type-not-on-host');
      t.diagnostic(`marker: ${m.message}`);
      assert.deepEqual(
        [m.severity, m.startLineNumber, m.startColumn, m.endLineNumber, m.endColumn],
        [4 /* MarkerSeverity.Warning */, 1, 1, 1, 16]
      );
      assert.match(m.message, /This host lists no kprobes/);
      assert.match(m.message, /tracepoint:syscalls:sys_enter_read/);
      const problems = await page.getByTestId('bpflive-problems').innerText();
      assert.match(problems, /Ln 1, Col 1/);
      assert.match(problems, /no kprobes/);
    },
    TALL
  );
});

test('(l) editor: typing never runs the script (live run off); Shift+Enter runs it once', async (t) => {
  await withPage(
    t,
    up,
    async (page) => {
      await page.locator(EDITOR).waitFor({ timeout: 15_000 });
      await clearEditor(page);
      const before = await page.evaluate(() => window.bpfliveHost.runQueryCount);
      // Keys 150 ms apart, then a pause longer than live run's delay: still nothing runs.
      await page.keyboard.type('BEGIN { @a = 1; }', { delay: 150 });
      await page.waitForTimeout(1_500);
      assert.equal(await page.evaluate(() => window.bpfliveHost.runQueryCount), before, 'no run from typing');
      assert.match(await page.getByTestId('bpflive-status').innerText(), /Shift\+Enter or Run to run/);
      await page.keyboard.press('Shift+Enter');
      await page.waitForFunction((n) => window.bpfliveHost.runQueryCount === n + 1, before, { timeout: 3_000 });
      await page.waitForTimeout(1_200);
      const after = await page.evaluate(() => ({
        runs: window.bpfliveHost.runQueryCount,
        code: window.bpfliveHost.lastQuery.code,
      }));
      assert.equal(after.runs, before + 1, 'exactly one run');
      assert.equal(after.code, 'BEGIN { @a = 1; }');

      // Shift+Enter runs at once, unchanged code too (again), and types no newline.
      await page.keyboard.press('Shift+Enter');
      await page.waitForFunction((n) => window.bpfliveHost.runQueryCount === n + 2, before, { timeout: 500 });
      assert.equal((await editorText(page)).trim(), 'BEGIN { @a = 1; }');
      assert.equal(await page.evaluate(() => window.bpfliveHost.monaco.editor.getModels()[0].getLineCount()), 1);
    },
    TALL
  );
});

test('(m) editor: a syntax error from the real stack becomes a marker at its line and column', async (t) => {
  await waitForPmproxy();
  await withPage(
    t,
    up,
    async (page) => {
      await page.locator(EDITOR).waitFor({ timeout: 15_000 });
      // A map name of its own, so this run registers a script of its own.
      const name = `@err${Date.now() % 1_000_000}`;
      const line2 = `  ${name} = count(;`;
      await pasteText(page, `tracepoint:raw_syscalls:sys_enter {\n${line2}\n}`);
      await page.keyboard.press('Shift+Enter');
      await page.waitForFunction(
        () =>
          window.bpfliveHost.monaco.editor.getModelMarkers({ owner: 'bpflive' }).some((m) => m.source === 'bpftrace'),
        null,
        { timeout: 25_000 }
      );
      const data = await page.evaluate(() => window.bpfliveHost.lastData);
      t.diagnostic(`bpftrace said: ${JSON.stringify(data.errors)}`);
      assert.equal(data.status, 'error');
      assert.match(data.errors[0], /^stdin:2:\d+-\d+: ERROR: syntax error/m);
      const [m] = (await markers(page)).filter((x) => x.source === 'bpftrace');
      const [, c1, c2] = /^stdin:2:(\d+)-(\d+):/m.exec(data.errors[0]);
      assert.deepEqual(
        [m.severity, m.startLineNumber, m.startColumn, m.endLineNumber, m.endColumn],
        [8 /* MarkerSeverity.Error */, 2, Number(c1), 2, Number(c2)]
      );
      assert.equal(
        line2.slice(m.startColumn - 1, m.endColumn - 1),
        'count(;',
        'the marker covers what bpftrace pointed at'
      );
      assert.match(m.message, /^bpftrace: syntax error/);
      assert.match(await page.getByTestId('bpflive-status').innerText(), /Error/);
      assert.match(await page.getByTestId('bpflive-problems').innerText(), new RegExp(`Ln 2, Col ${c1}`));

      // Hover the squiggle: Monaco shows bpftrace's message.
      const squiggle = await page.locator('.squiggly-error').first().boundingBox();
      await page.mouse.move(squiggle.x + squiggle.width / 2, squiggle.y + squiggle.height / 2);
      await page.locator('.monaco-hover:not(.hidden)').first().waitFor({ timeout: 5_000 });
      await sectionShot(page, 'editor-marker.png', { above: 60 });

      // Fixed: the marker goes with the next run.
      await pasteText(page, `tracepoint:raw_syscalls:sys_enter {\n  ${name} = count();\n}`);
      await page.keyboard.press('Shift+Enter');
      await page.waitForFunction(
        () =>
          !window.bpfliveHost.monaco.editor.getModelMarkers({ owner: 'bpflive' }).some((m) => m.source === 'bpftrace'),
        null,
        { timeout: 15_000 }
      );
      await page
        .waitForFunction(() => window.bpfliveHost.lastData?.status === 'started', null, { timeout: 20_000 })
        .catch(async (e) => {
          const last = await page.evaluate(() => ({
            data: window.bpfliveHost.lastData,
            runs: window.bpfliveHost.runs,
          }));
          throw new Error(`the fixed script did not start: ${JSON.stringify(last)}`, { cause: e });
        });
      assert.match(await page.getByTestId('bpflive-status').innerText(), /Running · \d+ probes?/);
    },
    TALL
  );
});

test('(n) editor: a script the PMDA would misread is marked before it runs, and Shift+Enter refuses it', async (t) => {
  await waitForPmproxy();
  await withPage(
    t,
    up,
    async (page) => {
      await page.locator(EDITOR).waitFor({ timeout: 15_000 });
      const n = Date.now() % 1_000_000;
      await replaceText(page, `tracepoint:raw_syscalls:sys_enter /@s${n}[tid] != 0/ { @a${n} = count(); }`);
      // The lint says so before anything runs…
      await page.waitForFunction(
        () =>
          window.bpfliveHost.monaco.editor
            .getModelMarkers({ owner: 'bpflive' })
            .some((m) => (m.code?.value ?? m.code) === 'pmda-misread-map'),
        null,
        { timeout: 900 }
      );
      // …and a run is refused: the script never reaches the host, the marker stays.
      const runsBefore = await page.evaluate(() => window.bpfliveHost.runQueryCount);
      await page.keyboard.press('Shift+Enter');
      await page.waitForFunction(
        () =>
          /Not run: fix the 1 error marked in the editor/.test(
            document.querySelector('[data-testid="bpflive-version"]')?.textContent ?? ''
          ),
        null,
        { timeout: 2_000 }
      );
      await page.waitForTimeout(500);
      assert.equal(await page.evaluate(() => window.bpfliveHost.runQueryCount), runsBefore, 'not run');
      assert.ok(
        (await markers(page)).some((m) => m.code === 'pmda-misread-map'),
        'the marker stays after the refusal'
      );
    },
    TALL
  );
});

test('(o) query options: format, map, unit, rate, legend, top N, flame-graph options, host', async (t) => {
  await withPage(
    t,
    up,
    async (page) => {
      await page.locator(EDITOR).waitFor({ timeout: 15_000 });
      const options = page.getByTestId('bpflive-query-options');
      await replaceText(page, 'tracepoint:sched:sched_switch { @lat_ns = hist(1); @stacks[kstack] = count(); }');
      await page.locator('#query-section h2').click();
      await page.waitForFunction(() => window.bpfliveHost.lastQuery?.code?.includes('@lat_ns'));

      // The map list knows the script's maps before it runs; the unit follows the name.
      await page.locator('#bpflive-A-map').click();
      await page.getByRole('option', { name: '@lat_ns', exact: true }).click();
      assert.equal(await page.evaluate(() => window.bpfliveHost.lastQuery.map), '@lat_ns');
      assert.match(await page.getByTestId('bpflive-inferred-unit').innerText(), /auto: ns/);

      await page.locator('#bpflive-A-format').click();
      await page.getByRole('option', { name: /^Flame graph/ }).click();
      assert.equal(await page.evaluate(() => window.bpfliveHost.lastQuery.format), 'flamegraph');
      await options.locator('label[for="bpflive-A-fg-idle"]').last().click();
      assert.equal(await page.evaluate(() => window.bpfliveHost.lastQuery.flameGraph?.hideIdle), true);
      await page.locator('#bpflive-A-fg-min').fill('5');
      await page.locator('#bpflive-A-fg-min').press('Enter');
      assert.equal(await page.evaluate(() => window.bpfliveHost.lastQuery.flameGraph?.minSamples), 5);
      assert.equal(await options.getByLabel('Legend').count(), 0, 'no legend for a flame graph');

      await page.locator('#bpflive-A-hostspec').fill('pcp://127.0.0.2:44321');
      await page.locator('#bpflive-A-hostspec').press('Enter');
      assert.equal(await page.evaluate(() => window.bpfliveHost.lastQuery.hostspec), 'pcp://127.0.0.2:44321');
      await page.locator('#query-section h2').click(); // focus away: no tooltip in the picture
      await page.waitForTimeout(300);
      await sectionShot(page, 'editor-fields.png');

      await options.locator('label[for="bpflive-A-rate"]').last().click();
      assert.equal(await page.evaluate(() => window.bpfliveHost.lastQuery.rate), false);

      await page.locator('#bpflive-A-format').click();
      await page.getByRole('option', { name: /^Table/ }).click();
      await page.locator('#bpflive-A-topn').fill('10');
      await page.locator('#bpflive-A-topn').press('Enter');
      assert.equal(await page.evaluate(() => window.bpfliveHost.lastQuery.topN), 10);

      await page.locator('#bpflive-A-format').click();
      await page.getByRole('option', { name: /^Time series/ }).click();
      await page.locator('#bpflive-A-legend').fill('$key');
      await page.locator('#bpflive-A-legend').press('Enter');
      const q = await page.evaluate(() => window.bpfliveHost.lastQuery);
      assert.equal(q.legendFormat, '$key');
      assert.equal(q.format, 'timeseries');
      assert.match(q.code, /@lat_ns/, 'the options keep the script');
    },
    TALL
  );
});

test('(p) a Viewer: the browser never sends a control request; the query says the script is not running', async (t) => {
  up.clearProxyLog();
  await withPage(
    t,
    up,
    async (page) => {
      await page.locator(EDITOR).waitFor({ timeout: 15_000 });
      await clearEditor(page);
      await page.keyboard.type('interval:ms:250 { @viewer_probe = count(); }');
      await page.keyboard.press('Shift+Enter');
      await page.waitForFunction(() => /not running on the host/.test(document.body.innerText), null, {
        timeout: 15_000,
      });
      await page.screenshot({ path: join(ARTIFACTS, 'viewer-not-running.png') });
    },
    { ...TALL, search: '?role=Viewer' }
  );
  const log = up.proxyLog;
  t.diagnostic(
    `${log.length} proxy requests as a Viewer: ${[...new Set(log.map((e) => `${e.method} ${e.path.split('?')[0]}`))].join(', ')}`
  );
  assert.ok(
    log.some((e) => e.path.startsWith('pmapi/fetch')),
    'the Viewer reads'
  );
  assert.deepEqual(
    log.filter((e) => /store/.test(e.path) || e.method !== 'GET'),
    [],
    'no control request from a Viewer'
  );
  assert.ok(log.every((e) => e.role === 'Viewer'));
});
