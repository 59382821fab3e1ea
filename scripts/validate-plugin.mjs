#!/usr/bin/env node
// Checks the built plugin (dist/) and its release archive against the rules of Grafana's plugin
// review that can be checked on this machine. The official validator (@grafana/plugin-validator)
// downloads a Go binary at run time, which this network refuses; docs/releasing.md lists the
// rules it checks that this script does not. Run by scripts/test-all.sh after the build.
//
//   node scripts/validate-plugin.mjs [--dist dist] [--zip artifacts/<id>-<version>.zip]
//
// Prints one line per rule ("ok" or "FAIL" with what is wrong) and exits 1 if any rule fails.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';

/** The archive's budget: bpflive's own (about 0.3 MB today), so a stray bundle is noticed. */
const MAX_ARCHIVE_BYTES = 5 * 1024 * 1024;
const MAX_SCREENSHOT_BYTES = 1024 * 1024;

/**
 * Modules Grafana gives every plugin at run time (the scaffold's webpack externals): a copy in
 * module.js would be a second React or @grafana/runtime, which breaks hooks and singletons.
 */
const EXTERNAL_PACKAGES = [
  'react',
  'react-dom',
  '@grafana/data',
  '@grafana/ui',
  '@grafana/runtime',
  'rxjs',
  'lodash',
  'moment',
  '@emotion/css',
  '@emotion/react',
  'i18next',
  'jquery',
  'd3',
];

function parseArgs(argv) {
  const args = { dist: 'dist', zip: undefined };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--dist' || argv[i] === '--zip') {
      args[argv[i].slice(2)] = argv[++i];
    } else {
      throw new Error(`unknown argument ${argv[i]} (usage: --dist DIR --zip FILE)`);
    }
  }
  return args;
}

function readText(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** A file that exists, is a regular file and is not empty. */
function present(file) {
  try {
    const st = fs.statSync(file);
    return st.isFile() && st.size > 0;
  } catch {
    return false;
  }
}

/** The archive's entries ({name, size}), read with Python's zipfile (as package-plugin.mjs writes it). */
function zipEntries(zip) {
  const listing = execFileSync(
    'python3',
    [
      '-c',
      'import json,sys,zipfile; print(json.dumps([[i.filename, i.file_size] for i in zipfile.ZipFile(sys.argv[1]).infolist()]))',
      zip,
    ],
    { encoding: 'utf8' }
  );
  return JSON.parse(listing).map(([name, size]) => ({ name, size }));
}

function zipFile(zip, name) {
  return execFileSync(
    'python3',
    ['-c', 'import sys,zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())', zip, name],
    { encoding: 'utf8' }
  );
}

// -------------------------------------------------------------------------------------------
// The rules. Each returns the problems it found (empty: the rule holds).

function metadata(plugin) {
  const p = [];
  const info = plugin.info ?? {};
  if (!/^[a-z0-9]+(-[a-z0-9]+)*-(datasource|panel|app)$/.test(plugin.id ?? '')) {
    p.push(`id "${plugin.id}" is not <org>-<name>-<type>`);
  } else if (!plugin.id.endsWith(`-${plugin.type}`)) {
    p.push(`type "${plugin.type}" does not match the id's suffix`);
  }
  if (!plugin.name?.trim()) {
    p.push('no name');
  }
  if (!info.description?.trim()) {
    p.push('no info.description');
  }
  if (!info.author?.name?.trim()) {
    p.push('no info.author.name');
  }
  if (!Array.isArray(info.keywords) || info.keywords.filter((k) => typeof k === 'string' && k.trim()).length === 0) {
    p.push('no info.keywords');
  }
  if (!semver.valid(info.version)) {
    p.push(`info.version "${info.version}" is not a semantic version`);
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(info.updated ?? '') || Number.isNaN(Date.parse(info.updated))) {
    p.push(`info.updated "${info.updated}" is not a date (YYYY-MM-DD)`);
  }
  const links = info.links ?? [];
  if (links.length === 0) {
    p.push('no info.links (documentation, issues)');
  }
  for (const link of links) {
    if (!link.name?.trim() || !/^https:\/\/\S+$/.test(link.url ?? '')) {
      p.push(`link ${JSON.stringify(link)} needs a name and an https URL`);
    }
  }
  const placeholders = JSON.stringify(plugin).match(/%[A-Z_]+%/g);
  if (placeholders) {
    p.push(`placeholders left: ${[...new Set(placeholders)].join(', ')}`);
  }
  return p;
}

function grafanaDependency(plugin) {
  const range = plugin.dependencies?.grafanaDependency;
  if (!range) {
    return ['no dependencies.grafanaDependency'];
  }
  if (!semver.validRange(range)) {
    return [`grafanaDependency "${range}" is not a version range`];
  }
  // An exact version (or an upper bound only) keeps the plugin off every other Grafana.
  if (semver.valid(range) || !/>=?\s*\d/.test(range)) {
    return [`grafanaDependency "${range}" should state the oldest Grafana tested, e.g. ">=12.3.0"`];
  }
  return [];
}

/** An SVG the catalog shows inline: no script, no event handler, nothing loaded from elsewhere. */
function unsafeSvg(text) {
  const p = [];
  if (/<script\b/i.test(text)) {
    p.push('has a <script>');
  }
  if (/\son[a-z]+\s*=/i.test(text)) {
    p.push('has an event handler attribute');
  }
  if (/(?:xlink:)?href\s*=\s*["'](?!#|data:)/i.test(text)) {
    p.push('loads an external resource');
  }
  return p;
}

function logos(plugin, dist) {
  const p = [];
  const logo = plugin.info?.logos ?? {};
  for (const size of ['small', 'large']) {
    const file = logo[size];
    if (!file) {
      p.push(`no info.logos.${size}`);
    } else if (!present(path.join(dist, file))) {
      p.push(`logo ${file} is missing from the build`);
    } else if (file.endsWith('.svg')) {
      p.push(...unsafeSvg(readText(path.join(dist, file))).map((w) => `logo ${file} ${w}`));
    }
  }
  return p;
}

const IMAGE_MAGIC = [
  [Buffer.from([0x89, 0x50, 0x4e, 0x47]), 'png'],
  [Buffer.from([0xff, 0xd8, 0xff]), 'jpeg'],
  [Buffer.from('GIF8'), 'gif'],
];

function screenshots(plugin, dist) {
  const shots = plugin.info?.screenshots ?? [];
  if (shots.length === 0) {
    return ['no info.screenshots'];
  }
  const p = [];
  for (const shot of shots) {
    const file = path.join(dist, shot.path ?? '');
    if (!shot.name?.trim() || !shot.path) {
      p.push(`screenshot ${JSON.stringify(shot)} needs a name and a path`);
    } else if (!present(file)) {
      p.push(`screenshot ${shot.path} is missing from the build`);
    } else {
      const head = fs.readFileSync(file).subarray(0, 8);
      if (!IMAGE_MAGIC.some(([magic]) => head.subarray(0, magic.length).equals(magic))) {
        p.push(`screenshot ${shot.path} is not a PNG, JPEG or GIF`);
      }
      if (fs.statSync(file).size > MAX_SCREENSHOT_BYTES) {
        p.push(`screenshot ${shot.path} is over ${MAX_SCREENSHOT_BYTES} bytes`);
      }
    }
  }
  return p;
}

/** The dependency list of webpack's AMD wrapper, `define([...], factory)`; undefined without one. */
function amdDependencies(moduleJs) {
  const m = /\bdefine\(\s*(\[[^\]]*\])/.exec(moduleJs);
  return m ? JSON.parse(m[1]) : undefined;
}

function moduleJs(dist) {
  const text = readText(path.join(dist, 'module.js'));
  if (text === undefined) {
    return ['module.js is missing'];
  }
  const p = [];
  const deps = amdDependencies(text);
  if (!deps) {
    p.push('module.js is not an AMD module (define([...]))');
  } else if (deps.includes('angular')) {
    p.push('module.js depends on angular (Angular plugins no longer load in Grafana 12)');
  }
  const logs = text.match(/\bconsole\.log\b/g);
  if (logs) {
    p.push(`module.js calls console.log (${logs.length}×)`);
  }
  const trackers = text.match(/google-analytics\.com|googletagmanager\.com|segment\.(io|com)\/analytics/g);
  if (trackers) {
    p.push(`module.js loads tracking scripts (${[...new Set(trackers)].join(', ')})`);
  }
  return p;
}

function sourceMap(dist) {
  const text = readText(path.join(dist, 'module.js.map'));
  if (text === undefined) {
    return ['module.js.map is missing'];
  }
  let map;
  try {
    map = JSON.parse(text);
  } catch {
    return ['module.js.map is not JSON'];
  }
  const p = [];
  if (map.version !== 3 || !Array.isArray(map.sources) || map.sources.length === 0) {
    p.push('module.js.map is not a version-3 source map with sources');
  } else if (!Array.isArray(map.sourcesContent) || map.sourcesContent.length !== map.sources.length) {
    p.push('module.js.map has no sourcesContent (reviewers read the sources from it)');
  }
  if (!/\/\/# sourceMappingURL=module\.js\.map\s*$/.test(readText(path.join(dist, 'module.js')) ?? '')) {
    p.push('module.js does not point at module.js.map');
  }
  return p;
}

/** What Grafana provides is imported (an AMD dependency), never bundled: read from the source map. */
function externalsNotBundled(dist) {
  let sources;
  try {
    sources = JSON.parse(fs.readFileSync(path.join(dist, 'module.js.map'), 'utf8')).sources ?? [];
  } catch {
    return ['cannot tell without module.js.map'];
  }
  const bundled = new Set();
  for (const source of sources) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(source);
    if (m && EXTERNAL_PACKAGES.includes(m[1])) {
      bundled.add(m[1]);
    }
  }
  return [...bundled].map((name) => `${name} is bundled into module.js (Grafana provides it: make it external)`);
}

/** Licences the catalog accepts, as their texts name themselves. */
const ACCEPTED_LICENCE = /Apache License|MIT License|BSD|GNU (Affero |Lesser )?General Public License/;
/** Words the catalog's review reads as developer documentation in the README (its "jargon" rule). */
const JARGON = ['yarn', 'nodejs'];

function documents(plugin, dist) {
  const p = [];
  const licence = readText(path.join(dist, 'LICENSE'));
  if (!licence?.trim()) {
    p.push('LICENSE is missing');
  } else if (!ACCEPTED_LICENCE.test(licence)) {
    p.push('LICENSE is not one the catalog accepts (Apache 2.0, MIT, BSD, GPL3, LGPL3, AGPL3)');
  }
  const readme = readText(path.join(dist, 'README.md'));
  if (!readme?.trim()) {
    p.push('README.md is missing');
  } else if (/This README file is going to be the one displayed|plugin template/.test(readme)) {
    p.push('README.md is still the template');
  } else {
    const jargon = JARGON.filter((word) => readme.includes(word));
    if (jargon.length > 0) {
      p.push(`README.md has developer jargon (${jargon.join(', ')}): move build notes to the project's own docs`);
    }
  }
  const changelog = readText(path.join(dist, 'CHANGELOG.md'));
  const version = plugin.info?.version;
  if (!changelog) {
    p.push('CHANGELOG.md is missing');
  } else if (version && !new RegExp(`^## \\[?${version.replace(/\./g, '\\.')}\\]?[ (]`, 'm').test(changelog)) {
    p.push(`CHANGELOG.md has no "## ${version}" section`);
  }
  return p;
}

function archive(plugin, dist, zip) {
  if (!present(zip)) {
    return [`archive ${zip} is missing (npm run build makes it)`];
  }
  const p = [];
  const expected = `${plugin.id}-${plugin.info?.version}.zip`;
  if (path.basename(zip) !== expected) {
    p.push(`archive is named ${path.basename(zip)}, not ${expected}`);
  }
  const size = fs.statSync(zip).size;
  if (size > MAX_ARCHIVE_BYTES) {
    p.push(`archive is ${size} bytes, over the ${MAX_ARCHIVE_BYTES}-byte budget`);
  }
  let entries;
  try {
    entries = zipEntries(zip);
  } catch {
    return [...p, 'archive cannot be read as a zip'];
  }
  const top = `${plugin.id}/`;
  const outside = entries.filter((e) => !e.name.startsWith(top));
  if (outside.length > 0) {
    p.push(
      `entries outside ${top}: ${outside
        .slice(0, 3)
        .map((e) => e.name)
        .join(', ')}`
    );
  }
  const names = new Set(entries.map((e) => e.name));
  for (const need of ['module.js', 'module.js.map', 'plugin.json', 'LICENSE', 'README.md', 'CHANGELOG.md']) {
    if (!names.has(top + need)) {
      p.push(`archive has no ${top}${need}`);
    }
  }
  if (!entries.some((e) => e.name.startsWith(`${top}img/`) && e.size > 0)) {
    p.push(`archive has no ${top}img/`);
  }
  if (names.has(`${top}plugin.json`)) {
    const packed = zipFile(zip, `${top}plugin.json`);
    if (packed !== readText(path.join(dist, 'plugin.json'))) {
      p.push("the archive's plugin.json differs from dist/plugin.json (rebuild: npm run build)");
    }
  }
  return p;
}

/** `<zip>.sha256` as sha256sum writes it ("<hex>  <name>"), matching the archive. */
function checksum(zip) {
  const line = readText(`${zip}.sha256`);
  if (line === undefined) {
    return [`${path.basename(zip)}.sha256 is missing`];
  }
  const actual = createHash('sha256').update(fs.readFileSync(zip)).digest('hex');
  const [hex, name] = line.trim().split(/\s+\*?/);
  if (hex !== actual || name !== path.basename(zip)) {
    return [`${path.basename(zip)}.sha256 does not match the archive`];
  }
  return [];
}

// -------------------------------------------------------------------------------------------

export function validate({ dist, zip }) {
  const pluginText = readText(path.join(dist, 'plugin.json'));
  let plugin;
  try {
    plugin = JSON.parse(pluginText ?? '');
  } catch {
    return [{ rule: 'plugin.json', problems: [`${path.join(dist, 'plugin.json')} is missing or not JSON`] }];
  }
  const archivePath = zip ?? path.join('artifacts', `${plugin.id}-${plugin.info?.version}.zip`);
  return [
    { rule: 'plugin.json metadata', problems: metadata(plugin) },
    { rule: 'grafanaDependency', problems: grafanaDependency(plugin) },
    { rule: 'logos', problems: logos(plugin, dist) },
    { rule: 'screenshots', problems: screenshots(plugin, dist) },
    { rule: 'module.js', problems: moduleJs(dist) },
    { rule: 'source map', problems: sourceMap(dist) },
    { rule: 'Grafana and React not bundled', problems: externalsNotBundled(dist) },
    { rule: 'LICENSE, README, CHANGELOG', problems: documents(plugin, dist) },
    { rule: 'archive layout and size', problems: archive(plugin, dist, archivePath) },
    { rule: 'archive checksum', problems: present(archivePath) ? checksum(archivePath) : ['no archive'] },
  ];
}

// Run as a command (not imported by package-plugin.mjs); real paths, so a symlinked checkout still runs it.
if (process.argv[1] && fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url))) {
  const results = validate(parseArgs(process.argv.slice(2)));
  for (const { rule, problems } of results) {
    console.log(
      problems.length === 0 ? `ok    ${rule}` : `FAIL  ${rule}\n${problems.map((x) => `        - ${x}`).join('\n')}`
    );
  }
  const failed = results.filter((r) => r.problems.length > 0).length;
  console.log(failed === 0 ? 'validate-plugin: all rules hold' : `validate-plugin: ${failed} rule(s) failed`);
  process.exit(failed === 0 ? 0 : 1);
}
