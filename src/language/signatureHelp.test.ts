import { signatureAt, signatureHelpProvider } from './signatureHelp';

function help(textWithCursor: string) {
  const offset = textWithCursor.indexOf('|');
  const text = textWithCursor.slice(0, offset) + textWithCursor.slice(offset + 1);
  return signatureAt(text, offset);
}

describe('signatureAt', () => {
  it('shows the signature and the argument being typed', () => {
    const s = help('BEGIN { @x = lhist(arg0, 0, |')!;
    expect(s.signatures).toEqual([
      {
        label: 'lhist(int64 n, int64 min, int64 max, int64 step)',
        params: ['int64 n', 'int64 min', 'int64 max', 'int64 step'],
        doc: expect.stringMatching(/Linear histogram/),
      },
    ]);
    expect(s.activeParameter).toBe(2);
  });

  it('picks the overload that has room for the argument', () => {
    const one = help('BEGIN { @x = hist(|')!;
    expect(one.signatures.map((x) => x.label)).toEqual(['hist(int64 n)', 'hist(int64 n, [int k])']);
    expect(one.activeSignature).toBe(0);
    const two = help('BEGIN { @x = hist(arg0, |')!;
    expect(two).toMatchObject({ activeSignature: 1, activeParameter: 1 });
  });

  it('stays on the last parameter of a variadic call, also inside its format string', () => {
    expect(help('BEGIN { printf("%d %d", 1, 2, |')).toMatchObject({ activeParameter: 1 });
    expect(help('BEGIN { printf("%d|')).toMatchObject({ activeParameter: 0 });
    expect(help('BEGIN { printf("%d|')!.signatures[0].params).toEqual(['string format', '...args']);
  });

  it('knows builtins with call forms and looks through grouping parentheses', () => {
    expect(help('BEGIN { $t = nsecs(|')!.signatures[0].label).toBe('nsecs([monotonic|boot|tai|sw_tai clock])');
    expect(help('BEGIN { @x = hist((nsecs - @s) / |')).toMatchObject({ activeParameter: 0 });
  });

  it('is silent outside calls and for unknown functions', () => {
    expect(help('BEGIN { @x = 1|')).toBeUndefined();
    expect(help('BEGIN { foo(|')).toBeUndefined();
    expect(help('BEGIN { if (|')).toBeUndefined();
  });
});

describe('signatureHelpProvider', () => {
  it('adapts to Monaco for its own model', () => {
    const text = 'BEGIN { @x = sum(';
    const model = { id: 'm', getValue: () => text, getOffsetAt: () => text.length };
    const p = signatureHelpProvider({ modelId: () => 'm' });
    expect(p.signatureHelpTriggerCharacters).toEqual(['(', ',']);
    const r = p.provideSignatureHelp(model as never, {} as never, {} as never, {} as never) as {
      value: { signatures: Array<{ label: string; parameters: Array<{ label: string }> }>; activeParameter: number };
    };
    expect(r.value.signatures[0]).toMatchObject({ label: 'sum(int64 n)', parameters: [{ label: 'int64 n' }] });
    expect(
      signatureHelpProvider({ modelId: () => 'x' }).provideSignatureHelp(
        model as never,
        {} as never,
        {} as never,
        {} as never
      )
    ).toBeUndefined();
  });
});
