import { PmapiClient } from '../pmapi/client';
import { isPmapiError } from '../pmapi/errors';
import { deregisterScripts } from '../scripts/protocol';

/**
 * The host did not answer (rather than refuse): pmproxy or pmcd away, a lost context. Not a PMDA
 * out of step: it took the store and answered an older request, so the stop was done; sending
 * more requests to a PMDA that is behind keeps it behind (seen in CI: every later test failed).
 */
function noAnswer(e: unknown): boolean {
  if (!isPmapiError(e)) {
    return true;
  }
  return ['unreachable', 'interrupted', 'pmcdUnreachable', 'unknownContext', 'ipcFailure'].includes(e.kind);
}

/** Lists that may still show a script after its stop was answered, before it is sent again. */
const LISTED_AFTER_STOP = 2;

interface Waiting {
  /** Stops sent so far. */
  attempts: number;
  /** Not sent again before this (a growing pause). */
  dueAt: number;
  /** When the first was sent: past giveUpAfterMs the PMDA's expiry has stopped it anyway. */
  since: number;
  /** Answered: the lists that still showed the script since (undefined: not answered yet). */
  listedSince?: number;
}

/**
 * Stopping our scripts until the host's list says they are gone. A deregister that fails for want
 * of an answer (pmproxy crashed or restarting, pmcd away) would leave bpftrace running as root
 * until the PMDA's expiry — or for ever where expiry does not work. So a failed stop is kept and
 * sent again, with a growing pause, while this page lives. An answered stop is kept too, until the
 * PMDA's list (which drops a script as its deregister is taken) no longer shows the script: a stop
 * answered, yet still listed in two lists since, is sent again: a stop the host answered without
 * carrying it out leaves no bpftrace behind. A refusal (no permission, bad credentials) ends it
 * at once: sending it again would be refused again.
 */
export class StopRetries {
  private readonly waiting = new Map<string, Waiting>();
  private sending = false;

  constructor(
    private readonly client: PmapiClient,
    private readonly now: () => number,
    /** Asked when a stop is kept: the owner keeps ticking (and reading the list) until none is. */
    private readonly onKept: () => void,
    /** The longest it keeps trying: past it the PMDA's expiry has stopped the script anyway. */
    private readonly giveUpAfterMs = 10 * 60_000
  ) {}

  /** Whether a stop is kept: not yet answered, or answered and not yet seen gone from the list. */
  get pending(): boolean {
    return this.waiting.size > 0;
  }

  /** The scripts whose stop is waiting (for tests and the leak report). */
  get ids(): string[] {
    return [...this.waiting.keys()];
  }

  /** Stops scripts now; those the host did not answer for are sent again later. */
  stop(ids: string[]): Promise<void> {
    return this.send(ids.filter((id) => id));
  }

  /** Sends again the stops that are due; a tick calls it. */
  async retryDue(): Promise<void> {
    if (this.sending || this.waiting.size === 0) {
      return;
    }
    const now = this.now();
    const due = [...this.waiting]
      .filter(([, w]) => w.dueAt <= now && (w.listedSince === undefined || w.listedSince >= LISTED_AFTER_STOP))
      .map(([id]) => id);
    if (due.length > 0) {
      this.sending = true;
      try {
        await this.send(due);
      } finally {
        this.sending = false;
      }
    }
  }

  /**
   * A list of the host's scripts was read: a kept stop whose script it no longer shows is done; an
   * answered one it still shows counts one more list (see LISTED_AFTER_STOP).
   */
  listed(isListed: (id: string) => boolean): void {
    for (const [id, w] of this.waiting) {
      if (!isListed(id)) {
        this.waiting.delete(id);
      } else if (w.listedSince !== undefined) {
        w.listedSince++;
      }
    }
  }

  private async send(ids: string[]): Promise<void> {
    if (ids.length === 0) {
      return;
    }
    let answered: boolean;
    try {
      await deregisterScripts(this.client, ids);
      answered = true;
    } catch (e) {
      if (!noAnswer(e)) {
        // Refused (no permission, credentials, a bad request): the same stop would be refused again.
        ids.forEach((id) => this.waiting.delete(id));
        return;
      }
      answered = false;
    }
    const now = this.now();
    for (const id of ids) {
      const before = this.waiting.get(id);
      const attempts = (before?.attempts ?? 0) + 1;
      const since = before?.since ?? now;
      if (now - since >= this.giveUpAfterMs) {
        this.waiting.delete(id);
        continue;
      }
      // 1 s, 2 s, 4 s … at most 15 s apart: soon after pmproxy is back, without hammering it.
      const dueAt = now + Math.min(15_000, 1000 * 2 ** (attempts - 1));
      this.waiting.set(id, answered ? { attempts, since, dueAt, listedSince: 0 } : { attempts, since, dueAt });
    }
    if (this.waiting.size > 0) {
      this.onKept();
    }
  }
}
