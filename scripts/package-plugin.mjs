#!/usr/bin/env node
// Packs dist/ into the archive Grafana installs and the plugin validator reads:
// artifacts/<id>-<version>.zip holding one folder named after the plugin id. Before packing it
// checks what the validator rejects outright, so a broken archive fails the build here.
// (@grafana/plugin-validator itself downloads a Go binary at run time, which this machine's
// network does not allow; see README "Packaging".)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dist = path.join(root, 'dist');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const plugin = JSON.parse(fs.readFileSync(path.join(dist, 'plugin.json'), 'utf8'));

const problems = [];
const need = (ok, what) => ok || problems.push(what);
need(
  /^[a-z0-9]+-[a-z0-9]+-(datasource|panel|app)$/.test(plugin.id),
  `plugin id "${plugin.id}" is not <org>-<name>-<type>`
);
need(plugin.type === 'datasource' && plugin.id.endsWith('-datasource'), 'type and id suffix disagree');
need(plugin.info?.version === pkg.version, `plugin.json version ${plugin.info?.version} ≠ package.json ${pkg.version}`);
need(!/%\w+%/.test(JSON.stringify(plugin)), 'plugin.json still has %PLACEHOLDERS%');
need(plugin.dependencies?.grafanaDependency, 'no grafanaDependency');
for (const file of ['module.js', 'README.md', 'LICENSE', 'CHANGELOG.md']) {
  need(fs.existsSync(path.join(dist, file)), `dist/${file} is missing`);
}
for (const logo of Object.values(plugin.info?.logos ?? {})) {
  need(fs.existsSync(path.join(dist, logo)), `logo ${logo} is missing`);
}
for (const shot of plugin.info?.screenshots ?? []) {
  need(fs.existsSync(path.join(dist, shot.path)), `screenshot ${shot.path} is missing`);
}
for (const include of plugin.includes ?? []) {
  if (include.path) {
    need(fs.existsSync(path.join(dist, include.path)), `included ${include.path} is missing`);
  }
}
const readme = fs.readFileSync(path.join(dist, 'README.md'), 'utf8');
need(
  !/This README file is going to be the one displayed|plugin template/.test(readme),
  'dist/README.md (src/README.md) is still the template'
);
if (problems.length) {
  console.error(`package-plugin: not packed:\n  - ${problems.join('\n  - ')}`);
  process.exit(1);
}

const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'bpflive-pack-'));
fs.cpSync(dist, path.join(staging, plugin.id), { recursive: true });
const out = path.join(root, 'artifacts', `${plugin.id}-${pkg.version}.zip`);
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.rmSync(out, { force: true });
execFileSync('python3', ['-m', 'zipfile', '-c', out, plugin.id], { cwd: staging });
fs.rmSync(staging, { recursive: true, force: true });
console.log(`package-plugin: ${path.relative(root, out)} (${fs.statSync(out).size} bytes)`);
