/**
 * The shared harness of the plugin's browser tests (config, editor and panels *.test.ts): the
 * built plugin (dist/module.js, unmodified) in headless Chromium, inside the minimal Grafana host
 * of host.tsx, talking to the real pmproxy through server.ts's copy of Grafana's datasource proxy.
 * Each test file calls useHarness() once; it starts the browser and the servers before its tests
 * and stops them after. Run with tests/browser/run.sh (builds what is missing).
 *
 * Env: BPFLIVE_UPSTREAM (pmproxy, default http://127.0.0.1:44322), CHROMIUM (default /usr/bin/chromium).
 * Screenshots: artifacts/browser/grafana-<runtime>/ (runtime.ts).
 */
import { after, before, TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Browser, Page } from 'playwright-core';
import { ARTIFACTS, assertNoPageErrors, launchChromium, reportConsole, watchPage } from './chromium';
import './pageApi';
import { DEFAULT_UPSTREAM, startServer, TestServer, unusedPort } from './server';

export { ARTIFACTS };
export { PROXY_PREFIX } from './server';
export const PMPROXY = process.env.BPFLIVE_UPSTREAM || DEFAULT_UPSTREAM;
export const SCRIPT = 'tracepoint:raw_syscalls:sys_enter { @syscalls = count(); }';
const VIEWPORT = { width: 1100, height: 1000 };

/**
 * Uncaught page errors that are not the plugin's fault. Empty so far: the host sets
 * grafanaBootData (else @grafana/runtime logs "window.grafanaBootData was not set") and
 * MonacoEnvironment.getWorker (else Monaco logs "Could not create web worker(s)"), and both of those
 * are console messages, not page errors anyway. Console errors such as the 404s for Grafana's
 * fonts under /public/fonts/ (not shipped in node_modules) and the 4xx answers pmproxy gives on
 * purpose during Save & test are reported as test diagnostics, never failures.
 */
const HARMLESS_PAGE_ERRORS: RegExp[] = [];
/**
 * BROWSER_CPU_THROTTLE=4: every page's CPU slowed 4× once the host page is up (Chrome's
 * DevTools throttling), as on a busy laptop or a loaded CI machine: races between a state update
 * and the user's next click show up here first (the Map list's did, 2026-12).
 */
const CPU_THROTTLE = Number(process.env.BROWSER_CPU_THROTTLE ?? 1);
const HARMLESS_CONSOLE = /\/public\/fonts\/|status of 404|status of 400/;

let browser: Browser;
/** Server whose datasource proxy reaches the real pmproxy. */
export let up: TestServer;
/** Server whose datasource proxy points at a closed port: pmproxy down. */
export let down: TestServer;
/** A loopback port nothing listens on. */
export let closedPort: number;

/** Starts Chromium and both servers before the file's tests, stops them after. */
export function useHarness(): void {
  before(async () => {
    closedPort = await unusedPort();
    [browser, up, down] = await Promise.all([
      launchChromium(),
      startServer({ upstream: PMPROXY }),
      startServer({ upstream: `http://127.0.0.1:${closedPort}` }),
    ]);
  });
  after(async () => {
    await Promise.all([browser?.close(), up?.close(), down?.close()]);
  });
}

interface PageOptions {
  viewport?: { width: number; height: number };
  /** The page's query string, e.g. `?role=Viewer`. */
  search?: string;
}

/** Opens the host page on `server`, runs `fn(page)`, then fails on any uncaught page error. */
export async function withPage(
  t: TestContext,
  server: TestServer,
  fn: (page: Page) => Promise<void>,
  { viewport = VIEWPORT, search = '' }: PageOptions = {}
): Promise<void> {
  const page = await browser.newPage({ viewport });
  page.setDefaultTimeout(10_000);
  const watch = watchPage(page, HARMLESS_PAGE_ERRORS);
  try {
    await page.goto(`${server.url}/${search}`);
    await page.waitForFunction(() => window.bpfliveHost?.ready || window.bpfliveHost?.startError, null, {
      timeout: 15_000,
    });
    const startError = await page.evaluate(() => window.bpfliveHost.startError);
    assert.equal(startError, undefined, `host failed to start: ${startError}`);
    if (CPU_THROTTLE > 1) {
      const devtools = await page.context().newCDPSession(page);
      await devtools.send('Emulation.setCPUThrottlingRate', { rate: CPU_THROTTLE });
    }
    await fn(page);
    const renderErrors = await page.evaluate(() => window.bpfliveHost.renderErrors ?? []);
    assert.deepEqual(renderErrors, [], 'a plugin component threw while rendering');
  } finally {
    reportConsole(t, watch, HARMLESS_CONSOLE);
    await page.close();
  }
  assertNoPageErrors(watch);
}

let pmproxyReady: Promise<string | undefined> | undefined;
/** Waits (once per run, up to 20 s) for pmproxy to list the bpftrace PMDA's control metric. */
export function waitForPmproxy(): Promise<void> {
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
        const err = e as { message?: string; cause?: { code?: string } };
        last = err?.cause?.code ?? err?.message;
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

/** Waits until the editor shows `text` (Monaco renders spaces as U+00A0). */
export async function waitForEditorText(page: Page, text: string, timeout = 10_000): Promise<void> {
  await page.waitForFunction(
    (s) =>
      (document.querySelector('[data-testid="bpflive-query-editor"] .view-lines')?.textContent ?? '')
        .replace(/\u00a0/g, ' ')
        .includes(s),
    text,
    { timeout }
  );
}

/** withPage on the real stack's server, tall, once Monaco shows the query editor. */
export function withEditor(
  t: TestContext,
  fn: (page: Page) => Promise<void>,
  options: PageOptions = {}
): Promise<void> {
  return withPage(
    t,
    up,
    async (page) => {
      await page.locator(EDITOR).waitFor({ timeout: 15_000 });
      await fn(page);
    },
    { ...TALL, ...options }
  );
}

/** Monaco renders spaces as U+00A0. */
export const editorText = (page: Page): Promise<string> =>
  page
    .locator('[data-testid="bpflive-query-editor"] .view-lines')
    .innerText()
    .then((s) => s.replace(/\u00a0/g, ' '));

// ---------------------------------------------------------------------------------------------
// The bpftrace editor: helpers for typing, markers and Monaco's widgets.

export const EDITOR = '[data-testid="bpflive-query-editor"] .monaco-editor[role="code"]';
/** Tall enough for the query section and Monaco's widgets below the config section. */
export const TALL = { viewport: { width: 1100, height: 2000 } };

/** Replaces the editor's text in one input event (no auto-closing, no suggestions). */
export async function replaceText(page: Page, text: string): Promise<void> {
  await page.locator(EDITOR).click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(text);
}

/**
 * Replaces the editor's text as a paste does: one edit, no auto-closing or auto-indenting
 * (typing a multi-line text would get a second "}" from Monaco's bracket closing).
 */
export async function pasteText(page: Page, text: string): Promise<void> {
  await page.locator(EDITOR).click();
  await page.evaluate((t) => {
    const editor = window.bpfliveHost.monaco.editor.getEditors()[0];
    editor.executeEdits('paste', [{ range: editor.getModel()!.getFullModelRange(), text: t }]);
    editor.pushUndoStop();
  }, text);
}

/** Empties the editor and leaves the cursor in it. */
export async function clearEditor(page: Page): Promise<void> {
  await page.locator(EDITOR).click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
}

export const markers = (page: Page) =>
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

/** Waits until the editor marks `code` (a lint's or bpftrace's marker code). */
export async function waitForMarker(page: Page, code: string, timeout: number): Promise<void> {
  await page.waitForFunction(
    (c) =>
      window.bpfliveHost.monaco.editor
        .getModelMarkers({ owner: 'bpflive' })
        .some((m) => (typeof m.code === 'string' ? m.code : m.code?.value) === c),
    code,
    { timeout }
  );
}

/** The visible rows of Monaco's suggest widget, as text. */
export async function suggestions(page: Page): Promise<string[]> {
  const widget = page.locator('.suggest-widget.visible');
  await widget.waitFor({ timeout: 5_000 });
  return widget
    .locator('.monaco-list-row')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? r.textContent ?? ''));
}

/** Waits until the suggest widget shows a row whose label starts with `label`. */
export async function waitForSuggestion(page: Page, label: string): Promise<void> {
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
export async function catalogFetched(page: Page): Promise<void> {
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
export async function sectionShot(page: Page, name: string, { above = 0, below = 0 } = {}): Promise<void> {
  const box = (await page.locator('#query-section').boundingBox())!;
  await page.screenshot({
    path: join(ARTIFACTS, name),
    clip: { x: box.x, y: box.y - above, width: box.width, height: box.height + above + below },
  });
}
