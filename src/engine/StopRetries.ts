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

/**
 * Stopping our scripts when the host does not answer. A deregister that fails for want of an
 * answer (pmproxy crashed or restarting, pmcd away, the PMDA out of step) would leave bpftrace
 * running as root until the PMDA's expiry — or for ever where expiry does not work. So a failed
 * stop is kept and sent again, with a growing pause, while this page lives, until the PMDA says
 * the script is stopped or gone. A refusal (no permission, bad credentials) ends it at once:
 * sending it again would be refused again.
 */
export class StopRetries {
  private readonly waiting = new Map<string, { attempts: number; dueAt: number; since: number }>();
  private sending = false;

  constructor(
    private readonly client: PmapiClient,
    private readonly now: () => number,
    /** Asked when a stop failed: the owner keeps ticking until `due` is empty. */
    private readonly onFailed: () => void,
    /** The longest it keeps trying: past it the PMDA's expiry has stopped the script anyway. */
    private readonly giveUpAfterMs = 10 * 60_000
  ) {}

  /** Whether a stop is waiting to be sent again. */
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
    const due = [...this.waiting].filter(([, w]) => w.dueAt <= now).map(([id]) => id);
    if (due.length > 0) {
      this.sending = true;
      try {
        await this.send(due);
      } finally {
        this.sending = false;
      }
    }
  }

  /** The host said the script is gone some other way (it left the PMDA's list). */
  forget(id: string): void {
    this.waiting.delete(id);
  }

  private async send(ids: string[]): Promise<void> {
    if (ids.length === 0) {
      return;
    }
    try {
      await deregisterScripts(this.client, ids);
      ids.forEach((id) => this.waiting.delete(id));
    } catch (e) {
      if (!noAnswer(e)) {
        // Refused (no permission, credentials, a bad request): the same stop would be refused again.
        ids.forEach((id) => this.waiting.delete(id));
        return;
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
        this.waiting.set(id, { attempts, since, dueAt: now + Math.min(15_000, 1000 * 2 ** (attempts - 1)) });
      }
      if (this.waiting.size > 0) {
        this.onFailed();
      }
    }
  }
}
