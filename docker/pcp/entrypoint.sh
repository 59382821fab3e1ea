#!/usr/bin/env bash
# The pcp service of the compose quick start: bring the stack up with authentication on (the
# default of pcp-stack.sh up: a SASL user with a generated password, kept in
# $BPFLIVE_PCP_CREDENTIALS_FILE on the pcp-credentials volume), hand user and password to Grafana
# through the shared volume, then stay in the foreground while our pmcd runs (it daemonizes).
#
# With pid: host this container sees the host's processes: "our pmcd" is the pid in our own pid
# file, in our own mount namespace, never a process found by name.
set -euo pipefail

CREDENTIALS_FILE=${BPFLIVE_PCP_CREDENTIALS_FILE:-/etc/pcp/bpflive/credentials}
GRAFANA_DIR=${BPFLIVE_GRAFANA_CREDENTIALS_DIR:-/run/bpflive/grafana}
# Grafana's container runs as uid 472, gid 0 (the grafana/grafana image's defaults)
GRAFANA_UID=${BPFLIVE_GRAFANA_UID:-472}
GRAFANA_GID=${BPFLIVE_GRAFANA_GID:-0}
PMCD_PIDFILE=${BPFLIVE_PMCD_PIDFILE:-/run/pcp/pmcd.pid}

log() { printf 'bpflive-pcp: %s\n' "$*"; }

# share_credentials: user and password from the root-only credentials file (one line
# user:password) into two files Grafana's provisioning reads with $__file{...}: readable by
# Grafana's uid only, written atomically, no trailing newline. Never prints the password.
share_credentials() {
  local line user password
  IFS= read -r line <"$CREDENTIALS_FILE" || true
  user=${line%%:*}
  password=${line#*:}
  if [ -z "$user" ] || [ -z "$password" ] || [ "$user" = "$line" ]; then
    log "error: $CREDENTIALS_FILE is not one line user:password" >&2
    return 1
  fi
  mkdir -p "$GRAFANA_DIR"
  chmod 0755 "$GRAFANA_DIR"
  local name value
  for name in user password; do
    if [ "$name" = user ]; then value=$user; else value=$password; fi
    (
      umask 077
      printf '%s' "$value" >"$GRAFANA_DIR/.$name.tmp"
    )
    chown "$GRAFANA_UID:$GRAFANA_GID" "$GRAFANA_DIR/.$name.tmp"
    chmod 0440 "$GRAFANA_DIR/.$name.tmp"
    mv -f "$GRAFANA_DIR/.$name.tmp" "$GRAFANA_DIR/$name"
  done
  log "Grafana's datasource credentials (user $user) in $GRAFANA_DIR/{user,password}"
}

our_pmcd_running() {
  local pid
  pid=$(cat "$PMCD_PIDFILE" 2>/dev/null || true)
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" = pmcd ] || return 1
  [ "$(readlink "/proc/$pid/ns/mnt" 2>/dev/null || true)" = "$(readlink /proc/$$/ns/mnt)" ]
}

main() {
  export BPFLIVE_PCP_CREDENTIALS_FILE=$CREDENTIALS_FILE
  export BPFLIVE_DAEMON_CONTROL=${BPFLIVE_DAEMON_CONTROL:-direct}
  pcp-stack.sh up
  share_credentials
  log "pmproxy ready on :44322 (compose network only; registering scripts needs the SASL user)"
  trap 'pcp-stack.sh down; exit 0' TERM INT
  while our_pmcd_running; do sleep 5 & wait $!; done
  log "pmcd exited" >&2
  exit 1
}

# sourced (tests): define the functions only
if [ "${BASH_SOURCE[0]}" = "$0" ]; then main "$@"; fi
