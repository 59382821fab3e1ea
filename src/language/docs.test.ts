import {
  BUILTINS,
  builtinDoc,
  formatSignature,
  FUNCTIONS,
  functionDoc,
  KEYWORDS,
  PROBE_TYPES,
  probeType,
  signaturesOf,
  SNIPPETS,
} from './docs';
import { lint } from './lints';

describe('docs', () => {
  it('knows every probe type of current bpftrace with its short names', () => {
    const expected: Record<string, string[]> = {
      tracepoint: ['t'],
      kprobe: ['k'],
      kretprobe: ['kr'],
      fentry: ['f', 'kfunc'],
      fexit: ['fr', 'kretfunc'],
      rawtracepoint: ['rt'],
      uprobe: ['u'],
      uretprobe: ['ur'],
      usdt: ['U'],
      profile: ['p'],
      interval: ['i'],
      software: ['s'],
      hardware: ['h'],
      iter: ['it'],
      watchpoint: ['w'],
      asyncwatchpoint: ['aw'],
      BEGIN: ['begin'],
      END: ['end'],
    };
    for (const [name, aliases] of Object.entries(expected)) {
      expect(probeType(name)?.name).toBe(name);
      for (const a of aliases) {
        expect(probeType(a)?.name).toBe(name);
      }
    }
    expect(probeType('u')?.name).toBe('uprobe');
    expect(probeType('U')?.name).toBe('usdt');
    expect(probeType('nope')).toBeUndefined();
  });

  it('has no duplicate names or aliases', () => {
    const names = PROBE_TYPES.flatMap((p) => [p.name, ...p.aliases]);
    expect(new Set(names).size).toBe(names.length);
    const fns = FUNCTIONS.map((f) => f.name);
    expect(new Set(fns).size).toBe(fns.length);
    expect(new Set(BUILTINS.map((b) => b.name)).size).toBe(BUILTINS.length);
  });

  it('describes every entry in one line of our own', () => {
    for (const d of [...PROBE_TYPES, ...FUNCTIONS, ...BUILTINS, ...KEYWORDS]) {
      expect(d.doc.length).toBeGreaterThan(10);
      expect(d.doc).not.toMatch(/\n/);
    }
  });

  it('has the functions and map functions of current bpftrace', () => {
    for (const name of ['count', 'sum', 'min', 'max', 'avg', 'stats', 'hist', 'lhist', 'tseries']) {
      expect(functionDoc(name)?.kind).toBe('map');
    }
    for (const name of [
      'printf',
      'print',
      'clear',
      'zero',
      'delete',
      'has_key',
      'len',
      'str',
      'buf',
      'ksym',
      'usym',
      'kaddr',
      'uaddr',
      'ntop',
      'pton',
      'strftime',
      'strncmp',
      'strcontains',
      'join',
      'exit',
      'cat',
      'system',
      'signal',
      'override',
      'reg',
      'kstack',
      'ustack',
      'cgroupid',
      'cgroup_path',
      'path',
      'macaddr',
      'bswap',
      'skboutput',
      'sizeof',
      'offsetof',
      'time',
    ]) {
      expect(functionDoc(name)).toBeDefined();
    }
    for (const name of [
      'pid',
      'tid',
      'uid',
      'gid',
      'comm',
      'nsecs',
      'elapsed',
      'cpu',
      'cgroup',
      'curtask',
      'rand',
      'retval',
      'func',
      'probe',
      'args',
      'kstack',
      'ustack',
      'arg0',
      'arg12',
      'sarg1',
    ]) {
      expect(builtinDoc(name)).toBeDefined();
    }
  });

  it('marks what bpftrace 0.17 lacks and what the PMDA cannot use', () => {
    expect(functionDoc('has_key')?.newerThan017).toBe(true);
    expect(functionDoc('strcontains')?.newerThan017).toBeFalsy();
    expect(functionDoc('avg')?.pmdaNote).toMatch(/PMDA/);
    expect(functionDoc('join')?.pmdaNote).toMatch(/never reaches Grafana/);
    expect(probeType('rawtracepoint')?.newerThan017).toBe(true);
  });

  it('formats signatures with optional and variadic parameters', () => {
    expect(formatSignature('hist', functionDoc('hist')!.signatures[1])).toEqual({
      label: 'hist(int64 n, [int k])',
      params: ['int64 n', '[int k]'],
    });
    expect(formatSignature('printf', functionDoc('printf')!.signatures[0]).label).toBe(
      'printf(string format, ...args)'
    );
    expect(signaturesOf('pid')).toHaveLength(1);
    expect(signaturesOf('comm')).toEqual([]);
  });

  it('ships snippets that the PMDA accepts as they are', () => {
    for (const s of SNIPPETS) {
      const code = s.body.replace(/\$\{\d+:([^}]*)\}/g, '$1').replace(/\$\d/g, '');
      const problems = lint(code).filter((d) => d.severity !== 'info');
      expect({ snippet: s.label, problems }).toEqual({ snippet: s.label, problems: [] });
    }
  });
});
