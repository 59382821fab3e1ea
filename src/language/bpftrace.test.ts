import type { Monaco } from '@grafana/ui';
import {
  LANGUAGE_ID,
  languageConfiguration,
  monarchLanguage,
  registerBpftraceLanguage,
  toMarkers,
  WORD_PATTERN,
} from './bpftrace';

function fakeMonaco() {
  const languages: Array<{ id: string }> = [];
  return {
    languages: {
      getLanguages: () => languages,
      register: jest.fn((l: { id: string }) => languages.push(l)),
      setMonarchTokensProvider: jest.fn(),
      setLanguageConfiguration: jest.fn(),
    },
    MarkerSeverity: { Error: 8, Warning: 4, Info: 2 },
  };
}

describe('the bpftrace language', () => {
  it('registers once per Monaco instance', () => {
    const monaco = fakeMonaco();
    registerBpftraceLanguage(monaco as unknown as Monaco);
    registerBpftraceLanguage(monaco as unknown as Monaco);
    expect(monaco.languages.register).toHaveBeenCalledTimes(1);
    expect(monaco.languages.register).toHaveBeenCalledWith(expect.objectContaining({ id: LANGUAGE_ID }));
    expect(monaco.languages.setMonarchTokensProvider).toHaveBeenCalledTimes(1);
    expect(monaco.languages.setLanguageConfiguration).toHaveBeenCalledWith(LANGUAGE_ID, languageConfiguration);
    const other = fakeMonaco();
    registerBpftraceLanguage(other as unknown as Monaco);
    expect(other.languages.register).toHaveBeenCalledTimes(1);
  });

  it('has a grammar whose states all exist', () => {
    const states = Object.keys(monarchLanguage.tokenizer);
    for (const rules of Object.values(monarchLanguage.tokenizer)) {
      for (const rule of rules as unknown[]) {
        const text = JSON.stringify(rule);
        for (const m of text.matchAll(/"(?:next|switchTo)":"@(\w+)"/g)) {
          if (!['pop', 'push', 'popall'].includes(m[1])) {
            expect(states).toContain(m[1]);
          }
        }
        const include = (rule as { include?: string }).include;
        if (include) {
          expect(states).toContain(include.slice(1));
        }
      }
    }
    expect(monarchLanguage.probeTypes).toEqual(expect.arrayContaining(['tracepoint', 't', 'kprobe', 'kr', 'U']));
    expect(monarchLanguage.functions).toContain('hist');
    expect(monarchLanguage.builtins).toContain('comm');
  });

  it('has a word pattern that keeps a probe spec, a map and a variable whole', () => {
    const words = (s: string) => s.match(new RegExp(WORD_PATTERN.source, 'g'));
    expect(words('tracepoint:sched:sched_switch { @lat[comm] = $x + $1; }')).toEqual([
      'tracepoint:sched:sched_switch',
      '@lat',
      'comm',
      '$x',
      '$1',
    ]);
    expect(words('uprobe:/usr/bin/bash:readline,software:cpu-clock:100')).toEqual([
      'uprobe:/usr/bin/bash:readline',
      'software:cpu-clock:100',
    ]);
    expect(words('hist(nsecs - @s)')).toEqual(['hist', 'nsecs', '@s']);
    expect(''.match(WORD_PATTERN)).toBeNull();
  });

  it('turns diagnostics into Monaco markers', () => {
    const monaco = fakeMonaco() as unknown as Monaco;
    expect(
      toMarkers(monaco, [
        {
          severity: 'error',
          code: 'bpftrace-error',
          message: 'm',
          startLine: 2,
          startColumn: 8,
          endLine: 2,
          endColumn: 15,
        },
        { severity: 'info', code: 'url-length', message: 'n', startLine: 1, startColumn: 1, endLine: 1, endColumn: 2 },
      ])
    ).toEqual([
      {
        severity: 8,
        message: 'm',
        code: 'bpftrace-error',
        source: 'bpftrace',
        startLineNumber: 2,
        startColumn: 8,
        endLineNumber: 2,
        endColumn: 15,
      },
      {
        severity: 2,
        message: 'n',
        code: 'url-length',
        source: 'bpflive',
        startLineNumber: 1,
        startColumn: 1,
        endLineNumber: 1,
        endColumn: 2,
      },
    ]);
  });
});
