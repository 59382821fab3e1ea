/**
 * How many times bpftrace printed its maps between two samples of one script.
 *
 * The PMDA appends `interval:s:1 { print(@…) }`, so values change once per second, on bpftrace's
 * clock, while bpflive samples on its own. The two clocks tick at the same rate, often in about the
 * same phase: then whether a fetch sees the latest print is down to a few milliseconds of jitter, and
 * a gap of one second may hold two prints, a gap of two seconds only one. Dividing a counter's
 * growth by the gap between fetches would then show twice, or half, the true rate.
 *
 * `data_bytes` (bytes the PMDA read from bpftrace) tells them apart: a map prints about the same
 * number of bytes each time, so two prints read about twice as many. The size of one print is
 * not known at the start, though, and a size learnt wrong is worse than none: learnt at half the
 * truth, every later print counts as two and every rate is half (the smoothing agrees with its own
 * mistake). So:
 *
 * - Until the size is known, there is no count (the row gets no rate): the time cannot tell.
 * - The size is learnt from the first seconds of samples together: the smallest gap's bytes, if
 *   that many bytes per print explain the whole stretch within one print; else the stretch's bytes
 *   over its seconds.
 * - A script that starts again (a PMDA restart) prints as it did: the size it had carries over
 *   while the first gap's bytes are a whole number of such prints (a map that starts empty again
 *   prints less: then the size is learnt afresh).
 * - Counted by bytes, the prints of the recent samples (CLOCK_WINDOW_MS) are held against
 *   bpftrace's clock: together they hold at most one print more than their seconds (the clocks'
 *   phase). Bytes that say more are a map that grew (bigger prints, not more of them): a map whose
 *   keys double in a second would otherwise count two prints a second, and its smoothed size would
 *   agree, for good. Fewer prints than the clock are allowed: a PMDA that fell behind hands the
 *   rest over later, and then the clock allows them.
 *
 * Scripts that also print text (whose bytes vary with the events) rely on time alone.
 */
export const PRINT_INTERVAL_MS = 1000;

/** The stretch of samples the size of a print is first learnt from: two gaps, about two seconds. */
const LEARN_AFTER_MS = 1500;
const LEARN_AFTER_GAPS = 2;
/** The recent samples whose prints are held against bpftrace's clock. */
const CLOCK_WINDOW_MS = 20_000;
/** Samples hold at most one print more than their seconds, plus a little for jitter. */
const PHASE_SLACK = 1.1;

/** One count, as `PrintCounter.lastCounts` reports it. */
export interface PrintCount {
  elapsedMs: number;
  bytes: number;
  prints: number | undefined;
}

/** The counts kept for diagnosis: about the last half minute. */
const TRAIL_LENGTH = 30;

export class PrintCounter {
  /** Bytes of one print; undefined until learnt. */
  private bytesPerPrint?: number;
  /** The size before the script started again, until the first gap after confirms or refutes it. */
  private before?: number;
  /** The stretch of samples the size is learnt from. */
  private stretchMs = 0;
  private stretchBytes = 0;
  private stretchGaps = 0;
  /** The recent gaps counted by bytes (CLOCK_WINDOW_MS), and their sums. */
  private recent: Array<{ ms: number; prints: number }> = [];
  /** The last counts, for diagnosis (a test reports them beside a rate it did not expect). */
  private readonly trail: PrintCount[] = [];
  private recentMs = 0;
  private recentPrints = 0;
  private smallestGapBytes = Infinity;

  /**
   * The prints between the previous sample and this one, `elapsedMs` later with `bytesDelta` more
   * bytes read; undefined when that cannot be told yet.
   */
  count(elapsedMs: number, bytesDelta: number, printsText: boolean): number | undefined {
    const prints = this.countPrints(elapsedMs, bytesDelta, printsText);
    this.trail.push({ elapsedMs, bytes: bytesDelta, prints });
    if (this.trail.length > TRAIL_LENGTH) {
      this.trail.shift();
    }
    return prints;
  }

  /** The last counts, oldest first. */
  lastCounts(): readonly PrintCount[] {
    return this.trail;
  }

  private countPrints(elapsedMs: number, bytesDelta: number, printsText: boolean): number | undefined {
    const byTime = Math.max(1, Math.round(elapsedMs / PRINT_INTERVAL_MS));
    if (printsText || bytesDelta <= 0) {
      return byTime;
    }
    if (this.bytesPerPrint === undefined && this.before !== undefined) {
      const prints = Math.round(bytesDelta / this.before);
      if (prints >= 1 && prints <= byTime + 1 && Math.abs(bytesDelta / this.before - prints) <= 0.2) {
        this.bytesPerPrint = this.before;
      }
      this.before = undefined;
    }
    if (this.bytesPerPrint === undefined) {
      this.stretchMs += elapsedMs;
      this.stretchBytes += bytesDelta;
      this.stretchGaps++;
      this.smallestGapBytes = Math.min(this.smallestGapBytes, bytesDelta);
      if (this.stretchMs < LEARN_AFTER_MS || this.stretchGaps < LEARN_AFTER_GAPS) {
        return undefined;
      }
      this.bytesPerPrint = this.learnt();
      this.restartStretch();
    }
    // Bytes first: a PMDA that falls behind (busy with another script's output) hands over several
    // prints at once, after a gap that says nothing about how many there were. The clock caps them.
    const byBytes = Math.max(1, Math.round(bytesDelta / this.bytesPerPrint));
    const seconds = (this.recentMs + elapsedMs) / PRINT_INTERVAL_MS;
    const prints = Math.max(1, Math.min(byBytes, Math.floor(seconds + PHASE_SLACK - this.recentPrints)));
    // Maps grow and shrink: follow the size, smoothly.
    this.bytesPerPrint = this.bytesPerPrint * 0.5 + (bytesDelta / prints) * 0.5;
    this.recent.push({ ms: elapsedMs, prints });
    this.recentMs += elapsedMs;
    this.recentPrints += prints;
    while (this.recentMs - this.recent[0].ms >= CLOCK_WINDOW_MS) {
      const old = this.recent.shift()!;
      this.recentMs -= old.ms;
      this.recentPrints -= old.prints;
    }
    return prints;
  }

  /** The script started again: its prints may differ (see `before`). */
  reset() {
    this.before = this.bytesPerPrint ?? this.before;
    this.bytesPerPrint = undefined;
    this.restartStretch();
    this.recent = [];
    this.recentMs = 0;
    this.recentPrints = 0;
  }

  /** The size of one print from the stretch so far (at least one print in every gap of it). */
  private learnt(): number {
    const seconds = Math.max(1, Math.round(this.stretchMs / PRINT_INTERVAL_MS));
    // Among two or more gaps, one most likely held a single print: the smallest. When each gap
    // held two (slow fetches), or a print was read in two halves, that size does not explain the
    // stretch's bytes within one print; then the stretch's bytes over its seconds (off by a print
    // at most) are the guess, and the smoothing below refines it.
    if (Math.abs(this.stretchBytes / this.smallestGapBytes - seconds) <= 1) {
      return this.smallestGapBytes;
    }
    return this.stretchBytes / seconds;
  }

  private restartStretch() {
    this.stretchMs = 0;
    this.stretchBytes = 0;
    this.stretchGaps = 0;
    this.smallestGapBytes = Infinity;
  }
}
