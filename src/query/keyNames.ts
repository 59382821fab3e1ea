/**
 * Names for the parts of a map's key, read from the script: `@bytes[comm, pid] = sum(…)` gives
 * `comm` and `pid`, so a table has columns a user recognises instead of key0, key1. The PMDA
 * exports only the joined key text. Expressions are shortened to their last identifier
 * (`args->filename` → `filename`, `str(args->path)` → `path`).
 */
export function keyNamesOf(code: string, variable: string): string[] | undefined {
  const name = variable.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const assignment = new RegExp(`${name}\\[([^\\]\\n]+)\\]\\s*=(?!=)`);
  const match = assignment.exec(code);
  if (!match) {
    return undefined;
  }
  return splitTopLevel(match[1]).map(shortName);
}

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') {
      depth++;
    } else if (c === ')') {
      depth--;
    } else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function shortName(expression: string): string {
  const identifiers = expression.match(/[A-Za-z_][A-Za-z0-9_]*/g);
  return identifiers?.[identifiers.length - 1] ?? expression;
}
