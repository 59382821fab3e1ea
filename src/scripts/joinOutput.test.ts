import { fixtureOutput, readFixture } from '../test/fixtures';
import { joinedEventSplitter, usesJoin } from './joinOutput';

// joinsnoop.json was recorded from the real stack (tests/fixtures/record.mjs: pmproxy + pmcd +
// bpftrace PMDA + bpftrace 0.17): `printf("%-8d ", pid); join(args->argv);` — the PMDA dropped
// every join() message with its newline, leaving the pids glued into one unterminated line.
describe('join() output as the PMDA leaves it', () => {
  const code: string = readFixture('joinsnoop.json').code;

  it('the recorded output is the header and one unterminated run of glued events', () => {
    const text = fixtureOutput('joinsnoop.json', 0);
    expect(text.split('\n')).toHaveLength(2);
    expect(text.startsWith('PID      ARGS\n')).toBe(true);
    expect(text.endsWith('\n')).toBe(false);
  });

  it('cuts the run back into one line per event, stably as the text grows', () => {
    const split = joinedEventSplitter(code)!;
    const [first, second] = [0, 1].map((i) => fixtureOutput('joinsnoop.json', i));
    const lines = split(first).split('\n');
    expect(lines[0]).toBe('PID      ARGS');
    expect(lines.slice(1, -1).every((l) => /^\d+$/.test(l))).toBe(true);
    expect(lines.length - 2).toBe(
      first
        .slice(first.indexOf('\n') + 1)
        .trim()
        .split(/ +/).length
    );
    // The second text continues the first: so does its split (each event is cut the same way).
    expect(split(second).startsWith(split(first))).toBe(true);
  });

  it('leaves text alone that it cannot cut without guessing', () => {
    expect(joinedEventSplitter('k { printf("%s ", comm); join(args->argv); }')).toBeUndefined();
    expect(joinedEventSplitter('k { printf("%d\\n", pid); }')).toBeUndefined();
    const split = joinedEventSplitter('k { printf("%-6d %-16s ", pid, comm); join(args->argv); }')!;
    expect(split('H\n12     bash             13     ls               ')).toBe('H\n12     bash\n13     ls\n');
    expect(split('H\nnot what it prints')).toBe('H\nnot what it prints');
  });

  it('knows a script that uses join(), not one that mentions it in a comment', () => {
    expect(usesJoin(code)).toBe(true);
    expect(usesJoin('// join(x)\nk { printf("x\\n"); }')).toBe(false);
  });
});
