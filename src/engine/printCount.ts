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
 * - Except where the clocks are out of phase: bpftrace sometimes prints once for two seconds (all
 *   7 off rates CI recorded beside a noisy script, and one at a script's start: a gap of two
 *   seconds with one print's bytes, the map's counts of both seconds in it, the next gaps one
 *   print a second again; counted by bytes, a steady 10/s showed as 20). When the last CLEAN_GAPS
 *   gaps each held their seconds' prints, within PHASE_MARGIN_MS, the phases are apart: a sample
 *   cannot miss a print by a few ms of jitter, so a gap of whole seconds one print short of them
 *   is a print bpftrace did not make, and the clock counts it. (More than one short is a PMDA or
 *   a fetch that stalled: its prints come later, and the bytes count them.) Clocks that drift
 *   into phase show it soon (a second with two prints): the gap right after one the clock counted
 *   may hold the print it did not, and the bytes count until a window of clean gaps again
 *   (IN_PHASE_GAPS).
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
/**
 * A gap is clean when its time is its prints' seconds within this (see CLEAN_GAPS); a gap the clock
 * counts is its seconds within this too (a fetch late by half a second is not a print short). CI's
 * gaps were within 15 ms of a second, the first ones after a start within 90.
 */
const PHASE_MARGIN_MS = 150;
/** Clean gaps in a row that show the clocks out of phase (the first two gaps count, as one print each). */
const CLEAN_GAPS = 2;
/** Gaps, beyond CLEAN_GAPS, that must be clean again after the clocks were seen in phase. */
const IN_PHASE_GAPS = CLOCK_WINDOW_MS / PRINT_INTERVAL_MS;

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
  /** Clean gaps in a row, newest last (see CLEAN_GAPS). */
  private cleanRun = 0;
  /** The last gap was counted by the clock (it held fewer prints' bytes). */
  private lastByClock = false;

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
        // Each gap of about a second brought bytes: one print each, as far as the clock tells.
        this.noteClean(elapsedMs, 1);
        return undefined;
      }
      this.bytesPerPrint = this.learnt();
      this.restartStretch();
    }
    // Bytes first: a PMDA that falls behind (busy with another script's output) hands over several
    // prints at once, after a gap that says nothing about how many there were. The clock caps them.
    const byBytes = Math.max(1, Math.round(bytesDelta / this.bytesPerPrint));
    // Out of phase, a gap one print short is a print bpftrace did not make (see above).
    const byClock =
      this.cleanRun >= CLEAN_GAPS &&
      byTime === byBytes + 1 &&
      Math.abs(elapsedMs - byTime * PRINT_INTERVAL_MS) <= PHASE_MARGIN_MS;
    const seconds = (this.recentMs + elapsedMs) / PRINT_INTERVAL_MS;
    // Right after a gap the clock counted, the print that gap did not hold may come (in phase).
    const cap = Math.floor(seconds + PHASE_SLACK - this.recentPrints) + (this.lastByClock ? 1 : 0);
    const prints = Math.max(1, Math.min(byClock ? byTime : byBytes, cap));
    this.lastByClock = byClock;
    this.noteClean(elapsedMs, prints);
    // Maps grow and shrink: follow the size, smoothly (by the prints the bytes hold).
    this.bytesPerPrint = this.bytesPerPrint * 0.5 + (bytesDelta / (byClock ? byBytes : prints)) * 0.5;
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

  /** The script started again: its prints may differ (see `before`), and so may its phase. */
  reset() {
    this.before = this.bytesPerPrint ?? this.before;
    this.bytesPerPrint = undefined;
    this.restartStretch();
    this.recent = [];
    this.recentMs = 0;
    this.recentPrints = 0;
    this.cleanRun = 0;
    this.lastByClock = false;
  }

  /**
   * A gap of `elapsedMs` held `prints`: clean when that is its seconds' worth (see CLEAN_GAPS). A
   * gap with more prints than its seconds shows the clocks in phase: the clock counts no more for
   * about a window of gaps (IN_PHASE_GAPS).
   */
  private noteClean(elapsedMs: number, prints: number) {
    const off = prints * PRINT_INTERVAL_MS - elapsedMs;
    if (off > PHASE_MARGIN_MS) {
      this.cleanRun = -IN_PHASE_GAPS;
    } else {
      this.cleanRun = off >= -PHASE_MARGIN_MS ? this.cleanRun + 1 : Math.min(0, this.cleanRun);
    }
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
