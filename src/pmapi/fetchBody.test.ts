import { readdirSync } from 'fs';
import { join } from 'path';

import { readFixture } from '../test/fixtures';
import { FetchBody, fetchBodyOf, RawFetch, readFetchAnswer, readFetchBody } from './fetchBody';
import { parsePmproxyJson } from './json';

/** The general reading (JSON.parse, any spelling): what readFetchBody must agree with. */
const general = (text: string, isString: (name: string) => boolean): FetchBody =>
  fetchBodyOf(parsePmproxyJson<RawFetch>(text), isString);

const notString = () => false;

/**
 * Fetch answers as recorded from the real stack (tests/fixtures: pmproxy 6.0.3, the bpftrace PMDA,
 * bpftrace 0.17): every sample's fetch and every register read-back, with the metric types the
 * recording saw (string metrics: printf output, the control metrics).
 */
function recordedAnswers(): Array<{ file: string; text: string; strings: Set<string> }> {
  const dir = join(__dirname, '../../tests/fixtures');
  const answers: Array<{ file: string; text: string; strings: Set<string> }> = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'series.json')) {
    const fixture = readFixture(file);
    const strings = new Set<string>();
    for (const sample of fixture.samples ?? []) {
      for (const m of JSON.parse(sample.metric).metrics ?? []) {
        if (m.type === 'string') {
          strings.add(m.name);
        }
      }
    }
    // The control metrics the read-back fetches are strings (the PMDA's JSON answer).
    strings.add('bpftrace.control.register');
    for (const text of [fixture.readBack, ...(fixture.samples ?? []).map((s: { fetch: string }) => s.fetch)]) {
      if (typeof text === 'string' && text.startsWith('{')) {
        answers.push({ file, text, strings });
      }
    }
  }
  return answers;
}

describe('readFetchBody: answers recorded from the real pmproxy', () => {
  const answers = recordedAnswers();

  it('has recorded answers to read, with printf text, stacks and counts among them', () => {
    expect(answers.length).toBeGreaterThanOrEqual(20);
    expect(answers.some((a) => a.text.includes('\\u0022'))).toBe(true);
  });

  it.each(answers.map((a, i) => [`${a.file} #${i}`, a] as const))(
    'reads %s in one pass, exactly as JSON.parse reads it',
    (_, { text, strings }) => {
      const isString = (name: string) => strings.has(name);
      const read = readFetchBody(text, isString);
      expect(read).toBeDefined();
      expect(read).toEqual(general(text, isString));
    }
  );
});

describe('readFetchBody: pmproxy’s spelling with every kind of value', () => {
  /** A seeded generator (mulberry32): the same bodies on every run. */
  function random(seed: number) {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const NUMBERS = [
    '0',
    '-0',
    '7',
    '-42',
    '123456789012345', // 15 digits: accumulated
    '1234567890123456', // 16: read by Number()
    '18446744073709551615', // a u64 counter near its wrap
    '9007199254740993', // 2^53 + 1: rounds as JSON.parse rounds it
    '0.5',
    '-12.25',
    '1e3',
    '2.5E-7',
    '6.02e+23',
    '1795320850.6659325',
  ];
  /** As pmproxy writes them: seconds, an unpadded fraction or none (with an exponent: see the give-ups). */
  const TIMESTAMPS = ['7', '0.5', '1795320850.6659325', '1795320762.297247045', '1795326068'];
  const STRINGS = ['""', '"comm"', '"a \\"quoted\\" word"', '"tab\\tnew\\nline"', '"\\u0022json\\u0022"', '"é ✓ 😀"'];

  function body(next: () => number): string {
    const pick = <T>(xs: T[]) => xs[Math.floor(next() * xs.length)];
    const metrics = Array.from({ length: 1 + Math.floor(next() * 3) }, (_, m) => {
      const instances = Array.from({ length: Math.floor(next() * 6) }, (_, i) => {
        const instance = next() < 0.2 ? 'null' : String(i * 3);
        const value = next() < 0.15 ? 'null' : next() < 0.3 ? pick(STRINGS) : pick(NUMBERS);
        return `{"instance":${instance},"value":${value}}`;
      });
      return `{"pmid":"151.${m}.0","name":"bpftrace.scripts.s.data.v${m}","instances":[${instances.join(',')}]}`;
    });
    return `{"context":${Math.floor(next() * 1e9)},"timestamp":${pick(TIMESTAMPS)},"values":[${metrics.join(',')}]}`;
  }

  it('agrees with JSON.parse on 500 generated answers, string metrics or not', () => {
    const next = random(13);
    for (let n = 0; n < 500; n++) {
      const text = body(next);
      const isString = (name: string) => name.endsWith('v1');
      const read = readFetchBody(text, isString);
      expect(read).toBeDefined();
      expect(read).toEqual(general(text, isString));
    }
  });

  it('keeps -0 and numbers past 2^53 as JSON.parse reads them', () => {
    const text =
      '{"context":1,"timestamp":5.5,"values":[{"pmid":"1","name":"m","instances":[{"instance":0,"value":-0},{"instance":1,"value":9007199254740993}]}]}';
    const values = readFetchBody(text, notString)!.values[0].instances.map((i) => i.value);
    expect(Object.is(values[0], -0)).toBe(true);
    expect(values[1]).toBe(9007199254740992);
  });

  it('reads the unpadded fraction of the top-level timestamp as nanoseconds, and nothing else', () => {
    const text =
      '{"context":1,"timestamp":1795320850.6659325,"values":[{"pmid":"1","name":"m","instances":[{"instance":null,"value":1.5}]}]}';
    const read = readFetchBody(text, notString)!;
    expect(read.timestamp).toBe(1795320850.006659325);
    expect(read.values[0].instances[0].value).toBe(1.5);
  });

  it('gives no value for a string metric’s number (pmproxy prints 0 for PM_ERR_VALUE), keeps its text', () => {
    const text =
      '{"context":1,"timestamp":1.5,"values":[{"pmid":"1","name":"out","instances":[{"instance":null,"value":0}]},{"pmid":"2","name":"out2","instances":[{"instance":null,"value":"line\\n"}]}]}';
    const read = readFetchBody(text, () => true)!;
    expect(read.values.map((v) => v.instances[0].value)).toEqual([null, 'line\n']);
  });

  it('reads right with one reader for every answer, even one read from inside another', () => {
    // One reader serves every answer (see FetchReader). A callback that read an answer itself
    // would take it over mid-read: the outer answer must still come out right (JSON.parse).
    const outer =
      '{"context":1,"timestamp":1.5,"values":[{"pmid":"1","name":"a","instances":[{"instance":0,"value":1}]},{"pmid":"2","name":"b","instances":[{"instance":1,"value":2}]}]}';
    const inner =
      '{"context":2,"timestamp":2.5,"values":[{"pmid":"3","name":"c","instances":[{"instance":7,"value":70}]}]}';
    let innerRead: FetchBody | undefined;
    const nesting = (name: string) => {
      if (name === 'b') {
        innerRead = readFetchAnswer(inner, notString);
      }
      return false;
    };
    expect(readFetchAnswer(outer, nesting)).toEqual(general(outer, notString));
    expect(innerRead).toEqual(general(inner, notString));
    // And the next answer is read in one pass again.
    expect(readFetchBody(inner, notString)).toEqual(general(inner, notString));
  });

  it('hands out new arrays and objects per answer: an answer, once read, never changes', () => {
    const text =
      '{"context":1,"timestamp":1.5,"values":[{"pmid":"1","name":"m","instances":[{"instance":0,"value":1},{"instance":1,"value":2}]}]}';
    const first = readFetchBody(text, notString)!;
    const again = readFetchBody(text.replace('"value":1}', '"value":9}'), notString)!;
    expect(first.values[0].instances).toEqual([
      { instance: 0, value: 1 },
      { instance: 1, value: 2 },
    ]);
    expect(again.values[0].instances[0]).toEqual({ instance: 0, value: 9 });
    expect(again.values[0].instances).not.toBe(first.values[0].instances);
  });
});

describe('readFetchBody on mutated answers: a value only where JSON.parse reads the same', () => {
  /** Characters that matter to the grammar, and some JSON rejects (form feed, NBSP, raw controls). */
  const ALPHABET = [
    '-',
    '+',
    '.',
    'e',
    'E',
    '0',
    '1',
    '9',
    '"',
    '\\',
    'u',
    ',',
    '[',
    ']',
    '{',
    '}',
    ':',
    ' ',
    '\t',
    '\f',
    '\u00a0',
    '\u0001',
    'n',
  ];

  it('agrees with JSON.parse (or gives up) on 20,000 one-character edits of pmproxy-spelled answers', () => {
    let seed = 99;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const bases = [
      '{"context":1,"timestamp":1795320850.6659325,"values":[{"pmid":"151.1.0","name":"m","instances":[{"instance":0,"value":-12.5e3},{"instance":null,"value":"a \\"b\\" \\u0022c"}]}]}\r\n',
      '{"context":2,"timestamp":7,"values":[{"pmid":"1","name":"out","instances":[{"instance":3,"value":0}]},{"pmid":"2","name":"m","instances":[]}]}',
    ];
    let accepted = 0;
    for (let n = 0; n < 20_000; n++) {
      const base = bases[n % bases.length];
      const at = Math.floor(next() * base.length);
      const c = ALPHABET[Math.floor(next() * ALPHABET.length)];
      const edit = next();
      const text =
        edit < 0.4
          ? base.slice(0, at) + c + base.slice(at)
          : edit < 0.7
            ? base.slice(0, at) + c + base.slice(at + 1)
            : base.slice(0, at) + base.slice(at + 1);
      const isString = (name: string) => name === 'out';
      let reference: FetchBody | undefined;
      try {
        reference = general(text, isString);
      } catch {
        reference = undefined;
      }
      const read = readFetchBody(text, isString);
      if (read !== undefined) {
        accepted++;
        expect(reference).toBeDefined();
        expect(read).toEqual(reference);
      }
    }
    // Many edits keep the text valid (a digit for a digit …): the comparison above ran on them.
    expect(accepted).toBeGreaterThan(1000);
  });
});

describe('readFetchBody gives up on anything but pmproxy’s spelling (the caller then uses JSON.parse)', () => {
  const ok = '{"context":1,"timestamp":1.5,"values":[{"pmid":"1","name":"m","instances":[{"instance":0,"value":1}]}]}';

  it('reads the reference answer', () => {
    expect(readFetchBody(ok, notString)).toBeDefined();
  });

  it.each([
    ['whitespace between tokens', ok.replace('"values":[', '"values": [')],
    ['members in another order', ok.replace('"pmid":"1","name":"m"', '"name":"m","pmid":"1"')],
    ['another member', ok.replace('"value":1}', '"value":1,"labels":{}}')],
    ['no values', '{"context":1,"timestamp":1.5}'],
    ['text after the answer', ok + 'x'],
    ['a truncated answer', ok.slice(0, ok.length - 3)],
    ['a leading zero', ok.replace('"value":1}', '"value":01}')],
    ['a fraction without digits', ok.replace('"value":1}', '"value":1.}')],
    ['an exponent without digits', ok.replace('"value":1}', '"value":1e}')],
    ['a lone minus', ok.replace('"value":1}', '"value":-}')],
    ['a boolean', ok.replace('"value":1}', '"value":true}')],
    ['a raw control character in a string', ok.replace('"name":"m"', '"name":"m\u0001"')],
    ['a bad escape', ok.replace('"name":"m"', '"name":"m\\x"')],
    [
      'a timestamp with an exponent (./json would pad the digits before it)',
      ok.replace('"timestamp":1.5', '"timestamp":12.5e0'),
    ],
    ['an error answer', '{"message":"Unknown metric name","success":false}'],
  ])('%s', (_, text) => {
    expect(readFetchBody(text, notString)).toBeUndefined();
  });
});
