#!/usr/bin/env bash
# Headless-browser tests of the built plugin (see tests/browser/browser.test.mjs).
# Builds dist/module.js if it is missing (or with BUILD_PLUGIN=1), always rebuilds the host
# bundle, runs the tests; exits non-zero when a test fails.
# Needs /usr/bin/chromium (or CHROMIUM=...) and pmproxy with the bpftrace PMDA on
# BPFLIVE_UPSTREAM (default http://127.0.0.1:44322; scripts/pcp-stack.sh up).
# Screenshots: artifacts/browser/.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [[ ! -f dist/module.js || "${BUILD_PLUGIN:-0}" == 1 ]]; then
  echo "== npm run build"
  npm run build --silent >/dev/null
elif [[ -n "$(find src -newer dist/module.js -type f -print -quit)" ]]; then
  echo "== note: src/ has changes newer than dist/module.js; BUILD_PLUGIN=1 rebuilds it first"
fi

echo "== host bundle"
node tests/browser/build-host.mjs

echo "== browser tests"
# The file, not the directory: node >= 21 reads test arguments as globs and would not search a directory.
# spec for people, TAP into artifacts/ for scripts/test-all.sh's totals.
mkdir -p artifacts
# Every browser test file in one run: one TAP file, one exit status.
exec node --test --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination=artifacts/browser.tap \
  tests/browser/browser.test.mjs tests/browser/flamegraph.test.mjs
