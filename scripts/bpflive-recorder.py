#!/usr/bin/python3
"""bpflive recorder: keeps recorded scripts recorded on every pmcd it farms (see docs/recording.md).

Started in the background by `scripts/pcp-stack.sh up` (like pmproxy's watchdog) and stopped by
`down`. Every few seconds, for each host in its hosts file:

1. reads the host's script list (bpftrace.info.scripts_json, through pmproxy) and pmcd's pid;
2. keeps the code of every script named `bpflive_rec_*` (a recorded query) in
   <state>/<hostname>/<name>.bt, and registers it again, under the same name, when it vanished
   because pmcd or the bpftrace PMDA restarted; one that vanished while both kept running was
   deregistered on purpose ("Stop recording") and is forgotten;
3. runs pmloggers for the host: one for a small standard set of the host's metrics (every 5 s)
   and one per recording (its data every second), each into its own archive under
   <archives>/<hostname>/ where pmproxy's discovery loads it into the series store. A pmlogger
   starts again (a new archive) only when its own script's id changed or pmcd/the PMDA
   restarted: starting or stopping one recording never interrupts another;
4. says in its status which archives its pmloggers write (`pcp-stack.sh up` moves the others out
   of pmproxy's discovery tree while pmproxy is stopped), and deletes archives older than the
   retention.

Python standard library only (Debian's python3, which the PCP packages need anyway). Talks to
pmproxy with keep-alive HTTP/1.1 (pmproxy 6.0.3 truncates chunked replies to clients that close).
"""
import argparse
import base64
import datetime
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse

RECORDING_PREFIX = 'bpflive_rec_'
# The script name rule of the PMDA and of bpflive's naming (letters, digits, _).
NAME_RE = re.compile(r'^[A-Za-z0-9_]+$')
# The host's standard metrics, for cluster views across farmed hosts (a small, useful set).
STANDARD_METRICS = [
    'kernel.all.load',
    'kernel.all.cpu.user',
    'kernel.all.cpu.sys',
    'kernel.all.cpu.idle',
    'kernel.all.cpu.wait.total',
    'mem.util.used',
    'mem.util.free',
    'mem.physmem',
    'disk.all.read_bytes',
    'disk.all.write_bytes',
    'network.interface.in.bytes',
    'network.interface.out.bytes',
    'hinv.ncpu',
]
STANDARD_INTERVAL = '5 sec'
RECORDING_INTERVAL = '1 sec'
CULL_EVERY = 600.0
# A pmlogger that exits this soon after its start waits this long before it starts again.
QUICK_EXIT = 30.0
# The key of a host's pmlogger of its standard metrics (recordings' keys are their bpflive_rec_* names).
STANDARD_KEY = 'standard'


def log(msg):
    sys.stdout.write(f"[{time.strftime('%Y-%m-%d %H:%M:%S')}] bpflive-recorder({os.getpid()}): {msg}\n")
    sys.stdout.flush()


class PmproxyError(Exception):
    pass


class PmdaError(Exception):
    """pmcd answers, its bpftrace PMDA does not"""


class Pmproxy:
    """One keep-alive connection to pmproxy's REST API, with one context per host."""

    def __init__(self, url, credentials):
        parsed = urllib.parse.urlparse(url)
        self.host, self.port = parsed.hostname, parsed.port or 44322
        self.auth = None
        if credentials:
            self.auth = 'Basic ' + base64.b64encode(credentials.encode()).decode()
        self.conn = None
        self.contexts = {}

    def get(self, path, params):
        query = urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
        headers = {'Authorization': self.auth} if self.auth else {}
        for attempt in (1, 2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=15)
                self.conn.request('GET', f'{path}?{query}', headers=headers)
                resp = self.conn.getresponse()
                body = resp.read()
                break
            except (OSError, http.client.HTTPException) as e:
                self.close()
                if attempt == 2:
                    raise PmproxyError(f'pmproxy {self.host}:{self.port}: {e}') from e
        try:
            answer = json.loads(body)
        except ValueError as e:
            raise PmproxyError(f'{path}: HTTP {resp.status}, not JSON: {body[:200]!r}') from e
        if resp.status != 200:
            raise PmproxyError(f"{path}: HTTP {resp.status}: {answer.get('message', answer)}")
        return answer

    def close(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def context(self, hostspec):
        if hostspec not in self.contexts:
            answer = self.get('/pmapi/context', {'hostspec': hostspec, 'polltimeout': 60})
            self.contexts[hostspec] = answer['context']
        return self.contexts[hostspec]

    def call(self, hostspec, what, params):
        """what on the host's context; a failed call drops the context (a new one next time)."""
        try:
            return self.get(f'/pmapi/{self.context(hostspec)}/{what}', params)
        except PmproxyError:
            self.contexts.pop(hostspec, None)
            raise

    def fetch(self, hostspec, names):
        answer = self.call(hostspec, 'fetch', {'names': ','.join(names)})
        values = {}
        for metric in answer.get('values', []):
            instances = metric.get('instances') or []
            if instances:
                values[metric['name']] = instances[0].get('value')
        return values

    def store(self, hostspec, name, value):
        """Stores value and reads the PMDA's answer back on the same context (its protocol)."""
        try:
            self.call(hostspec, 'store', {'name': name, 'value': value})
            error = None
        except PmproxyError as e:
            error = e
        reply = self.fetch(hostspec, [name]).get(name)
        return error, reply


def read_credentials(path):
    try:
        with open(path) as f:
            line = f.readline().strip()
    except OSError:
        return None
    return line if ':' in line else None


def safe_dirname(hostname):
    return re.sub(r'[^A-Za-z0-9_.-]', '_', hostname) or 'unknown'


def write_atomic(path, text):
    tmp = f'{path}.tmp.{os.getpid()}'
    with open(tmp, 'w') as f:
        f.write(text)
    os.replace(tmp, path)


def pid_alive(pid, comm):
    try:
        with open(f'/proc/{pid}/comm') as f:
            if f.read().strip() != comm:
                return False
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


class Logger:
    """One running pmlogger of a host and the archive it writes: the host's standard metrics
    (key STANDARD_KEY, every 5 s) or one recording's maps and status (key = its name, every 1 s)."""

    def __init__(self, host, key, proc, archive, want):
        self.host = host
        self.key = key
        self.proc = proc  # subprocess.Popen
        self.archive = archive  # the archive's base name (in the host's archive directory)
        self.want = want  # what it was started for (see Host.logger_wants)
        self.started = time.monotonic()

    @staticmethod
    def config(names):
        lines = ['# written by bpflive-recorder (scripts/bpflive-recorder.py): do not edit']
        if not names:
            lines.append(f'log mandatory on {STANDARD_INTERVAL} {{')
            lines += [f'    {m}' for m in STANDARD_METRICS]
        else:
            lines.append(f'log mandatory on {RECORDING_INTERVAL} {{')
            for name in names:
                lines.append(f'    bpftrace.scripts.{name}.data')
                lines.append(f'    bpftrace.scripts.{name}.status')
        lines.append('}')
        return '\n'.join(lines) + '\n'

    @classmethod
    def start(cls, host, key, names, want):
        os.makedirs(host.state_dir(), mode=0o700, exist_ok=True)
        config = os.path.join(host.state_dir(), f'pmlogger-{key}.config')
        write_atomic(config, cls.config(names))
        archive_dir = host.archive_dir()
        os.makedirs(archive_dir, mode=0o755, exist_ok=True)
        stamp = datetime.datetime.now().strftime('%Y%m%d.%H.%M.%S')
        archive = f'{key}-{stamp}'
        n = 1
        while any(f.startswith(archive + '.') for f in os.listdir(archive_dir)):
            n += 1  # started again within the same second: pmlogger refuses an existing archive
            archive = f'{key}-{stamp}-{n}'
        logfile = os.path.join(host.rec.logs, f'pmlogger-{safe_dirname(host.hostname)}-{key}.log')
        cmd = ['pmlogger', '-h', host.hostspec, '-c', config, '-l', logfile, '-m', 'bpflive-recorder',
               os.path.join(archive_dir, archive)]
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        logger = cls(host, key, proc, archive, want)
        write_atomic(logger.pid_file(), f'{proc.pid}\n')
        what = 'the standard metrics' if not names else f'recording {key}'
        log(f'{host.hostname}: pmlogger (pid {proc.pid}) logs {what} into {os.path.join(archive_dir, archive)}')
        return logger

    def pid_file(self):
        return os.path.join(self.host.rec.run, f'pmlogger-{safe_dirname(self.host.hostname)}-{self.key}.pid')

    def exited(self):
        return self.proc.poll() is not None

    def stop(self, why):
        log(f'{self.host.hostname}: stopping pmlogger of {self.key} (pid {self.proc.pid}): {why}')
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        try:
            os.unlink(self.pid_file())
        except OSError:
            pass


class Host:
    """One farmed pmcd: its recordings, its pmlogger."""

    def __init__(self, rec, hostspec, pgid_file):
        self.rec = rec
        self.hostspec = hostspec
        self.pgid_file = pgid_file
        self.hostname = None
        self.generation = None  # (pmcd pid, PMDA process group): changes when either restarts
        self.scripts = {}  # recording name -> script id, as last seen (those with data only)
        self.ready = set()  # script ids whose maps had values
        self.loggers = {}  # STANDARD_KEY or a recording's name -> its running Logger
        self.retry_at = {}  # key -> when a pmlogger that exited right after its start may start again
        self.error = None
        self.pmcd_answers = False
        self.last_poll = None

    # ---- files
    def state_dir(self):
        return os.path.join(self.rec.state, safe_dirname(self.hostname))

    def archive_dir(self):
        return os.path.join(self.rec.archives, safe_dirname(self.hostname))

    def known(self):
        """recordings kept on disk: name -> code"""
        found = {}
        try:
            entries = os.listdir(self.state_dir())
        except OSError:
            return found
        for entry in entries:
            if entry.endswith('.bt') and entry.startswith(RECORDING_PREFIX):
                try:
                    with open(os.path.join(self.state_dir(), entry)) as f:
                        found[entry[:-3]] = f.read()
                except OSError:
                    pass
        return found

    def keep(self, name, code):
        path = os.path.join(self.state_dir(), name + '.bt')
        try:
            with open(path) as f:
                if f.read() == code:
                    return
        except OSError:
            pass
        os.makedirs(self.state_dir(), mode=0o700, exist_ok=True)
        write_atomic(path, code)
        log(f'{self.hostname}: recording {name} (kept in {path})')

    def forget(self, name):
        try:
            os.unlink(os.path.join(self.state_dir(), name + '.bt'))
        except OSError:
            pass

    def saved_generation(self):
        try:
            with open(os.path.join(self.state_dir(), 'generation')) as f:
                pid, group = json.load(f)
                return (pid, group)
        except (OSError, ValueError, TypeError):
            return None

    def save_generation(self):
        os.makedirs(self.state_dir(), mode=0o700, exist_ok=True)
        path = os.path.join(self.state_dir(), 'generation')
        text = json.dumps(list(self.generation))
        try:
            with open(path) as f:
                if f.read() == text:
                    return
        except OSError:
            pass
        write_atomic(path, text)

    def pmda_group(self):
        if not self.pgid_file:
            return None
        try:
            with open(self.pgid_file) as f:
                return f.read().split()[0]
        except (OSError, IndexError):
            return None

    def paused(self):
        return os.path.exists(os.path.join(self.rec.run, f'{safe_dirname(self.hostname)}.paused'))

    # ---- one round
    def poll(self):
        px = self.rec.pmproxy
        self.pmcd_answers = False
        values = px.fetch(self.hostspec, ['pmcd.pid', 'pmcd.hostname', 'bpftrace.info.scripts_json'])
        if 'pmcd.pid' not in values:
            raise PmproxyError(f'{self.hostspec}: no pmcd.pid in the fetch')
        self.hostname = values.get('pmcd.hostname') or self.hostspec
        self.pmcd_answers = True
        if 'bpftrace.info.scripts_json' not in values:
            # pmlogger still records the host's standard metrics meanwhile
            raise PmdaError(f'{self.hostspec}: the bpftrace PMDA does not answer (no bpftrace.info.scripts_json)')
        scripts = json.loads(values['bpftrace.info.scripts_json'] or '[]')
        generation = (values['pmcd.pid'], self.pmda_group())
        running = {}
        for script in scripts:
            name = (script.get('metadata') or {}).get('name') or ''
            if name.startswith(RECORDING_PREFIX) and NAME_RE.match(name):
                running[name] = script
        if self.generation is None:
            # this recorder just started: compare with what the previous one saw
            self.generation = self.saved_generation()
        restarted = generation != self.generation
        first = self.generation is None
        self.generation = generation
        self.save_generation()

        for name, script in running.items():
            self.keep(name, script.get('code') or '')
        for name, code in self.known().items():
            if name in running:
                continue
            if first or restarted:
                # pmcd or the PMDA restarted (or this recorder did: the files are all it knows)
                self.register(name, code)
            else:
                # gone while pmcd and the PMDA kept running: deregistered on purpose
                log(f'{self.hostname}: {name} was deregistered (pmcd and the PMDA did not restart): forgotten')
                self.forget(name)
        if first or restarted:
            # what was registered again is in the next round's list
            values = px.fetch(self.hostspec, ['bpftrace.info.scripts_json'])
            running = {}
            for script in json.loads(values.get('bpftrace.info.scripts_json') or '[]'):
                name = (script.get('metadata') or {}).get('name') or ''
                if name.startswith(RECORDING_PREFIX) and NAME_RE.match(name):
                    running[name] = script
        self.scripts = {name: s.get('script_id') for name, s in running.items() if self.has_data(name, s)}
        self.error = None
        self.last_poll = time.time()

    def has_data(self, name, script):
        """Whether every map of the recording has a value yet. Until then pmlogger would log an
        error record (or an empty instance list) for it, and pmproxy 6.0.3 crashes on a windowed
        /series/query over such a record (docs/recording.md): a recording is logged from its first
        values on. Asked once per script id."""
        sid = script.get('script_id')
        if sid in self.ready:
            return True
        names = [f'bpftrace.scripts.{name}.data.{var.lstrip("@") or "root"}' for var in (script.get('variables') or {})]
        if not names:
            return False
        try:
            answer = self.rec.pmproxy.call(self.hostspec, 'fetch', {'names': ','.join(names)})
        except PmproxyError:
            return False
        got = {m.get('name'): m.get('instances') or [] for m in answer.get('values', [])}
        if all(got.get(n) and got[n][0].get('value') is not None for n in names):
            self.ready.add(sid)
            return True
        return False

    def register(self, name, code):
        error, reply = self.rec.pmproxy.store(self.hostspec, 'bpftrace.control.register', code)
        try:
            answer = json.loads(reply or '{}')
        except ValueError:
            answer = {}
        status = (answer.get('state') or {}).get('status')
        if error is None and status in ('starting', 'started'):
            log(f'{self.hostname}: registered {name} again (pmcd or the bpftrace PMDA restarted)')
            return
        message = (answer.get('state') or {}).get('error') or answer.get('error') or str(error)
        if 'already in use' in message:
            return  # someone (an Editor's session) registered it first
        log(f'{self.hostname}: could not register {name} again: {message[:300]}')

    # ---- pmloggers
    def logger_wants(self):
        """key -> (what the pmlogger logs, when it must start again): one for the host's standard
        metrics, one per recording. A recording's pmlogger starts again only when its own script
        id or the host's generation changed (pmlogger resolves metric ids when it starts), so
        starting or stopping one recording neither rolls nor interrupts the others' archives."""
        wants = {STANDARD_KEY: ((), self.generation)}
        for name, sid in self.scripts.items():
            wants[name] = ((name,), (sid, self.generation))
        return wants

    def stop_logger(self, key, why):
        logger = self.loggers.pop(key, None)
        if logger is not None:
            logger.stop(why)

    def stop_loggers(self, why):
        for key in list(self.loggers):
            self.stop_logger(key, why)

    def ensure_loggers(self):
        if self.paused():
            self.stop_loggers('paused (pcp-stack.sh logger-pause)')
            return
        wants = self.logger_wants()
        for key in list(self.loggers):
            if key not in wants:
                self.stop_logger(key, 'the recording stopped')
        for key, (names, want) in wants.items():
            logger = self.loggers.get(key)
            if logger is not None and logger.exited():
                self.loggers.pop(key)
                if time.monotonic() - logger.started < QUICK_EXIT:
                    # Each start is a new archive: one that keeps failing would fill the tree.
                    self.retry_at[key] = time.monotonic() + QUICK_EXIT
                    log(f'{self.hostname}: pmlogger of {key} exited with status {logger.proc.returncode} '
                        f'{time.monotonic() - logger.started:.0f} s after it started (see its log); '
                        f'starting it again in {QUICK_EXIT:.0f} s')
                else:
                    log(f'{self.hostname}: pmlogger of {key} exited with status {logger.proc.returncode}; starting it again')
                logger = None
            if logger is None and time.monotonic() < self.retry_at.get(key, 0):
                continue
            if logger is not None and logger.want == want:
                continue
            if logger is not None:
                self.stop_logger(key, 'its script or the host restarted (new metric ids)')
            self.retry_at.pop(key, None)
            self.loggers[key] = Logger.start(self, key, names, want)

    def live_archives(self):
        return {logger.archive for logger in self.loggers.values()}

    def pid_of(self, key):
        logger = self.loggers.get(key)
        return logger.proc.pid if logger is not None and not logger.exited() else None

    def status(self):
        return {
            'hostspec': self.hostspec,
            'hostname': self.hostname,
            'recordings': sorted(self.scripts),
            'pmlogger': self.pid_of(STANDARD_KEY),
            'loggers': {key: self.pid_of(key) for key in self.loggers if key != STANDARD_KEY},
            'paused': bool(self.hostname) and self.paused(),
            'archives': self.archive_dir() if self.hostname else None,
            # what pcp-stack.sh up must not move (see there)
            'live_archives': sorted(os.path.join(self.archive_dir(), a) for a in self.live_archives()) if self.hostname else [],
            'error': self.error,
            'last_poll': self.last_poll,
        }


def archive_groups(tree):
    """(directory, archive base name, its files) of every PCP archive under tree"""
    for root, _dirs, files in os.walk(tree):
        groups = {}
        for f in files:
            m = re.match(r'^(.*)\.(index|meta|\d+)(\.xz)?$', f)
            if m:
                groups.setdefault(m.group(1), []).append(f)
        for base, members in groups.items():
            yield root, base, members


def newest_mtime(root, members):
    """when the archive was last written (a file that vanished meanwhile counts as now)"""
    try:
        return max(os.path.getmtime(os.path.join(root, f)) for f in members)
    except OSError:
        return time.time()


def finished_archives(args):
    """`--finished list|move`, for pcp-stack.sh up: the archives under --archives that no pmlogger
    of the running recorder writes (by its status file in --run) and unchanged for --settle
    seconds, one path (without suffix) per line; `move` also moves them to --done (same layout).
    Only while pmproxy is stopped: moving an archive away under its discovery crashed pmproxy
    6.0.3 (docs/recording.md)."""
    live = set()
    if args.recorder_running:
        try:
            with open(os.path.join(args.run, 'status.json')) as f:
                live = {p for h in json.load(f).get('hosts', []) for p in h.get('live_archives') or []}
        except (OSError, ValueError):
            return  # the recorder runs but has said nothing yet: nothing is known to be finished
    now = time.time()
    for root, base, members in archive_groups(args.archives):
        path = os.path.join(root, base)
        if path in live or now - newest_mtime(root, members) <= args.settle:
            continue
        if args.finished == 'move':
            dest = os.path.join(args.done, os.path.relpath(root, args.archives))
            os.makedirs(dest, mode=0o755, exist_ok=True)
            for f in members:
                shutil.move(os.path.join(root, f), os.path.join(dest, f))
        print(path)


class Recorder:
    def __init__(self, args):
        self.hosts_file = args.hosts
        self.state = args.state
        self.archives = args.archives
        self.run = args.run
        self.logs = args.logs
        self.interval = args.interval
        self.retention = args.retention
        self.pmproxy = Pmproxy(args.pmproxy, read_credentials(args.credentials))
        self.credentials_file = args.credentials
        self.hosts = {}
        self.last_cull = 0.0
        self.done = args.done
        self.stopping = False

    def read_hosts(self):
        """hostspec [PMDA process group file] per line"""
        wanted = {}
        try:
            with open(self.hosts_file) as f:
                for line in f:
                    words = line.split()
                    if words and not words[0].startswith('#'):
                        wanted[words[0]] = words[1] if len(words) > 1 else None
        except OSError:
            pass
        for hostspec in list(self.hosts):
            if hostspec not in wanted:
                self.hosts.pop(hostspec).stop_loggers('no longer farmed')
        for hostspec, pgid_file in wanted.items():
            if hostspec not in self.hosts:
                self.hosts[hostspec] = Host(self, hostspec, pgid_file)

    def live_archives(self):
        """the paths (without suffix) of the archives a running pmlogger writes"""
        return {os.path.join(host.archive_dir(), a)
                for host in self.hosts.values() if host.hostname for a in host.live_archives()}

    def cull(self):
        """deletes archives (all their files) whose newest file is older than the retention"""
        now = time.time()
        if now - self.last_cull < CULL_EVERY:
            return
        self.last_cull = now
        live = self.live_archives()
        for tree in (self.archives, self.done):
            for root, base, members in archive_groups(tree):
                if os.path.join(root, base) in live or now - newest_mtime(root, members) <= self.retention:
                    continue
                for f in members:
                    try:
                        os.unlink(os.path.join(root, f))
                    except OSError:
                        pass
                log(f'deleted archive {os.path.join(root, base)} (older than the retention, {self.retention} s)')
        # pmlogger's own logs, one per host and recording: those of recordings long gone
        try:
            entries = os.listdir(self.logs)
        except OSError:
            entries = []
        for f in entries:
            path = os.path.join(self.logs, f)
            if f.startswith('pmlogger-') and f.endswith('.log') and now - newest_mtime(self.logs, [f]) > self.retention:
                try:
                    os.unlink(path)
                except OSError:
                    pass

    def write_status(self):
        status = {'pid': os.getpid(), 'time': time.time(), 'retention': self.retention,
                  'done': self.done,
                  'hosts': [h.status() for h in self.hosts.values()]}
        write_atomic(os.path.join(self.run, 'status.json'), json.dumps(status) + '\n')

    def round(self):
        creds = read_credentials(self.credentials_file)
        if creds and (self.pmproxy.auth or '') != 'Basic ' + base64.b64encode(creds.encode()).decode():
            self.pmproxy = Pmproxy(f'http://{self.pmproxy.host}:{self.pmproxy.port}', creds)
        self.read_hosts()
        for host in self.hosts.values():
            try:
                host.poll()
            except (PmproxyError, PmdaError, ValueError, KeyError) as e:
                if host.error != str(e):
                    log(f'{host.hostname or host.hostspec}: {e}')
                host.error = str(e)
            if host.hostname and host.pmcd_answers and not self.stopping:
                try:
                    host.ensure_loggers()
                except OSError as e:
                    host.error = f'pmlogger: {e}'
                    log(f'{host.hostname}: could not start pmlogger: {e}')
        self.cull()
        self.write_status()

    def stop(self, *_):
        self.stopping = True

    def main(self):
        os.makedirs(self.run, exist_ok=True)
        os.makedirs(self.logs, exist_ok=True)
        os.makedirs(self.state, mode=0o700, exist_ok=True)
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        self.stop_leftover_loggers()
        log(f'started: hosts from {self.hosts_file}, every {self.interval} s, retention {self.retention} s')
        while not self.stopping:
            self.round()
            deadline = time.monotonic() + self.interval
            while not self.stopping and time.monotonic() < deadline:
                time.sleep(0.2)
        for host in self.hosts.values():
            host.stop_loggers('the recorder stops')
        try:
            os.unlink(os.path.join(self.run, 'status.json'))
        except OSError:
            pass
        log('stopped')

    def stop_leftover_loggers(self):
        """pmloggers a previous recorder left (by their pid files only)"""
        for entry in os.listdir(self.run):
            if entry.startswith('pmlogger-') and entry.endswith('.pid'):
                path = os.path.join(self.run, entry)
                try:
                    with open(path) as f:
                        pid = int(f.read().split()[0])
                    if pid_alive(pid, 'pmlogger'):
                        log(f'stopping pmlogger (pid {pid}) left by a previous recorder')
                        os.kill(pid, signal.SIGTERM)
                except (OSError, ValueError, IndexError):
                    pass
                try:
                    os.unlink(path)
                except OSError:
                    pass


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--hosts', default='/run/bpflive/recorder/hosts', help='hostspec [pgid file] per line')
    p.add_argument('--pmproxy', default='http://127.0.0.1:44322')
    p.add_argument('--credentials', default='/etc/pcp/bpflive/credentials', help='user:password (root only)')
    p.add_argument('--state', default='/var/lib/bpflive/recordings')
    p.add_argument('--archives', default='/var/log/pcp/pmlogger/bpflive')
    p.add_argument('--done', default='/var/lib/bpflive/archives',
                   help='where pcp-stack.sh up moves finished archives (out of pmproxy\'s discovery tree); culled here too')
    p.add_argument('--finished', choices=['list', 'move'],
                   help='list (or move to --done) the finished archives, and exit (see finished_archives)')
    p.add_argument('--settle', type=float, default=60.0, help='with --finished: seconds unchanged')
    p.add_argument('--recorder-running', action='store_true',
                   help='with --finished: a recorder runs, its status in --run says what its pmloggers write')
    p.add_argument('--run', default='/run/bpflive/recorder')
    p.add_argument('--logs', default='/var/log/bpflive')
    p.add_argument('--interval', type=float, default=2.0)
    p.add_argument('--retention', type=int, default=7 * 86400, help='seconds')
    return p.parse_args(argv)


if __name__ == '__main__':
    ARGS = parse_args(sys.argv[1:])
    if ARGS.finished:
        finished_archives(ARGS)
    else:
        Recorder(ARGS).main()
