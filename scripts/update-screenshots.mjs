#!/usr/bin/env node
// Copies the catalog screenshots from the browser tests' latest run into src/img/screenshots/, the
// files src/plugin.json lists under info.screenshots (webpack ships them in dist/img/screenshots/).
// Every listed img/screenshots/<name>.png comes from artifacts/browser/grafana-<runtime>/<name>.png,
// so a test that renames its screenshot breaks this copy instead of leaving an old picture behind.
//
//   bash tests/browser/run.sh && node scripts/update-screenshots.mjs [runtime, default 13]
//
// Look at every picture before committing it: the catalog shows them as they are.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const runtime = process.argv[2] ?? '13';
const from = path.join(root, 'artifacts', 'browser', `grafana-${runtime}`);
const plugin = JSON.parse(fs.readFileSync(path.join(root, 'src', 'plugin.json'), 'utf8'));

const missing = [];
for (const { path: shot } of plugin.info.screenshots) {
  const source = path.join(from, path.basename(shot));
  if (!fs.existsSync(source)) {
    missing.push(path.relative(root, source));
    continue;
  }
  fs.mkdirSync(path.dirname(path.join(root, 'src', shot)), { recursive: true });
  fs.copyFileSync(source, path.join(root, 'src', shot));
  console.log(`update-screenshots: src/${shot} ← ${path.relative(root, source)}`);
}
if (missing.length > 0) {
  console.error(`update-screenshots: not taken by the last browser run: ${missing.join(', ')}`);
  process.exit(1);
}
