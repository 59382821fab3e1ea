import type { Monaco, monacoTypes } from '@grafana/ui';
import { builtinDoc, formatSignature, functionDoc, isKeyword, KEYWORDS, probeType } from './docs';
import { pmdaView, PmdaVariableKind, VALID_MAP_NAME } from './pmdaView';
import { ProbeCatalog } from './probeCatalog';
import { scan, ScanResult, Token, tokenAt, tokenUnder } from '../lexer/scan';

/** Hover docs for functions, builtins, keywords, probes, maps and variables. Pure; `hoverProvider` adapts. */

export interface HoverInfo {
  /** The word hovered. */
  from: number;
  to: number;
  /** Markdown paragraphs. */
  contents: string[];
}

export function hoverAt(text: string, offset: number, ctx: { catalog?: ProbeCatalog } = {}): HoverInfo | undefined {
  const scanned = scan(text);
  // Under the mouse, or just before it (Monaco's position is between characters).
  const token = tokenUnder(scanned, offset) ?? tokenAt(scanned, offset);
  if (!token) {
    return undefined;
  }
  const contents = describe(token, scanned, ctx.catalog);
  return contents ? { from: token.start, to: token.end, contents } : undefined;
}

function describe(token: Token, scanned: ScanResult, catalog?: ProbeCatalog): string[] | undefined {
  switch (token.kind) {
    case 'ident':
      return describeWord(token, scanned);
    case 'probe':
      return describeProbe(token.text, catalog);
    case 'map':
      return describeMap(token.text, scanned);
    case 'scratch':
      return [
        `**${token.text}** — scratch variable`,
        'Lives only while one probe fires; invisible to other probes and to Grafana. Store it in a map (`@name = …`) to see it.',
      ];
    case 'param':
      return [
        `**${token.text}** — positional parameter`,
        'The bpftrace PMDA starts bpftrace without arguments, so this is 0 (or an empty string). Write the value into the script instead.',
      ];
    default:
      return undefined;
  }
}

function describeWord(token: Token, scanned: ScanResult): string[] | undefined {
  const name = token.text;
  const i = scanned.tokens.indexOf(token);
  const called = scanned.tokens[i + 1]?.text === '(';
  const f = functionDoc(name);
  const b = builtinDoc(name);
  if (f && (called || !b)) {
    const sigs = f.signatures.map((s) => formatSignature(f.name, s).label).join('\n');
    const tags = [
      f.kind === 'map' ? 'map function: assign it to a map, `@x = ' + f.name + '(…)`' : '',
      f.async ? 'async: takes effect later, in user space' : '',
      f.unsafe ? 'unsafe: needs `--unsafe`, which the PMDA does not pass' : '',
    ].filter(Boolean);
    return [
      '```\n' + sigs + '\n```',
      f.doc,
      ...(tags.length ? [tags.join(' · ')] : []),
      ...(f.pmdaNote ? [`⚠ ${f.pmdaNote}`] : []),
      ...(f.newerThan017 ? ['Newer than bpftrace 0.17 (Debian 12): check the host’s bpftrace version.'] : []),
    ];
  }
  if (b) {
    const forms = b.signatures ? b.signatures.map((s) => formatSignature(name, s).label).join('\n') : '';
    return [
      '```\n' +
        `${b.type} ${b.name === 'argN' || b.name === 'sargN' ? name : b.name}` +
        (forms ? `\n${forms}` : '') +
        '\n```',
      b.doc,
      ...(b.probes ? [`In: ${b.probes}.`] : []),
      ...(b.newerThan017 ? ['Newer than bpftrace 0.17 (Debian 12): check the host’s bpftrace version.'] : []),
    ];
  }
  if (isKeyword(name)) {
    const k = KEYWORDS.find((x) => x.name === name)!;
    return [`**${name}** — keyword`, k.doc];
  }
  return undefined;
}

function describeProbe(text: string, catalog?: ProbeCatalog): string[] | undefined {
  const colon = text.indexOf(':');
  const provider = colon < 0 ? text : text.slice(0, colon);
  const rest = colon < 0 ? '' : text.slice(colon + 1);
  const doc = probeType(provider);
  if (!doc) {
    return undefined;
  }
  const out = [
    `**${doc.name}**${doc.aliases.length ? ` (${doc.aliases.join(', ')})` : ''} — probe`,
    doc.doc,
    doc.forms.map((f) => `\`${f}\``).join(' · '),
  ];
  if (doc.newerThan017) {
    out.push('Newer than bpftrace 0.17 (Debian 12): check the host’s bpftrace version.');
  }
  if (catalog && doc.listing === 'host' && rest !== '') {
    const source = (doc.listedAs ?? []).find((p) => catalog.hasProvider(p));
    if (!source) {
      out.push(`This host lists no ${doc.name} probes.`);
    } else if (/[*?]/.test(rest)) {
      const { rests, more } = catalog.matching(source, rest, 5);
      out.push(
        rests.length === 0
          ? 'Matches none of the probes this host lists.'
          : `On this host it matches ${more ? 'more than 5' : rests.length} probe${rests.length === 1 && !more ? '' : 's'}: ` +
              rests.map((r) => `\`${source}:${r}\``).join(', ') +
              (more ? ' …' : '')
      );
    } else {
      out.push(catalog.has(source, rest) ? 'Listed on this host.' : 'Not in this host’s probe list.');
    }
  }
  return out;
}

const KIND_TEXT: Record<PmdaVariableKind, string> = {
  histogram: 'a histogram (a heatmap over time, or the latest buckets)',
  counter: 'a counter (a per-second rate by default)',
  stacks: 'stacks (a flame graph)',
  instant: 'a value per key (shown as it is)',
  output: 'text',
};

function describeMap(name: string, scanned: ScanResult): string[] {
  const view = pmdaView(scanned.text, scanned);
  const v = view.variables.find((x) => x.name === name);
  const head = `**${name}** — map`;
  if (v) {
    return [head, `The bpftrace PMDA exports it as ${KIND_TEXT[v.kind]}${v.func ? `, from ${v.func}()` : ''}.`];
  }
  const misread = view.matches.find((m) => !VALID_MAP_NAME.test(m.name) && m.name.startsWith(name));
  if (misread) {
    return [head, `The PMDA misreads it as "${misread.name}": see the marker.`];
  }
  return [head, 'Not exported: the PMDA exports maps assigned with `@name = …` on a line.'];
}

export function hoverProvider(
  monaco: Monaco,
  deps: { modelId: () => string | undefined; catalog: () => ProbeCatalog | undefined }
): monacoTypes.languages.HoverProvider {
  return {
    provideHover(model, position) {
      if (model.id !== deps.modelId()) {
        return undefined;
      }
      const info = hoverAt(model.getValue(), model.getOffsetAt(position), { catalog: deps.catalog() });
      if (!info) {
        return undefined;
      }
      const from = model.getPositionAt(info.from);
      const to = model.getPositionAt(info.to);
      return {
        range: new monaco.Range(from.lineNumber, from.column, to.lineNumber, to.column),
        contents: info.contents.map((value) => ({ value })),
      };
    },
  };
}
