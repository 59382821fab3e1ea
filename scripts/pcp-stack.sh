#!/usr/bin/env bash
# pcp-stack.sh: set up, check or stop the local PCP stack that bpflive talks to
# (pmcd + the bpftrace PMDA + pmproxy on 127.0.0.1:44322), on Debian/Ubuntu, as root.
# Works without systemd. See usage() below, or run with --help.
set -euo pipefail

# Close every descriptor the caller left open: `flock /tmp/pcp-stack.lock scripts/pcp-stack.sh up`
# passes its lock file as fd 3, and pmcd and pmproxy started from here would inherit it and hold
# the caller's lock for as long as they run, so every later `flock` on it waits forever. (The
# caller's flock keeps its own copy, so the lock still covers this script.) 255 is bash's own.
for inherited in "/proc/$$/fd"/*; do
  inherited=${inherited##*/}
  if [ "$inherited" -gt 2 ] && [ "$inherited" -ne 255 ]; then eval "exec $inherited>&-"; fi
done

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
# Authentication is on by default: a SASL user for Grafana with a generated password, kept in a
# root-only file (one line user:password) so that re-runs keep it.
readonly DEFAULT_AUTH_USER=bpflive
readonly DEFAULT_CREDENTIALS_FILE=/etc/pcp/bpflive/credentials
# The bpftrace PMDA runs under a small supervisor (installed here, named in pmcd.conf) that puts
# it in its own process group and stops that whole group when the PMDA exits, so a crashed PMDA
# leaves no manager process or bpftrace behind (see pmda_supervisor_source).
readonly SUPERVISOR=/usr/local/lib/bpflive/pmda-supervisor
readonly SUPERVISOR_STATE=/run/bpflive/pmdabpftrace.pgid
# pmproxy's watchdog (see cmd_watch_pmproxy): its pid, for status and down.
readonly WATCHDOG_PID=/run/bpflive/pmproxy-watchdog.pid
SELF=$(readlink -f "${BASH_SOURCE[0]}")
readonly SELF
readonly PMDA_COMMAND='python3 /var/lib/pcp/pmdas/bpftrace/pmdabpftrace.python'
LOG=${BPFLIVE_PCP_STACK_LOG:-/var/log/bpflive-pcp-stack.log}
READY_TIMEOUT=${BPFLIVE_READY_TIMEOUT:-90}

usage() {
  cat <<EOF
usage: scripts/pcp-stack.sh up [options] | install | status | down [--purge]
       | series-down | series-up | logger-pause HOST | logger-resume HOST

Sets up the PCP stack that bpflive uses on this Debian/Ubuntu machine (as root,
systemd not needed): pcp, python3-pcp and bpftrace from apt, the bpftrace PMDA
with dynamic scripts, pmcd and pmproxy listening on ${LISTEN_ADDR} only, REST
API on ${PMPROXY_URL}. Authentication is ON by default: only the SASL user
'${DEFAULT_AUTH_USER}' may register scripts; its generated password is kept in
${DEFAULT_CREDENTIALS_FILE} (root only, one line user:password).

  up       install/configure what is missing, (re)start pmcd/pmproxy only when
           something changed or they are not running, wait until
           bpftrace.control.register answers (at most ${READY_TIMEOUT} s), print a summary.
           Idempotent: a second run changes nothing (the password stays).
  install  only install the packages (for container image builds).
  status   report packages, daemons, PMDA, auth and credentials, the PMDA
           supervisor, config, listening addresses and whether register
           answers; exit 0 only when all is well.
  watch-pmproxy
           (started by 'up' in the background) start pmproxy again when it
           crashed, as systemd's Restart=always does; a deliberate stop
           (init script, SIGTERM) is left alone.
  down     stop pmproxy's watchdog, pmproxy and pmcd and what the PMDA started (its own process
           group), and bpflive's redis-server. Packages stay installed; 'up' brings everything back.
  series-down, series-up
           stop / start bpflive's redis-server only (fault tests: the series store goes away
           while pmproxy and live data stay).
  restart-pmcd
           restart this machine's pmcd only (fault tests: its scripts are gone; the recorder
           registers recordings again). Unlike /etc/init.d/pmcd restart it closes the caller's
           descriptors, so pmcd never holds a caller's flock.
  logger-pause HOST, logger-resume HOST
           stop / start the recorder's pmlogger of HOST (a hostname in status: an archive
           gap, for fault tests).
    --purge  also remove the bpftrace PMDA from pmcd and the PMDA supervisor,
             and restore the original (.dist) bpftrace.conf,
             process_manager.py, pmcd/pmproxy options.

Options for 'up' (environment variable equivalents in brackets):
  --auth                    (the default) require SASL authentication for
                            registering and deregistering scripts [BPFLIVE_AUTH=1]
  --no-auth                 turn authentication off [BPFLIVE_AUTH=0]. DANGEROUS:
                            any local user, and anyone who reaches pmproxy,
                            can then run bpftrace (kernel code) as root.
  --user NAME               the SASL user to create (with the system account
                            pmcd needs for it) [BPFLIVE_AUTH_USER]; default
                            ${DEFAULT_AUTH_USER}
  --password-file FILE      its password, first line of FILE
                            [BPFLIVE_AUTH_PASSWORD_FILE, or BPFLIVE_AUTH_PASSWORD
                            holding the password itself]; default: generated
                            once and kept in the credentials file
  --credentials-file FILE   where the generated password is kept, one line
                            user:password, mode 0600, kept across runs
                            [BPFLIVE_PCP_CREDENTIALS_FILE]; default
                            ${DEFAULT_CREDENTIALS_FILE}. Not written when
                            --password-file (or BPFLIVE_AUTH_PASSWORD) is given.
  --allowed-users USERS     comma-separated users allowed to register scripts
                            when auth is on [BPFLIVE_ALLOWED_USERS]; default
                            the --user name.
  --second-host             also start a second pmcd with its own bpftrace PMDA
                            on port ${SECOND_PORT} [BPFLIVE_SECOND_HOST=1;
                            BPFLIVE_SECOND_PORT]: pmproxy reaches it as hostspec
                            localhost:${SECOND_PORT}, for testing one script on
                            two hosts. 'down' stops it, 'status' reports it.
  --no-series               no series store [BPFLIVE_SERIES=0]: pmproxy serves /pmapi only.
                            By default (--series) 'up' runs redis-server on
                            ${DEFAULT_REDIS_SERVERS} (loopback only; or uses BPFLIVE_REDIS_SERVERS=host:port)
                            and turns on pmproxy's series API and archive discovery,
                            so bpflive can read the past from /series/*.
  --series-retention DURATION
                            how long the series store keeps values (7d, 12h, 30m,
                            600s) [BPFLIVE_SERIES_RETENTION]; default ${DEFAULT_RETENTION}.
  --expiry SECONDS          script_expiry_time for unnamed scripts
                            [BPFLIVE_SCRIPT_EXPIRY]; default 90: the scripts
                            of a browser that died stop within that, and a
                            pmproxy outage of a minute stops nothing.

Other environment: BPFLIVE_PMPROXY_LISTEN (address pmproxy listens on; default
${LISTEN_ADDR}; pmcd always listens on ${LISTEN_ADDR}), BPFLIVE_PCP_STACK_LOG (default
/var/log/bpflive-pcp-stack.log, receives apt, init script and daemon start output),
BPFLIVE_READY_TIMEOUT (90), BPFLIVE_DAEMON_CONTROL=initd|direct|auto (default auto:
PCP's /etc/init.d scripts, except in a container or when another PCP installation's
daemons are visible, e.g. a container with pid: host on a host that runs PCP: then
pmcd and pmproxy are started directly and stopped by their own pid files, because
PCP's init scripts find and signal pmcd, pmproxy and PMDAs by process name).
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

# pmproxy serves bpflive's REST calls (/pmapi) and, with the series store on (the default), PCP's
# series API (/series/*) over the archives that pmlogger writes: its discovery module loads them
# into Redis. Without a Redis (--no-series) the Redis client, discovery and series modules are off:
# pmproxy 6.0.3 with no Redis retried the connection forever and crashed in libuv (segfaults in our
# CI and soak runs), in the event loop those modules share with /pmapi. Full-text search (pmsearch)
# needs RediSearch, which Debian's redis-server lacks: always off. Redis protocol proxying (the
# [pmproxy] redis.enabled) is off too: nothing here needs Redis reachable through pmproxy's port.
PMPROXY_CONF=/etc/pcp/pmproxy/pmproxy.conf
configure_pmproxy_conf() {
  [ -f "$PMPROXY_CONF" ] || return 1
  tmpdir
  local new=$TMPD/pmproxy.conf
  if [ "$SERIES" = true ]; then
    # stream.expire drops a series not updated for that long; stream.maxlen keeps at most one
    # value a second for the retention (the recorder logs every second)
    ini_set pmproxy redis.enabled false <"$PMPROXY_CONF" |
      ini_set redis enabled true |
      ini_set redis servers "$REDIS_SERVERS" |
      ini_set discover enabled true |
      ini_set pmsearch enabled false |
      ini_set pmseries enabled true |
      ini_set pmseries stream.expire "$RETENTION" |
      ini_set pmseries stream.maxlen "$RETENTION" >"$new"
  else
    ini_set pmproxy redis.enabled false <"$PMPROXY_CONF" |
      ini_set redis enabled false |
      ini_set discover enabled false |
      ini_set pmsearch enabled false |
      ini_set pmseries enabled false >"$new"
  fi
  if install_if_changed "$PMPROXY_CONF" "$new"; then
    if [ "$SERIES" = true ]; then
      say "configured $PMPROXY_CONF: REST API, series API and archive discovery on Redis $REDIS_SERVERS (retention $(duration_text "$RETENTION"))"
    else
      say "configured $PMPROXY_CONF: the REST API only (Redis, discovery, series and search off)"
    fi
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

# pmda_module_files NAME: the PMDA's module NAME beside process_manager.py: service.py (its side
# of the pipe to the process manager), parser.py (what it makes of bpftrace's output).
pmda_module_files() {
  local f
  process_manager_files | while IFS= read -r f; do
    if [ -e "${f%/*}/$1" ]; then echo "${f%/*}/$1"; fi
  done
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
  apply_stop_fix "$files" && changed=0
  apply_decode_fix "$files" && changed=0
  apply_step_fix "$(pmda_module_files service.py)" && changed=0
  apply_retain_fix "$(pmda_module_files parser.py)" && changed=0
  return "$changed"
}

# The PMDA asks its process manager over a pipe and waits 2 s for the reply (PCP 6.0.3); a reply
# that comes later stays in the pipe and is read as the answer to the NEXT request, and so on for
# good: every registration of every user then fails ("Resource temporarily unavailable", the
# PMDA's log: "'list' object has no attribute 'state'") until pmcd restarts. In bpflive's CI the
# manager was late while a script that had printed much was being stopped. The fix: a reply is
# taken only if it answers the request (a list for a list; the script asked about for a
# registration or a refresh); others are late replies to earlier requests and are dropped, also
# those already in the pipe. The request that timed out still fails; the next ones are in step.
readonly STEP_FIX_MARK='bpflive: a late reply is dropped, not read as the next one'
apply_step_fix() { # apply_step_fix FILES: 0 when a file was changed
  patch_pmda_file "step fix" "$STEP_FIX_MARK" "$1" <<'PY'
old = """    def send_request(self, request: tuple, wait=None):
        self.pipe.send(request)
        if not wait:
            return None

        if self.pipe.poll(wait):
            return self.pipe.recv()
        else:
            self.logger.error(f"process manager did not reply in {wait} seconds for {request}")
            return None
"""
new = f"""    def send_request(self, request: tuple, wait=None):
        # {mark}
        while self.pipe.poll(0):
            self.pipe.recv()
        self.pipe.send(request)
        if not wait:
            return None

        deadline = time.monotonic() + wait
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not self.pipe.poll(left):
                self.logger.error(f"process manager did not reply in {{wait}} seconds for {{request}}")
                return None
            reply = self.pipe.recv()
            if answers(request, reply):
                return reply
            self.logger.info(f"dropped a late reply of the process manager ({{type(reply).__name__}})")
"""
helper = (
    "\n\n"
    "def answers(request: tuple, reply) -> bool:\n"
    '    """whether reply is the process manager\'s answer to request (bpflive: not a late one)"""\n'
    "    if request[0] == 'list_scripts':\n"
    "        return isinstance(reply, list)\n"
    "    if request[0] == 'register':\n"
    "        return getattr(reply, 'script_id', None) == request[1].script_id\n"
    "    if request[0] == 'refresh':\n"
    "        return reply is None or getattr(reply, 'script_id', None) == request[1]\n"
    "    return True\n"
)
anchor = "\n\nclass BPFtraceService():"
if text.count(old) != 1 or text.count(anchor) != 1 or text.count("import multiprocessing\n") != 1:
    sys.exit(f"{path}: the code to fix is not as in PCP 6.0.3")
text = text.replace("import multiprocessing\n", "import multiprocessing\nimport time\n")
text = text.replace(anchor, helper + anchor).replace(old, new)
open(path, "w").write(text)
PY
}

# The PMDA keeps a printf script's output to its `// table-retain-lines: N` (the header and the
# last N lines) by walking the whole kept text in Python for every line printed (PCP 6.0.3): 3.5 ms
# a line at bpflive's 2,000 lines, so one process manager for every script of the host manages
# under 300 lines a second. A snoop on a busy host prints more: the manager falls behind, every
# panel's data and every registration waits (its requests time out after 2 s), and a stop takes
# until the backlog is read (over 30 s in bpflive's CI). The fix keeps the same lines by counting
# newlines in C (str.count, str.find): 0.13 ms a line (python3 on this stack, 2,000 lines of 90
# characters), the text the PMDA exports unchanged.
readonly RETAIN_FIX_MARK='bpflive: the kept lines are found without a Python loop over the text'
apply_retain_fix() { # apply_retain_fix FILES: 0 when a file was changed
  patch_pmda_file "retain fix" "$RETAIN_FIX_MARK" "$1" <<'PY'
old = """    output = script.state.data['@output']
    newlines = []
    for i, c in enumerate(output):
        if c == '\\n':
            newlines.append(i + 1)

    # e.g. if we found one NL, we have 2 lines
    if len(newlines) + 1 > 1 + script.metadata.table_retain_lines:
        # special handling if last character is a NL
        ignore_last_nl = 1 if output[-1] == '\\n' else 0
        # pylint: disable=invalid-unary-operand-type
        start_content_at = newlines[-script.metadata.table_retain_lines - ignore_last_nl]
        script.state.data['@output'] = output[:newlines[0]] + output[start_content_at:]
"""
new = f"""    output = script.state.data['@output']
    # {mark}
    count = output.count('\\n')
    # e.g. if we found one NL, we have 2 lines
    if count + 1 > 1 + script.metadata.table_retain_lines:
        # special handling if last character is a NL
        ignore_last_nl = 1 if output[-1] == '\\n' else 0
        last = script.metadata.table_retain_lines + ignore_last_nl
        # the content starts after the newline newlines[-last] of the original (newlines[0] for 0)
        nth = count - last if last > 0 else 0
        at = -1
        for _ in range(nth + 1):
            at = output.find('\\n', at + 1)
        script.state.data['@output'] = output[:output.find('\\n') + 1] + output[at + 1:]
"""
if text.count(old) != 1:
    sys.exit(f"{path}: the code to fix is not as in PCP 6.0.3")
open(path, "w").write(text.replace(old, new))
PY
}

# The PMDA decodes bpftrace's output as strict UTF-8 (PCP 6.0.3). bpftrace reports a non-ASCII
# character in code as one raw byte ("invalid character '\xef'"), the decode raises in the
# script's task, and the script stays "stopping" for good; in bpflive's CI the PMDA fell out of
# step minutes later for every user until pmcd restarted. bpflive never sends such code
# (src/scripts/characters.ts), but other clients may: a byte that is not UTF-8 becomes U+FFFD.
readonly DECODE_FIX_MARK='bpflive: bytes that are not UTF-8 become U+FFFD'
apply_decode_fix() { # apply_decode_fix FILES: 0 when a file was changed
  patch_pmda_file "decode fix" "$DECODE_FIX_MARK" "$1" <<'PY'
old = "line = line.decode('utf-8')\n"
new = f"line = line.decode('utf-8', 'replace')  # {mark}\n"
if text.count(old) != 2:
    sys.exit(f"{path}: the code to fix is not as in PCP 6.0.3")
open(path, "w").write(text.replace(old, new))
PY
}

# patch_pmda_file NAME MARK FILES < PROGRAM: runs the Python PROGRAM on each of FILES that does
# not hold MARK yet (the package's text kept as FILE.dist); 0 when one changed. PROGRAM finds the
# file's name in `path`, its text in `text` and the mark in `mark`.
patch_pmda_file() {
  local name=$1 mark=$2 files=$3 program f changed=1
  [ -n "$files" ] || {
    warn "the bpftrace PMDA's file for the $name was not found beside process_manager.py; not applied"
    return 1
  }
  program="import sys
path, mark = sys.argv[1], sys.argv[2]
text = open(path).read()
$(cat)"
  while IFS= read -r f; do
    grep -qF "$mark" "$f" && continue
    backup_dist "$f"
    env -i PATH="$CLEAN_PATH" python3 -c "$program" "$f" "$mark" || die "could not apply the $name to $f"
    say "applied the $name to $f"
    changed=0
  done <<<"$files"
  return "$changed"
}

# The PMDA's stop of a bpftrace that has just exited by itself (killed, or its script ended) fails
# (PCP 6.0.3): sending SIGINT raises ProcessLookupError, the script stays "stopping" for ever,
# the PMDA tries to expire it every second, and bpflive saw the PMDA fall out of step minutes
# later (every registration "Resource temporarily unavailable") until pmcd restarted. The fix:
# an exited process needs no signal, and a stop that found it gone ends "stopped".
readonly STOP_FIX_MARK='bpflive: an exited process needs no signal'
apply_stop_fix() { # apply_stop_fix FILES: 0 when a file was changed
  patch_pmda_file "stop fix" "$STOP_FIX_MARK" "$1" <<'PY'
signal_old = "        process.send_signal(signal.SIGINT)\n"
signal_new = (
    "        try:\n"
    "            process.send_signal(signal.SIGINT)\n"
    f"        except ProcessLookupError:  # {mark}\n"
    "            pass\n"
)
wait_old = "        await self.stop_bpftrace_process(script, script_tasks)\n        await script_tasks.run_bpftrace_task\n"
wait_new = wait_old + (
    "        if script.state.status == Status.Stopping:  # bpflive: it had exited before the stop\n"
    "            script.state.status = Status.Stopped\n"
)
if text.count(signal_old) != 1 or text.count(wait_old) != 1:
    sys.exit(f"{path}: the code to fix is not as in PCP 6.0.3")
open(path, "w").write(text.replace(signal_old, signal_new).replace(wait_old, wait_new))
PY
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

# ---------------------------------------------------------------- PMDA supervisor
# When the bpftrace PMDA's main process dies (crash, kill -9), its process manager (a
# multiprocessing child) and every bpftrace it started live on: nothing tells them, and since the
# manager still holds the PMDA's pipes to pmcd, pmcd only notices the dead PMDA when a request
# times out (5 s) and then starts a second PMDA beside the orphans. pmcd.conf therefore runs the
# PMDA under this supervisor: the PMDA gets a process group of its own (by default it shares
# pmcd's), the group is recorded in SUPERVISOR_STATE, and when the PMDA exits the supervisor stops
# the rest of that group (TERM, then KILL after 3 s). A supervisor starting up first stops what a
# previous instance recorded and left behind (e.g. when the supervisor itself was killed). Only
# that one process group is ever signalled, never bpftrace processes by name.
pmda_supervisor_source() {
  cat <<'PYEOF'
#!/usr/bin/python3
"""bpflive PMDA supervisor (installed by bpflive's scripts/pcp-stack.sh; see there).

usage: pmda-supervisor COMMAND [ARGS...]   e.g. pmda-supervisor python3 .../pmdabpftrace.python
Runs COMMAND (the PMDA) in a process group of its own, forwards pmcd's signals to it, and when it
exits stops whatever is left in its process group, so that no process manager or bpftrace of a
dead PMDA outlives it.
"""
import os
import signal
import sys
import time

STATE = '@STATE@'
GRACE = 3.0


def log(msg):
    stamp = time.strftime('%a %b %d %H:%M:%S')
    sys.stderr.write(f"[{stamp}] bpflive-pmda-supervisor({os.getpid()}) Info: {msg}\n")
    sys.stderr.flush()


def stat(pid):
    """(state, pgid) of a process, or None when it is gone"""
    try:
        with open(f'/proc/{pid}/stat') as f:
            text = f.read()
    except OSError:
        return None
    fields = text[text.rindex(')') + 2:].split()
    return fields[0], int(fields[2])


def cmdline(pid):
    try:
        with open(f'/proc/{pid}/cmdline', 'rb') as f:
            return f.read().replace(b'\0', b' ').decode(errors='replace').strip()
    except OSError:
        return ''


def members(pgid):
    """live (non-zombie) processes of process group pgid, except this one"""
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        st = stat(int(entry))
        if st and st[1] == pgid and st[0] != 'Z':
            found.append(int(entry))
    return found


def stop_group(pgid, why):
    pids = members(pgid)
    if not pids:
        return
    leader = stat(pgid)
    if leader and leader[0] != 'Z' and 'pmdabpftrace' not in cmdline(pgid):
        # the recorded group's leader is alive and is not a PMDA: the number was reused, not ours
        log(f"process group {pgid} is not a bpftrace PMDA's ({cmdline(pgid)!r}); left alone")
        return
    log(f"{why}: stopping process group {pgid}: " + '; '.join(f"{p} {cmdline(p)}" for p in pids))
    for sig, wait in ((signal.SIGTERM, GRACE), (signal.SIGKILL, GRACE)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not members(pgid):
                return
            time.sleep(0.1)
    log(f"process group {pgid} still has {members(pgid)}")


def read_state():
    try:
        with open(STATE) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    os.makedirs(os.path.dirname(STATE), mode=0o755, exist_ok=True)
    previous = read_state()
    if previous and previous != os.getpgrp():
        stop_group(previous, "left behind by the previous PMDA")

    child = os.fork()
    if child == 0:
        try:
            os.setpgid(0, 0)
            os.execvp(argv[1], argv[1:])
        finally:
            os._exit(127)
    try:
        os.setpgid(child, child)
    except OSError:
        pass  # the child did it first (or already exec'd)
    with open(STATE + '.tmp', 'w') as f:
        f.write(f"{child}\n")
    os.replace(STATE + '.tmp', STATE)

    # Give up our copies of the pipes to pmcd: once the PMDA's group is gone pmcd sees EOF
    # at once and restarts the PMDA, instead of waiting for a request to time out.
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)

    def forward(signum, _frame):
        try:
            os.kill(child, signum)
        except ProcessLookupError:
            pass

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(signum, forward)

    while True:
        try:
            _pid, status = os.waitpid(child, 0)
            break
        except ChildProcessError:
            status = 0
            break
    if os.WIFSIGNALED(status):
        why, code = f"the PMDA (pid {child}) was killed by signal {os.WTERMSIG(status)}", 128 + os.WTERMSIG(status)
    else:
        why, code = f"the PMDA (pid {child}) exited with status {os.WEXITSTATUS(status)}", os.WEXITSTATUS(status)
    stop_group(child, why)
    if read_state() == child:
        try:
            os.unlink(STATE)
        except OSError:
            pass
    return code


if __name__ == '__main__':
    sys.exit(main(sys.argv))
PYEOF
}

install_supervisor() { # returns 0 when the file was (re)written
  tmpdir
  local new=$TMPD/pmda-supervisor
  pmda_supervisor_source | sed "s|@STATE@|$SUPERVISOR_STATE|" >"$new"
  if [ -f "$SUPERVISOR" ] && cmp -s "$new" "$SUPERVISOR"; then return 1; fi
  mkdir -p "$(dirname "$SUPERVISOR")"
  install -m 0755 -o root -g root "$new" "$SUPERVISOR"
  say "installed the PMDA supervisor $SUPERVISOR (a crashed PMDA leaves no processes behind)"
  return 0
}

supervisor_current() { # the installed supervisor is this script's version
  tmpdir
  pmda_supervisor_source | sed "s|@STATE@|$SUPERVISOR_STATE|" >"$TMPD/pmda-supervisor.want"
  cmp -s "$TMPD/pmda-supervisor.want" "$SUPERVISOR"
}

pmda_line() { grep -E '^bpftrace[[:space:]]' "$PMCD_CONF" 2>/dev/null | head -n 1 || true; }

pmda_supervised() { [[ "$(pmda_line)" == *"$SUPERVISOR "* ]]; }

supervise_pmda() { # make pmcd.conf's bpftrace line run the PMDA under the supervisor; 0 when changed
  pmda_installed || return 1
  pmda_supervised && return 1
  tmpdir
  awk -v sup="$SUPERVISOR" '
    $1 == "bpftrace" && $3 == "pipe" && index($0, sup " ") == 0 {
      cmd = $0; sub(/^[^ \t]+[ \t]+[^ \t]+[ \t]+[^ \t]+[ \t]+[^ \t]+[ \t]+/, "", cmd)
      printf "%s\t%s\t%s\t%s\t\t%s %s\n", $1, $2, $3, $4, sup, cmd; next
    }
    { print }' "$PMCD_CONF" >"$TMPD/pmcd.conf"
  cat "$TMPD/pmcd.conf" >"$PMCD_CONF"
  pmda_supervised || die "could not set the PMDA supervisor in $PMCD_CONF: $(pmda_line)"
  say "pmcd.conf runs the bpftrace PMDA under $SUPERVISOR"
  return 0
}

unsupervise_pmda() { # back to the stock line (down --purge)
  pmda_supervised || return 0
  tmpdir
  awk -v sup="$SUPERVISOR " '$1 == "bpftrace" { i = index($0, sup); if (i) $0 = substr($0, 1, i - 1) substr($0, i + length(sup)) } { print }' \
    "$PMCD_CONF" >"$TMPD/pmcd.conf"
  cat "$TMPD/pmcd.conf" >"$PMCD_CONF"
}

proc_field() { # proc_field PID: "state ppid pgrp" of a process (empty when gone)
  local st
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null || true)
  [ -n "$st" ] && awk '{print $1, $2, $3}' <<<"$st"
  return 0
}

group_members() { # live processes in process group $1 (our mount namespace)
  local d state ppid pgrp
  for d in /proc/[0-9]*; do
    read -r state ppid pgrp <<<"$(proc_field "${d#/proc/}")" || true
    [ "${pgrp:-}" = "$1" ] && [ "$state" != Z ] && same_mntns "${d#/proc/}" && echo "${d#/proc/}"
  done
  return 0
}

children_of() { # live children of process $1
  local d state ppid pgrp
  for d in /proc/[0-9]*; do
    read -r state ppid pgrp <<<"$(proc_field "${d#/proc/}")" || true
    [ "${ppid:-}" = "$1" ] && [ "$state" != Z ] && echo "${d#/proc/}"
  done
  return 0
}

stop_recorded_pmda_group() { # [STATE_FILE]: the process group a supervisor recorded, if anything is left in it
  local state=${1:-$SUPERVISOR_STATE} pgid pids
  pgid=$(head -n 1 "$state" 2>/dev/null || true)
  [[ $pgid =~ ^[0-9]+$ ]] || return 0
  pids=$(group_members "$pgid")
  if [ -n "$pids" ]; then
    if [ -e "/proc/$pgid" ] && ! pid_gone "$pgid" && ! grep -q pmdabpftrace "/proc/$pgid/cmdline" 2>/dev/null; then
      rm -f "$state"
      return 0 # the number was reused by something else
    fi
    say "stopping what the bpftrace PMDA left behind (process group $pgid): $(tr '\n' ' ' <<<"$pids")"
    kill -TERM -- "-$pgid" 2>/dev/null || true
    wait_for 3 group_empty "$pgid" || kill -KILL -- "-$pgid" 2>/dev/null || true
  fi
  rm -f "$state"
}

group_empty() { [ -z "$(group_members "$1")" ]; }

no_pmda_left() { [ -z "$(pmda_pids)" ]; }

stop_leftover_pmdas() { # after pmcd stopped: PMDAs of ours it left running, and their children
  local pids p kids
  # a PMDA that pmcd stopped deregisters its scripts first: give it a few seconds
  wait_for 5 no_pmda_left || true
  pids=$(pmda_pids)
  for p in $pids; do
    kids=$(children_of "$p")
    say "stopping the bpftrace PMDA process $p left by pmcd${kids:+ and its children $(tr '\n' ' ' <<<"$kids")}"
    # shellcheck disable=SC2086
    kill -TERM "$p" $kids 2>/dev/null || true
  done
  [ -z "$pids" ] || sleep 2
  stop_recorded_pmda_group
}

# ---------------------------------------------------------------- daemons
# Processes are ours only when they share this script's mount namespace. With 'pid: host' a
# container sees the host's processes too, and a host running PCP has its own pmcd, pmproxy and
# PMDAs with the same names: never count, signal or kill those.
MY_MNTNS=$(readlink /proc/$$/ns/mnt 2>/dev/null || true)
same_mntns() { [ "$(readlink "/proc/$1/ns/mnt" 2>/dev/null || true)" = "$MY_MNTNS" ]; }

pids_by_comm() { # our pids whose process name is exactly $1 (no procps needed)
  local d
  for d in /proc/[0-9]*; do
    [ "$(cat "$d/comm" 2>/dev/null || true)" = "$1" ] && same_mntns "${d#/proc/}" && echo "${d#/proc/}"
  done
  return 0
}

foreign_pcp_pids() { # pmcd/pmproxy processes of another mount namespace (a host's or another container's PCP)
  local d c
  for d in /proc/[0-9]*; do
    c=$(cat "$d/comm" 2>/dev/null || true)
    case "$c" in pmcd | pmproxy) same_mntns "${d#/proc/}" || echo "${d#/proc/}" ;; esac
  done
  return 0
}

daemon_pid() { # prints the pid of our running pmcd/pmproxy, or fails
  local name=$1 pid
  pid=$(cat "$PCP_RUN_DIR/$name.pid" 2>/dev/null || true)
  if [[ $pid =~ ^[0-9]+$ ]] && [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" = "$name" ] && same_mntns "$pid"; then
    echo "$pid"
    return 0
  fi
  # no (valid) pid file: the init script's start may not have written it yet
  pid=$(pids_by_comm "$name" | head -n 1)
  [ -n "$pid" ] && echo "$pid"
}

is_running() { [ -n "$(daemon_pid "$1")" ]; }

# How pmcd and pmproxy are started and stopped: PCP's /etc/init.d scripts find pmcd, pmproxy and
# PMDAs by process name (_get_pids_by_name, pmsignal -a) and signal every match, and the PMDA
# Install script HUPs every pmcd: in a container with pid: host on a host that runs PCP they would
# stop or kill the host's daemons. 'direct' control starts the daemons itself and stops only the
# pids in our own pid files and mount namespace.
DIRECT=
decide_daemon_control() {
  [ -z "$DIRECT" ] || return 0
  case "${BPFLIVE_DAEMON_CONTROL:-auto}" in
    initd) DIRECT=false ;;
    direct) DIRECT=true ;;
    auto)
      DIRECT=false
      if [ -e /.dockerenv ] || [ -e /run/.containerenv ] || [ -n "$(foreign_pcp_pids)" ]; then DIRECT=true; fi
      ;;
    *) die "BPFLIVE_DAEMON_CONTROL must be initd, direct or auto, got '${BPFLIVE_DAEMON_CONTROL}'" ;;
  esac
}

pcp_conf() { sed -n "s/^$1=//p" /etc/pcp.conf 2>/dev/null | head -n 1; }

options_of() { # the options of a pmcd/pmproxy options file, as the init scripts read them
  sed -e '/^[^-]/d' -e 's/^/ /' -e 's/$/ /' -e 's/ -f / /g' "$1" 2>/dev/null | tr '\n' ' ' || true
}

direct_start() { # direct_start pmcd|pmproxy
  local name=$1 bindir rundir opts envs=() line
  bindir=$(pcp_conf PCP_BINADM_DIR)
  bindir=${bindir:-/usr/lib/pcp/bin}
  rundir=/var/log/pcp/$name
  mkdir -p "$PCP_RUN_DIR" "$rundir"
  chmod 775 "$PCP_RUN_DIR" "$rundir"
  chown pcp:pcp "$PCP_RUN_DIR" "$rundir" 2>/dev/null || true
  if [ -f "$rundir/$name.log" ]; then mv -f "$rundir/$name.log" "$rundir/$name.log.prev"; fi
  if [ "$name" = pmcd ]; then
    opts=$(options_of "$PMCD_OPTIONS")
    # PMCD_RESTART_AGENTS=1 among them: pmcd restarts a PMDA that died
    while IFS= read -r line; do envs+=("$line"); done < <(grep -E '^(PMCD|PCP)[A-Za-z0-9_]*=' /etc/default/pmcd 2>/dev/null || true)
    if [ -f /var/lib/pcp/pmns/.NeedRebuild ] || [ ! -f /var/lib/pcp/pmns/root ]; then
      # before pmcd starts: Rebuild HUPs every process named pmcd when a local pmcd answers
      (cd /var/lib/pcp/pmns && quiet_clean ./Rebuild -su) && rm -f /var/lib/pcp/pmns/.NeedRebuild
    fi
  else
    opts=$(options_of "$PMPROXY_OPTIONS")
    while IFS= read -r line; do envs+=("$line"); done < <(grep -E '^PMPROXY[A-Za-z0-9_]*=' /etc/default/pmproxy 2>/dev/null || true)
  fi
  log_note "direct start: $bindir/$name $opts"
  # shellcheck disable=SC2086 # the options are words
  (
    cd "$rundir"
    ulimit -l unlimited 2>/dev/null || true
    env -i PATH="$CLEAN_PATH" HOME=/root LANG=C.UTF-8 "${envs[@]}" "$bindir/$name" $opts
  ) </dev/null >>"$LOG" 2>&1 9>&-
}

direct_stop() { # direct_stop pmcd|pmproxy: only the pid in our pid file (our mount namespace)
  local name=$1 pid
  pid=$(daemon_pid "$name" || true)
  if [ -n "$pid" ]; then
    log_note "direct stop: $name pid $pid"
    kill -TERM "$pid" 2>/dev/null || true
    wait_for 10 pid_gone "$pid" || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PCP_RUN_DIR/$name.pid"
  if [ "$name" = pmcd ]; then
    rm -f "$PCP_RUN_DIR/pmcd.socket"
    stop_leftover_pmdas
  fi
}

pid_gone() { [ ! -e "/proc/$1" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }

service() { # service NAME ACTION
  decide_daemon_control
  if [ "$DIRECT" = true ]; then
    case "$2" in
      start) is_running "$1" || direct_start "$1" ;;
      stop) direct_stop "$1" ;;
      restart) direct_stop "$1"; direct_start "$1" ;;
      *) die "service $1 $2: unsupported in direct daemon control" ;;
    esac
    return 0
  fi
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
  decide_daemon_control
  if [ "$DIRECT" = true ]; then
    direct_install_pmda
    return 0
  fi
  say "installing the bpftrace PMDA into pmcd"
  log_note "$PMDA_DIR/Install"
  (cd "$PMDA_DIR" && env -i PATH="$CLEAN_PATH" HOME=/root LANG=C.UTF-8 PCPQA_SYSTEMD=no ./Install) </dev/null >>"$LOG" 2>&1 9>&- || true
  pmda_installed || {
    show_log_tail
    die "bpftrace PMDA Install failed (see $LOG and /var/log/pcp/pmcd/bpftrace.log)"
  }
}

# What the PMDA's Install does, without its side effects on other PCP installations (its
# pmdaproc.sh HUPs every process named pmcd and kills PMDAs by name): the PMDA's dynamic subtree
# in the PMNS, its line in pmcd.conf (before [access]), and a pmcd restart.
direct_install_pmda() {
  local root=/var/lib/pcp/pmns/root
  say "installing the bpftrace PMDA into pmcd (directly: $root, $PMCD_CONF)"
  tmpdir
  [ -f "$root" ] || die "$root is missing (is pcp installed properly?)"
  if ! grep -qE '^[[:space:]]*bpftrace[[:space:]]+151:' "$root"; then
    awk '{ print } !done && /^root[ \t]*\{/ { print "\tbpftrace\t151:*:*"; done = 1 }' "$root" >"$TMPD/root"
    grep -qE '^[[:space:]]*bpftrace[[:space:]]+151:' "$TMPD/root" || die "could not add bpftrace to $root"
    cat "$TMPD/root" >"$root"
  fi
  awk -v line="bpftrace	151	pipe	binary		$SUPERVISOR $PMDA_COMMAND" '
    !done && /^\[access\]/ { print line; print ""; done = 1 }
    { print }
    END { if (!done) print line }' "$PMCD_CONF" >"$TMPD/pmcd.conf"
  cat "$TMPD/pmcd.conf" >"$PMCD_CONF"
  restart_pmcd "bpftrace PMDA installed"
}

# pmcd's mmv PMDA serves the metrics of MMV-instrumented processes (mmv.*), which bpflive's PCP
# metric queries read. Debian's pcp enables it by default; a pmcd.conf without it gets the stock
# DSO line (before [access]) and its PMNS entry. 0 when something changed (pmcd must restart).
readonly MMV_DSO=/var/lib/pcp/pmdas/mmv/pmda_mmv.so
mmv_enabled() { [ -r "$PMCD_CONF" ] && grep -qE '^mmv[[:space:]]' "$PMCD_CONF"; }
ensure_mmv_pmda() {
  mmv_enabled && return 1
  [ -r "$MMV_DSO" ] || {
    warn "no $MMV_DSO: MMV metrics (mmv.*) are not available"
    return 1
  }
  local root=/var/lib/pcp/pmns/root
  tmpdir
  if [ -f "$root" ] && ! grep -qE '^[[:space:]]*mmv[[:space:]]+70:' "$root"; then
    awk '{ print } !done && /^root[ \t]*\{/ { print "\tmmv\t70:*:*"; done = 1 }' "$root" >"$TMPD/root"
    cat "$TMPD/root" >"$root"
  fi
  awk -v line="mmv	70	dso	mmv_init	$MMV_DSO" '
    !done && /^\[access\]/ { print line; print ""; done = 1 }
    { print }
    END { if (!done) print line }' "$PMCD_CONF" >"$TMPD/pmcd.conf"
  cat "$TMPD/pmcd.conf" >"$PMCD_CONF"
  say "pmcd.conf enables the mmv PMDA (MMV-instrumented processes' metrics)"
  return 0
}

register_answers() {
  local out
  out=$(curl -sf --max-time 3 "$PMPROXY_URL/pmapi/metric?names=bpftrace.control.register" 2>/dev/null) || return 1
  [[ $out == *'"151.0.0"'* ]]
}

# The PMDA can fall one reply behind (its manager answered a request after pmcd's 5 s timeout):
# then every answer belongs to the previous request, for good. A deregister of a name no script
# has must read back "not found"; anything else means out of step (only a pmcd restart helps).
pmda_in_step() {
  local auth=() ctx out
  if [ -n "${AUTH_USER:-}" ] && [ -n "${AUTH_PASSWORD:-}" ]; then auth=(-u "$AUTH_USER:$AUTH_PASSWORD"); fi
  ctx=$(curl -sf --max-time 5 "${auth[@]}" "$PMPROXY_URL/pmapi/context?hostspec=localhost&polltimeout=10" |
    sed -n 's/.*"context":\([0-9]*\).*/\1/p') || return 0
  [ -n "$ctx" ] || return 0
  curl -s --max-time 10 "${auth[@]}" -X POST \
    "$PMPROXY_URL/pmapi/store?context=$ctx&name=bpftrace.control.deregister&value=bpflive_step_check" >/dev/null || return 0
  out=$(curl -s --max-time 10 "${auth[@]}" "$PMPROXY_URL/pmapi/fetch?context=$ctx&names=bpftrace.control.deregister") || return 0
  [[ $out == *'not found'* || $out == *'No permission'* ]]
}

not_running() { [ -z "$(pids_by_comm "$1")" ]; }

pmda_pids() { # our bpftrace PMDA's python processes (and its supervisor)
  local d
  for d in /proc/[0-9]*; do
    case "$(tr '\0' ' ' 2>/dev/null <"$d/cmdline" || true)" in
      *pmdabpftrace.python*) same_mntns "${d#/proc/}" && echo "${d#/proc/}" ;;
    esac
  done
  return 0
}

# ---------------------------------------------------------------- auth
basic_auth_header() { printf 'Authorization: Basic %s\n' "$(printf '%s:%s' "$AUTH_USER" "$AUTH_PASSWORD" | base64 -w0)"; }

auth_context_code() { # auth_context_code [HOSTSPEC]: HTTP status of an authenticated context request
  local code tries=0
  tmpdir
  while :; do
    code=$(basic_auth_header | curl -s -o "$TMPD/auth-reply" -w '%{http_code}' --max-time 10 -H @- \
      "$PMPROXY_URL/pmapi/context?hostspec=${1:-localhost}&polltimeout=5" 2>/dev/null || true)
    # A pmcd that is (re)starting its PMDAs refuses connections for a while (seen in CI right after
    # a restart): that says nothing of the password, so wait for it (up to 20 s) before judging.
    if [ "$code" = 200 ] || ! grep -q 'cannot connect to PMCD' "$TMPD/auth-reply" 2>/dev/null || [ "$tries" -ge 20 ]; then
      echo "$code"
      return 0
    fi
    tries=$((tries + 1))
    sleep 1
  done
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
  local code
  tmpdir
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

# SASL's realm is the server's hostname: the second pmcd (hostname $SECOND_HOSTNAME) looks users up
# as user@$SECOND_HOSTNAME, as a real second machine would have its own. Same password, same db.
ensure_second_sasl_password() {
  local code
  code=$(auth_context_code "localhost:$SECOND_PORT")
  [ "$code" != 200 ] || return 0
  say "setting the SASL password of $AUTH_USER for the second host (realm $SECOND_HOSTNAME) in $PASSWD_DB"
  printf '%s' "$AUTH_PASSWORD" | saslpasswd2 -p -a pmcd -u "$SECOND_HOSTNAME" -f "$PASSWD_DB" "$AUTH_USER"
  fix_passwd_db_perms
  code=$(auth_context_code "localhost:$SECOND_PORT")
  [ "$code" = 200 ] || die "authenticated context for $AUTH_USER on the second host failed: HTTP $code $(cat "$TMPD/auth-reply" 2>/dev/null)"
}

generate_password() { # 32 characters of [A-Za-z0-9] from the kernel's CSPRNG
  local pw=""
  while [ "${#pw}" -lt 32 ]; do
    pw+=$(head -c 48 /dev/urandom | base64 -w0 | tr -d '/+=')
  done
  printf '%s' "${pw:0:32}"
}

# credentials_password FILE USER: prints the password kept in FILE for USER; fails when FILE is
# missing, and dies when it holds another user's credentials (rather than lose them).
credentials_password() {
  local file=$1 user=$2 line
  [ -s "$file" ] || return 1
  IFS= read -r line <"$file" || true
  case "$line" in
    "$user":?*) printf '%s' "${line#*:}" ;;
    *:?*) die "$file holds the credentials of another user (${line%%:*}); pass --credentials-file FILE for $user, or remove it" ;;
    *) die "$file is not one line user:password; fix or remove it" ;;
  esac
}

write_credentials() { # write_credentials FILE USER PASSWORD: root only, 0600, atomically
  local file=$1 dir
  dir=$(dirname "$file")
  [ -d "$dir" ] || install -d -m 0700 -o root -g root "$dir"
  (
    umask 077
    printf '%s:%s\n' "$2" "$3" >"$file.tmp.$$"
  )
  chown root:root "$file.tmp.$$"
  chmod 0600 "$file.tmp.$$"
  mv -f "$file.tmp.$$" "$file"
}

# The password of AUTH_USER: given (--password-file, BPFLIVE_AUTH_PASSWORD), else the one kept in
# the credentials file, else a new one, written there.
resolve_password() {
  if [ -n "$AUTH_PASSWORD" ]; then
    CREDENTIALS_SOURCE="the given password file"
    return 0
  fi
  if AUTH_PASSWORD=$(credentials_password "$CREDENTIALS_FILE" "$AUTH_USER"); then
    CREDENTIALS_SOURCE=$CREDENTIALS_FILE
  else
    AUTH_PASSWORD=$(generate_password)
    write_credentials "$CREDENTIALS_FILE" "$AUTH_USER" "$AUTH_PASSWORD"
    CREDENTIALS_SOURCE=$CREDENTIALS_FILE
    say "generated a password for $AUTH_USER; credentials in $CREDENTIALS_FILE (root only, user:password)"
  fi
  if [ "$(stat -c '%U %a' "$CREDENTIALS_FILE")" != "root 600" ]; then
    chown root:root "$CREDENTIALS_FILE"
    chmod 0600 "$CREDENTIALS_FILE"
    say "set $CREDENTIALS_FILE to root 0600"
  fi
}

no_auth_warning() {
  cat >&2 <<EOF
$PROG: ######################################################################
$PROG: WARNING: AUTHENTICATION IS OFF (--no-auth).
$PROG: WARNING: ANY local user, and ANYONE who can reach pmproxy
$PROG: WARNING: ($PMPROXY_LISTEN_ADDR:44322), can now register bpftrace scripts,
$PROG: WARNING: that is: run kernel tracing code AS ROOT on this machine and
$PROG: WARNING: read what every script collects. Use this only on a throwaway
$PROG: WARNING: machine; run 'scripts/pcp-stack.sh up' to turn auth back on.
$PROG: ######################################################################
EOF
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
  AUTH=$(truthy "${BPFLIVE_AUTH:-1}")
  ALLOWED_USERS=${BPFLIVE_ALLOWED_USERS:-}
  # bpflive registers unnamed scripts and relies on this expiry to stop those of a dead browser
  # (within 2 minutes); it must outlast a short pmproxy outage, during which nobody reads them.
  EXPIRY=${BPFLIVE_SCRIPT_EXPIRY:-90}
  AUTH_USER=${BPFLIVE_AUTH_USER:-}
  AUTH_PASSWORD=${BPFLIVE_AUTH_PASSWORD:-}
  CREDENTIALS_FILE=${BPFLIVE_PCP_CREDENTIALS_FILE:-$DEFAULT_CREDENTIALS_FILE}
  CREDENTIALS_SOURCE=
  SECOND_HOST=$(truthy "${BPFLIVE_SECOND_HOST:-0}")
  SERIES=$(truthy "${BPFLIVE_SERIES:-1}")
  REDIS_SERVERS=${BPFLIVE_REDIS_SERVERS:-$DEFAULT_REDIS_SERVERS}
  local retention=${BPFLIVE_SERIES_RETENTION:-$DEFAULT_RETENTION}
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
      --credentials-file) CREDENTIALS_FILE=${2:?--credentials-file needs a value}; shift ;;
      --credentials-file=*) CREDENTIALS_FILE=${1#*=} ;;
      --second-host) SECOND_HOST=true ;;
      --series) SERIES=true ;;
      --no-series) SERIES=false ;;
      --series-retention) retention=${2:?--series-retention needs a value}; shift ;;
      --series-retention=*) retention=${1#*=} ;;
      -h | --help) usage; exit 0 ;;
      *) usage >&2; die "unknown option for up: $1" ;;
    esac
    shift
  done
  [[ $EXPIRY =~ ^[1-9][0-9]*$ ]] || die "--expiry must be a positive number of seconds, got '$EXPIRY'"
  RETENTION=$(duration_seconds "$retention") || die "--series-retention must be a duration like 7d, 12h, 30m or 600s, got '$retention'"
  [ "$RETENTION" -ge 60 ] || die "--series-retention must be at least a minute, got '$retention'"
  [[ $REDIS_SERVERS =~ ^[A-Za-z0-9_.-]+:[0-9]+$ ]] || die "BPFLIVE_REDIS_SERVERS must be host:port, got '$REDIS_SERVERS'"
  [[ $CREDENTIALS_FILE == /* ]] || die "--credentials-file must be an absolute path, got '$CREDENTIALS_FILE'"
  if [ -n "$pwfile" ]; then
    [ -r "$pwfile" ] || die "cannot read password file $pwfile"
    IFS= read -r AUTH_PASSWORD <"$pwfile" || true
    [ -n "$AUTH_PASSWORD" ] || die "password file $pwfile is empty"
  fi
  if [ "$AUTH" = true ]; then
    AUTH_USER=${AUTH_USER:-$DEFAULT_AUTH_USER}
    [[ $AUTH_USER =~ ^[a-z_][a-z0-9_-]{0,31}$ ]] || die "invalid user name '$AUTH_USER'"
  else
    if [ -n "$AUTH_USER" ] || [ -n "$pwfile" ]; then
      warn "--user/--password-file ignored: authentication is off (--no-auth)"
    fi
    AUTH_USER=
    AUTH_PASSWORD=
  fi
  if [ -z "$ALLOWED_USERS" ]; then
    if [ -n "$AUTH_USER" ]; then ALLOWED_USERS=$AUTH_USER; else ALLOWED_USERS=root; fi
  fi
  ALLOWED_USERS=${ALLOWED_USERS// /}
  [[ $ALLOWED_USERS =~ ^[A-Za-z0-9_.@-]+(,[A-Za-z0-9_.@-]+)*$ ]] || die "invalid --allowed-users '$ALLOWED_USERS'"
}

# ---------------------------------------------------------------- second host
# `up --second-host` starts one more pmcd with its own bpftrace PMDA on port ${SECOND_PORT}, so
# that one machine offers pmproxy two pmcd hosts (hostspec localhost:${SECOND_PORT}): CI tests
# one script on many hosts with it. It shares the packages, bpftrace.conf (auth, expiry), the
# PMNS and the SASL users with the first pmcd, and nothing else: its own pmcd.conf (the pmcd
# agent and the PMDA only), pid file, unix socket, logs, supervisor state, and process names
# (pmcd-second, pmdabpftrace-second.python: the first stack's stop-by-name of leftover PMDAs,
# and PCP's own init scripts, never match them). What had to differ, found by trying:
# - PMCD_ROOT_AGENT=0: with pmdaroot available pmcd asks it (the first stack's) to start the
#   PMDA, whose child it then is, with the first stack's log;
# - its own supervisor state file: a supervisor starts by stopping the process group recorded
#   there, which with a shared file was the first stack's PMDA;
# - SASL_CONF_PATH: SASL reads <program name>.conf, so pmcd-second needs its own copy of
#   /etc/sasl2/pmcd.conf (else it looks for /etc/sasldb2 and every login fails).
readonly SECOND_PORT=${BPFLIVE_SECOND_PORT:-44331}
readonly SECOND_NAME=pmcd-second
readonly SECOND_HOSTNAME=bpflive-second
readonly SECOND_BIN=/usr/local/lib/bpflive/second
readonly SECOND_CONF=/etc/pcp/bpflive-second
readonly SECOND_RUN=/run/bpflive/second
readonly SECOND_LOG=/var/log/bpflive/second

second_configured() { [ -f "$SECOND_CONF/pmcd.conf" ]; }

second_pid() { # the second pmcd's pid, from its pid file, when that process is it
  local pid
  pid=$(cat "$SECOND_RUN/pmcd.pid" 2>/dev/null || true)
  [[ $pid =~ ^[0-9]+$ ]] && [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" = "$SECOND_NAME" ] && echo "$pid"
}

second_answers() { env -i PATH="$CLEAN_PATH" HOME=/root pminfo -h "localhost:$SECOND_PORT" -f pmcd.pid </dev/null >/dev/null 2>&1 9>&-; }

second_register_answers() {
  local out
  out=$(curl -sf --max-time 3 "$PMPROXY_URL/pmapi/metric?hostspec=localhost:$SECOND_PORT&names=bpftrace.control.register" 2>/dev/null) || return 1
  [[ $out == *'"151.0.0"'* ]]
}

second_install() { # second_install SRC DEST MODE: 0 when DEST was (re)written
  if [ -f "$2" ] && cmp -s "$1" "$2"; then return 1; fi
  install -m "$3" -o root -g root "$1" "$2"
}

second_files() { # writes the second pmcd's files; 0 when one changed
  tmpdir
  local changed=1 access bindir pmdas
  mkdir -p "$SECOND_BIN" "$SECOND_CONF/sasl2" "$SECOND_RUN" "$SECOND_LOG/pmcd"
  chown pcp:pcp "$SECOND_RUN" "$SECOND_LOG" "$SECOND_LOG/pmcd" 2>/dev/null || true
  chmod 775 "$SECOND_RUN" "$SECOND_LOG" "$SECOND_LOG/pmcd"
  chmod 755 "$SECOND_CONF" "$SECOND_CONF/sasl2"
  bindir=$(pcp_conf PCP_BINADM_DIR)
  pmdas=$(pcp_conf PCP_PMDAS_DIR)
  # a symlink of its own name: the process is called pmcd-second
  ln -sfn "${bindir:-/usr/lib/pcp/bin}/pmcd" "$SECOND_BIN/$SECOND_NAME"
  ln -sfn "$PMDA_DIR/pmdabpftrace.python" "$SECOND_BIN/pmdabpftrace-second.python"
  pmda_supervisor_source | sed "s|@STATE@|$SECOND_RUN/pmdabpftrace.pgid|" >"$TMPD/sup"
  second_install "$TMPD/sup" "$SECOND_BIN/pmda-supervisor" 0755 && changed=0
  second_install /etc/sasl2/pmcd.conf "$SECOND_CONF/sasl2/$SECOND_NAME.conf" 0644 && changed=0
  # the first pmcd's access rules, so that stores through the local pmproxy are allowed alike
  access=$(sed -n '/^\[access\]/,$p' "$PMCD_CONF")
  {
    printf 'pmcd\t2\tdso\tpmcd_init\t%s\n' "${pmdas:-/var/lib/pcp/pmdas}/pmcd/pmda_pmcd.so"
    printf 'bpftrace\t151\tpipe\tbinary\t\t%s python3 %s\n' "$SECOND_BIN/pmda-supervisor" "$SECOND_BIN/pmdabpftrace-second.python"
    # the kernel's metrics (kernel.all.*, mem.*, disk.*): the recorder farms them from every
    # host for cluster views (the same kernel as the first pmcd's, seen through a second host)
    if [ -x "${pmdas:-/var/lib/pcp/pmdas}/linux/pmdalinux" ]; then
      printf 'linux\t60\tpipe\tbinary\t\t%s\n' "${pmdas:-/var/lib/pcp/pmdas}/linux/pmdalinux"
    fi
    printf '\n'
    printf '%s\n' "${access:-[access]}"
    # pmcd counts a connection as "local:*" by the addresses of its hostname, and
    # $SECOND_HOSTNAME resolves to none: name the loopback address it listens on
    printf 'allow 127.0.0.1 : all;\n'
  } >"$TMPD/pmcd.conf"
  second_install "$TMPD/pmcd.conf" "$SECOND_CONF/pmcd.conf" 0644 && changed=0
  return "$changed"
}

second_start() {
  if [ -f "$SECOND_LOG/pmcd/pmcd.log" ]; then mv -f "$SECOND_LOG/pmcd/pmcd.log" "$SECOND_LOG/pmcd/pmcd.log.prev"; fi
  log_note "second pmcd start on port $SECOND_PORT"
  (
    cd "$SECOND_LOG/pmcd"
    ulimit -l unlimited 2>/dev/null || true
    # its own hostname (a UTS namespace): pmcd's context labels, and so the series store's
    # 'hostname' label, come from gethostname(), not from -H (which names pmcd.hostname only)
    local uts=()
    # shellcheck disable=SC2016 # $0 and $@ are the inner shell's
    if unshare --uts true 2>/dev/null; then uts=(unshare --uts sh -c 'hostname "$0" && exec "$@"' "$SECOND_HOSTNAME"); fi
    env -i PATH="$CLEAN_PATH" HOME=/root LANG=C.UTF-8 PMCD_ROOT_AGENT=0 PMCD_RESTART_AGENTS=0 \
      SASL_CONF_PATH="$SECOND_CONF/sasl2" PCP_RUN_DIR="$SECOND_RUN" PCP_LOG_DIR="$SECOND_LOG" \
      "${uts[@]}" "$SECOND_BIN/$SECOND_NAME" -A -i "$LISTEN_ADDR" -p "$SECOND_PORT" -c "$SECOND_CONF/pmcd.conf" \
      -s "$SECOND_RUN/pmcd.socket" -l "$SECOND_LOG/pmcd/pmcd.log" -H "$SECOND_HOSTNAME"
  ) </dev/null >>"$LOG" 2>&1 9>&-
}

second_stop() { # the second pmcd by its pid file, then whatever its PMDA left (its own group)
  local pid
  pid=$(second_pid || true)
  if [ -n "$pid" ]; then
    say "stopping the second pmcd (pid $pid, port $SECOND_PORT)"
    kill -TERM "$pid" 2>/dev/null || true
    wait_for 10 pid_gone "$pid" || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$SECOND_RUN/pmcd.pid" "$SECOND_RUN/pmcd.socket"
  stop_recorded_pmda_group "$SECOND_RUN/pmdabpftrace.pgid"
}

second_up() { # second_up REASON...: (re)start the second pmcd when asked or not running
  local why=("$@")
  local pid
  second_files && why+=("its files changed")
  pid=$(second_pid || true)
  if [ -z "$pid" ]; then
    why+=("not running")
  elif [ "$(readlink "/proc/$pid/ns/uts")" = "$(readlink /proc/$$/ns/uts)" ] && unshare --uts true 2>/dev/null; then
    why+=("it reports this machine's hostname, not $SECOND_HOSTNAME")
  fi
  if [ "${#why[@]}" -gt 0 ]; then
    say "(re)starting the second pmcd on port $SECOND_PORT ($(
      IFS=,
      echo "${why[*]}"
    ))"
    second_stop
    second_start
    wait_for 30 second_answers || {
      tail -n 15 "$SECOND_LOG/pmcd/pmcd.log" 2>/dev/null | sed 's/^/    pmcd.log: /' >&2 || true
      die "the second pmcd did not come up (see $SECOND_LOG/pmcd/pmcd.log)"
    }
  fi
  wait_for "$READY_TIMEOUT" second_register_answers || {
    tail -n 15 "$SECOND_LOG/pmcd/bpftrace.log" 2>/dev/null | sed 's/^/    bpftrace.log: /' >&2 || true
    die "the second pmcd's bpftrace PMDA did not answer within ${READY_TIMEOUT} s (logs: $SECOND_LOG/pmcd)"
  }
  if [ -n "${AUTH_USER:-}" ]; then ensure_second_sasl_password; fi
  say "second host: pmcd $SECOND_HOSTNAME on port $SECOND_PORT, hostspec localhost:$SECOND_PORT through $PMPROXY_URL"
}

second_status() { # 1 when configured but not well
  second_configured || [ -n "$(second_pid || true)" ] || {
    say "second host: not set up (up --second-host starts one)"
    return 0
  }
  local pid
  pid=$(second_pid || true)
  if [ -z "$pid" ]; then
    say "second host: pmcd on port $SECOND_PORT NOT running (up --second-host starts it)"
    return 1
  fi
  if command -v curl >/dev/null 2>&1 && second_register_answers; then
    say "second host: pmcd (pid $pid) on port $SECOND_PORT, register answers for hostspec localhost:$SECOND_PORT"
  else
    say "second host: pmcd (pid $pid) on port $SECOND_PORT, register NOT answering"
    return 1
  fi
}

# ---------------------------------------------------------------- series store (Redis)
# PCP's series store: pmlogger writes archives, pmproxy's discovery module loads them into Redis,
# and pmproxy serves them as /series/* on its REST port (bpflive reads the past from there).
# 'up' runs a redis-server of its own (unless BPFLIVE_REDIS_SERVERS names another one): bound to
# 127.0.0.1 only, its own config, pid file and data directory, never Debian's redis-server
# service (which may not exist without systemd, or belong to someone else). When something else
# already answers on 127.0.0.1:6379 that server is used and left alone.
readonly REDIS_DIR=/var/lib/bpflive/redis
readonly REDIS_CONF=$REDIS_DIR/redis.conf
readonly REDIS_PID=/run/bpflive/redis.pid
readonly REDIS_LOG=/var/log/bpflive/redis.log
readonly DEFAULT_REDIS_SERVERS=127.0.0.1:6379
readonly DEFAULT_RETENTION=7d

duration_seconds() { # duration_seconds 7d|12h|30m|90s|90: seconds, or fails
  local n unit
  [[ $1 =~ ^([1-9][0-9]*)([smhd]?)$ ]] || return 1
  n=${BASH_REMATCH[1]}
  unit=${BASH_REMATCH[2]}
  case "$unit" in
    d) echo $((n * 86400)) ;; h) echo $((n * 3600)) ;; m) echo $((n * 60)) ;; *) echo "$n" ;;
  esac
}

duration_text() { # duration_text SECONDS: the largest whole unit
  local s=$1
  if ((s % 86400 == 0)); then echo "$((s / 86400))d"; elif ((s % 3600 == 0)); then echo "$((s / 3600))h"; elif ((s % 60 == 0)); then echo "$((s / 60))m"; else echo "${s}s"; fi
}

redis_local() { [ "$REDIS_SERVERS" = "$DEFAULT_REDIS_SERVERS" ]; }

redis_ping() { # the series store (REDIS_SERVERS) answers PONG
  local spec=$REDIS_SERVERS
  [ "$(env -i PATH="$CLEAN_PATH" timeout 3 redis-cli -h "${spec%:*}" -p "${spec##*:}" ping 2>/dev/null </dev/null 9>&-)" = PONG ]
}

redis_pid() { # the pid of our redis-server (from its pid file), or fails
  local pid
  pid=$(cat "$REDIS_PID" 2>/dev/null || true)
  [[ $pid =~ ^[0-9]+$ ]] && [[ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" == redis-server* ]] && same_mntns "$pid" && echo "$pid"
}

redis_config() { # the config of our redis-server
  cat <<CONF
# written by bpflive scripts/pcp-stack.sh: the series store of pmproxy (loopback only)
bind 127.0.0.1
protected-mode yes
port ${DEFAULT_REDIS_SERVERS##*:}
daemonize yes
pidfile $REDIS_PID
logfile $REDIS_LOG
dir $REDIS_DIR
dbfilename dump.rdb
# the series survive a restart of redis (a snapshot at most 5 minutes old, and one on shutdown)
save 300 1
appendonly no
CONF
}

redis_start() {
  mkdir -p "$REDIS_DIR" "$(dirname "$REDIS_PID")" "$(dirname "$REDIS_LOG")"
  chmod 0700 "$REDIS_DIR"
  tmpdir
  redis_config >"$TMPD/redis.conf"
  second_install "$TMPD/redis.conf" "$REDIS_CONF" 0600 || true
  log_note "redis-server $REDIS_CONF"
  env -i PATH="$CLEAN_PATH" HOME=/root LANG=C.UTF-8 redis-server "$REDIS_CONF" </dev/null >>"$LOG" 2>&1 9>&- || true
  wait_for 10 redis_ping || {
    tail -n 10 "$REDIS_LOG" 2>/dev/null | sed 's/^/    redis.log: /' >&2 || true
    die "redis-server did not answer on $DEFAULT_REDIS_SERVERS (see $REDIS_LOG)"
  }
}

redis_stop() { # our redis-server only (it saves its snapshot on SIGTERM)
  local pid
  pid=$(redis_pid || true)
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  wait_for 15 pid_gone "$pid" || kill -KILL "$pid" 2>/dev/null || true
  rm -f "$REDIS_PID"
}

ensure_redis() { # the series store answers; 0 when it was started now (pmproxy must reconnect)
  if redis_ping; then
    if redis_local && [ -z "$(redis_pid || true)" ]; then say "redis: using the server already answering on $REDIS_SERVERS (not started by bpflive)"; fi
    return 1
  fi
  redis_local || die "the series store $REDIS_SERVERS (BPFLIVE_REDIS_SERVERS) does not answer PING; start it, or run 'up --no-series'"
  say "starting redis-server on $DEFAULT_REDIS_SERVERS (series store; $REDIS_CONF)"
  redis_start
  return 0
}

series_answers() { # pmproxy's series API answers a query
  local out
  out=$(curl -s --max-time 5 "$PMPROXY_URL/series/query?expr=pmcd.hostname" 2>/dev/null) || return 1
  [[ $out == '['* ]]
}

series_status() { # 1 when the series store is configured but not well
  local pid v
  v=$(ini_get "$PMPROXY_CONF" pmseries enabled)
  if [ "$v" != true ]; then
    say "redis: not used (series store off: up --no-series)"
    say "series API: off"
    return 0
  fi
  local servers bad=0
  servers=$(ini_get "$PMPROXY_CONF" redis servers)
  REDIS_SERVERS=${servers:-$DEFAULT_REDIS_SERVERS}
  pid=$(redis_pid || true)
  if redis_ping; then
    say "redis: answering on $REDIS_SERVERS$([ -n "$pid" ] && echo " (pid $pid, $REDIS_CONF)")"
  else
    say "redis: NOT answering on $REDIS_SERVERS (series-up or up starts it)"
    bad=1
  fi
  if series_answers; then
    say "series API: answers on $PMPROXY_URL/series (retention $(duration_text "$(ini_get "$PMPROXY_CONF" pmseries stream.expire)"))"
  else
    say "series API: NOT answering on $PMPROXY_URL/series"
    bad=1
  fi
  return "$bad"
}

cmd_series_down() { # fault tests: the series store goes away (redis only; pmproxy stays)
  [ $# -eq 0 ] || die "series-down takes no options"
  require_root
  [ -n "$(redis_pid || true)" ] || {
    say "series-down: bpflive's redis-server is not running"
    return 0
  }
  redis_stop
  say "series-down: redis-server stopped (pmproxy's series API now fails; series-up brings it back)"
}

cmd_series_up() {
  [ $# -eq 0 ] || die "series-up takes no options"
  require_root
  REDIS_SERVERS=$DEFAULT_REDIS_SERVERS
  if redis_ping; then
    say "series-up: redis already answers"
  else
    redis_start
    say "series-up: redis-server started on $DEFAULT_REDIS_SERVERS"
  fi
  wait_for 30 series_answers || warn "pmproxy's series API does not answer yet"
}

# ---------------------------------------------------------------- recorder (pmlogger farm)
# The recorder (scripts/bpflive-recorder.py, installed to RECORDER; docs/recording.md) keeps
# bpflive's recorded scripts (named bpflive_rec_*) recorded: one pmlogger per pmcd it farms
# (this machine's, the second pmcd's, and BPFLIVE_RECORD_HOSTS) for its standard metrics and one per
# recording, archives under RECORD_ARCHIVES where pmproxy's discovery loads them into the series
# store, moved to RECORD_DONE by 'up' once finished (see retire_archives); it registers a recording again
# after pmcd or the PMDA restarted. Started by 'up' (with the series store), stopped by 'down'.
readonly RECORDER=/usr/local/lib/bpflive/bpflive-recorder.py
readonly RECORDER_RUN=/run/bpflive/recorder
readonly RECORDER_PID=$RECORDER_RUN/recorder.pid
readonly RECORD_ARCHIVES=/var/log/pcp/pmlogger/bpflive
# Finished archives move here, out of pmproxy's discovery tree (it keeps every archive there open).
readonly RECORD_DONE=/var/lib/bpflive/archives
# An archive no pmlogger writes and unchanged this long (s) is finished: discovery has loaded it.
readonly ARCHIVE_SETTLE=${BPFLIVE_ARCHIVE_SETTLE:-60}
# 'up' moves the finished archives when there are at least this many (it restarts pmproxy to).
readonly ARCHIVE_RETIRE_AT=${BPFLIVE_ARCHIVE_RETIRE_AT:-40}
readonly RECORDINGS_DIR=/var/lib/bpflive/recordings

recorder_source() { # the recorder beside this script (the repository's scripts/, or /usr/local/bin)
  local f
  for f in "$(dirname "$SELF")/bpflive-recorder.py" /usr/local/bin/bpflive-recorder.py; do
    if [ -f "$f" ]; then
      echo "$f"
      return 0
    fi
  done
  return 1
}

recorder_pid() { # the running recorder's pid, or fails
  local pid
  pid=$(cat "$RECORDER_PID" 2>/dev/null || true)
  [[ $pid =~ ^[0-9]+$ ]] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q 'bpflive-recorder.py' && echo "$pid"
}

recorder_hosts() { # hostspec [PMDA process group file], one per line
  echo "localhost $SUPERVISOR_STATE"
  if [ -n "$(second_pid || true)" ]; then echo "localhost:$SECOND_PORT $SECOND_RUN/pmdabpftrace.pgid"; fi
  local h
  for h in ${BPFLIVE_RECORD_HOSTS:-}; do echo "$h"; done
}

stop_recorder() {
  local pid
  pid=$(recorder_pid || true)
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait_for 15 pid_gone "$pid" || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$RECORDER_PID"
}

start_recorder() { # (re)start the recorder when it is not running, or its code or options changed
  local src args pid
  src=$(recorder_source) || {
    warn "bpflive-recorder.py not found beside $SELF: recorded scripts are not recorded"
    return 0
  }
  mkdir -p "$RECORDER_RUN" "$RECORD_ARCHIVES" "$(dirname "$RECORDER")" /var/log/bpflive
  chmod 0755 "$RECORD_ARCHIVES"
  tmpdir
  recorder_hosts >"$TMPD/hosts"
  install_if_new "$TMPD/hosts" "$RECORDER_RUN/hosts" 0644 || true
  args="--retention $RETENTION --credentials ${CREDENTIALS_FILE:-$DEFAULT_CREDENTIALS_FILE} --archives $RECORD_ARCHIVES --done $RECORD_DONE --state $RECORDINGS_DIR --run $RECORDER_RUN"
  pid=$(recorder_pid || true)
  if install_if_new "$src" "$RECORDER" 0755 || [ "$(cat "$RECORDER_RUN/args" 2>/dev/null || true)" != "$args" ]; then
    if [ -n "$pid" ]; then
      say "restarting the recorder (its code or options changed)"
      stop_recorder
      pid=
    fi
  fi
  [ -z "$pid" ] || return 0
  echo "$args" >"$RECORDER_RUN/args"
  # shellcheck disable=SC2086 # args are words
  (
    cd /
    echo $BASHPID >"$RECORDER_PID"
    exec env -i PATH="$CLEAN_PATH" HOME=/root LANG=C.UTF-8 setsid /usr/bin/python3 "$RECORDER" $args
  ) </dev/null >>/var/log/bpflive/recorder.log 2>&1 9>&- &
  say "recorder started: pmlogger records every bpflive_rec_* script and the standard metrics of $(wc -l <"$RECORDER_RUN/hosts") host(s) into $RECORD_ARCHIVES (retention $(duration_text "$RETENTION"); log /var/log/bpflive/recorder.log)"
}

install_if_new() { # install_if_new SRC DEST MODE: 0 when DEST was (re)written
  if [ -f "$2" ] && cmp -s "$1" "$2"; then return 1; fi
  install -m "$3" -o root -g root "$1" "$2"
}

recorder_status() { # 1 when the recorder should run and does not
  local pid
  if [ "$(ini_get "$PMPROXY_CONF" pmseries enabled)" != true ]; then
    say "recorder: off (series store off)"
    return 0
  fi
  pid=$(recorder_pid || true)
  if [ -z "$pid" ]; then
    say "recorder: NOT running (up starts it; recorded scripts are not recorded)"
    return 1
  fi
  /usr/bin/python3 - "$RECORDER_RUN/status.json" "$pid" <<'PY' || return 1
import json, sys, time
try:
    st = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    print(f"pcp-stack: recorder: running (pid {sys.argv[2]}), no status yet")
    sys.exit(0)
hosts = st.get("hosts", [])
n = sum(len(h.get("recordings") or []) for h in hosts)
print(f"pcp-stack: recorder: running (pid {sys.argv[2]}), {n} recording(s) on {len(hosts)} host(s), retention {st.get('retention')} s")
bad = 0
for h in hosts:
    name = h.get("hostname") or h.get("hostspec")
    if h.get("error"):
        print(f"pcp-stack: pmlogger {name}: NOT recording: {h['error'][:200]}")
        bad = 1
    elif h.get("paused"):
        print(f"pcp-stack: pmlogger {name}: paused (logger-resume {name})")
    elif h.get("pmlogger"):
        loggers = h.get("loggers") or {}
        recs = ", ".join(f"{r} (pid {loggers.get(r) or 'NOT running'})" for r in h.get("recordings") or []) or "no recordings"
        print(f"pcp-stack: pmlogger {name}: running (standard metrics: pid {h['pmlogger']}; {h.get('hostspec')}; {recs}; {h.get('archives')})")
    else:
        print(f"pcp-stack: pmlogger {name}: NOT running")
        bad = 1
sys.exit(bad)
PY
}

# pmproxy 6.0.3's discovery keeps four descriptors open per archive under /var/log/pcp/pmlogger;
# past about 1,000 every connection it opened to pmcd was refused. Moving finished archives away
# while it runs crashed it (libpcp_web, twice in about 100 moves: a known class of PCP discovery
# bugs on archive removal), so they move only while pmproxy is stopped: 'up' does it (restarting
# pmproxy) once ARCHIVE_RETIRE_AT of them are finished. docs/recording.md.
finished_archives() { # finished_archives list|move: the finished archives (paths without suffix), or move them to RECORD_DONE
  local src running=()
  src=$(recorder_source) || return 0
  if [ -n "$(recorder_pid || true)" ]; then running=(--recorder-running); fi
  /usr/bin/python3 "$src" --finished "$1" --archives "$RECORD_ARCHIVES" --done "$RECORD_DONE" \
    --settle "$ARCHIVE_SETTLE" --run "$RECORDER_RUN" "${running[@]}"
}

restart_pmproxy_retiring() { # restart_pmproxy_retiring WHY: pmproxy restarts, the finished archives move while it is stopped
  say "restarting pmproxy ($1)"
  service pmproxy stop || true
  wait_for 20 not_running pmproxy || warn "pmproxy did not stop: the finished archives stay"
  if ! is_running pmproxy; then
    local moved
    moved=$(finished_archives move | wc -l)
    say "moved $moved finished archive(s) from $RECORD_ARCHIVES to $RECORD_DONE (their values stay in the series store)"
  fi
  service pmproxy start || true
  wait_for 20 is_running pmproxy || {
    show_log_tail
    die "pmproxy did not come up (see /var/log/pcp/pmproxy/pmproxy.log and $LOG)"
  }
}

discovery_status() { # 1 when pmproxy holds so many descriptors that its pmcd connections may fail
  local pid fds archives
  archives=$(find "$RECORD_ARCHIVES" -name '*.meta' 2>/dev/null | wc -l)
  pid=$(pgrep -x pmproxy | head -1 || true)
  [ -n "$pid" ] || return 0
  fds=$(find "/proc/$pid/fd" -mindepth 1 2>/dev/null | wc -l)
  # Seen here: past about 1,000 descriptors (four per archive under its discovery tree)
  # every connection pmproxy opened to pmcd was refused (docs/recording.md).
  if [ "$fds" -gt 800 ]; then
    say "discovery: pmproxy holds $fds descriptors ($archives archive(s) in $RECORD_ARCHIVES): its connections to pmcd may be refused; 'up' moves the finished ones to $RECORD_DONE"
    return 1
  fi
  say "discovery: $archives archive(s) in $RECORD_ARCHIVES ($(finished_archives list | wc -l) finished: 'up' moves them to $RECORD_DONE from $ARCHIVE_RETIRE_AT on), pmproxy holds $fds descriptors"
}

logger_host_ok() { # logger_host_ok HOST paused|running: the recorder's status says so of HOST's pmlogger
  /usr/bin/python3 - "$RECORDER_RUN/status.json" "$1" "$2" <<'PY' 2>/dev/null
import json, sys
st = json.load(open(sys.argv[1]))
for h in st.get("hosts", []):
    if sys.argv[2] in (h.get("hostname"), h.get("hostspec")):
        paused = bool(h.get("paused")) and not h.get("pmlogger")
        running = not h.get("paused") and bool(h.get("pmlogger"))
        sys.exit(0 if {"paused": paused, "running": running}[sys.argv[3]] else 1)
sys.exit(1)
PY
}

cmd_restart_pmcd() { # fault tests: pmcd restarts (every script of it gone), as an admin restarts it
  [ $# -eq 0 ] || die "restart-pmcd takes no options"
  require_root
  take_lock
  restart_pmcd "asked (restart-pmcd)"
  wait_for "$READY_TIMEOUT" register_answers || die "bpftrace.control.register did not answer after the restart"
}

cmd_logger_pause() { # an archive gap: the host's pmlogger stops until logger-resume
  [ $# -eq 1 ] || die "usage: logger-pause HOSTNAME (as in status, e.g. $SECOND_HOSTNAME)"
  require_root
  [ -n "$(recorder_pid || true)" ] || die "the recorder is not running"
  [[ $1 =~ ^[A-Za-z0-9_.:-]+$ ]] || die "invalid host name '$1'"
  touch "$RECORDER_RUN/$1.paused"
  wait_for 15 logger_host_ok "$1" paused || die "the recorder did not pause pmlogger of $1 (see /var/log/bpflive/recorder.log)"
  say "logger-pause: pmlogger of $1 stopped (logger-resume $1 starts it again)"
}

cmd_logger_resume() {
  [ $# -eq 1 ] || die "usage: logger-resume HOSTNAME"
  require_root
  [[ $1 =~ ^[A-Za-z0-9_.:-]+$ ]] || die "invalid host name '$1'"
  rm -f "$RECORDER_RUN/$1.paused"
  wait_for 15 logger_host_ok "$1" running || die "the recorder did not start pmlogger of $1 again"
  say "logger-resume: pmlogger of $1 records again (a new archive)"
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
  [ "$AUTH" = true ] || no_auth_warning
  decide_daemon_control
  if [ "$DIRECT" = true ]; then
    local foreign
    foreign=$(foreign_pcp_pids | tr '\n' ' ')
    say "pmcd and pmproxy controlled directly by pid file, not by PCP's init scripts ($([ -n "$foreign" ] && echo "another PCP's daemons are visible: pids ${foreign% }" || echo "${BPFLIVE_DAEMON_CONTROL:-auto}: in a container"))"
  fi
  check_kernel_static

  local pkgs=("${PACKAGES[@]}" curl)
  if [ -n "$AUTH_USER" ]; then pkgs+=(sasl2-bin); fi
  if [ "$SERIES" = true ]; then pkgs+=(redis-tools); fi
  if [ "$SERIES" = true ] && redis_local; then pkgs+=(redis-server); fi
  ensure_packages "${pkgs[@]}"
  if [ -n "$AUTH_USER" ]; then resolve_password; fi

  ensure_mounts
  check_bpf_runtime

  local pmcd_why=() pmproxy_why=() restarted=false
  configure_bpftrace_conf && pmcd_why+=("bpftrace.conf changed")
  apply_asyncio_fix && pmcd_why+=("PMDA fix applied")
  install_supervisor && pmcd_why+=("PMDA supervisor changed")
  supervise_pmda && pmcd_why+=("pmcd.conf runs the PMDA supervised")
  set_listen "$PMCD_OPTIONS" "$LISTEN_ADDR" && pmcd_why+=("pmcd.options changed")
  ensure_mmv_pmda && pmcd_why+=("mmv PMDA enabled")
  set_listen "$PMPROXY_OPTIONS" "$PMPROXY_LISTEN_ADDR" && pmproxy_why+=("pmproxy.options changed")
  configure_pmproxy_conf && pmproxy_why+=("pmproxy.conf changed")
  if [ -n "$AUTH_USER" ]; then ensure_auth_account; fi

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
    if supervise_pmda; then restart_pmcd "pmcd.conf runs the PMDA supervised"; fi
    restarted=true
  fi
  # the series store before pmproxy, which connects at start (and reconnects after a Redis outage)
  if [ "$SERIES" = true ] && ensure_redis; then pmproxy_why+=("redis started"); fi
  is_running pmproxy || pmproxy_why+=("pmproxy not running")
  local finished=0
  if [ "$SERIES" = true ]; then finished=$(finished_archives list | wc -l); fi
  if [ "$finished" -ge "$ARCHIVE_RETIRE_AT" ]; then
    pmproxy_why+=("$finished finished archives to move out of its discovery tree")
  fi
  if [ "${#pmproxy_why[@]}" -gt 0 ]; then
    local why
    why=$(
      IFS=,
      echo "${pmproxy_why[*]}"
    )
    if [ "$finished" -gt 0 ]; then restart_pmproxy_retiring "$why"; else restart_pmproxy "$why"; fi
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
  if ! pmda_in_step; then
    restart_pmcd "the bpftrace PMDA answers out of step"
    restarted=true
    local deadline=$((SECONDS + READY_TIMEOUT))
    until register_answers || [ "$SECONDS" -ge "$deadline" ]; do sleep 1; done
  fi
  [ "$restarted" = true ] || say "nothing changed; pmcd and pmproxy left running"
  if [ "$SERIES" = true ]; then
    wait_for 30 series_answers || warn "pmproxy's series API does not answer on $PMPROXY_URL/series (see /var/log/pcp/pmproxy/pmproxy.log)"
  fi
  start_watchdog
  summary
  # the second host shares bpftrace.conf and the PMDA with the first: restarted along with it
  if [ "$SECOND_HOST" = true ] || [ -n "$(second_pid || true)" ]; then
    if [ "${#pmcd_why[@]}" -gt 0 ] && [ -n "$(second_pid || true)" ]; then second_up "the first pmcd restarted"; else second_up; fi
  fi
  # after the second host: the recorder farms whichever pmcd run
  if [ "$SERIES" = true ]; then start_recorder; else stop_recorder; fi
  if [ "$AUTH" = true ]; then
    say "auth on: only ${ALLOWED_USERS} may register scripts; Grafana's datasource: Basic auth, user ${AUTH_USER}, password from ${CREDENTIALS_SOURCE}"
  else
    no_auth_warning
  fi
}

# Packages only, nothing started: for image builds, where the kernel is not the target's yet.
cmd_install() {
  [ $# -eq 0 ] || die "install takes no options"
  require_root
  take_lock
  : >>"$LOG" || die "cannot write $LOG"
  # redis-tools: redis-cli, to check the series store (the compose file's valkey service)
  ensure_packages "${PACKAGES[@]}" curl sasl2-bin redis-tools
  say "packages installed: ${PACKAGES[*]} curl sasl2-bin redis-tools"
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

status_credentials() { # status_credentials AUTH_ENABLED: the credentials file, and whether it works
  local file=${BPFLIVE_PCP_CREDENTIALS_FILE:-$DEFAULT_CREDENTIALS_FILE} line code
  tmpdir
  if [ ! -e "$file" ]; then
    if [ "$1" = true ]; then say "credentials: $file missing (given with --password-file?)"; fi
    return 0
  fi
  if [ ! -r "$file" ]; then
    say "credentials: $file (not readable by this user)"
    return 0
  fi
  if [ "$(stat -c '%U %a' "$file")" != "root 600" ]; then
    say "credentials: $file is $(stat -c '%U %a' "$file"), should be root 600"
    return 1
  fi
  IFS= read -r line <"$file" || true
  AUTH_USER=${line%%:*}
  AUTH_PASSWORD=${line#*:}
  if ! command -v curl >/dev/null 2>&1; then
    say "credentials: $file (user $AUTH_USER)"
    return 0
  fi
  code=$(auth_context_code)
  if [ "$code" = 200 ]; then
    say "credentials: $file (user $AUTH_USER; pmcd accepts them)"
  else
    say "credentials: $file (user $AUTH_USER) REFUSED: HTTP $code $(cat "$TMPD/auth-reply" 2>/dev/null)"
    return 1
  fi
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
  if mmv_enabled; then say "mmv PMDA: enabled (metrics of MMV-instrumented processes)"; else say "mmv PMDA: not enabled (up enables it)"; fi
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
  if [ "$v" = true ]; then
    say "auth: on (auth_enabled=true, allowed_users=$(ini_get "$BPFTRACE_CONF" dynamic_scripts allowed_users))"
  else
    say "auth: OFF (auth_enabled=${v:-?}): any local user and anyone reaching pmproxy can run bpftrace as root"
    no_auth_warning
    bad=1
  fi
  status_credentials "$v" || bad=1
  if pmda_supervised && [ -x "$SUPERVISOR" ] && supervisor_current; then
    say "PMDA supervisor: on ($SUPERVISOR in $PMCD_CONF; a crashed PMDA leaves no processes behind)"
  elif pmda_supervised; then
    say "PMDA supervisor: $SUPERVISOR named in $PMCD_CONF but missing or outdated"
    bad=1
  else
    say "PMDA supervisor: NOT installed (a crashed PMDA leaves its bpftrace processes running)"
    bad=1
  fi
  if pid=$(watchdog_pid); then say "pmproxy watchdog: running (pid $pid; restarts a crashed pmproxy)"; else
    say "pmproxy watchdog: NOT running (a crashed pmproxy stays down)"
    bad=1
  fi
  decide_daemon_control
  say "daemon control: $([ "$DIRECT" = true ] && echo "direct (pid files in $PCP_RUN_DIR)" || echo "/etc/init.d scripts")"
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
      if grep -qF "$STOP_FIX_MARK" "$f"; then say "stop fix: applied ($f)"; else
        say "stop fix: NOT applied ($f)"
        bad=1
      fi
      if grep -qF "$DECODE_FIX_MARK" "$f"; then say "decode fix: applied ($f)"; else
        say "decode fix: NOT applied ($f)"
        bad=1
      fi
      if grep -qF "$STEP_FIX_MARK" "${f%/*}/service.py" 2>/dev/null; then say "step fix: applied (${f%/*}/service.py)"; else
        say "step fix: NOT applied (${f%/*}/service.py)"
        bad=1
      fi
      if grep -qF "$RETAIN_FIX_MARK" "${f%/*}/parser.py" 2>/dev/null; then say "retain fix: applied (${f%/*}/parser.py)"; else
        say "retain fix: NOT applied (${f%/*}/parser.py)"
        bad=1
      fi
    done <<<"$files"
  fi
  line=$(listening | tr '\n' ' ')
  line=${line% }
  say "listening: ${line:-nothing on ports 44321-44323}"
  for v in $line; do
    case "$v" in 127.* | "[::1]":* | "$PMPROXY_LISTEN_ADDR:44322") ;; *)
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
  second_status || bad=1
  series_status || bad=1
  recorder_status || bad=1
  discovery_status || bad=1
  if [ "$bad" -eq 0 ]; then say "status: all well"; else say "status: NOT ready (run: scripts/pcp-stack.sh up)"; fi
  return "$bad"
}

# ---------------------------------------------------------------- pmproxy watchdog
# pmproxy 6.0.3 crashes now and then in its event loop (segfaults in libuv.so or libpcp_web.so in
# dmesg: nine in a day of test runs here; PCP's tracker has reports of memory corruption when
# clients connect and close). On a systemd host pmproxy.service says Restart=always and pmproxy
# is back within a second, and bpflive's panels show "pmproxy cannot be reached; retrying" in
# between. Without systemd, this watchdog does what systemd does, so the stack here behaves like
# the hosts our users run. It tells a crash from a deliberate stop by the pid file: pmproxy
# removes it when it exits on SIGTERM/SIGINT, and the init script's stop removes it as well; a
# crash (SIGSEGV, SIGKILL) leaves it behind, naming a process that is gone.
watchdog_pid() { # prints the pid of the running watchdog, or fails
  local pid
  pid=$(cat "$WATCHDOG_PID" 2>/dev/null || true)
  [[ $pid =~ ^[0-9]+$ ]] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q ' watch-pmproxy' && echo "$pid"
}

pmproxy_crashed() { # the pid file names a process that is no longer pmproxy
  local pid
  pid=$(cat "$PCP_RUN_DIR/pmproxy.pid" 2>/dev/null || true)
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" != pmproxy ] || pid_gone "$pid"
}

cmd_watch_pmproxy() { # the watchdog itself: started by 'up', stopped by 'down'
  [ $# -eq 0 ] || die "watch-pmproxy takes no options"
  require_root
  mkdir -p "$(dirname "$WATCHDOG_PID")"
  echo "$$" >"$WATCHDOG_PID"
  log_note "pmproxy watchdog started (pid $$)"
  local pid starting=false
  while sleep 1; do
    if $starting; then
      # The watchdog started pmproxy and it has not written its pid file yet. A crash now leaves
      # no pid file to tell it by (it happened: a request that crashes pmproxy arrived again as
      # soon as it listened, and pmproxy stayed down), so until the pid file appears, no pmproxy
      # at all is the crash sign.
      if pmproxy_pid_file_live; then
        starting=false
        continue
      fi
      is_running pmproxy && continue
      log_note "pmproxy watchdog: pmproxy died while starting, before writing its pid file (a crash: see dmesg); starting it again"
    else
      pmproxy_crashed || continue
      pid=$(cat "$PCP_RUN_DIR/pmproxy.pid" 2>/dev/null || true)
      log_note "pmproxy watchdog: pmproxy (pid $pid) died without removing its pid file (a crash: see dmesg); starting it again"
    fi
    rm -f "$PCP_RUN_DIR/pmproxy.pid"
    service pmproxy start || true
    starting=true
    wait_for 20 is_running pmproxy || log_note "pmproxy watchdog: pmproxy did not come back"
  done
}

pmproxy_pid_file_live() { # the pid file names a running pmproxy
  local pid
  pid=$(cat "$PCP_RUN_DIR/pmproxy.pid" 2>/dev/null || true)
  [[ $pid =~ ^[0-9]+$ ]] && [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" = pmproxy ]
}

start_watchdog() {
  [ -z "$(watchdog_pid || true)" ] || return 0
  mkdir -p "$(dirname "$WATCHDOG_PID")"
  setsid "$BASH" "$SELF" watch-pmproxy </dev/null >>"$LOG" 2>&1 9>&- &
  say "pmproxy watchdog started: a crashed pmproxy is started again within a second, as systemd's Restart=always does"
}

stop_watchdog() {
  local pid
  pid=$(watchdog_pid || true)
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait_for 5 pid_gone "$pid" || true
  fi
  rm -f "$WATCHDOG_PID"
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
  decide_daemon_control

  if $purge && pmda_installed; then
    say "removing the bpftrace PMDA from pmcd"
    if [ "$DIRECT" = true ]; then
      direct_remove_pmda
    elif [ -x "$PMDA_DIR/Remove" ]; then
      unsupervise_pmda
      is_running pmcd || service pmcd start || true
      (cd "$PMDA_DIR" && quiet_clean env PCPQA_SYSTEMD=no ./Remove) || warn "PMDA Remove failed (see $LOG)"
    fi
  fi

  local p pid
  stop_watchdog
  if [ -n "$(recorder_pid || true)" ]; then
    say "stopping the recorder and its pmloggers (recordings stay in $RECORDINGS_DIR)"
    stop_recorder
  fi
  for p in pmproxy pmcd; do
    if is_running "$p"; then
      say "stopping $p"
      service "$p" stop || true
      wait_for 10 not_running "$p" || {
        pid=$(daemon_pid "$p" || true)
        warn "$p (pid $pid) still running; killing it"
        kill_pids KILL "$pid"
      }
    else
      say "$p is not running"
    fi
  done
  # the PMDA's processes, if pmcd left any behind: its own process group (never every bpftrace)
  stop_leftover_pmdas
  if [ -n "$(second_pid || true)" ] || [ -e "$SECOND_RUN/pmdabpftrace.pgid" ]; then second_stop; fi
  if [ -n "$(redis_pid || true)" ]; then
    say "stopping redis-server (series store; its data stays in $REDIS_DIR)"
    redis_stop
  fi

  if $purge; then
    local f
    for f in "$BPFTRACE_CONF" "$PMCD_OPTIONS" "$PMPROXY_OPTIONS" $(process_manager_files || true) $(pmda_module_files service.py) $(pmda_module_files parser.py); do
      if [ -e "$f.dist" ]; then
        cat "$f.dist" >"$f" && rm -f "$f.dist"
        say "restored $f"
      fi
    done
    if [ -d "$SECOND_CONF" ] || [ -d "$SECOND_BIN" ]; then
      rm -rf "$SECOND_CONF" "$SECOND_BIN"
      say "removed the second host's files ($SECOND_CONF, $SECOND_BIN)"
    fi
    if [ -e "$SUPERVISOR" ]; then
      rm -f "$SUPERVISOR"
      rmdir "$(dirname "$SUPERVISOR")" 2>/dev/null || true
      say "removed $SUPERVISOR"
    fi
  fi
  say "down (packages kept; 'scripts/pcp-stack.sh up' brings the stack back)"
}

direct_remove_pmda() { # the reverse of direct_install_pmda
  tmpdir
  awk '$1 != "bpftrace" { print }' "$PMCD_CONF" >"$TMPD/pmcd.conf" && cat "$TMPD/pmcd.conf" >"$PMCD_CONF"
  awk '!/^[ \t]*bpftrace[ \t]+151:/ { print }' /var/lib/pcp/pmns/root >"$TMPD/root" && cat "$TMPD/root" >/var/lib/pcp/pmns/root
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
    watch-pmproxy) cmd_watch_pmproxy "$@" ;;
    series-down) cmd_series_down "$@" ;;
    series-up) cmd_series_up "$@" ;;
    restart-pmcd) cmd_restart_pmcd "$@" ;;
    logger-pause) cmd_logger_pause "$@" ;;
    logger-resume) cmd_logger_resume "$@" ;;
    -h | --help | help) usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
