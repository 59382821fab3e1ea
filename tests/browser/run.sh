#!/usr/bin/env bash
# Headless-browser tests of the built plugin: config.test.ts, editor.test.ts, panels.test.ts (over
# the shared harness.ts) and flamegraph.test.ts. Builds dist/module.js if it is missing (or with
# BUILD_PLUGIN=1), always rebuilds the host bundle, runs the tests; exits non-zero when a test fails.
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

# The tests are TypeScript (type-checked by `npm run typecheck`); node runs them through ts-node
# with tests/tsconfig.json's "ts-node" options (CommonJS, transpile only, SWC).
export TS_NODE_PROJECT=tests/tsconfig.json
TS=(-r ts-node/register)

echo "== host bundle"
node "${TS[@]}" tests/browser/build-host.ts

echo "== browser tests"
# The files, not the directory: node >= 21 reads test arguments as globs and would not search a directory.
# One file at a time: they share the real stack. spec for people, TAP into artifacts/ for
# scripts/test-all.sh's totals (every file in one run: one TAP file, one exit status).
mkdir -p artifacts
exec node "${TS[@]}" --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination=artifacts/browser.tap \
  tests/browser/config.test.ts tests/browser/editor.test.ts tests/browser/panels.test.ts \
  tests/browser/flamegraph.test.ts tests/browser/hosts.test.ts
