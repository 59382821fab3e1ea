import { sleptPast } from '../pmapi/asleep';

/**
 * The tick: one call of `tick` per interval, never two at once, on a steady cadence (the next
 * tick is due one interval after this one began, so a slow fetch does not push every later tick
 * back). It sleeps while `wanted()` says there is nothing to poll, and `wake()` brings the next
 * tick forward, e.g. when a panel subscribes. A tick may ask for the next one sooner (it returns
 * a delay): while a script starts or the host is coming back, so data shows without waiting a
 * whole interval.
 */
export class Poller {
  private timer?: ReturnType<typeof setTimeout>;
  private running = false;
  private stopped = false;
  /** Ticks run, and ticks that began later than one interval after the previous one. */
  ticks = 0;
  lateTicks = 0;
  /** The last time the tick's timer found this page asleep (pmapi/asleep.ts): for how long, and when it woke. */
  slept?: { ms: number; wokeAt: number };
  private lastStart?: number;
  /** The last tick that threw, and when (a tick that throws each time would stop everything after that point). */
  lastError?: { message: string; at: number };

  constructor(
    private readonly intervalMs: number,
    private readonly tick: () => Promise<number | void>,
    private readonly wanted: () => boolean,
    private readonly now: () => number = Date.now
  ) {}

  /** When the last tick began (undefined before the first), and whether one is under way. */
  get lastStartedAt(): number | undefined {
    return this.lastStart;
  }
  get busy(): boolean {
    return this.running;
  }

  /** Run a tick as soon as possible (now, or right after the one under way). */
  wake(): void {
    this.schedule(0);
  }

  /** A request of a tick found the page asleep (its timeout fired on waking): as the timer would have. */
  noteAsleep(ms: number): void {
    this.slept = { ms, wokeAt: this.now() };
  }

  /** Make sure a tick comes within one interval. */
  keepGoing(): void {
    this.schedule(this.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** One tick now (tests, bench); a tick already under way is not doubled. */
  async runOnce(): Promise<number | void> {
    if (this.running) {
      return;
    }
    this.running = true;
    const started = this.now();
    if (this.lastStart !== undefined && started - this.lastStart > this.intervalMs * 1.5) {
      this.lateTicks++;
    }
    this.lastStart = started;
    this.ticks++;
    try {
      return await this.tick();
    } finally {
      this.running = false;
    }
  }

  private schedule(delayMs: number) {
    if (this.stopped || this.running) {
      return;
    }
    if (this.timer !== undefined) {
      if (delayMs > 0) {
        return;
      }
      clearTimeout(this.timer);
    }
    const dueAt = this.now() + delayMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const woke = this.now();
      const slept = sleptPast(dueAt, woke);
      if (slept !== undefined) {
        this.slept = { ms: slept, wokeAt: woke };
      }
      if (!this.wanted()) {
        return;
      }
      const started = this.now();
      let sooner: number | void = undefined;
      void this.runOnce()
        .then(
          (hint) => (sooner = hint),
          (e: unknown) => {
            // A bug, not an outage (those a tick handles itself): said, and the next tick comes.
            this.lastError = { message: e instanceof Error ? e.message : String(e), at: this.now() };
            console.error('bpflive: a poll tick failed', e);
          }
        )
        .finally(() => {
          if (!this.stopped && this.wanted()) {
            const steady = Math.max(0, this.intervalMs - (this.now() - started));
            this.schedule(typeof sooner === 'number' ? Math.min(steady, sooner) : steady);
          }
        });
    }, delayMs);
  }
}
