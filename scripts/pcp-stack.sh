#!/usr/bin/env bash
# pcp-stack.sh: set up, check or stop the local PCP stack that bpflive talks to
# (pmcd + the bpftrace PMDA + pmproxy on 127.0.0.1:44322), on Debian/Ubuntu, as root.
# Works without systemd. See usage() below, or run with --help.
set -euo pipefail

readonly PROG=pcp-stack
readonly CLEAN_PATH=/usr/bin:/bin:/usr/sbin:/sbin
readonly PMPROXY_URL=http://127.0.0.1:44322
readonly PACKAGES=(pcp python3-pcp bpftrace)
readonly BPFTRACE_CONF=/etc/pcp/bpftrace/bpftrace.conf
readonly PMCD_CONF=/etc/pcp/pmcd/pmcd.conf
readonly PMCD_OPTIONS=/etc/pcp/pmcd/pmcd.options
readonly PMPROXY_OPTIONS=/etc/pcp/pmproxy/pmproxy.options
readonly PMDA_DIR=/var/lib/pcp/pmdas/bpftrace
readonly PASSWD_DB=/etc/pcp/passwd.db
readonly PCP_RUN_DIR=/run/pcp
readonly LISTEN_ADDR=127.0.0.1
# pmproxy alone may listen elsewhere: the docker-compose quick start, where Grafana runs in
# another container, sets 0.0.0.0 and keeps the port off the host.
readonly PMPROXY_LISTEN_ADDR=${BPFLIVE_PMPROXY_LISTEN:-$LISTEN_ADDR}
readonly FIX_OLD='asyncio.wait({process.wait()}'
readonly FIX_NEW='asyncio.wait({asyncio.ensure_future(process.wait())}'
LOG=${BPFLIVE_PCP_STACK_LOG:-/var/log/bpflive-pcp-stack.log}
READY_TIMEOUT=${BPFLIVE_READY_TIMEOUT:-90}

usage() {
  cat <<EOF
usage: scripts/pcp-stack.sh up [options] | install | status | down [--purge]

Sets up the PCP stack that bpflive uses on this Debian/Ubuntu machine (as root,
systemd not needed): pcp, python3-pcp and bpftrace from apt, the bpftrace PMDA
with dynamic scripts, pmcd and pmproxy listening on ${LISTEN_ADDR} only, REST
API on ${PMPROXY_URL}.

  up       install/configure what is missing, (re)start pmcd/pmproxy only when
           something changed or they are not running, wait until
           bpftrace.control.register answers (at most ${READY_TIMEOUT} s), print a summary.
           Idempotent: a second run changes nothing.
  install  only install the packages (for container image builds).
  status   report packages, daemons, PMDA, config, listening addresses and
           whether register answers; exit 0 only when all is well.
  down     stop pmproxy and pmcd and any bpftrace processes the PMDA started.
           Packages stay installed; 'up' brings everything back.
    --purge  also remove the bpftrace PMDA from pmcd and restore the original
             (.dist) bpftrace.conf, process_manager.py, pmcd/pmproxy options.

Options for 'up' (environment variable equivalents in brackets):
  --auth | --no-auth        require SASL authentication for registering scripts
                            [BPFLIVE_AUTH=1|0]; default: no auth. Note that
                            without auth, anyone reaching pmproxy runs bpftrace
                            as root (which is why everything listens on loopback).
  --allowed-users USERS     comma-separated users allowed to register scripts
                            when auth is on [BPFLIVE_ALLOWED_USERS]; default
                            root, or the --user name when one is given.
  --expiry SECONDS          script_expiry_time for unnamed scripts
                            [BPFLIVE_SCRIPT_EXPIRY]; default 60.
  --user NAME               with --auth: create this SASL user (and the system
                            account pmcd needs for it) [BPFLIVE_AUTH_USER]
  --password-file FILE      its password, first line of FILE
                            [BPFLIVE_AUTH_PASSWORD_FILE, or BPFLIVE_AUTH_PASSWORD
                            holding the password itself]

Other environment: BPFLIVE_PMPROXY_LISTEN (address pmproxy listens on; default
${LISTEN_ADDR}; pmcd always listens on ${LISTEN_ADDR}), BPFLIVE_PCP_STACK_LOG (default /var/log/bpflive-pcp-stack.log,
receives apt, init script and daemon start output), BPFLIVE_READY_TIMEOUT (90).
EOF
}

say() { printf '%s: %s\n' "$PROG" "$*"; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }
die() {
  printf '%s: error: %s\n' "$PROG" "$*" >&2
  exit 1
}

TMPD=
cleanup() { [ -n "$TMPD" ] && rm -rf "$TMPD"; return 0; }
trap cleanup EXIT
tmpdir() {
  [ -n "$TMPD" ] || TMPD=$(mktemp -d /tmp/pcp-stack.XXXXXX)
}

log_note() { printf '\n==== %s %s\n' "$(date '+%F %T')" "$*" >>"$LOG" 2>/dev/null || true; }

# Run a command with a clean environment (Debian's python3, not pyenv/conda),
# no stdin, output to the log, and no inherited lock fd: daemons started from
# here must not hold the caller's stdout/stderr open (a $(...) or a pipe to tee
# would otherwise never see EOF).
quiet_clean() {
  log_note "$*"
  env -i PATH="$CLEAN_PATH" HOME=/root LANG=C.UTF-8 "$@" </dev/null >>"$LOG" 2>&1 9>&-
}

require_root() { [ "$(id -u)" -eq 0 ] || die "must run as root"; }

pkg_ok() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]; }

show_log_tail() {
  [ -r "$LOG" ] || return 0
  printf '%s: last lines of %s:\n' "$PROG" "$LOG" >&2
  tail -n "${1:-25}" "$LOG" | sed 's/^/    /' >&2
}

# ---------------------------------------------------------------- locking
take_lock() {
  mkdir -p /run/lock
  exec 9>/run/lock/bpflive-pcp-stack.lock
  if ! flock -n 9; then
    say "another pcp-stack.sh is running; waiting for it"
    flock -w 900 9 || die "timed out waiting for another pcp-stack.sh"
  fi
}

# ---------------------------------------------------------------- kernel
kernel_config() {
  if [ -r /proc/config.gz ]; then
    zcat /proc/config.gz 2>/dev/null || true
  elif [ -r "/boot/config-$(uname -r)" ]; then
    cat "/boot/config-$(uname -r)"
  fi
}

check_kernel_static() {
  local cfg opt
  [ -e /proc/sys/kernel/unprivileged_bpf_disabled ] ||
    die "this kernel cannot run BPF programs: it has no bpf() system call (/proc/sys/kernel/unprivileged_bpf_disabled is missing; needs CONFIG_BPF_SYSCALL=y)"
  cfg=$(kernel_config)
  if [ -n "$cfg" ]; then
    for opt in CONFIG_BPF_SYSCALL CONFIG_BPF_EVENTS CONFIG_PERF_EVENTS CONFIG_TRACEPOINTS; do
      grep -q "^${opt}=y" <<<"$cfg" ||
        die "this kernel cannot run BPF programs: ${opt} is not set in the kernel configuration"
    done
  fi
}

ensure_mounts() {
  if ! mountpoint -q /sys/kernel/debug; then
    say "mounting debugfs on /sys/kernel/debug"
    mount -t debugfs none /sys/kernel/debug || warn "could not mount debugfs"
  fi
  if [ -d /sys/kernel/tracing ] && ! mountpoint -q /sys/kernel/tracing; then
    say "mounting tracefs on /sys/kernel/tracing"
    mount -t tracefs none /sys/kernel/tracing || warn "could not mount tracefs"
  fi
}

check_bpf_runtime() {
  tmpdir
  local out=$TMPD/bpftrace-check prog
  for prog in 'BEGIN { exit(); }' 'tracepoint:raw_syscalls:sys_enter { exit(); }'; do
    if env -i PATH="$CLEAN_PATH" HOME=/root timeout 60 bpftrace -e "$prog" </dev/null >"$out" 2>&1 9>&-; then
      return 0
    fi
  done
  die "this kernel cannot run BPF programs: bpftrace -e '$prog' failed: $(grep -v RLIMIT_MEMLOCK "$out" | head -n 3 | tr '\n' ' ')"
}

# ---------------------------------------------------------------- packages
make_shim() {
  tmpdir
  SHIM=$TMPD/shim
  [ -x "$SHIM/systemctl" ] && return 0
  mkdir -p "$SHIM"
  # pcp's postinst runs 'systemctl daemon-reload/start' under sh -e: without
  # systemd that fails and leaves pcp half-configured. apt resets dpkg's PATH
  # to DPkg::Path, so the stand-in goes there.
  cat >"$SHIM/systemctl" <<EOF
#!/bin/sh
echo "pcp-stack systemctl stand-in: \$*" >>"$LOG"
exit 0
EOF
  chmod 755 "$SHIM/systemctl"
}

apt_get() {
  log_note "apt-get $*"
  DEBIAN_FRONTEND=noninteractive apt-get \
    -o DPkg::Lock::Timeout=600 \
    -o DPkg::Path="$SHIM:$CLEAN_PATH" \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "$@" </dev/null >>"$LOG" 2>&1 9>&-
}

repair_dpkg() {
  [ -n "$(dpkg --audit 2>/dev/null || true)" ] || return 0
  make_shim
  say "repairing half-configured packages (dpkg --configure -a)"
  local out=$TMPD/dpkg-configure deadline=$((SECONDS + 600))
  while :; do
    log_note "dpkg --configure -a"
    if PATH="$SHIM:$CLEAN_PATH" DEBIAN_FRONTEND=noninteractive \
      dpkg --force-confdef --force-confold --configure -a </dev/null >"$out" 2>&1 9>&-; then
      cat "$out" >>"$LOG"
      return 0
    fi
    cat "$out" >>"$LOG"
    if grep -qiE 'lock.*(another process|locked)' "$out" && [ "$SECONDS" -lt "$deadline" ]; then
      sleep 5
      continue
    fi
    warn "dpkg --configure -a failed (see $LOG)"
    return 0
  done
}

ensure_packages() {
  local p st missing=() broken=()
  for p in "$@"; do pkg_ok "$p" || missing+=("$p"); done
  [ "${#missing[@]}" -eq 0 ] && return 0
  make_shim
  repair_dpkg
  missing=()
  for p in "$@"; do
    pkg_ok "$p" && continue
    missing+=("$p")
    # present but broken (e.g. "install reinstreq half-configured" after a failed
    # reinstall): dpkg --configure cannot fix those, apt-get --reinstall can
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$st" in "" | *" not-installed" | *" config-files") ;; *) broken+=("$p") ;; esac
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  say "installing ${missing[*]} with apt-get (output in $LOG)"
  local t0=$SECONDS
  apt_get update -q || warn "apt-get update failed; trying the install with the current package lists"
  if [ "${#broken[@]}" -gt 0 ]; then
    say "reinstalling broken package(s) ${broken[*]}"
    apt_get install -y -q --no-install-recommends --reinstall "${broken[@]}" || true
  fi
  if ! apt_get install -y -q --no-install-recommends "${missing[@]}"; then
    repair_dpkg
    show_log_tail
    for p in "${missing[@]}"; do pkg_ok "$p" || die "apt-get install ${missing[*]} failed (see $LOG)"; done
  fi
  repair_dpkg
  for p in "${missing[@]}"; do
    pkg_ok "$p" || die "package $p is not installed properly: $(dpkg-query -W -f='${Status}' "$p" 2>&1) (see $LOG)"
  done
  say "installed ${missing[*]} in $((SECONDS - t0)) s"
}

# ---------------------------------------------------------------- config files
# ini_set SECTION KEY VALUE < in > out: section-aware set; replaces the first
# active "key = ..." line of [SECTION], else adds one at the end of the section,
# else appends the section.
ini_set() {
  awk -v sec="$1" -v key="$2" -v val="$3" '
    function header_name(line,   s) { s = line; sub(/^[ \t]*\[[ \t]*/, "", s); sub(/[ \t]*\].*$/, "", s); return s }
    /^[ \t]*\[/ {
      if (insec && !done) { print key " = " val; done = 1 }
      insec = (header_name($0) == sec); if (insec) seen = 1
      print; next
    }
    insec && !done && $0 ~ "^[ \t]*" key "[ \t]*[=:]" { print key " = " val; done = 1; next }
    { print }
    END {
      if (insec && !done) { print key " = " val; done = 1 }
      if (!seen) { print ""; print "[" sec "]"; print key " = " val }
    }'
}

# ini_get FILE SECTION KEY: prints the value of the first active key in section
ini_get() {
  [ -r "$1" ] || return 0
  awk -v sec="$2" -v key="$3" '
    /^[ \t]*\[/ { s = $0; sub(/^[ \t]*\[[ \t]*/, "", s); sub(/[ \t]*\].*$/, "", s); insec = (s == sec); next }
    insec && $0 ~ "^[ \t]*" key "[ \t]*[=:]" { v = $0; sub(/^[^=:]*[=:][ \t]*/, "", v); sub(/[ \t]+$/, "", v); print v; exit }
  ' "$1"
}

backup_dist() { [ -e "$1.dist" ] || cp -p "$1" "$1.dist"; }

# install_if_changed FILE NEWFILE: returns 0 when FILE was changed
install_if_changed() {
  if cmp -s "$1" "$2"; then return 1; fi
  backup_dist "$1"
  cat "$2" >"$1" # keeps owner, mode and symlinks
  return 0
}

configure_bpftrace_conf() {
  [ -f "$BPFTRACE_CONF" ] || die "$BPFTRACE_CONF is missing (is pcp installed properly?)"
  tmpdir
  local new=$TMPD/bpftrace.conf
  ini_set dynamic_scripts enabled true <"$BPFTRACE_CONF" |
    ini_set dynamic_scripts auth_enabled "$AUTH" |
    ini_set dynamic_scripts allowed_users "$ALLOWED_USERS" |
    ini_set bpftrace script_expiry_time "$EXPIRY" >"$new"
  if install_if_changed "$BPFTRACE_CONF" "$new"; then
    say "configured $BPFTRACE_CONF: dynamic scripts on, auth $(onoff "$AUTH"), allowed_users=$ALLOWED_USERS, expiry ${EXPIRY} s"
    return 0
  fi
  return 1
}

process_manager_files() {
  local f
  { dpkg -L pcp 2>/dev/null || true; } | { grep '/process_manager\.py$' || true; } | while IFS= read -r f; do
    if [ -e "$f" ]; then readlink -f "$f"; fi
  done | sort -u
  return 0
}

apply_asyncio_fix() {
  local f changed=1 files
  files=$(process_manager_files)
  [ -n "$files" ] || {
    warn "bpftrace PMDA process_manager.py not found in 'dpkg -L pcp'; asyncio fix not applied"
    return 1
  }
  while IFS= read -r f; do
    if grep -qF "$FIX_OLD" "$f"; then
      cp -p "$f" "$f.dist" # the package's current text (refreshed after upgrades)
      sed -i 's/asyncio\.wait({process\.wait()}/asyncio.wait({asyncio.ensure_future(process.wait())}/g' "$f"
      grep -qF "$FIX_OLD" "$f" && die "could not apply the asyncio fix to $f"
      say "applied the asyncio expiry fix to $f"
      changed=0
    fi
  done <<<"$files"
  return "$changed"
}

# listen_lines FILE: the -i options of a pmcd/pmproxy options file, normalised
listen_lines() { grep -E '^[[:space:]]*-i([[:space:]]|$)' "$1" 2>/dev/null | sed -E 's/[[:space:]]+/ /g; s/^ //; s/ $//' | sort -u || true; }

set_listen() { # set_listen FILE ADDR
  local f=$1 addr=$2 new
  [ -f "$f" ] || die "$f is missing (is pcp installed properly?)"
  [ "$(listen_lines "$f")" = "-i $addr" ] && return 1
  tmpdir
  new=$TMPD/$(basename "$f")
  {
    grep -vE '^[[:space:]]*-i([[:space:]]|$)' "$f" || true
    echo "# listen address set by bpflive scripts/pcp-stack.sh"
    echo "-i $addr"
  } >"$new"
  install_if_changed "$f" "$new" || return 1
  say "set $f to listen on $addr only"
  return 0
}

pmda_installed() { [ -r "$PMCD_CONF" ] && grep -qE '^bpftrace[[:space:]]' "$PMCD_CONF"; }

# ---------------------------------------------------------------- daemons
pids_by_comm() { # pids whose process name is exactly $1 (no procps needed)
  local d
  for d in /proc/[0-9]*; do
    [ "$(cat "$d/comm" 2>/dev/null || true)" = "$1" ] && echo "${d#/proc/}"
  done
  return 0
}

daemon_pid() { # prints the pid of a running pmcd/pmproxy, or fails
  local name=$1 pid
  pid=$(cat "$PCP_RUN_DIR/$name.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" = "$name" ]; then
    echo "$pid"
    return 0
  fi
  pid=$(pids_by_comm "$name" | head -n 1)
  [ -n "$pid" ] && echo "$pid"
}

is_running() { [ -n "$(daemon_pid "$1")" ]; }

service() { # service NAME ACTION
  # ulimit -l: let bpftrace lock memory where permitted (harmless when not)
  log_note "/etc/init.d/$1 $2"
  (
    ulimit -l unlimited 2>/dev/null || true
    env -i PATH="$CLEAN_PATH" HOME=/root LANG=C.UTF-8 /etc/init.d/"$1" "$2"
  ) </dev/null >>"$LOG" 2>&1 9>&-
}

pmcd_answers() { env -i PATH="$CLEAN_PATH" HOME=/root pminfo -h local: -f pmcd.pid </dev/null >/dev/null 2>&1 9>&-; }

wait_for() { # wait_for SECONDS command...
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 1
  done
}

restart_pmcd() {
  say "restarting pmcd ($1)"
  service pmcd restart || true
  wait_for 30 pmcd_answers || {
    show_log_tail
    die "pmcd did not come up (see /var/log/pcp/pmcd/pmcd.log and $LOG)"
  }
}

restart_pmproxy() {
  say "restarting pmproxy ($1)"
  service pmproxy restart || true
  wait_for 20 is_running pmproxy || {
    show_log_tail
    die "pmproxy did not come up (see /var/log/pcp/pmproxy/pmproxy.log and $LOG)"
  }
}

install_pmda() {
  say "installing the bpftrace PMDA into pmcd"
  log_note "$PMDA_DIR/Install"
  (cd "$PMDA_DIR" && env -i PATH="$CLEAN_PATH" HOME=/root LANG=C.UTF-8 PCPQA_SYSTEMD=no ./Install) </dev/null >>"$LOG" 2>&1 9>&- || true
  pmda_installed || {
    show_log_tail
    die "bpftrace PMDA Install failed (see $LOG and /var/log/pcp/pmcd/bpftrace.log)"
  }
}

register_answers() {
  local out
  out=$(curl -sf --max-time 3 "$PMPROXY_URL/pmapi/metric?names=bpftrace.control.register" 2>/dev/null) || return 1
  [[ $out == *'"151.0.0"'* ]]
}

not_running() { [ -z "$(pids_by_comm "$1")" ]; }

pmda_pids() { # the bpftrace PMDA's python processes
  local d
  for d in /proc/[0-9]*; do
    case "$(tr '\0' ' ' <"$d/cmdline" 2>/dev/null || true)" in
      *pmdabpftrace.python*) echo "${d#/proc/}" ;;
    esac
  done
  return 0
}

bpftrace_pids() { # bpftrace processes started by the PMDA: "bpftrace -f json -"
  local d cmd
  for d in /proc/[0-9]*; do
    cmd=$(tr '\0' ' ' <"$d/cmdline" 2>/dev/null || true)
    case "$cmd" in
      "bpftrace -f json - " | */bpftrace" -f json - ") echo "${d#/proc/}" ;;
    esac
  done
  return 0
}

# ---------------------------------------------------------------- auth
basic_auth_header() { printf 'Authorization: Basic %s\n' "$(printf '%s:%s' "$AUTH_USER" "$AUTH_PASSWORD" | base64 -w0)"; }

auth_context_code() { # HTTP status of an authenticated context request
  basic_auth_header | curl -s -o "$TMPD/auth-reply" -w '%{http_code}' --max-time 10 -H @- \
    "$PMPROXY_URL/pmapi/context?hostspec=localhost&polltimeout=5" 2>/dev/null || true
}

fix_passwd_db_perms() {
  [ -e "$PASSWD_DB" ] || return 0
  if [ "$(stat -c '%U:%G %a' "$PASSWD_DB")" != "root:pcp 640" ]; then
    chown root:pcp "$PASSWD_DB"
    chmod 0640 "$PASSWD_DB"
    say "set $PASSWD_DB to root:pcp 0640 (pmcd runs as pcp)"
  fi
}

ensure_auth_account() {
  if ! id -u "$AUTH_USER" >/dev/null 2>&1; then
    # pmcd switches to the local account of every SASL user
    useradd --system --no-create-home --shell /usr/sbin/nologin "$AUTH_USER" ||
      die "could not create the system account $AUTH_USER"
    say "created system account $AUTH_USER (pmcd needs a local account for each SASL user)"
  fi
  fix_passwd_db_perms
}

ensure_sasl_password() { # after the stack is up: set the password only when it does not already work
  tmpdir
  local code
  code=$(auth_context_code)
  if [ "$code" = 200 ]; then
    return 0
  fi
  say "setting the SASL password of $AUTH_USER in $PASSWD_DB"
  printf '%s' "$AUTH_PASSWORD" | saslpasswd2 -p -a pmcd -f "$PASSWD_DB" "$AUTH_USER"
  fix_passwd_db_perms
  code=$(auth_context_code)
  [ "$code" = 200 ] || die "authenticated context for $AUTH_USER failed: HTTP $code $(cat "$TMPD/auth-reply" 2>/dev/null)"
}

# ---------------------------------------------------------------- options
onoff() { case "$1" in true) echo on ;; *) echo off ;; esac; }

truthy() {
  case "${1,,}" in
    1 | true | yes | on) echo true ;;
    0 | false | no | off | '') echo false ;;
    *) die "expected a boolean, got '$1'" ;;
  esac
}

parse_up_options() {
  AUTH=$(truthy "${BPFLIVE_AUTH:-0}")
  ALLOWED_USERS=${BPFLIVE_ALLOWED_USERS:-}
  EXPIRY=${BPFLIVE_SCRIPT_EXPIRY:-60}
  AUTH_USER=${BPFLIVE_AUTH_USER:-}
  AUTH_PASSWORD=${BPFLIVE_AUTH_PASSWORD:-}
  local pwfile=${BPFLIVE_AUTH_PASSWORD_FILE:-}
  while [ $# -gt 0 ]; do
    case "$1" in
      --auth) AUTH=true ;;
      --no-auth) AUTH=false ;;
      --allowed-users) ALLOWED_USERS=${2:?--allowed-users needs a value}; shift ;;
      --allowed-users=*) ALLOWED_USERS=${1#*=} ;;
      --expiry) EXPIRY=${2:?--expiry needs a value}; shift ;;
      --expiry=*) EXPIRY=${1#*=} ;;
      --user) AUTH_USER=${2:?--user needs a value}; shift ;;
      --user=*) AUTH_USER=${1#*=} ;;
      --password-file) pwfile=${2:?--password-file needs a value}; shift ;;
      --password-file=*) pwfile=${1#*=} ;;
      -h | --help) usage; exit 0 ;;
      *) usage >&2; die "unknown option for up: $1" ;;
    esac
    shift
  done
  [[ $EXPIRY =~ ^[1-9][0-9]*$ ]] || die "--expiry must be a positive number of seconds, got '$EXPIRY'"
  if [ -n "$pwfile" ]; then
    [ -r "$pwfile" ] || die "cannot read password file $pwfile"
    IFS= read -r AUTH_PASSWORD <"$pwfile" || true
  fi
  if [ -n "$AUTH_USER" ]; then
    [[ $AUTH_USER =~ ^[a-z_][a-z0-9_-]{0,31}$ ]] || die "invalid user name '$AUTH_USER'"
    if [ "$AUTH" = true ]; then
      [ -n "$AUTH_PASSWORD" ] || die "--user $AUTH_USER needs --password-file FILE (or BPFLIVE_AUTH_PASSWORD)"
    else
      warn "--user $AUTH_USER ignored: authentication is off (add --auth)"
      AUTH_USER=
    fi
  fi
  if [ -z "$ALLOWED_USERS" ]; then
    if [ -n "$AUTH_USER" ]; then ALLOWED_USERS=$AUTH_USER; else ALLOWED_USERS=root; fi
  fi
  ALLOWED_USERS=${ALLOWED_USERS// /}
  [[ $ALLOWED_USERS =~ ^[A-Za-z0-9_.@-]+(,[A-Za-z0-9_.@-]+)*$ ]] || die "invalid --allowed-users '$ALLOWED_USERS'"
}

# ---------------------------------------------------------------- up
summary() {
  tmpdir
  local f=$TMPD/summary.json info bt
  bt=$(env -i PATH="$CLEAN_PATH" bpftrace --version 2>/dev/null </dev/null || echo "bpftrace ?")
  info="? ?"
  if curl -sf --max-time 10 -o "$f" "$PMPROXY_URL/pmapi/fetch?names=pmcd.version,bpftrace.info.tracepoints" 2>/dev/null; then
    info=$(/usr/bin/python3 - "$f" <<'EOF' 2>/dev/null || echo "? ?"
import json, sys
d = json.load(open(sys.argv[1]))
v = {m["name"]: m["instances"][0]["value"] for m in d.get("values", []) if m.get("instances")}
tp = v.get("bpftrace.info.tracepoints") or ""
print(v.get("pmcd.version", "?"), len([p for p in tp.split(",") if p.strip()]))
EOF
    )
  fi
  say "ready in $((SECONDS - START)) s: PCP ${info% *}, ${bt}, ${info#* } probes, pmproxy ${PMPROXY_URL} (auth $(onoff "$AUTH"), allowed_users=${ALLOWED_USERS}, expiry ${EXPIRY} s)"
}

cmd_up() {
  parse_up_options "$@"
  require_root
  take_lock
  : >>"$LOG" || die "cannot write $LOG"
  START=$SECONDS
  check_kernel_static

  local pkgs=("${PACKAGES[@]}" curl)
  if [ -n "$AUTH_USER" ]; then pkgs+=(sasl2-bin); fi
  ensure_packages "${pkgs[@]}"

  ensure_mounts
  check_bpf_runtime

  local pmcd_why=() pmproxy_why=() restarted=false
  configure_bpftrace_conf && pmcd_why+=("bpftrace.conf changed")
  apply_asyncio_fix && pmcd_why+=("PMDA fix applied")
  set_listen "$PMCD_OPTIONS" "$LISTEN_ADDR" && pmcd_why+=("pmcd.options changed")
  set_listen "$PMPROXY_OPTIONS" "$PMPROXY_LISTEN_ADDR" && pmproxy_why+=("pmproxy.options changed")
  if [ -n "$AUTH_USER" ]; then ensure_auth_account; fi
  if [ "$AUTH" = true ] && [ -z "$AUTH_USER" ] && [ ! -s "$PASSWD_DB" ]; then
    warn "auth is on but $PASSWD_DB has no users: nobody can register scripts (use --user NAME --password-file FILE)"
  fi

  is_running pmcd || pmcd_why+=("pmcd not running")
  if [ "${#pmcd_why[@]}" -gt 0 ]; then
    restart_pmcd "$(
      IFS=,
      echo "${pmcd_why[*]}"
    )"
    restarted=true
  fi
  if ! pmda_installed; then
    install_pmda
    restarted=true
  fi
  is_running pmproxy || pmproxy_why+=("pmproxy not running")
  if [ "${#pmproxy_why[@]}" -gt 0 ]; then
    restart_pmproxy "$(
      IFS=,
      echo "${pmproxy_why[*]}"
    )"
    restarted=true
  fi

  if ! register_answers; then
    say "waiting for bpftrace.control.register on $PMPROXY_URL (up to ${READY_TIMEOUT} s)"
    local deadline=$((SECONDS + READY_TIMEOUT)) recover_at=$((SECONDS + 10))
    until register_answers; do
      if [ "$SECONDS" -ge "$deadline" ]; then
        show_log_tail 15
        tail -n 15 /var/log/pcp/pmcd/bpftrace.log 2>/dev/null | sed 's/^/    bpftrace.log: /' >&2 || true
        die "bpftrace.control.register did not answer within ${READY_TIMEOUT} s (logs: /var/log/pcp/pmcd/pmcd.log, /var/log/pcp/pmcd/bpftrace.log, $LOG)"
      fi
      if [ "$restarted" = false ] && [ "$SECONDS" -ge "$recover_at" ]; then
        restart_pmcd "the bpftrace PMDA does not answer"
        restart_pmproxy "the bpftrace PMDA does not answer"
        restarted=true
      fi
      sleep 1
    done
  fi
  if [ -n "$AUTH_USER" ]; then ensure_sasl_password; fi
  [ "$restarted" = true ] || say "nothing changed; pmcd and pmproxy left running"
  summary
}

# Packages only, nothing started: for image builds, where the kernel is not the target's yet.
cmd_install() {
  [ $# -eq 0 ] || die "install takes no options"
  require_root
  take_lock
  : >>"$LOG" || die "cannot write $LOG"
  ensure_packages "${PACKAGES[@]}" curl
  say "packages installed: ${PACKAGES[*]}"
}

# ---------------------------------------------------------------- status
listening() { # prints "addr:port" of TCP listeners on the PCP ports
  if command -v ss >/dev/null 2>&1; then
    ss -Hltn 2>/dev/null | awk '{print $4}' | grep -E ':(44321|44322|44323)$' | sort -u || true
    return 0
  fi
  awk 'function hex(h,   i, n) { n = 0; for (i = 1; i <= length(h); i++) n = n * 16 + index("0123456789ABCDEF", toupper(substr(h, i, 1))) - 1; return n }
       FNR > 1 && $4 == "0A" {
         split($2, a, ":"); port = hex(a[2])
         if (port < 44321 || port > 44323) next
         h = a[1]
         if (length(h) == 8) addr = hex(substr(h,7,2)) "." hex(substr(h,5,2)) "." hex(substr(h,3,2)) "." hex(substr(h,1,2))
         else if (h ~ /^0+$/) addr = "[::]"
         else if (h == "00000000000000000000000001000000") addr = "[::1]"
         else addr = "[" h "]"
         print addr ":" port }' /proc/net/tcp /proc/net/tcp6 2>/dev/null | sort -u || true
}

cmd_status() {
  [ $# -eq 0 ] || die "status takes no options"
  local bad=0 p v line="" pid files f
  for p in "${PACKAGES[@]}"; do
    if pkg_ok "$p"; then
      line+="$p $(dpkg-query -W -f='${Version}' "$p"), "
    else
      line+="$p MISSING, "
      bad=1
    fi
  done
  say "packages: ${line%, }"
  for p in pmcd pmproxy; do
    pid=$(daemon_pid "$p" || true)
    if [ -n "$pid" ]; then say "$p: running (pid $pid)"; else
      say "$p: NOT running"
      bad=1
    fi
  done
  if pmda_installed; then say "bpftrace PMDA: installed in $PMCD_CONF"; else
    say "bpftrace PMDA: NOT installed"
    bad=1
  fi
  v=$(ini_get "$BPFTRACE_CONF" dynamic_scripts enabled)
  if [ "$v" = true ]; then say "dynamic scripts: enabled"; else
    say "dynamic scripts: NOT enabled (${v:-missing})"
    bad=1
  fi
  v=$(ini_get "$BPFTRACE_CONF" dynamic_scripts auth_enabled)
  say "auth: $([ "$v" = true ] && echo on || echo off) (auth_enabled=${v:-?}, allowed_users=$(ini_get "$BPFTRACE_CONF" dynamic_scripts allowed_users))"
  say "script expiry: $(ini_get "$BPFTRACE_CONF" bpftrace script_expiry_time) s"
  files=$(process_manager_files || true)
  if [ -z "$files" ]; then
    say "asyncio fix: process_manager.py not found"
    bad=1
  else
    while IFS= read -r f; do
      if grep -qF "$FIX_OLD" "$f"; then
        say "asyncio fix: NOT applied ($f)"
        bad=1
      elif grep -qF "$FIX_NEW" "$f"; then
        say "asyncio fix: applied ($f)"
      else
        say "asyncio fix: not needed ($f)"
      fi
    done <<<"$files"
  fi
  line=$(listening | tr '\n' ' ')
  line=${line% }
  say "listening: ${line:-nothing on ports 44321-44323}"
  for v in $line; do
    case "$v" in 127.* | "[::1]":*) ;; *)
      say "  $v is not a loopback address"
      bad=1
      ;;
    esac
  done
  if ! command -v curl >/dev/null 2>&1; then
    say "register: unknown (curl not installed)"
    bad=1
  elif register_answers; then
    say "register: bpftrace.control.register answers on $PMPROXY_URL"
  else
    say "register: NOT answering on $PMPROXY_URL"
    bad=1
  fi
  if [ "$bad" -eq 0 ]; then say "status: all well"; else say "status: NOT ready (run: scripts/pcp-stack.sh up)"; fi
  return "$bad"
}

# ---------------------------------------------------------------- down
kill_pids() { # kill_pids SIGNAL pids...
  local sig=$1
  shift
  if [ $# -gt 0 ]; then kill -s "$sig" "$@" 2>/dev/null || true; fi
}

cmd_down() {
  local purge=false
  while [ $# -gt 0 ]; do
    case "$1" in
      --purge) purge=true ;;
      -h | --help) usage; exit 0 ;;
      *) usage >&2; die "unknown option for down: $1" ;;
    esac
    shift
  done
  require_root
  take_lock
  : >>"$LOG" || die "cannot write $LOG"

  if $purge && pmda_installed && [ -x "$PMDA_DIR/Remove" ]; then
    is_running pmcd || service pmcd start || true
    say "removing the bpftrace PMDA from pmcd"
    (cd "$PMDA_DIR" && quiet_clean env PCPQA_SYSTEMD=no ./Remove) || warn "PMDA Remove failed (see $LOG)"
  fi

  local p pids
  for p in pmproxy pmcd; do
    if is_running "$p"; then
      say "stopping $p"
      if [ -x "/etc/init.d/$p" ]; then service "$p" stop || true; fi
      wait_for 10 not_running "$p" || {
        warn "$p still running; killing it"
        # shellcheck disable=SC2046
        kill_pids KILL $(pids_by_comm "$p")
      }
    else
      say "$p is not running"
    fi
  done
  # the PMDA (python) and its bpftrace children, if pmcd left any behind
  pids=$(pmda_pids)
  # shellcheck disable=SC2086
  [ -n "$pids" ] && kill_pids TERM $pids
  pids=$(bpftrace_pids)
  if [ -n "$pids" ]; then
    say "stopping leftover bpftrace processes: $(tr '\n' ' ' <<<"$pids")"
    # shellcheck disable=SC2086
    kill_pids INT $pids
    sleep 2
    pids=$(bpftrace_pids)
    # shellcheck disable=SC2086
    [ -n "$pids" ] && kill_pids KILL $pids
  fi

  if $purge; then
    local f
    for f in "$BPFTRACE_CONF" "$PMCD_OPTIONS" "$PMPROXY_OPTIONS" $(process_manager_files || true); do
      if [ -e "$f.dist" ]; then
        cat "$f.dist" >"$f" && rm -f "$f.dist"
        say "restored $f"
      fi
    done
  fi
  say "down (packages kept; 'scripts/pcp-stack.sh up' brings the stack back)"
}

# ---------------------------------------------------------------- main
main() {
  local cmd=${1:-}
  [ $# -gt 0 ] && shift
  case "$cmd" in
    up) cmd_up "$@" ;;
    install) cmd_install "$@" ;;
    down) cmd_down "$@" ;;
    status) cmd_status "$@" ;;
    -h | --help | help) usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
