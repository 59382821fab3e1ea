import { situationAt } from './situation';

/** `|` marks the cursor. */
function at(textWithCursor: string) {
  const offset = textWithCursor.indexOf('|');
  const text = textWithCursor.slice(0, offset) + textWithCursor.slice(offset + 1);
  return situationAt(text, offset);
}

describe('situationAt', () => {
  it('is a probe position at the top level, with the probe typed so far', () => {
    expect(at('tracepoint:sch|')).toMatchObject({ kind: 'probe', prefix: 'tracepoint:sch', from: 0, to: 14 });
    expect(at('|')).toMatchObject({ kind: 'probe', prefix: '' });
    expect(at('BEGIN { @a = 1; }\nk|')).toMatchObject({ kind: 'probe', prefix: 'k' });
    expect(at('kprobe:a, kpr|obe:b { }')).toMatchObject({ kind: 'probe', prefix: 'kpr', from: 10, to: 18 });
  });

  it('is a filter inside /…/', () => {
    expect(at('kprobe:f /pi|')).toMatchObject({ kind: 'filter', prefix: 'pi' });
    expect(at('kprobe:f /pid == 1 && co|mm/ { }')).toMatchObject({ kind: 'filter', prefix: 'co' });
  });

  it('is an action inside {…}, knowing the map assignment', () => {
    expect(at('BEGIN { |')).toMatchObject({ kind: 'action', prefix: '' });
    expect(at('BEGIN { @x = co|')).toMatchObject({ kind: 'action', prefix: 'co', mapAssignment: true });
    expect(at('BEGIN { @x[comm, pid] = |')).toMatchObject({ kind: 'action', mapAssignment: true });
    expect(at('BEGIN { $x = |')).toMatchObject({ kind: 'action', mapAssignment: false });
    expect(at('BEGIN { if (1) { @|')).toMatchObject({ kind: 'action', prefix: '@' });
  });

  it('is function arguments inside a call, with the argument index', () => {
    expect(at('BEGIN { @x = lhist(arg0, 0, |')).toMatchObject({
      kind: 'functionArgs',
      within: 'action',
      call: { name: 'lhist', argIndex: 2 },
    });
    expect(at('BEGIN { @x = hist((nsecs - @s[tid]) / 1000|)')).toMatchObject({
      kind: 'functionArgs',
      call: { name: 'hist', argIndex: 0 },
    });
    expect(at('kprobe:f /strncmp(comm, "ba|')).toMatchObject({
      kind: 'string',
      call: { name: 'strncmp', argIndex: 1 },
    });
    expect(at('kprobe:f /strncmp(comm, |')).toMatchObject({ kind: 'functionArgs', within: 'filter' });
  });

  it('is not in a call inside a map key or after the call closed', () => {
    expect(at('BEGIN { @x = count(@y[|')).toMatchObject({ kind: 'action' });
    expect(at('BEGIN { printf("x"); |')).toMatchObject({ kind: 'action' });
    expect(at('BEGIN { if (|')).toMatchObject({ kind: 'action' });
  });

  it('knows comments and strings', () => {
    expect(at('// tracepoint:|')).toMatchObject({ kind: 'comment' });
    expect(at('BEGIN { /* coun| */ }')).toMatchObject({ kind: 'comment' });
    expect(at('BEGIN { /* open |')).toMatchObject({ kind: 'comment' });
    expect(at('BEGIN { /* x */ |')).toMatchObject({ kind: 'action' });
    expect(at('BEGIN { printf("%s|")')).toMatchObject({ kind: 'string' });
    expect(at('BEGIN { printf("%s")|')).toMatchObject({ kind: 'action' });
  });

  it('knows a struct member', () => {
    expect(at('tracepoint:a:b { $f = args->fi|')).toMatchObject({ kind: 'member', prefix: 'fi' });
    expect(at('tracepoint:a:b { $f = args.|')).toMatchObject({ kind: 'member', prefix: '' });
  });
});
