import { ScopedVars } from '@grafana/data';

/** Grafana's template service's `replace`, as far as hosts need it (getTemplateSrv().replace). */
export type ReplaceVariables = (
  target: string,
  scopedVars?: ScopedVars,
  format?: (value: string | string[]) => string
) => string;

// While Grafana writes the hostspec out, a multi-value variable becomes OPEN v1 SEP v2 … CLOSE:
// control characters no host specification holds (commas are PCP's own: `host:44321,44322`).
const OPEN = '\u0001';
const SEP = '\u0002';
const CLOSE = '\u0003';

/**
 * The pmcd hosts one query runs on: its hostspec (else `fallback`, the datasource's) with the
 * dashboard's variables written in, one host per value of a multi-value variable or of "All":
 * `$host` with values a and b runs the script on a and on b, and `$host:44321` on a:44321 and
 * b:44321. A panel repeated by host passes its one value in `scopedVars`. Two multi-value
 * variables give every combination; the same host twice runs once. A variable whose "All" has a
 * custom all value (`.*`) is written as that value, and that host's query says it cannot be
 * reached. (Single-value interpolation of the script and legend is query/variables.ts's.)
 */
export function expandHosts(
  hostspec: string | undefined,
  fallback: string,
  replace: ReplaceVariables,
  scopedVars?: ScopedVars
): string[] {
  const text = hostspec?.trim() || fallback;
  if (!text.includes('$')) {
    return [text];
  }
  const written = replace(text, scopedVars, (value) =>
    Array.isArray(value) ? (value.length === 1 ? value[0] : OPEN + value.join(SEP) + CLOSE) : value
  );
  const hosts = written
    .split(OPEN)
    .reduce<string[]>(
      (prefixes, part, i) => {
        if (i === 0) {
          return prefixes.map((p) => p + part);
        }
        const close = part.indexOf(CLOSE);
        const values = part.slice(0, close).split(SEP);
        const rest = part.slice(close + 1);
        return prefixes.flatMap((p) => values.map((v) => p + v + rest));
      },
      ['']
    )
    .map((h) => h.trim())
    .filter((h) => h !== '');
  return hosts.length > 0 ? [...new Set(hosts)] : [fallback];
}
