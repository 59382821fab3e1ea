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
 * - Every stretch of CHECK_EVERY_MS, the prints counted are held against bpftrace's clock (one a
 *   second): far off, the size is wrong (a map that doubled at once, a print read in halves), and it
 *   is learnt again from the stretch.
 *
 * Scripts that also print text (whose bytes vary with the events) rely on time alone.
 */
export const PRINT_INTERVAL_MS = 1000;

/** The stretch of samples the size of a print is first learnt from: two gaps, about two seconds. */
const LEARN_AFTER_MS = 1500;
const LEARN_AFTER_GAPS = 2;
/** How often the prints counted are held against bpftrace's clock. */
const CHECK_EVERY_MS = 10_000;

export class PrintCounter {
  /** Bytes of one print; undefined until learnt. */
  private bytesPerPrint?: number;
  /** The size before the script started again, until the first gap after confirms or refutes it. */
  private before?: number;
  /** The stretch since the size was learnt or last checked. */
  private stretchMs = 0;
  private stretchBytes = 0;
  private stretchPrints = 0;
  private stretchGaps = 0;
  private smallestGapBytes = Infinity;

  /**
   * The prints between the previous sample and this one, `elapsedMs` later with `bytesDelta` more
   * bytes read; undefined when that cannot be told yet.
   */
  count(elapsedMs: number, bytesDelta: number, printsText: boolean): number | undefined {
    const byTime = Math.max(1, Math.round(elapsedMs / PRINT_INTERVAL_MS));
    if (printsText || bytesDelta <= 0) {
      return byTime;
    }
    this.stretchMs += elapsedMs;
    this.stretchBytes += bytesDelta;
    this.stretchGaps++;
    if (this.bytesPerPrint === undefined && this.before !== undefined) {
      const prints = Math.round(bytesDelta / this.before);
      if (prints >= 1 && prints <= byTime + 1 && Math.abs(bytesDelta / this.before - prints) <= 0.2) {
        this.bytesPerPrint = this.before;
      }
      this.before = undefined;
    }
    if (this.bytesPerPrint === undefined) {
      this.smallestGapBytes = Math.min(this.smallestGapBytes, bytesDelta);
      if (this.stretchMs < LEARN_AFTER_MS || this.stretchGaps < LEARN_AFTER_GAPS) {
        return undefined;
      }
      this.bytesPerPrint = this.learnt();
      this.restartStretch();
      this.stretchMs = elapsedMs;
      this.stretchBytes = bytesDelta;
      this.stretchGaps = 1;
    }
    // Bytes first: a PMDA that falls behind (busy with another script's output) hands over several
    // prints at once, after a gap that says nothing about how many there were. Time only guards
    // against a map whose size jumped: never more than a few prints beyond what the time allows.
    const prints = Math.min(byTime + 5, Math.max(1, Math.round(bytesDelta / this.bytesPerPrint)));
    // Maps grow and shrink: follow the size, smoothly.
    this.bytesPerPrint = this.bytesPerPrint * 0.5 + (bytesDelta / prints) * 0.5;
    this.stretchPrints += prints;
    if (this.stretchMs >= CHECK_EVERY_MS) {
      const seconds = this.stretchMs / PRINT_INTERVAL_MS;
      // A PMDA that fell behind shifts prints between stretches, by a few seconds at most.
      if (Math.abs(this.stretchPrints - seconds) > Math.max(2, seconds * 0.3)) {
        this.bytesPerPrint = this.stretchBytes / Math.round(seconds);
      }
      this.restartStretch();
    }
    return prints;
  }

  /** The script started again: its prints may differ (see `before`). */
  reset() {
    this.before = this.bytesPerPrint ?? this.before;
    this.bytesPerPrint = undefined;
    this.restartStretch();
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
    this.stretchPrints = 0;
    this.stretchGaps = 0;
    this.smallestGapBytes = Infinity;
  }
}
