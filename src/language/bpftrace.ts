import type { Monaco, monacoTypes } from '@grafana/ui';
import { PREAMBLE_KEYWORDS } from '../lexer/scan';
import { BUILTINS, FUNCTIONS, KEYWORDS, PROBE_TYPES } from './docs';
import { Diagnostic } from './diagnostics';

/**
 * The bpftrace language for Monaco: id, Monarch tokens and language configuration. Grafana
 * provides Monaco at run time; only its types are imported here.
 */

export const LANGUAGE_ID = 'bpftrace';

const probeTypeNames = PROBE_TYPES.flatMap((p) => [p.name, ...p.aliases]).filter(
  (n) => !/^(BEGIN|END|begin|end)$/.test(n)
);

/**
 * States: `root` is the top level (probes, preamble), `filter` is inside `/…/`, `action` inside
 * `{…}` (nested braces push it again). A `/` ends a filter when `{` or the end of the line follows.
 */
export const monarchLanguage: monacoTypes.languages.IMonarchLanguage & Record<string, unknown> = {
  defaultToken: '',
  tokenPostfix: '.bpftrace',
  probeTypes: probeTypeNames,
  keywords: KEYWORDS.map((k) => k.name),
  preamble: PREAMBLE_KEYWORDS,
  functions: FUNCTIONS.map((f) => f.name),
  builtins: BUILTINS.map((b) => b.name),
  escapes: /\\(?:[ntr\\"0]|x[0-9A-Fa-f]{1,2}|[0-7]{1,3})/,
  tokenizer: {
    root: [
      [/^(\s*#\s*\w+)(.*)$/, ['metatag', 'string']],
      { include: '@whitespace' },
      [/\b(BEGIN|END|begin|end)\b/, 'keyword'],
      [
        /[A-Za-z_]\w*(?=:)/,
        {
          cases: {
            '@probeTypes': { token: 'keyword', next: '@probeSpec' },
            '@default': { token: 'invalid', next: '@probeSpec' },
          },
        },
      ],
      [/[A-Za-z_]\w*/, { cases: { '@preamble': 'keyword', '@default': 'identifier' } }],
      [/\{/, { token: 'delimiter.curly', next: '@action' }],
      [/\//, { token: 'delimiter.filter', next: '@filter' }],
      [/[,;]/, 'delimiter'],
    ],
    probeSpec: [
      [/:(?=\/)/, { token: 'delimiter', next: '@probePath' }],
      [/:/, 'delimiter'],
      [/"[^"]*"/, 'string'],
      [/[*?]/, 'operator'],
      [/[\w.+\-[\]]+/, 'type'],
      [/(?=[^\w.+\-[\]:*?"])/, { token: '', next: '@pop' }],
    ],
    probePath: [[/\/[^\s:,{"]*/, { token: 'string', next: '@pop' }]],
    filter: [
      [/\/(?=\s*(\{|$))/, { token: 'delimiter.filter', next: '@pop' }],
      [/\{/, { token: 'delimiter.curly', switchTo: '@action' }],
      { include: '@expression' },
    ],
    action: [
      [/\{/, { token: 'delimiter.curly', next: '@push' }],
      [/\}/, { token: 'delimiter.curly', next: '@pop' }],
      { include: '@expression' },
    ],
    expression: [
      { include: '@whitespace' },
      [/"/, { token: 'string.quote', next: '@string' }],
      [/@\w*/, 'tag'],
      [/\$(\d+|#)/, 'constant'],
      [/\$\w*/, 'variable'],
      [/\b(s?arg\d+)\b/, 'predefined'],
      [/\(\s*(struct|union|enum)\s+\w+\s*\**\s*\)/, 'type'],
      [
        /[A-Za-z_]\w*(?=\s*\()/,
        {
          cases: {
            '@keywords': 'keyword',
            '@functions': 'predefined',
            '@builtins': 'predefined',
            '@default': 'identifier',
          },
        },
      ],
      [
        /[A-Za-z_]\w*/,
        {
          cases: {
            '@keywords': 'keyword',
            '@builtins': 'predefined',
            '@functions': 'predefined',
            '@default': 'identifier',
          },
        },
      ],
      [/0[xX][0-9a-fA-F_]+/, 'number.hex'],
      [/\d[\d_]*(e\d+)?(ns|us|ms|s|m|h|d)?\b/, 'number'],
      [/->|\.\./, 'delimiter'],
      [/[=!<>]=|&&|\|\||<<|>>|\+\+|--|[-+*/%&|^]=?|[<>!~?:=]/, 'operator'],
      [/[()[\].,;]/, 'delimiter'],
    ],
    string: [
      [/[^\\"]+/, 'string'],
      [/@escapes/, 'string.escape'],
      [/\\./, 'string.escape.invalid'],
      [/"/, { token: 'string.quote', next: '@pop' }],
    ],
    whitespace: [
      [/[ \t\r\n]+/, ''],
      [/\/\*/, 'comment', '@comment'],
      [/\/\/.*$/, 'comment'],
    ],
    comment: [
      [/[^/*]+/, 'comment'],
      [/\*\//, 'comment', '@pop'],
      [/[/*]/, 'comment'],
    ],
  },
};

/**
 * A word is an identifier, `@map`, `$var`, or a whole probe spec: `tracepoint:sched:sched_switch`
 * (and `uprobe:/bin/bash:readline`) is one word, so a completion replaces it whole.
 */
export const WORD_PATTERN = /(@|\$)?[A-Za-z_]\w*(?::[^\s,{}()";]*)*|\$\d+|\$#|@/;

export const languageConfiguration: monacoTypes.languages.LanguageConfiguration = {
  wordPattern: WORD_PATTERN,
  comments: { lineComment: '//', blockComment: ['/*', '*/'] },
  brackets: [
    ['{', '}'],
    ['[', ']'],
    ['(', ')'],
  ],
  autoClosingPairs: [
    { open: '{', close: '}' },
    { open: '[', close: ']' },
    { open: '(', close: ')' },
    { open: '"', close: '"', notIn: ['string', 'comment'] },
    { open: '/*', close: ' */', notIn: ['string'] },
  ],
  surroundingPairs: [
    { open: '{', close: '}' },
    { open: '[', close: ']' },
    { open: '(', close: ')' },
    { open: '"', close: '"' },
  ],
  indentationRules: {
    increaseIndentPattern: /\{[^}"']*$/,
    decreaseIndentPattern: /^\s*\}/,
  },
};

const registered = new WeakSet<object>();

/**
 * Registers the language with a Monaco instance, once: registrations are global to the instance
 * and would otherwise pile up with every editor mounted.
 */
export function registerBpftraceLanguage(monaco: Monaco): void {
  if (registered.has(monaco)) {
    return;
  }
  registered.add(monaco);
  if (!monaco.languages.getLanguages().some((l) => l.id === LANGUAGE_ID)) {
    monaco.languages.register({ id: LANGUAGE_ID, extensions: ['.bt'], aliases: ['bpftrace', 'bt'] });
  }
  monaco.languages.setMonarchTokensProvider(LANGUAGE_ID, monarchLanguage);
  monaco.languages.setLanguageConfiguration(LANGUAGE_ID, languageConfiguration);
}

/** Monaco markers for diagnostics. */
export function toMarkers(monaco: Monaco, diagnostics: Diagnostic[]): monacoTypes.editor.IMarkerData[] {
  const severity = {
    error: monaco.MarkerSeverity.Error,
    warning: monaco.MarkerSeverity.Warning,
    info: monaco.MarkerSeverity.Info,
  };
  return diagnostics.map((d) => ({
    severity: severity[d.severity],
    message: d.message,
    code: d.code,
    source: d.code.startsWith('bpftrace') ? 'bpftrace' : 'bpflive',
    startLineNumber: d.startLine,
    startColumn: d.startColumn,
    endLineNumber: d.endLine,
    endColumn: d.endColumn,
  }));
}

/** The owner of bpflive's markers on a model. */
export const MARKER_OWNER = 'bpflive';
