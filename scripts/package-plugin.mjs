#!/usr/bin/env node
// Packs dist/ into the archive Grafana installs and the plugin catalog reads:
// artifacts/<id>-<version>.zip holding one folder named after the plugin id, and beside it
// <zip>.sha256 (sha256sum's format, so `sha256sum -c` checks a download). Then it runs the local
// validator (validate-plugin.mjs) over dist/ and the archive, so a broken plugin fails the build
// here rather than in review. (@grafana/plugin-validator itself downloads a Go binary at run time,
// which this machine's network does not allow; see docs/releasing.md.)
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validate } from './validate-plugin.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dist = path.join(root, 'dist');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const plugin = JSON.parse(fs.readFileSync(path.join(dist, 'plugin.json'), 'utf8'));

// The one rule the validator cannot know: the version npm was told is the one that ships.
if (plugin.info?.version !== pkg.version) {
  console.error(`package-plugin: plugin.json version ${plugin.info?.version} ≠ package.json ${pkg.version}`);
  process.exit(1);
}

const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'bpflive-pack-'));
fs.cpSync(dist, path.join(staging, plugin.id), { recursive: true });
const out = path.join(root, 'artifacts', `${plugin.id}-${pkg.version}.zip`);
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.rmSync(out, { force: true });
execFileSync('python3', ['-m', 'zipfile', '-c', out, plugin.id], { cwd: staging });
fs.rmSync(staging, { recursive: true, force: true });

const sha256 = createHash('sha256').update(fs.readFileSync(out)).digest('hex');
fs.writeFileSync(`${out}.sha256`, `${sha256}  ${path.basename(out)}\n`);
console.log(`package-plugin: ${path.relative(root, out)} (${fs.statSync(out).size} bytes), sha256 ${sha256}`);

const failed = validate({ dist, zip: out }).filter((r) => r.problems.length > 0);
if (failed.length > 0) {
  const lines = failed.flatMap((r) => r.problems.map((p) => `${r.rule}: ${p}`));
  console.error(`package-plugin: the plugin fails validation:\n  - ${lines.join('\n  - ')}`);
  process.exit(1);
}
