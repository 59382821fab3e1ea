import { scan, Token } from '../lexer/scan';

/**
 * Names for the parts of a map's key, read from the script: `@bytes[comm, pid] = sum(…)` gives
 * `comm` and `pid`, so a table has columns a user recognises instead of key0, key1. The PMDA
 * exports only the joined key text. Expressions are shortened to their last identifier
 * (`args->filename` → `filename`, `str(args->path)` → `path`). Read with the editor's lexer, so
 * an assignment in a comment or a string names nothing.
 */
export function keyNamesOf(code: string, variable: string): string[] | undefined {
  const tokens = tokensOf(code);
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i].kind !== 'map' || tokens[i].text !== variable || tokens[i + 1]?.text !== '[') {
      continue;
    }
    const parts = keyParts(tokens, i + 2);
    if (parts && tokens[parts.end]?.text === '=') {
      return parts.names;
    }
  }
  return undefined;
}

/**
 * Every tick asks again for the same few scripts: their tokens are kept, for the scripts read
 * most recently (a Map keeps insertion order; the oldest goes first).
 */
const recent = new Map<string, Token[]>();
const RECENT_SCRIPTS = 32;

function tokensOf(code: string): Token[] {
  let tokens = recent.get(code);
  if (!tokens) {
    tokens = scan(code).tokens;
    if (recent.size >= RECENT_SCRIPTS) {
      recent.delete(recent.keys().next().value!);
    }
    recent.set(code, tokens);
  }
  return tokens;
}

/**
 * The key's parts from tokens[from] (just after `[`) to the matching `]`: each part split at a
 * comma outside parentheses and brackets, named after its last identifier. `end` is the index
 * after the `]`; undefined when the key is not closed.
 */
function keyParts(tokens: Token[], from: number): { names: string[]; end: number } | undefined {
  const names: string[] = [];
  let depth = 0;
  let last: string | undefined;
  let any = false;
  const close = () => {
    if (any) {
      names.push(last ?? '');
    }
    last = undefined;
    any = false;
  };
  for (let j = from; j < tokens.length; j++) {
    const t = tokens[j];
    if (t.kind === 'comment') {
      continue;
    }
    if (t.text === '(' || t.text === '[') {
      depth++;
    } else if ((t.text === ')' || t.text === ']') && depth > 0) {
      depth--;
    } else if (t.text === ']') {
      close();
      // A part with no name (a literal) keeps its place: dropping it would shift every later name.
      return { names: names.map((n, k) => n || `key${k}`), end: j + 1 };
    } else if (t.text === ',' && depth === 0) {
      close();
      continue;
    } else if (t.text === ';' || t.text === '{' || t.text === '}') {
      return undefined;
    }
    any = true;
    if (t.kind === 'ident') {
      last = t.text;
    } else if (t.kind === 'scratch' && t.text.length > 1) {
      // `@bytes[comm, $dir]`: the scratch variable names the part (`dir`).
      last = t.text.slice(1);
    }
  }
  return undefined;
}
