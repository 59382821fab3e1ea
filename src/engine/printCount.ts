/**
 * How many times bpftrace printed its maps between two samples.
 *
 * The PMDA appends `interval:s:1 { print(@…) }`, so values change once per second, on bpftrace's
 * clock, while bpflive samples on its own. A fetch that lands just after a print, following one
 * that landed just before the previous print, sees two prints in about one second: the counter
 * grew by two seconds' worth, and dividing by the fetch gap would show twice the true rate.
 *
 * `data_bytes` (bytes the PMDA read from bpftrace) tells them apart: a map prints about the same
 * number of bytes each time, so two prints read about twice as many. The estimate from bytes is
 * kept within what the elapsed time allows; scripts that also print text (whose bytes vary with
 * the events) rely on time alone.
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
  const byTime = elapsedMs / PRINT_INTERVAL_MS;
  // At least one print (the bytes changed), at most what the time allows with jitter.
  const low = Math.max(1, Math.round(byTime - 0.6));
  const high = Math.max(low, Math.round(byTime + 0.6));
  if (printsText || bytesDelta <= 0) {
    return { prints: Math.min(high, Math.max(low, Math.round(byTime))), bytesPerPrint };
  }
  const byBytes = bytesPerPrint ? bytesDelta / bytesPerPrint : Math.round(byTime);
  const prints = Math.min(high, Math.max(low, Math.round(byBytes)));
  const perPrint = bytesDelta / prints;
  // Maps grow and shrink: follow the size, smoothly, from the prints we are sure of.
  return { prints, bytesPerPrint: bytesPerPrint === undefined ? perPrint : bytesPerPrint * 0.5 + perPrint * 0.5 };
}
