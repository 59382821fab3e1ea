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
  let i = 0;
  let lineStart = true;
  while (i < code.length) {
    const c = code[i];
    const next = code[i + 1];
    if (c === '"') {
      let end = i + 1;
      while (end < code.length) {
        if (code[end] === '\\') {
          end += 2;
        } else if (code[end] === '"' || code[end] === '\n') {
          end++;
          break;
        } else {
          end++;
        }
      }
      end = Math.min(end, code.length);
      emit(code.slice(i, end), i);
      i = end;
      lineStart = false;
    } else if (c === '/' && next === '/') {
      const eol = code.indexOf('\n', i);
      const comment = code.slice(i, eol < 0 ? code.length : eol);
      if (lineStart && DIRECTIVE.test(comment)) {
        emit(comment, i);
      }
      i += comment.length;
    } else if (c === '/' && next === '*') {
      const close = code.indexOf('*/', i + 2);
      const body = code.slice(i, close < 0 ? code.length : close + 2);
      if (body.includes('\n')) {
        // Only the newlines stay, each where it was.
        for (let k = 0; k < body.length; k++) {
          if (body[k] === '\n') {
            emit('\n', i + k);
          }
        }
      } else {
        emit(' ', i, false);
      }
      i += body.length;
    } else {
      emit(c, i);
      if (c === '\n') {
        lineStart = true;
      } else if (c !== ' ' && c !== '\t') {
        lineStart = false;
      }
      i++;
    }
  }
  return { text, map };
}

export function stripComments(code: string): string {
  // Trailing blanks left where comments were go too (they only cost URL length).
  return stripWithMap(code).text.replace(/[ \t]+$/gm, '');
}
