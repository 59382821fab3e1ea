/** `0.053` → `5.3 %`; shares under 0.1 % keep two decimals so a quiet script does not read 0. */
export function percentText(share: number): string {
  const pct = share * 100;
  return `${pct < 0.1 ? pct.toFixed(2) : pct < 10 ? pct.toFixed(1) : Math.round(pct)} %`;
}
