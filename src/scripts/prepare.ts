import { atLineStart, scan } from '../lexer/scan';

/**
 * What bpflive sends to the PMDA for a user's script.
 *
 * The PMDA finds variables with regular expressions over the whole text, comments included, and
 * the script travels in a URL of at most 8,000 characters. So comments are removed, but every
 * newline is kept (bpftrace's error positions must still point at the user's lines), and so are
 * the PMDA's own directives (`// name:`, `// include:`, `// table-retain-lines:`,
 * `// custom-output-block`), which are comments by syntax but instructions by meaning.
 */
const DIRECTIVE = /^\/\/\s*(name|include|table-retain-lines|custom-output-block)\b/;

/**
 * The stripping, with a source map: `map[i]` is the offset in `code` of output character i, so
 * bpftrace's error positions in the sent text can be moved back onto the user's code.
 */
export function stripWithMap(code: string): { text: string; map: number[] } {
  let text = '';
  const map: number[] = [];
  const emit = (s: string, from: number, each = true) => {
    text += s;
    for (let k = 0; k < s.length; k++) {
      map.push(each ? from + k : from);
    }
  };
  // Comments are where the editor's lexer sees them, so the editor greys out exactly what is left out.
  let copied = 0;
  for (const token of scan(code).tokens) {
    if (token.kind !== 'comment') {
      continue;
    }
    emit(code.slice(copied, token.start), copied);
    copied = token.end;
    const body = token.text;
    if (body.startsWith('//')) {
      if (atLineStart(code, token.start) && DIRECTIVE.test(body)) {
        emit(body, token.start);
      }
    } else if (body.includes('\n')) {
      // Only the newlines stay, each where it was.
      for (let k = 0; k < body.length; k++) {
        if (body[k] === '\n') {
          emit('\n', token.start + k);
        }
      }
    } else {
      emit(' ', token.start, false);
    }
  }
  emit(code.slice(copied), copied);
  return { text, map };
}

export function stripComments(code: string): string {
  // Trailing blanks left where comments were go too (they only cost URL length).
  return stripWithMap(code).text.replace(/[ \t]+$/gm, '');
}
