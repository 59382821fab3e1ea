#!/usr/bin/env node
// The npm registry reachable here serves only some platform builds of @swc/core (the others
// answer 404), so `npm install` leaves them out of package-lock.json and `npm ci` then refuses
// the lock ("Missing: @swc/core-darwin-arm64@ from lock file"). This adds the entries npm would
// have written; `npm ci` skips them by their os/cpu, so nothing is fetched. Run it after any
// `npm install` that rewrites the lock.
import fs from 'node:fs';

const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8'));
const platforms = {
  'darwin-arm64': ['darwin', 'arm64'],
  'darwin-x64': ['darwin', 'x64'],
  'linux-arm-gnueabihf': ['linux', 'arm'],
  'linux-arm64-gnu': ['linux', 'arm64'],
  'linux-arm64-musl': ['linux', 'arm64'],
  'linux-ppc64-gnu': ['linux', 'ppc64'],
  'linux-s390x-gnu': ['linux', 's390x'],
  'linux-x64-gnu': ['linux', 'x64'],
  'linux-x64-musl': ['linux', 'x64'],
  'win32-arm64-msvc': ['win32', 'arm64'],
  'win32-ia32-msvc': ['win32', 'ia32'],
  'win32-x64-msvc': ['win32', 'x64'],
};
let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  const optional = entry.optionalDependencies ?? {};
  for (const [name, version] of Object.entries(optional)) {
    const suffix = name.startsWith('@swc/core-') ? name.slice('@swc/core-'.length) : undefined;
    const where = path === '' ? `node_modules/${name}` : `node_modules/${name}`;
    if (!suffix || !platforms[suffix] || lock.packages[where]) {
      continue;
    }
    const [os, cpu] = platforms[suffix];
    lock.packages[where] = {
      version,
      cpu: [cpu],
      dev: true,
      license: 'Apache-2.0 AND MIT',
      optional: true,
      os: [os],
      engines: { node: '>=10' },
    };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b)))
);
fs.writeFileSync('package-lock.json', JSON.stringify(lock, null, 2) + '\n');
console.log(`lock-foreign-platforms: added ${added} entries`);
