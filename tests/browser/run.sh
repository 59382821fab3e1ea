#!/usr/bin/env bash
# Headless-browser tests of the built plugin: config, editor, panels, metrics, runningScripts (over
# the shared harness.ts) and flamegraph.test.ts. Builds dist/module.js if it is missing (or with
# BUILD_PLUGIN=1), then for each Grafana runtime (runtime.ts; BROWSER_RUNTIMES, default "12 13"):
# rebuilds the host bundle with that runtime's React and @grafana packages and runs the tests on
# the same dist/module.js. Exits non-zero when a test fails in any runtime.
# Runtime 13 is its own locked install (tests/browser/runtime-13/): `npm ci` there when it is
# missing or older than its package-lock.json.
# Needs /usr/bin/chromium (or CHROMIUM=...) and pmproxy with the bpftrace PMDA on
# BPFLIVE_UPSTREAM (default http://127.0.0.1:44322; scripts/pcp-stack.sh up).
# BROWSER_CPU_THROTTLE=4 slows every page's CPU 4× (harness.ts): slow-machine races show up.
# Screenshots: artifacts/browser/grafana-<runtime>/; TAP: artifacts/browser-<runtime>.tap.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [[ ! -f dist/module.js || "${BUILD_PLUGIN:-0}" == 1 ]]; then
  echo "== npm run build"
  npm run build --silent >/dev/null
elif [[ -n "$(find src -newer dist/module.js -type f -print -quit)" ]]; then
  echo "== note: src/ has changes newer than dist/module.js; BUILD_PLUGIN=1 rebuilds it first"
fi

RUNTIME_13=tests/browser/runtime-13
if [[ " ${BROWSER_RUNTIMES:-12 13} " == *" 13 "* &&
  (! -f $RUNTIME_13/node_modules/.package-lock.json || $RUNTIME_13/package-lock.json -nt $RUNTIME_13/node_modules/.package-lock.json) ]]; then
  echo "== npm ci in $RUNTIME_13"
  # No install scripts: the test pages bundle JavaScript only.
  (cd "$RUNTIME_13" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi

# The tests are TypeScript (type-checked by `npm run typecheck`); node runs them through ts-node
# with tests/tsconfig.json's "ts-node" options (CommonJS, transpile only, SWC).
export TS_NODE_PROJECT=tests/tsconfig.json
TS=(-r ts-node/register)
mkdir -p artifacts
failed=()

for runtime in ${BROWSER_RUNTIMES:-12 13}; do
  export BPFLIVE_RUNTIME=$runtime
  rm -f "artifacts/browser-$runtime.tap" # a run that never starts must not count an older one
  echo "== runtime $runtime: host bundle"
  if ! node "${TS[@]}" tests/browser/build-host.ts; then
    failed+=("$runtime")
    continue
  fi
  echo "== runtime $runtime: browser tests"
  # The files, not the directory: node >= 21 reads test arguments as globs and would not search a directory.
  # One file at a time: they share the real stack. spec for people, TAP into artifacts/ for
  # scripts/test-all.sh's totals (every file in one run: one TAP file per runtime).
  node "${TS[@]}" --test --test-concurrency=1 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="artifacts/browser-$runtime.tap" \
    tests/browser/config.test.ts tests/browser/editor.test.ts tests/browser/panels.test.ts \
    tests/browser/flamegraph.test.ts tests/browser/hosts.test.ts tests/browser/metrics.test.ts \
    tests/browser/runningScripts.test.ts || failed+=("$runtime")
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "== browser tests failed in runtime(s): ${failed[*]}"
  exit 1
fi
