/**
 * What every page of the browser tests checks: no uncaught error in the page; and their Chromium
 * (launch.ts) with the screenshots' directory made.
 */
import { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, Page } from 'playwright-core';
import { launchChromium as launch } from './launch';
import { selectedRuntime } from './runtime';

/** Screenshots land here, one directory per runtime (README: artifacts/browser/grafana-12/ …). */
export const ARTIFACTS = join(__dirname, '..', '..', 'artifacts', 'browser', `grafana-${selectedRuntime().name}`);

/** Chromium for a browser test (launch.ts), with the screenshots' directory made. */
export async function launchChromium(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return launch();
}

export interface PageWatch {
  /** Uncaught errors so far (stack or message). */
  pageErrors: string[];
  /** Console errors and warnings so far, as "type: text url". */
  consoleErrors: string[];
}

/** Collects what goes wrong in `page`; `ignore` lists page errors that are not the page's fault. */
export function watchPage(page: Page, ignore: RegExp[] = []): PageWatch {
  const watch: PageWatch = { pageErrors: [], consoleErrors: [] };
  page.on('pageerror', (e) => {
    if (!ignore.some((re) => re.test(e.message))) {
      watch.pageErrors.push(e.stack || e.message);
    }
  });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') {
      watch.consoleErrors.push(`${m.type()}: ${m.text()} ${m.location()?.url ?? ''}`.trim());
    }
  });
  return watch;
}

/** Console messages are reported as test diagnostics, never failures (`harmless` ones left out). */
export function reportConsole(t: TestContext, watch: PageWatch, harmless: RegExp): void {
  for (const c of watch.consoleErrors.filter((c) => !harmless.test(c))) {
    t.diagnostic(`console ${c}`);
  }
}

/** An uncaught error in the page fails the test. */
export function assertNoPageErrors(watch: PageWatch): void {
  assert.deepEqual(watch.pageErrors, [], 'uncaught errors in the page');
}
