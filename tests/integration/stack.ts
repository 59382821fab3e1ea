/** Helpers that drive the real PCP stack on this machine (as root), and put it back. */
import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';

export const PMPROXY = process.env.BPFLIVE_PMPROXY_URL ?? 'http://127.0.0.1:44322';
const STACK_SCRIPT = path.resolve(__dirname, '../../scripts/pcp-stack.sh');
const CLEAN_PATH = '/usr/bin:/bin:/usr/sbin:/sbin';

export function sh(command: string): string {
  return execFileSync('bash', ['-c', command], {
    encoding: 'utf8',
    env: { ...process.env, PATH: CLEAN_PATH },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * Brings the stack back to the state the suite expects (idempotent, seconds when nothing changed).
 * Tests call it between steps too (the second host back up, a retry), with panels running: there
 * `up` must not restart pmproxy to move finished archives at its default of 40 (one run of the
 * suite makes some 30-90). The run's first `up` (scripts/test-all.sh) keeps the default, so the
 * tree starts small; 150 here (600 descriptors) is far from where pmproxy fails (about 1,000).
 */
export function stackUp(options: string[] = []) {
  execFileSync('bash', [STACK_SCRIPT, 'up', ...options], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, BPFLIVE_ARCHIVE_RETIRE_AT: process.env.BPFLIVE_ARCHIVE_RETIRE_AT ?? '150' },
  });
}

/**
 * The second pmcd of `scripts/pcp-stack.sh up --second-host` (its own bpftrace PMDA), as pmproxy
 * reaches it; BPFLIVE_SECOND_PORT moves it, as it moves the script's.
 */
export const SECOND_HOSTSPEC = `localhost:${process.env.BPFLIVE_SECOND_PORT ?? '44331'}`;

/** Stops the second pmcd as a crashed machine would go: its pmcd and PMDA gone, no clean-up asked of us. */
export function stopSecondHost() {
  sh('pid=$(cat /run/bpflive/second/pmcd.pid) && kill -TERM "$pid" && while [ -e /proc/$pid ]; do sleep 0.2; done');
}

/** Where scripts/pcp-stack.sh keeps the generated credentials of the stack's SASL user. */
export const CREDENTIALS_FILE = process.env.BPFLIVE_PCP_CREDENTIALS_FILE ?? '/etc/pcp/bpflive/credentials';

/**
 * `user:password` of the SASL user that scripts/pcp-stack.sh up creates (auth is on by default),
 * read from its credentials file (one line, root only; BPFLIVE_PCP_CREDENTIALS_FILE overrides the
 * path). Read on every call: a test that re-runs `up` keeps the same password, but a fresh
 * machine gets its first one only then.
 */
export function stackCredentials(): string {
  let line: string;
  try {
    line = fs.readFileSync(CREDENTIALS_FILE, 'utf8').split('\n')[0].trim();
  } catch (e) {
    throw new Error(
      `cannot read the stack's credentials ${CREDENTIALS_FILE} (run as root after scripts/pcp-stack.sh up): ${String(e)}`
    );
  }
  if (!/^[^:]+:.+$/.test(line)) {
    throw new Error(`${CREDENTIALS_FILE} is not one line user:password`);
  }
  return line;
}

/**
 * The bpftrace PMDA's main process, or undefined: the child of pmcd (or pmdaroot), or of the
 * supervisor that scripts/pcp-stack.sh puts between them. Not its manager (the PMDA's own child),
 * which outlives a killed PMDA for a moment, its parent then gone.
 */
export function pmdaPid(): number | undefined {
  const rows = sh("ps -eo pid=,ppid=,args= | grep '[p]mdabpftrace.python' || true")
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [pid, ppid, ...args] = l.trim().split(/\s+/);
      return { pid: Number(pid), ppid: Number(ppid), supervisor: args.join(' ').includes('pmda-supervisor') };
    });
  // pmcd starts PMDAs itself or through pmdaroot.
  const starters = sh("pgrep -x 'pmcd|pmdaroot' || true").trim().split('\n').map(Number);
  const parents = new Set([...starters, ...rows.filter((r) => r.supervisor).map((r) => r.pid)]);
  return rows.find((r) => !r.supervisor && parents.has(r.ppid))?.pid;
}

/** Process ids of running bpftrace processes. */
export function bpftracePids(): number[] {
  const out = sh('pgrep -x bpftrace || true').trim();
  return out ? out.split('\n').map(Number) : [];
}

/**
 * Who each bpftrace process is, for a leak report: its pid, parent (pid and command), age and the
 * pmcd it belongs to — so a report tells a process of the second pmcd, one whose PMDA forgot it
 * (parent gone: ppid 1) and one a test left apart.
 */
export function bpftraceProcesses(): string {
  const lines = sh('ps -o pid=,ppid=,etimes= -C bpftrace || true')
    .trim()
    .split('\n')
    .filter((l) => l.trim());
  return lines
    .map((l) => {
      const [pid, ppid, age] = l.trim().split(/\s+/);
      const parent =
        sh(`ps -o args= -p ${Number(ppid)} || true`)
          .trim()
          .slice(0, 80) || 'gone';
      return `pid ${pid} (${age} s old, parent ${ppid}: ${parent})`;
    })
    .join('; ');
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20000
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) {
        return value;
      }
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** Runs one `scripts/pcp-stack.sh` command (as root; the caller holds the stack's lock). */
function stackCommand(...args: string[]) {
  execFileSync('bash', [STACK_SCRIPT, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** The series store goes away: bpflive's redis-server stops; pmproxy and live data stay. */
export function seriesDown() {
  stackCommand('series-down');
}

/** The series store comes back (with what it held: redis saves its snapshot on stop). */
export function seriesUp() {
  stackCommand('series-up');
}

/**
 * This machine's pmcd restarts (every script of it gone), the second pmcd does not. Through
 * pcp-stack.sh, which closes inherited descriptors: pmcd started by `/etc/init.d/pmcd restart`
 * from a test run under `flock /tmp/pcp-stack.lock` holds that lock for as long as it runs.
 */
export function restartPmcd() {
  stackCommand('restart-pmcd');
}

/** What the recorder of `scripts/pcp-stack.sh up` reports (its status file), per farmed host. */
export interface RecorderStatus {
  pid: number;
  retention: number;
  /** Where `pcp-stack.sh up` moves finished archives. */
  done: string;
  hosts: Array<{
    hostspec: string;
    hostname: string | null;
    recordings: string[];
    /** The pmlogger of the host's standard metrics. */
    pmlogger: number | null;
    /** The pmlogger of each recording, by its name. */
    loggers: Record<string, number | null>;
    /** The archives those pmloggers write (paths without suffix). */
    live_archives: string[];
    paused: boolean;
    archives: string | null;
    error: string | null;
  }>;
}

/**
 * `pcp-stack.sh up` as it runs once finished archives pile up: it restarts pmproxy and moves
 * them out of its discovery tree meanwhile; here every archive finished `settleSeconds` ago.
 */
export function stackUpRetiringArchives(settleSeconds: number, options: string[] = []) {
  execFileSync('bash', [STACK_SCRIPT, 'up', ...options], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, BPFLIVE_ARCHIVE_SETTLE: String(settleSeconds), BPFLIVE_ARCHIVE_RETIRE_AT: '1' },
  });
}

/**
 * The running pmproxy as "pid@start" (its start time in clock ticks since boot), or undefined when
 * none runs: pids wrap here within minutes (pid_max 32768), and an exiting one lingers a moment.
 */
export function pmproxyProcess(): string | undefined {
  for (const pid of sh('pgrep -x pmproxy || true').trim().split('\n').filter(Boolean)) {
    try {
      // Fields after the command's closing parenthesis: state is the 1st, starttime the 20th.
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z') {
        return `${pid}@${fields[19]}`;
      }
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** How many file descriptors pmproxy holds (its discovery keeps four per archive it watches). */
export function pmproxyDescriptors(): number {
  const pid = sh('pgrep -x pmproxy | head -1').trim();
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

export function recorderStatus(): RecorderStatus {
  return JSON.parse(fs.readFileSync('/run/bpflive/recorder/status.json', 'utf8')) as RecorderStatus;
}

/**
 * An archive gap: the recorder's pmlogger of `hostname` (as pmcd names itself, e.g.
 * `bpflive-second`) stops until loggerResume; returns when it has stopped.
 */
export function loggerPause(hostname: string) {
  stackCommand('logger-pause', hostname);
}

/** pmlogger of `hostname` records again (into a new archive); returns when it runs. */
export function loggerResume(hostname: string) {
  stackCommand('logger-resume', hostname);
}
