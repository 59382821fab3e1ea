/**
 * The bpftrace query editor in the built plugin, in the real Monaco: edits and runs, highlighting,
 * completion from the host's probe list, lint markers, and bpftrace's own errors from the real stack.
 * Run with tests/browser/run.sh; the harness is harness.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import {
  ARTIFACTS,
  catalogFetched,
  clearEditor,
  editorText,
  markers,
  pasteText,
  replaceText,
  SCRIPT,
  sectionShot,
  suggestions,
  up,
  useHarness,
  waitForEditorText,
  waitForMarker,
  waitForPmproxy,
  waitForSuggestion,
  withEditor,
  withPage,
} from './harness';

useHarness();

/** Shift+Enter is refused with `why` under the editor, and nothing runs. */
async function expectRunRefused(page: Page, why: string): Promise<void> {
  const runsBefore = await page.evaluate(() => window.bpfliveHost.runQueryCount);
  await page.keyboard.press('Shift+Enter');
  await page.waitForFunction(
    (w) => (document.querySelector('[data-testid="bpflive-version"]')?.textContent ?? '').includes(`Not run: ${w}`),
    why,
    { timeout: 2_000 }
  );
  await page.waitForTimeout(500);
  assert.equal(await page.evaluate(() => window.bpfliveHost.runQueryCount), runsBefore, 'not run');
}

test('(c) QueryEditor: Monaco shows the script; edits commit on blur and Ctrl+S', async (t) => {
  await withPage(t, up, async (page) => {
    const editor = page.locator('[data-testid="bpflive-query-editor"] .monaco-editor[role="code"]');
    await editor.waitFor({ timeout: 15_000 });
    await waitForEditorText(page, SCRIPT);
    assert.equal((await editorText(page)).trim(), SCRIPT);

    const edited = 'tracepoint:raw_syscalls:sys_enter { @syscalls[comm] = count(); }';
    await editor.click();
    await page.keyboard.press('ControlOrMeta+A');
    // One input event for the whole text, so Monaco's auto-closing of brackets does not apply.
    await page.keyboard.insertText(edited);
    await waitForEditorText(page, edited);
    const whileTyping = await page.evaluate(() => ({
      changes: window.bpfliveHost.changeCount,
      runs: window.bpfliveHost.runQueryCount,
    }));
    assert.deepEqual(whileTyping, { changes: 0, runs: 0 }, 'nothing is committed while the editor has focus');

    await page.locator('#query-section h2').click(); // focus leaves the editor
    await page.waitForFunction(() => window.bpfliveHost.runQueryCount >= 1, null, { timeout: 5_000 });
    const afterBlur = await page.evaluate(() => ({
      query: window.bpfliveHost.lastQuery!,
      changes: window.bpfliveHost.changeCount,
      runs: window.bpfliveHost.runQueryCount,
    }));
    assert.deepEqual(afterBlur.query, { refId: 'A', code: edited, version: 2 });
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
    assert.equal(await page.evaluate(() => window.bpfliveHost.lastQuery!.code), saved);
    assert.equal(await page.evaluate(() => window.bpfliveHost.changeCount), 2);
  });
});

test('(i) editor: bpftrace highlighting in the real Monaco', async (t) => {
  await withEditor(t, async (page) => {
    const text = 'tracepoint:sched:sched_switch /pid > $1/ { @lat[comm] = hist(nsecs - $t); printf("%d\\n", 1); } // c';
    const tokens = await page.evaluate((s) => {
      const out: Record<string, string> = {};
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
  });
});

test("(j) editor: probe completion from the host's list, function completion and signature help", async (t) => {
  await waitForPmproxy();
  await withEditor(t, async (page) => {
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
  });
});

test('(k) editor: a lint marker for kprobe:vfs_read on a host without kprobes, before anything runs', async (t) => {
  await waitForPmproxy();
  await withEditor(t, async (page) => {
    await catalogFetched(page);
    const runsBefore = await page.evaluate(() => window.bpfliveHost.runQueryCount);
    await replaceText(page, 'kprobe:vfs_read { @reads = count(); }');
    // Lints follow the text within ~150 ms; the script would only run after ~1 s.
    await waitForMarker(page, 'probe-type-not-on-host', 900);
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
  });
});

test('(l) editor: typing never runs the script (live run off); Shift+Enter runs it once', async (t) => {
  await withEditor(t, async (page) => {
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
      code: window.bpfliveHost.lastQuery!.code,
    }));
    assert.equal(after.runs, before + 1, 'exactly one run');
    assert.equal(after.code, 'BEGIN { @a = 1; }');

    // Shift+Enter runs at once, unchanged code too (again), and types no newline.
    await page.keyboard.press('Shift+Enter');
    await page.waitForFunction((n) => window.bpfliveHost.runQueryCount === n + 2, before, { timeout: 500 });
    assert.equal((await editorText(page)).trim(), 'BEGIN { @a = 1; }');
    assert.equal(await page.evaluate(() => window.bpfliveHost.monaco.editor.getModels()[0].getLineCount()), 1);
  });
});

test('(m) editor: a syntax error from the real stack becomes a marker at its line and column', async (t) => {
  await waitForPmproxy();
  await withEditor(t, async (page) => {
    // A map name of its own, so this run registers a script of its own.
    const name = `@err${Date.now() % 1_000_000}`;
    const line2 = `  ${name} = count(;`;
    await pasteText(page, `tracepoint:raw_syscalls:sys_enter {\n${line2}\n}`);
    await page.keyboard.press('Shift+Enter');
    await page.waitForFunction(
      () => window.bpfliveHost.monaco.editor.getModelMarkers({ owner: 'bpflive' }).some((m) => m.source === 'bpftrace'),
      null,
      { timeout: 25_000 }
    );
    const data = await page.evaluate(() => window.bpfliveHost.lastData!);
    t.diagnostic(`bpftrace said: ${JSON.stringify(data.errors)}`);
    assert.equal(data.status, 'error');
    assert.match(data.errors![0], /^stdin:2:\d+-\d+: ERROR: syntax error/m);
    const [m] = (await markers(page)).filter((x) => x.source === 'bpftrace');
    const [, c1, c2] = /^stdin:2:(\d+)-(\d+):/m.exec(data.errors![0])!;
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

    // Hover the squiggle: Monaco shows bpftrace's message. Monaco opens its hover from mouse moves
    // over the text after a delay, and in one CI run a single move left no hover within 5 s: the
    // pointer comes in from outside the editor, in steps, up to three times.
    const hover = page.locator('.monaco-hover:not(.hidden)').first();
    for (let attempt = 1; ; attempt++) {
      const squiggle = (await page.locator('.squiggly-error').first().boundingBox())!;
      await page.mouse.move(0, 0);
      await page.mouse.move(squiggle.x + squiggle.width / 2, squiggle.y + squiggle.height / 2, { steps: 5 });
      try {
        await hover.waitFor({ timeout: 5_000 });
        break;
      } catch (e) {
        if (attempt === 3) {
          throw e;
        }
      }
    }
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
          data: window.bpfliveHost.lastData!,
          runs: window.bpfliveHost.runs,
        }));
        throw new Error(`the fixed script did not start: ${JSON.stringify(last)}`, { cause: e });
      });
    assert.match(await page.getByTestId('bpflive-status').innerText(), /Running · \d+ probes?/);
  });
});

test('(n) editor: a script the PMDA would misread is marked before it runs, and Shift+Enter refuses it', async (t) => {
  await waitForPmproxy();
  await withEditor(t, async (page) => {
    const n = Date.now() % 1_000_000;
    await replaceText(page, `tracepoint:raw_syscalls:sys_enter /@s${n}[tid] != 0/ { @a${n} = count(); }`);
    // The lint says so before anything runs…
    await waitForMarker(page, 'pmda-misread-map', 900);
    // …and a run is refused: the script never reaches the host, the marker stays.
    await expectRunRefused(page, 'fix the 1 error marked in the editor');
    assert.ok(
      (await markers(page)).some((m) => m.code === 'pmda-misread-map'),
      'the marker stays after the refusal'
    );
  });
});

test('(p) editor: characters pasted from a web page are marked, refused, and fixed in one click', async (t) => {
  await withEditor(t, async (page) => {
    // As a blog renders a snippet: curly quotes and a no-break space.
    await pasteText(
      page,
      'tracepoint:syscalls:sys_enter_openat\n{\n  printf(\u201c%s\\n\u201d, str(args->filename));\u00a0\n}'
    );
    await waitForMarker(page, 'foreign-character', 2_000);
    const found = (await markers(page)).filter((m) => m.code === 'foreign-character');
    t.diagnostic(`markers: ${found.map((m) => `${m.startLineNumber}:${m.startColumn} ${m.message}`).join(' | ')}`);
    assert.deepEqual(
      found.map((m) => [m.startLineNumber, m.startColumn]),
      [
        [3, 10],
        [3, 15],
        [3, 39],
      ]
    );
    assert.match(
      found[0].message,
      /^A curly quote \(U\+201C\) outside a string: .*Type a plain double quote \("\) instead\.$/
    );
    assert.match(found[2].message, /^A no-break space \(U\+00A0\)/);
    await sectionShot(page, 'editor-pasted-characters.png');

    await expectRunRefused(page, 'fix the 3 errors marked in the editor');

    // The light bulb's fix, on the first marker.
    await page.evaluate(() => {
      const editor = window.bpfliveHost.monaco.editor.getEditors()[0];
      editor.setPosition({ lineNumber: 3, column: 10 });
      editor.focus();
      editor.trigger('test', 'editor.action.quickFix', {});
    });
    // The menu opens with its first (here: only) fix selected; Enter applies it.
    await page
      .getByText('Replace every pasted character outside strings', { exact: false })
      .first()
      .waitFor({ timeout: 5_000 });
    await sectionShot(page, 'editor-pasted-characters-fix.png');
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      () =>
        window.bpfliveHost.monaco.editor.getModels()[0].getValue().includes('printf("%s\\n", str(args->filename)); \n'),
      null,
      { timeout: 2_000 }
    );
    await page.waitForFunction(
      () =>
        !window.bpfliveHost.monaco.editor
          .getModelMarkers({ owner: 'bpflive' })
          .some((m) => (typeof m.code === 'string' ? m.code : m.code?.value) === 'foreign-character'),
      null,
      { timeout: 2_000 }
    );
  });
});

test('(o) editor: an example from the cheat sheet goes into the editor; the variables it runs with are shown', async (t) => {
  await withEditor(
    t,
    async (page) => {
      await page.getByTestId('bpflive-examples').click();
      const sheet = page.getByTestId('bpflive-cheat-sheet');
      await sheet.waitFor();
      assert.equal(await sheet.locator('[data-testid^="bpflive-example-"]').count(), 14);
      await page.locator('#query-section').screenshot({ path: join(ARTIFACTS, 'cheat-sheet.png') });

      await page.getByTestId('bpflive-example-variable-pid').click();
      const example = 'tracepoint:raw_syscalls:sys_enter\n/pid == $pid/\n{\n  @syscalls[comm] = count();\n}';
      await page.waitForFunction(
        (s) =>
          [...document.querySelectorAll('[data-testid="bpflive-query-editor"] .view-line')]
            .map((l) => (l.textContent ?? '').replace(/\u00a0/g, ' '))
            .join('\n') === s,
        example,
        { timeout: 5_000 }
      );
      assert.equal(await sheet.count(), 0, 'the sheet closes once an example is picked');
      // Inserted, not run: the script runs as root only when the user runs it.
      assert.deepEqual(await page.evaluate(() => window.bpfliveHost.runQueryCount), 0);

      const line = page.getByTestId('bpflive-variables');
      await line.waitFor({ timeout: 5_000 });
      assert.match(await line.innerText(), /\$pid = 1, 2 \(one comparison per value, line 2\)/);
      await sectionShot(page, 'editor-variables.png');

      // A value that would add code is named under the editor before anything runs.
      await replaceText(page, 'tracepoint:raw_syscalls:sys_enter /comm == "$comm" && pid == $bad/ { @ = count(); }');
      await page.waitForFunction(
        () =>
          /\$bad .*number or an identifier/.test(
            document.querySelector('[data-testid="bpflive-variables"]')?.textContent ?? ''
          ),
        null,
        { timeout: 5_000 }
      );
      await sectionShot(page, 'editor-variable-refused.png');
    },
    { search: '?vars=pid:1|2;comm:bash;bad:exit()' }
  );
});
