/**
 * How many times bpftrace printed its maps between two samples.
 *
 * The PMDA appends `interval:s:1 { print(@…) }`, so values change once per second, on bpftrace's
 * clock, while bpflive samples on its own. A fetch that lands just after a print, following one
 * that landed just before the previous print, sees two prints in about one second: the counter
 * grew by two seconds' worth, and dividing by the fetch gap would show twice the true rate.
 *
 * `data_bytes` (bytes the PMDA read from bpftrace) tells them apart: a map prints about the same
 * number of bytes each time, so two prints read about twice as many. Scripts that also print text
 * (whose bytes vary with the events) rely on time alone.
 */
export const PRINT_INTERVAL_MS = 1000;

export interface PrintEstimate {
  prints: number;
  /** The updated estimate of bytes per print (undefined until one is known). */
  bytesPerPrint?: number;
}

export function estimatePrints(
  elapsedMs: number,
  bytesDelta: number,
  bytesPerPrint: number | undefined,
  printsText: boolean
): PrintEstimate {
  const byTime = Math.max(1, Math.round(elapsedMs / PRINT_INTERVAL_MS));
  if (printsText || bytesDelta <= 0 || bytesPerPrint === undefined) {
    // The size of one print is learnt only from a gap that held one (about a second). After a
    // longer gap (a slow first tick on a busy host) the count of prints is a guess: a size learnt
    // from "2" when there was 1 is half the truth, every later print then reads as two, and the
    // rate stays at half, since the smoothing below agrees with its own mistake.
    const learns = !printsText && bytesDelta > 0 && bytesPerPrint === undefined && byTime === 1;
    return { prints: byTime, bytesPerPrint: learns ? bytesDelta : bytesPerPrint };
  }
  // Bytes first: a PMDA that falls behind (busy with another script's output) hands over several
  // prints at once, after a gap that says nothing about how many there were. Time only guards
  // against a map whose size jumped: never more than a few prints beyond what the time allows.
  const prints = Math.min(byTime + 5, Math.max(1, Math.round(bytesDelta / bytesPerPrint)));
  const perPrint = bytesDelta / prints;
  // Maps grow and shrink: follow the size, smoothly.
  return { prints, bytesPerPrint: bytesPerPrint * 0.5 + perPrint * 0.5 };
}
