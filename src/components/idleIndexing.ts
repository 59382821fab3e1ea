import type { ProbeCatalog } from '../language/probeCatalog';

/**
 * Builds the probe catalog's indexes while the browser is idle.
 *
 * A provider's first completions scan its probes (so the first one stays fast, see
 * ProbeCatalog.index); a scan of 60,000 kfuncs costs ~10 ms, and without idle work every
 * keystroke paid one until the lookups themselves had built the index a chunk at a time. Between
 * keystrokes the browser is idle for tens of milliseconds: that is when the index is finished
 * (ProbeCatalog.indexWhileIdle, in steps of ~0.2–1 ms that stop at the idle deadline), so typing
 * never waits for it.
 */
export interface IdleScheduler {
  /** Runs `work` once the browser is idle; `hasTime()` tells it when to stop. */
  request(work: (hasTime: () => boolean) => void): void;
}

/** Without requestIdleCallback (Safari): a timeout, then a slice of this many ms. */
const FALLBACK_DELAY_MS = 50;
const FALLBACK_SLICE_MS = 8;
/** Stop this much before the browser's deadline: a step may run past the check (~0.2–1 ms, see ProbeCatalog). */
const DEADLINE_MARGIN_MS = 1;

export const browserIdle: IdleScheduler = {
  request(work) {
    if (typeof requestIdleCallback === 'function') {
      requestIdleCallback((deadline) => work(() => deadline.timeRemaining() > DEADLINE_MARGIN_MS));
      return;
    }
    setTimeout(() => {
      const end = performance.now() + FALLBACK_SLICE_MS;
      work(() => performance.now() < end);
    }, FALLBACK_DELAY_MS);
  },
};

/** Catalogs with idle work scheduled: one request at a time per catalog, however often it is read. */
const scheduled = new WeakSet<ProbeCatalog>();

/**
 * Schedules the catalog's pending index work (the providers asked for so far) for idle time,
 * unless it is scheduled already; it goes on in later idle periods until none remains.
 */
export function indexWhenIdle(catalog: ProbeCatalog, idle: IdleScheduler = browserIdle): void {
  if (scheduled.has(catalog)) {
    return;
  }
  scheduled.add(catalog);
  const step = (hasTime: () => boolean) => {
    if (catalog.indexWhileIdle(hasTime)) {
      idle.request(step);
    } else {
      scheduled.delete(catalog);
    }
  };
  idle.request(step);
}
