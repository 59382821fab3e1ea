#!/usr/bin/env bash
# The one test command (README "Test it"; .ci/run runs exactly this). As root on Debian/Ubuntu:
# installs what the tests need (apt: the PCP stack, bpftrace, Chromium; npm ci), starts the real
# stack, then runs every test: typecheck, lint (with the layering rules), formatting, unit, build,
# integration (real pmproxy + PMDA + bpftrace), browser (built dist/module.js in headless
# Chromium). Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

ARTIFACTS=artifacts
mkdir -p "$ARTIFACTS"
start=$(date +%s)
failed_steps=()

step() {
  local name=$1
  shift
  local t0
  t0=$(date +%s)
  echo
  echo "==> $name"
  if "$@"; then
    echo "<== $name: ok ($(($(date +%s) - t0)) s)"
  else
    echo "<== $name: FAILED ($(($(date +%s) - t0)) s)"
    failed_steps+=("$name")
  fi
}

need_root() {
  if [ "$(id -u)" != 0 ]; then
    echo "test-all: run as root (it installs packages and drives pmcd/pmproxy/bpftrace)" >&2
    exit 1
  fi
}

install_browser() {
  if command -v chromium >/dev/null && fc-list 2>/dev/null | grep -qi dejavu; then
    return 0
  fi
  apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      -o DPkg::Lock::Timeout=600 chromium fonts-dejavu-core >/dev/null
}

install_node_modules() {
  # Install scripts of esbuild/@swc/core are not needed (their binaries come as optional deps).
  npm ci --no-audit --no-fund --loglevel=error
}

# The browser tests' second runtime (Grafana 13 / React 19), locked by its own package-lock.json.
install_runtime_13() {
  (cd tests/browser/runtime-13 && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
}

need_root
step "PCP stack (scripts/pcp-stack.sh up --second-host)" bash scripts/pcp-stack.sh up --second-host
step "Chromium for browser tests" install_browser
step "npm ci" install_node_modules
step "npm ci (browser runtime 13)" install_runtime_13
step "typecheck" npm run --silent typecheck
step "typecheck src/ against Grafana 13 / React 19" npx tsc -p tests/browser/runtime-13/tsconfig.src.json
step "lint (incl. the layering rules)" npm run --silent lint
step "formatting (prettier --check)" npx prettier --check .
step "dashboards match their .bt files" node scripts/build-dashboards.mjs --check
step "unit tests" npx jest --ci --maxWorkers 2 --json --outputFile="$ARTIFACTS/unit.json"
step "build" npm run --silent build
step "plugin validator (the rules checkable here; docs/releasing.md)" node scripts/validate-plugin.mjs
step "integration tests (real stack)" npx jest --ci -c jest.integration.config.js --json --outputFile="$ARTIFACTS/integration.json"
step "browser tests (headless Chromium; Grafana 12 / React 18, then 13 / React 19)" bash tests/browser/run.sh

# Totals across runners: jest's JSON reports and node --test's TAP summary. The names of the
# failed tests, with the first lines of why, go to the end of the log too: a CI record that keeps
# only a log's head and tail would otherwise lose them in the middle (jest prints a failure where
# it happens, among the passing files' output).
counts=$(node -e '
  const fs = require("fs");
  let passed = 0, failed = 0;
  const why = [];
  const firstLines = (text) => String(text).replace(/\x1b\[[0-9;]*m/g, "").split("\n").map((l) => l.trim()).filter(Boolean).slice(0, 4).join(" | ");
  for (const f of ["unit.json", "integration.json"]) {
    try {
      const r = JSON.parse(fs.readFileSync(`artifacts/${f}`, "utf8"));
      passed += r.numPassedTests; failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
      for (const file of r.testResults) {
        const where = file.name.replace(process.cwd() + "/", "");
        const tests = file.assertionResults.filter((t) => t.status === "failed");
        for (const t of tests) why.push(`${where} › ${[...t.ancestorTitles, t.title].join(" › ")}: ${firstLines(t.failureMessages.join("\n"))}`);
        if (tests.length === 0 && file.status === "failed") why.push(`${where}: ${firstLines(file.message)}`);
      }
    } catch { failed += 1; why.push(`${f}: no report`); }
  }
  // One TAP file per Grafana runtime (tests/browser/run.sh); a missing one counts as a failure.
  for (const runtime of ["12", "13"]) {
    try {
      const t = fs.readFileSync(`artifacts/browser-${runtime}.tap`, "utf8");
      passed += Number((/^# pass (\d+)/m.exec(t) || [0, 0])[1]);
      failed += Number((/^# fail (\d+)/m.exec(t) || [0, 1])[1]);
      for (const m of t.matchAll(/^\s*not ok \d+ - (.*)$/gm)) why.push(`browser (Grafana ${runtime}) › ${m[1]}`);
    } catch { failed += 1; why.push(`browser-${runtime}.tap: no report`); }
  }
  fs.writeFileSync("artifacts/failed-tests.txt", why.map((w) => w.slice(0, 600) + "\n").join(""));
  console.log(`${passed} ${failed}`);
')
read -r passed failed <<<"$counts"

echo
echo "test-all: $(($(date +%s) - start)) s; dist/module.js $(stat -c %s dist/module.js 2>/dev/null || echo '?') bytes"
if [ ${#failed_steps[@]} -gt 0 ]; then
  echo "test-all: failed steps: ${failed_steps[*]}"
  [ "$failed" -gt 0 ] || failed=${#failed_steps[@]}
fi
if [ -s "$ARTIFACTS/failed-tests.txt" ]; then
  echo "test-all: failed tests:"
  head -n 20 "$ARTIFACTS/failed-tests.txt" | sed 's/^/  /'
fi
echo "${passed} passed, ${failed} failed"
[ ${#failed_steps[@]} -eq 0 ] && [ "$failed" -eq 0 ]
