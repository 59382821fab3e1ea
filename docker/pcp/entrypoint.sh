#!/usr/bin/env bash
# Bring the stack up, then stay in the foreground while pmcd runs (its init script daemonizes).
set -euo pipefail
pcp-stack.sh up
echo "pmproxy ready on :44322"
trap 'pcp-stack.sh down; exit 0' TERM INT
while pgrep -x pmcd >/dev/null; do sleep 5; done
echo "pmcd exited" >&2
exit 1
