#!/usr/bin/env node
// Prepares a release (docs/releasing.md): sets the version in package.json and package-lock.json
// (plugin.json takes it at build time), and turns CHANGELOG.md's unreleased section into the
// release's dated entry, with an empty "## [Unreleased]" above it for the next changes.
// Commits and tags nothing: the steps after it are printed.
//
//   node scripts/release.mjs <version>        e.g. 1.0.0, 1.1.0, 1.0.1
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const version = process.argv[2];
const fail = (why) => {
  console.error(`release: ${why}`);
  process.exit(1);
};

if (!semver.valid(version)) {
  fail(`give the version to release, e.g. 1.1.0 (got ${version ?? 'nothing'})`);
}
const changelogPath = path.join(root, 'CHANGELOG.md');
const changelog = fs.readFileSync(changelogPath, 'utf8');
const released = [...changelog.matchAll(/^## \[(\d+\.\d+\.\d+[^\]]*)\] - \d{4}-\d{2}-\d{2}$/gm)].map((m) => m[1]);
if (released.includes(version)) {
  fail(`${version} is already released (CHANGELOG.md has its entry)`);
}
const newest = released.sort(semver.rcompare)[0];
if (newest && !semver.gt(version, newest)) {
  fail(`${version} is not newer than the last release, ${newest}`);
}

// The first "## " heading must be the unreleased one ("## [Unreleased]" or "## 1.0.0 (Unreleased)").
const heading = /^## .*$/m.exec(changelog);
if (!heading || !/unreleased/i.test(heading[0])) {
  fail('CHANGELOG.md has no unreleased section at the top to release');
}
const rest = changelog.slice(heading.index + heading[0].length);
const body = rest.slice(0, rest.search(/^## /m) === -1 ? undefined : rest.search(/^## /m));
if (!/^- /m.test(body)) {
  fail('the unreleased section lists no change: nothing to release');
}
const today = new Date().toISOString().slice(0, 10);
fs.writeFileSync(
  changelogPath,
  changelog.slice(0, heading.index) + `## [Unreleased]\n\n## [${version}] - ${today}` + rest
);
execFileSync('npm', ['version', version, '--no-git-tag-version', '--allow-same-version'], {
  cwd: root,
  stdio: 'ignore',
});

console.log(`release: CHANGELOG.md and package.json say ${version} (${today}). Next:
  npm run build                       # dist/, the zip, its .sha256, the validator
  git commit -am "Release ${version}" && git tag v${version}
  publish artifacts/bpflive-bpftrace-datasource-${version}.zip and its .sha256`);
