/**
 * The life of one script lease, as a table: which named event moves a lease from which phase to
 * which. `ScriptLease` applies it; nothing else sets a lease's phase. docs/lifecycle.md draws the
 * same table as a state diagram (a test checks that they agree).
 *
 * A lease is this client's hold on one script text on one host. The script itself may be shared
 * with other clients (other browsers, other datasources of the same namespace); a lease only ever
 * deregisters a script when no other client read it lately (see `releasing`).
 */
export type LeasePhase =
  /** Wants to run; a registration (or a search for a running copy) is due at `retryAt`. */
  | 'pending'
  /** Looking for a running copy of the exact text, else storing it to bpftrace.control.register. */
  | 'registering'
  /** This session may not start scripts (a Viewer) and nobody runs this one: checked each list. */
  | 'waiting'
  /** The PMDA has the script; bpftrace has not printed its maps yet. */
  | 'starting'
  /** bpftrace prints; data arrives. */
  | 'running'
  /** bpftrace has not printed for more than 3 of its intervals (overloaded, or stuck). */
  | 'stalled'
  /** bpftrace ended by itself (exit()); the last data stays. */
  | 'exited'
  /** bpftrace was killed (a signal, the OOM killer): registered again after a backoff. */
  | 'restarting'
  /** Cannot run as it is: refused by the PMDA or bpftrace, killed too often, or not allowed. */
  | 'failed'
  /** Nobody holds it: still read through a grace period, so a refresh reuses it. */
  | 'retiring'
  /** Grace over: no longer read; deregistered unless another client read it meanwhile. */
  | 'releasing'
  /** Gone from this client (deregistered, or left to the clients that still read it). */
  | 'released';

export type LeaseEventType =
  | 'registerStarted'
  | 'registered'
  | 'joined'
  | 'notRunning'
  | 'registerFailed'
  | 'rejected'
  | 'printed'
  | 'silent'
  | 'exited'
  | 'died'
  | 'restartDue'
  | 'gaveUp'
  | 'vanished'
  | 'unheld'
  | 'held'
  | 'graceOver'
  | 'othersRead'
  | 'deregistered';

/** `resume`: back to the phase the lease had before it started retiring. */
export type Target = LeasePhase | 'resume';

/** Phases in which the script runs (or may run) on the host for this lease. */
const LIVE: LeasePhase[] = ['starting', 'running', 'stalled'];
/** Phases a holder can leave, sending the lease into its grace period. */
const HOLDABLE: LeasePhase[] = ['pending', 'registering', 'waiting', ...LIVE, 'exited', 'restarting', 'failed'];

function rows(from: LeasePhase[], target: Target): Partial<Record<LeasePhase, Target>> {
  return Object.fromEntries(from.map((p) => [p, target]));
}

/** event → (from phase → to phase). A pair not listed is not a transition: it is ignored. */
export const TRANSITIONS: Record<LeaseEventType, Partial<Record<LeasePhase, Target>>> = {
  registerStarted: { pending: 'registering' },
  registered: { registering: 'starting' },
  joined: { registering: 'starting', waiting: 'starting' },
  notRunning: { registering: 'waiting' },
  registerFailed: { registering: 'pending' },
  rejected: { registering: 'failed', starting: 'failed', running: 'failed', stalled: 'failed' },
  printed: { starting: 'running', running: 'running', stalled: 'running' },
  silent: { starting: 'stalled', running: 'stalled' },
  exited: rows(LIVE, 'exited'),
  died: rows(LIVE, 'restarting'),
  restartDue: { restarting: 'pending' },
  gaveUp: { restarting: 'failed', registering: 'failed', pending: 'failed' },
  vanished: { ...rows([...LIVE, 'exited'], 'pending'), retiring: 'released', releasing: 'released' },
  unheld: rows(HOLDABLE, 'retiring'),
  held: { retiring: 'resume', releasing: 'pending', released: 'pending' },
  graceOver: { retiring: 'releasing' },
  othersRead: { releasing: 'released' },
  deregistered: { releasing: 'released' },
};

/** The next phase, or undefined when `event` does not apply in `phase`. */
export function transition(phase: LeasePhase, event: LeaseEventType): Target | undefined {
  return TRANSITIONS[event][phase];
}

/** Phases in which the lease's metrics are part of the tick's fetch. */
export function isRead(phase: LeasePhase): boolean {
  return (
    phase === 'starting' || phase === 'running' || phase === 'stalled' || phase === 'exited' || phase === 'retiring'
  );
}

/** Phases in which this client has (or is making) a script on the host: what the cap counts. */
export function holdsScript(phase: LeasePhase): boolean {
  return phase !== 'pending' && phase !== 'waiting' && phase !== 'failed' && phase !== 'released';
}
