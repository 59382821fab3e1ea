import { PmapiError } from './errors';

/**
 * Whether this page was asleep: a timer that fires far later than it was due means that nothing
 * of the page ran meanwhile (the computer slept, or the browser froze the tab; Chrome's intensive
 * throttling runs a hidden tab's timers once a minute). A busy main thread delays a timer by
 * milliseconds, a long garbage collection by a few hundred: the bound lies far beyond both.
 *
 * Requests and the tick both ask it: a request whose timeout fires on waking was not unanswered
 * (the answer may be waiting to be read), and a script the host stopped meanwhile was stopped
 * because nobody read it, not because the host restarted.
 */
export const PAGE_ASLEEP_MS = 10_000;

/** How long past `dueAt` a timer fired at `now`, when that says the page was asleep; else undefined. */
export function sleptPast(dueAt: number, now: number): number | undefined {
  const late = now - dueAt;
  return late >= PAGE_ASLEEP_MS ? late : undefined;
}

/**
 * For a request's timeout that fired now, due at `dueAt`: the error that says the page was asleep
 * (kind 'interrupted': send it again, blame no one), or undefined when the timeout is real.
 */
export function interruptedBySleep(dueAt: number): PmapiError | undefined {
  const slept = sleptPast(dueAt, Date.now());
  return slept === undefined
    ? undefined
    : new PmapiError('interrupted', `this page was asleep for ${Math.round(slept / 1000)} s`);
}
