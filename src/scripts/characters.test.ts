import { codePointName, foreignCharacterRefusal, foreignCharacters, foreignCharactersMessage } from './characters';

describe('foreignCharacters: what bpftrace cannot read in code', () => {
  it('finds a U+FFFD before the first probe (a garbled copy), with where it is', () => {
    const code = '\uFFFDinterval:s:1 { @n = count(); }';
    const [f, ...rest] = foreignCharacters(code);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ start: 0, end: 1, codePoint: 0xfffd, replacement: '' });
    expect(foreignCharactersMessage(f)).toMatch(
      /^A replacement character \(U\+FFFD\) outside a string: .*Delete it, and type what was meant/
    );
  });

  it('names the characters a web page pastes, and the ASCII meant', () => {
    const code = 'BEGIN\u00a0{ printf(\u201chi\\n\u201d); @x = 1 \u2013 2; }\uFEFF';
    const found = foreignCharacters(code);
    expect(found.map((f) => [codePointName(f.codePoint), f.replacement])).toEqual([
      ['U+00A0', ' '],
      ['U+201C', '"'],
      ['U+201D', '"'],
      ['U+2013', '-'],
      ['U+FEFF', ''],
    ]);
    expect(foreignCharactersMessage(found[1])).toMatch(
      /^A curly quote \(U\+201C\).*Type a plain double quote \("\) instead\.$/
    );
  });

  it('leaves strings and comments alone: bpftrace prints UTF-8, comments are not sent', () => {
    const code = '// caf\u00e9 \u2014 note\nBEGIN { printf("\u00e9t\u00e9 \u2713\\n"); /* \u00a0 */ }';
    expect(foreignCharacters(code)).toEqual([]);
  });

  it('takes a run of characters as one, up to where a string starts', () => {
    const code = 'BEGIN { @s = \u00e9\u00e8"\u00e9"; }';
    const found = foreignCharacters(code);
    expect(found).toHaveLength(1);
    expect(code.slice(found[0].start, found[0].end)).toBe('\u00e9\u00e8');
    expect(foreignCharactersMessage(found[0])).toMatch(/^The character "\u00e9" \(U\+00E9\).*Delete it/);
  });

  it('says where the first one is, for a refusal (1-based line and column)', () => {
    expect(foreignCharacterRefusal('BEGIN { @a = 1; }\n  \u00a0@b = 2;')).toMatch(
      /^Line 2, column 3: A no-break space/
    );
    expect(foreignCharacterRefusal('BEGIN { printf("\u00e9"); }')).toBeUndefined();
  });

  it('finds nothing in plain ASCII, and a code point past the BMP counts once', () => {
    expect(foreignCharacters('tracepoint:sched:sched_switch { @[comm] = count(); }')).toEqual([]);
    const [f] = foreignCharacters('BEGIN { \u{1F600} }');
    expect(f.codePoint).toBe(0x1f600);
    expect(codePointName(f.codePoint)).toBe('U+1F600');
  });
});
