import { isIdleStack, isUnresolvedFrame, splitStackKey } from './stacks';
import { StackParser } from './stackParser';

/** Random keys of every shape ./stacks documents: parts before, between and after stacks, blank and perf-mode lines. */
function randomKeys(seed: number, count: number): string[] {
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];
  const names = [
    'do_idle',
    'cpuidle_enter',
    'asm_sysvec_apic_timer_interrupt',
    'f',
    'g.isra.0',
    'std::map<int, int>::find(int const&)',
    '0x7f3a00',
    'h',
  ];
  const line = () => {
    const r = random();
    const name = pick(names);
    return r < 0.1
      ? '    '
      : r < 0.2
        ? `\tffffffff8123abcd ${name}+${Math.floor(random() * 9)} ([kernel.kallsyms])`
        : `    ${name}+${Math.floor(random() * 4)}`;
  };
  const stack = () => '\n' + Array.from({ length: Math.floor(random() * 5) }, line).join('\n') + '\n';
  const keys = new Set<string>();
  while (keys.size < count) {
    const parts = Array.from({ length: 1 + Math.floor(random() * 3) }, () =>
      random() < 0.7 ? stack() : pick(['bash', 'node', '', '123'])
    );
    let key = parts.join(',');
    if (random() < 0.05 && key.endsWith('\n')) {
      key = key.slice(0, -1); // no closing newline: the rest is the block
    }
    keys.add(key);
  }
  return [...keys];
}

describe('StackParser', () => {
  it('gives what splitStackKey gives, as label ids, for keys of every shape, in any order', () => {
    const keys = randomKeys(11, 600);
    const whole = new StackParser();
    const backwards = new StackParser();
    const parsed = keys.map((key) => whole.parse(key));
    // A flame graph parses a key when a range first draws it: in no particular order.
    const parsedBackwards = [...keys]
      .reverse()
      .map((key) => backwards.parse(key))
      .reverse();
    keys.forEach((key, k) => {
      const { frames, parts } = splitStackKey(key);
      for (const [parser, p] of [
        [whole, parsed[k]],
        [backwards, parsedBackwards[k]],
      ] as const) {
        expect(p.frames.map((id) => parser.labels[id])).toEqual(frames);
        expect(p.parts.map((id) => parser.labels[id])).toEqual(parts);
        expect(p.idle).toBe(isIdleStack(frames));
      }
    });
    // One id per label, and the unresolved flag of each.
    expect(new Set(whole.labels).size).toBe(whole.labels.length);
    whole.labels.forEach((label, id) => expect(whole.unresolved[id]).toBe(isUnresolvedFrame(label)));
  });

  it('one label for lines that differ only in offset, indentation or address', () => {
    const parser = new StackParser();
    const [a, b] = ['\n    f+1\n    main+3\n', '\n\tffffffff8123abcd f+20 ([kernel.kallsyms])\n  main+9\n'].map((key) =>
      parser.parse(key)
    );
    expect(a.frames).toEqual(b.frames);
    expect([...parser.labels].sort()).toEqual(['f', 'main']);
  });

  it('lines named like an object property or an array index are labels like any other', () => {
    // The parser keeps lines in a prototype-less object: none of these may find anything else.
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '0', '4294967295', 'length'];
    const parser = new StackParser();
    const [a, b] = ['\n' + names.join('\n') + '\n', '\n' + names.map((n) => `    ${n}+1`).join('\n') + '\n'].map(
      (key) => parser.parse(key)
    );
    const outermostFirst = [...names].reverse();
    expect(a.frames.map((id) => parser.labels[id])).toEqual(outermostFirst);
    expect(b.frames).toEqual(a.frames);
  });
});
