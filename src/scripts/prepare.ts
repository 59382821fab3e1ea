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

export function stripComments(code: string): string {
  let out = '';
  let i = 0;
  let lineStart = true;
  while (i < code.length) {
    const c = code[i];
    const next = code[i + 1];
    if (c === '"') {
      const end = endOfString(code, i);
      out += code.slice(i, end);
      i = end;
      lineStart = false;
    } else if (c === '/' && next === '/') {
      const eol = code.indexOf('\n', i);
      const comment = code.slice(i, eol < 0 ? code.length : eol);
      if (lineStart && DIRECTIVE.test(comment)) {
        out += comment;
      }
      i += comment.length;
    } else if (c === '/' && next === '*') {
      const close = code.indexOf('*/', i + 2);
      const body = code.slice(i, close < 0 ? code.length : close + 2);
      // Keep the line structure; a comment between tokens still separates them.
      const newlines = body.split('\n').length - 1;
      out += newlines > 0 ? '\n'.repeat(newlines) : ' ';
      i += body.length;
    } else {
      out += c;
      if (c === '\n') {
        lineStart = true;
      } else if (c !== ' ' && c !== '\t') {
        lineStart = false;
      }
      i++;
    }
  }
  // Trailing blanks left where comments were.
  return out.replace(/[ \t]+$/gm, '');
}

/** Index just past the closing quote of the string literal that opens at `start`. */
function endOfString(code: string, start: number): number {
  let i = start + 1;
  while (i < code.length) {
    if (code[i] === '\\') {
      i += 2;
    } else if (code[i] === '"' || code[i] === '\n') {
      return i + 1;
    } else {
      i++;
    }
  }
  return i;
}
