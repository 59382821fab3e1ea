/**
 * The built plugin as a panel's datasource: dist/module.js loads through AMD, the query options
 * a panel sets, and a Viewer's panel (no control request ever leaves the browser).
 * Run with tests/browser/run.sh; the harness is harness.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ARTIFACTS, clearEditor, replaceText, sectionShot, up, useHarness, withEditor, withPage } from './harness';

useHarness();

test('(a) dist/module.js loads through AMD and exports a DataSourcePlugin', async (t) => {
  await withPage(t, up, async (page) => {
    const info = await page.evaluate(() => {
      const { DataSourcePlugin } = window.__deps['@grafana/data'];
      const plugin = window.bpfliveHost.plugin!;
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

test('(o0) Output lines: offered for a script that prints, and a number above the bound is marked where it is typed', async (t) => {
  await withEditor(t, async (page) => {
    await replaceText(page, 'tracepoint:syscalls:sys_enter_openat { printf("%s %s\\n", comm, str(args->filename)); }');
    await page.locator('#query-section h2').click();
    const field = page.locator('#bpflive-A-outputlines');
    await field.waitFor({ timeout: 10_000 });
    await field.fill('50000');
    await field.press('Enter');
    assert.equal(await page.evaluate(() => window.bpfliveHost.lastQuery!.outputLines), 50000);
    const message = page.getByText(/At most 10,000: the script keeps 10,000 lines/);
    await message.waitFor({ timeout: 5_000 });
    await page.locator('#query-section h2').click(); // focus away: no tooltip in the picture
    await page.waitForTimeout(300);
    await sectionShot(page, 'editor-output-lines.png');
    await field.fill('2000');
    await field.press('Enter');
    await message.waitFor({ state: 'detached', timeout: 5_000 });
  });
});

test('(o) query options: format, map, unit, rate, legend, top N, flame-graph options, host', async (t) => {
  await withEditor(t, async (page) => {
    const options = page.getByTestId('bpflive-query-options');
    await replaceText(page, 'tracepoint:sched:sched_switch { @lat_ns = hist(1); @stacks[kstack] = count(); }');
    await page.locator('#query-section h2').click();
    await page.waitForFunction(() => window.bpfliveHost.lastQuery?.code?.includes('@lat_ns'));

    // The map list knows the script's maps before it runs; the unit follows the name.
    await page.locator('#bpflive-A-map').click();
    await page.getByRole('option', { name: '@lat_ns', exact: true }).click();
    assert.equal(await page.evaluate(() => window.bpfliveHost.lastQuery!.map), '@lat_ns');
    assert.match(await page.getByTestId('bpflive-inferred-unit').innerText(), /auto: ns/);

    await page.locator('#bpflive-A-format').click();
    await page.getByRole('option', { name: /^Flame graph/ }).click();
    assert.equal(await page.evaluate(() => window.bpfliveHost.lastQuery!.format), 'flamegraph');
    await options.locator('label[for="bpflive-A-fg-idle"]').last().click();
    assert.equal(await page.evaluate(() => window.bpfliveHost.lastQuery!.flameGraph?.hideIdle), true);
    await page.locator('#bpflive-A-fg-min').fill('5');
    await page.locator('#bpflive-A-fg-min').press('Enter');
    assert.equal(await page.evaluate(() => window.bpfliveHost.lastQuery!.flameGraph?.minSamples), 5);
    assert.equal(await options.getByLabel('Legend').count(), 0, 'no legend for a flame graph');

    await page.locator('#bpflive-A-hostspec').fill('pcp://127.0.0.2:44321');
    await page.locator('#bpflive-A-hostspec').press('Enter');
    assert.equal(await page.evaluate(() => window.bpfliveHost.lastQuery!.hostspec), 'pcp://127.0.0.2:44321');
    await page.locator('#query-section h2').click(); // focus away: no tooltip in the picture
    await page.waitForTimeout(300);
    await sectionShot(page, 'editor-fields.png');

    await options.locator('label[for="bpflive-A-rate"]').last().click();
    assert.equal(await page.evaluate(() => window.bpfliveHost.lastQuery!.rate), false);

    await page.locator('#bpflive-A-format').click();
    await page.getByRole('option', { name: /^Table/ }).click();
    await page.locator('#bpflive-A-topn').fill('10');
    await page.locator('#bpflive-A-topn').press('Enter');
    assert.equal(await page.evaluate(() => window.bpfliveHost.lastQuery!.topN), 10);

    await page.locator('#bpflive-A-format').click();
    await page.getByRole('option', { name: /^Time series/ }).click();
    await page.locator('#bpflive-A-legend').fill('$key');
    await page.locator('#bpflive-A-legend').press('Enter');
    const q = await page.evaluate(() => window.bpfliveHost.lastQuery!);
    assert.equal(q.legendFormat, '$key');
    assert.equal(q.format, 'timeseries');
    assert.match(q.code, /@lat_ns/, 'the options keep the script');
  });
});

test('(p) a Viewer: the browser never sends a control request; the query says the script is not running', async (t) => {
  up.clearProxyLog();
  await withEditor(
    t,
    async (page) => {
      await clearEditor(page);
      await page.keyboard.type('interval:ms:250 { @viewer_probe = count(); }');
      await page.keyboard.press('Shift+Enter');
      await page.waitForFunction(() => /not running on the host/.test(document.body.innerText), null, {
        timeout: 15_000,
      });
      await page.screenshot({ path: join(ARTIFACTS, 'viewer-not-running.png') });
    },
    { search: '?role=Viewer' }
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
