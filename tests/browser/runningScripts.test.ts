/**
 * The Running scripts view in the built plugin, with three pages at once as a team has them: one
 * runs a script in a panel; an Editor's page lists the host's scripts and stops it (confirmed);
 * a Viewer's page lists the same scripts with no Stop, and its browser sends no control request.
 * Run with tests/browser/run.sh; the harness is harness.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { join } from 'node:path';
import { ARTIFACTS, clearEditor, TALL, up, useHarness, waitForPmproxy, withEditor, withPage } from './harness';

useHarness();

const MARK = '@running_view_probe';

/** Switches a page's query to Running scripts and waits until the script with MARK is listed. */
async function listScripts(page: Page): Promise<void> {
  await page.getByTestId('bpflive-query-type').getByLabel('Running scripts').click();
  await page.getByTestId('bpflive-running-scripts').waitFor({ timeout: 15_000 });
  await page.waitForFunction(
    (mark) =>
      [...document.querySelectorAll('[data-testid="bpflive-running-script"]')].some((r) =>
        (r.textContent ?? '').includes(mark)
      ),
    MARK,
    { timeout: 30_000 }
  );
}

test('(r) Running scripts: an Editor stops a script after confirming; a Viewer sees it with no Stop and sends nothing', async (t) => {
  await waitForPmproxy();
  up.clearProxyLog();
  await withEditor(t, async (runner) => {
    // The page whose panel runs the script.
    await clearEditor(runner);
    await runner.keyboard.type(`interval:ms:200 { ${MARK} = count(); }`);
    await runner.keyboard.press('Shift+Enter');
    await runner.waitForFunction(() => window.bpfliveHost.runQueryCount >= 1, null, { timeout: 10_000 });

    await withPage(
      t,
      up,
      async (viewer) => {
        await listScripts(viewer);
        const row = viewer.locator('[data-testid="bpflive-running-script"]', { hasText: MARK });
        assert.match(await row.innerText(), /bpflive/);
        assert.equal(await viewer.getByRole('button', { name: 'Stop' }).count(), 0, 'no Stop for a Viewer');

        await withPage(
          t,
          up,
          async (editor) => {
            await listScripts(editor);
            await editor
              .getByTestId('bpflive-running-scripts')
              .screenshot({ path: join(ARTIFACTS, 'running-scripts.png') });
            const mine = editor.locator('[data-testid="bpflive-running-script"]', { hasText: MARK });
            const idBefore = await mine.innerText();
            await mine.getByRole('button', { name: 'Stop' }).click();
            await editor.getByRole('button', { name: 'Stop it' }).click();
            await editor.waitForFunction(() => /Stopped /.test(document.body.innerText), null, { timeout: 15_000 });
            const stops = up.proxyLog.filter((e) => e.path.includes('bpftrace.control.deregister'));
            assert.ok(
              stops.some((e) => e.role !== 'Viewer' && e.status === 200),
              `the Editor's stop went through Grafana's control route: ${JSON.stringify(stops)}`
            );
            t.diagnostic(`listed before the stop: ${idBefore.replace(/\s+/g, ' ').slice(0, 160)}`);
          },
          TALL
        );
      },
      { ...TALL, search: '?role=Viewer' }
    );
  });
  const fromViewer = up.proxyLog.filter((e) => e.role === 'Viewer');
  assert.ok(fromViewer.length > 0, 'the Viewer read the list');
  assert.deepEqual(
    fromViewer.filter((e) => /store/.test(e.path) || e.method !== 'GET'),
    [],
    'no control request from the Viewer'
  );
});
