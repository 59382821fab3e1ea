import { positionOf, scan, ScanResult } from '../lexer/scan';

/**
 * Characters outside ASCII in a script's code (not in a string, not in a comment), which must
 * never reach the host.
 *
 * bpftrace 0.17 reads only ASCII in code and reports the first such byte on its own, e.g.
 * `stdin:1:1-2: ERROR: invalid character '\xef'` for the first byte of U+FFFD — a line that is
 * not UTF-8. PCP 6.0.3's bpftrace PMDA decodes bpftrace's output as UTF-8 and its stop task dies
 * on that line: the script stays "stopping" on the host for good, the PMDA retries its expiry
 * every second, and in our CI it fell out of step minutes later (every registration of every user
 * "Resource temporarily unavailable") until pmcd restarted. One pasted character broke the host
 * for everyone, so the editor marks it and nothing sends it (language/lints.ts, engine/Endpoint.ts).
 *
 * They come from pasting: a web page's no-break space or curly quote, a PDF's dash, a BOM, a
 * U+FFFD where a copy garbled a character. In strings they are fine (bpftrace prints UTF-8) and
 * comments are not sent (scripts/prepare.ts).
 */
export interface ForeignCharacters {
  /** Offset of the first character of the run in the code. */
  start: number;
  /** Exclusive. */
  end: number;
  /** The first character's code point. */
  codePoint: number;
  /** What the user sees or means, e.g. "a no-break space". */
  description: string;
  /** The ASCII text the user most likely meant for the whole run ('' to delete it). */
  replacement: string;
}

interface Known {
  description: string;
  /** What to type instead, per character ('' to delete). */
  ascii: string;
  /** What to do, when more than "delete it" or "type … instead". */
  fix?: string;
}

const KNOWN: Record<number, Known> = {
  0x00a0: { description: 'a no-break space', ascii: ' ' },
  0x2002: { description: 'an en space', ascii: ' ' },
  0x2003: { description: 'an em space', ascii: ' ' },
  0x2009: { description: 'a thin space', ascii: ' ' },
  0x202f: { description: 'a narrow no-break space', ascii: ' ' },
  0x200b: { description: 'a zero-width space', ascii: '' },
  0x200c: { description: 'a zero-width non-joiner', ascii: '' },
  0x200d: { description: 'a zero-width joiner', ascii: '' },
  0x2060: { description: 'a word joiner', ascii: '' },
  0xfeff: { description: 'a byte order mark', ascii: '' },
  0x2018: { description: 'a curly quote', ascii: "'" },
  0x2019: { description: 'a curly quote', ascii: "'" },
  0x201c: { description: 'a curly quote', ascii: '"' },
  0x201d: { description: 'a curly quote', ascii: '"' },
  0x2013: { description: 'an en dash', ascii: '-' },
  0x2014: { description: 'an em dash', ascii: '-' },
  0x2212: { description: 'a minus sign', ascii: '-' },
  0x2026: { description: 'an ellipsis', ascii: '...' },
  0xfffd: {
    description: 'a replacement character',
    ascii: '',
    fix: 'Delete it, and type what was meant (a copy garbled a character here)',
  },
};

/** Runs of non-ASCII characters outside strings and comments, in order. */
export function foreignCharacters(code: string, scanned: ScanResult = scan(code)): ForeignCharacters[] {
  const found: ForeignCharacters[] = [];
  const quiet = scanned.tokens.filter((t) => t.kind === 'string' || t.kind === 'comment');
  let q = 0;
  const run = /[^\x00-\x7f]+/g;
  for (let m = run.exec(code); m; m = run.exec(code)) {
    let start = m.index;
    const end = start + m[0].length;
    while (start < end) {
      // Skip the parts of the run that lie in a string or a comment (tokens are in order).
      while (q < quiet.length && quiet[q].end <= start) {
        q++;
      }
      const t = quiet[q];
      if (t && t.start <= start) {
        start = Math.min(end, t.end);
        continue;
      }
      const stop = t ? Math.min(end, t.start) : end;
      found.push(describe(code, start, stop));
      start = stop;
    }
  }
  return found;
}

function describe(code: string, start: number, end: number): ForeignCharacters {
  const codePoint = code.codePointAt(start)!;
  const known = KNOWN[codePoint];
  return {
    start,
    end,
    codePoint,
    description: known?.description ?? `the character ${JSON.stringify(String.fromCodePoint(codePoint))}`,
    replacement: asciiLookalike(code.slice(start, end), false),
  };
}

/** `text` with each known character as its ASCII look-alike; the others kept, or dropped. */
export function asciiLookalike(text: string, keepUnknown: boolean): string {
  let out = '';
  for (const ch of text) {
    out += KNOWN[ch.codePointAt(0)!]?.ascii ?? (keepUnknown ? ch : '');
  }
  return out;
}

/** "U+00A0": how Unicode names a code point. */
export function codePointName(codePoint: number): string {
  return `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
}

const ASCII_WORDS: Record<string, string> = {
  ' ': 'a plain space',
  '"': 'a plain double quote (")',
  "'": "a plain single quote (')",
  '-': 'a plain hyphen (-)',
  '...': 'three dots (...)',
};

/** The message for a run, the same in the editor and on the panel. */
export function foreignCharactersMessage(f: ForeignCharacters): string {
  const what = `${f.description} (${codePointName(f.codePoint)})`;
  const known = KNOWN[f.codePoint];
  const ascii = known?.ascii ?? '';
  const fix =
    known?.fix ?? (ascii === '' ? 'Delete it (it may be invisible)' : `Type ${ASCII_WORDS[ascii] ?? ascii} instead`);
  return (
    `${what[0].toUpperCase()}${what.slice(1)} outside a string: bpftrace reads only ASCII in code, and ` +
    `the PCP PMDA cannot read the error it gives for it (the script would stay stuck on the host). ` +
    `Often pasted from a web page or a PDF. ${fix}.`
  );
}

/** "Line L, column C: …" for the first foreign character of `code`, or undefined when it has none. */
export function foreignCharacterRefusal(code: string): string | undefined {
  const first = foreignCharacters(code)[0];
  if (!first) {
    return undefined;
  }
  const at = positionOf(code, first.start);
  return `Line ${at.line}, column ${at.column}: ${foreignCharactersMessage(first)}`;
}
