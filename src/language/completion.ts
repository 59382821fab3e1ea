import type { Monaco, monacoTypes } from '@grafana/ui';
import {
  BUILTINS,
  FunctionDoc,
  FUNCTIONS,
  formatSignature,
  functionDoc,
  builtinDoc,
  KEYWORDS,
  PROBE_TYPES,
  probeType,
  ProbeTypeDoc,
  SNIPPETS,
} from './docs';
import { pmdaView } from './pmdaView';
import { ProbeCatalog } from './probeCatalog';
import { scan, ScanResult } from '../lexer/scan';
import { Situation, situationAt } from './situation';

/**
 * Completion that knows where the cursor is: probe types and the host's probes where a probe
 * goes, functions, builtins and the script's own maps and variables in filters and actions,
 * argument values inside calls. `completeAt` is pure; `completionProvider` adapts it to Monaco.
 */

export type EntryKind =
  | 'probeType'
  | 'probe'
  | 'probeGroup'
  | 'function'
  | 'mapFunction'
  | 'builtin'
  | 'map'
  | 'variable'
  | 'keyword'
  | 'snippet'
  | 'value';

export interface CompletionEntry {
  label: string;
  kind: EntryKind;
  insertText: string;
  /** insertText is a snippet (`hist(${1:n})`). */
  snippet?: boolean;
  detail?: string;
  documentation?: string;
  sortText?: string;
  /** What Monaco matches the typed word against, when not the label. */
  filterText?: string;
  /** Open the suggestions again after inserting (`tracepoint:` → its subsystems). */
  retrigger?: boolean;
}

export interface CompletionResult {
  items: CompletionEntry[];
  /** The range replaced: the word under the cursor. */
  from: number;
  to: number;
  /** More would match a longer prefix: ask again on the next keystroke. */
  incomplete: boolean;
  situation: Situation;
}

/**
 * What completion reads of a host's probe list: the few ProbeCatalog methods it calls. A
 * stand-in (bench/completion.bench.ts gives main's older catalog) is then checked against them.
 */
export type CompletionCatalog = Pick<ProbeCatalog, 'hasProvider' | 'groups' | 'withPrefix' | 'withLastSegment'>;

export interface CompletionContext {
  /** The host's probes, once loaded. */
  catalog?: CompletionCatalog;
}

/** Full probe names listed at most; past that, the list narrows by typing. */
export const PROBE_LIMIT = 200;
const GROUP_LIMIT = 500;

export function completeAt(text: string, offset: number, ctx: CompletionContext = {}): CompletionResult {
  const scanned = scan(text);
  const situation = situationAt(text, offset, scanned);
  const result = (items: CompletionEntry[], incomplete = false): CompletionResult => ({
    items,
    from: situation.from,
    to: situation.to,
    incomplete,
    situation,
  });

  switch (situation.kind) {
    case 'comment':
    case 'string':
    case 'member':
    case 'preamble':
      return result([]);
    case 'probe':
      return probeCompletion(situation, ctx, result);
    case 'functionArgs': {
      const values = argumentValues(situation.call!.name, situation.call!.argIndex, scanned);
      return result([...values, ...expressionItems(situation, scanned, situation.within ?? 'action')]);
    }
    case 'filter':
    case 'action':
      return result(expressionItems(situation, scanned, situation.kind));
  }
}

// ---------------------------------------------------------------------------------------------
// Where a probe goes

function probeCompletion(
  situation: Situation,
  ctx: CompletionContext,
  result: (items: CompletionEntry[], incomplete?: boolean) => CompletionResult
): CompletionResult {
  const prefix = situation.prefix;
  const colon = prefix.indexOf(':');
  if (colon < 0) {
    return result([...probeTypeItems(), ...snippetItems()]);
  }
  const provider = prefix.slice(0, colon);
  const rest = prefix.slice(colon + 1);
  const doc = probeType(provider);
  if (!doc || doc.bare) {
    return result([]);
  }
  if (doc.listing === 'static') {
    return result(staticEventItems(provider, rest, doc));
  }
  if (doc.name === 'profile' || doc.name === 'interval') {
    return result(timerItems(provider, rest, doc));
  }
  if (!doc.listedAs) {
    return result([]);
  }
  const catalog = ctx.catalog;
  if (!catalog) {
    // Not loaded yet: ask again on the next keystroke.
    return result([], doc.listing === 'host');
  }
  const source = doc.listedAs.find((p) => catalog.hasProvider(p));
  if (!source) {
    return result([]);
  }
  return hostProbeItems(catalog, source, provider, rest, doc, result);
}

function hostProbeItems(
  catalog: CompletionCatalog,
  source: string,
  provider: string,
  rest: string,
  doc: ProbeTypeDoc,
  result: (items: CompletionEntry[], incomplete?: boolean) => CompletionResult
): CompletionResult {
  const items: CompletionEntry[] = [];
  const typed = `${provider}:${rest}`;
  // Segments first (subsystems, modules) while the rest has no ':' of its own.
  if (!rest.includes(':')) {
    for (const g of catalog.groups(source, rest, GROUP_LIMIT)) {
      items.push({
        label: `${provider}:${g.segment}:`,
        kind: 'probeGroup',
        insertText: `${provider}:${g.segment}:`,
        detail: `${g.count.toLocaleString('en-US')} ${g.count === 1 ? 'probe' : 'probes'}`,
        sortText: `0${g.segment}`,
        retrigger: true,
      });
    }
  }
  const { rests, total } = catalog.withPrefix(source, rest, PROBE_LIMIT);
  const many = total > PROBE_LIMIT;
  // With groups on offer, whole names only once the choice is narrow.
  if (items.length === 0 || total <= PROBE_LIMIT) {
    for (const r of rests) {
      items.push(probeItem(provider, r, doc, `1${r}`));
    }
  }
  // `tracepoint:sched_sw` → tracepoint:sched:sched_switch: match the last segment too.
  if (items.length === 0 && rest.length >= 2 && !rest.includes(':')) {
    for (const r of catalog.withLastSegment(source, rest, PROBE_LIMIT)) {
      items.push({ ...probeItem(provider, r, doc, `2${r}`), filterText: `${typed}${r}` });
    }
  }
  return result(items, many || items.length >= PROBE_LIMIT);
}

function probeItem(provider: string, rest: string, doc: ProbeTypeDoc, sortText: string): CompletionEntry {
  return {
    label: `${provider}:${rest}`,
    kind: 'probe',
    insertText: `${provider}:${rest}`,
    detail: doc.name,
    sortText,
  };
}

function probeTypeItems(): CompletionEntry[] {
  return PROBE_TYPES.map((p) => ({
    label: p.name,
    kind: 'probeType',
    insertText: p.bare ? p.name : `${p.name}:`,
    detail: p.aliases.length ? `probe type · ${p.aliases.join(', ')}` : 'probe type',
    documentation: `${p.doc}\n\n${p.forms.map((f) => `\`${f}\``).join(' · ')}${p.newerThan017 ? '\n\nNewer than bpftrace 0.17.' : ''}`,
    filterText: [p.name, ...p.aliases].join(' '),
    sortText: `${p.newerThan017 || ['bench', 'test', 'self'].includes(p.name) ? '2' : '1'}${p.name}`,
    retrigger: !p.bare,
  }));
}

function snippetItems(): CompletionEntry[] {
  return SNIPPETS.map((s) => ({
    label: s.label,
    kind: 'snippet',
    insertText: s.body,
    snippet: true,
    detail: s.detail,
    documentation: s.doc,
    sortText: `3${s.label}`,
  }));
}

function staticEventItems(provider: string, rest: string, doc: ProbeTypeDoc): CompletionEntry[] {
  if (rest.includes(':')) {
    return [];
  }
  return (doc.events ?? []).map((e) => ({
    label: `${provider}:${e}:`,
    kind: 'probe',
    insertText: `${provider}:${e}:`,
    detail: `${doc.name} event`,
    documentation: 'Optionally followed by a count: fire every N events.',
    sortText: `1${e}`,
  }));
}

function timerItems(provider: string, rest: string, doc: ProbeTypeDoc): CompletionEntry[] {
  if (rest.includes(':')) {
    return [];
  }
  const units: Array<[string, string, string]> =
    doc.name === 'profile'
      ? [
          ['hz', '99', 'samples per second on every CPU (99 avoids lockstep with timers)'],
          ['ms', '10', 'every N milliseconds on every CPU'],
          ['us', '100', 'every N microseconds on every CPU'],
          ['s', '1', 'every N seconds on every CPU'],
        ]
      : [
          ['s', '1', 'every N seconds'],
          ['ms', '100', 'every N milliseconds'],
          ['us', '100', 'every N microseconds'],
          ['hz', '1', 'N times a second'],
        ];
  return units.map(([unit, n, what], i) => ({
    label: `${provider}:${unit}:${n}`,
    kind: 'probe',
    insertText: `${provider}:${unit}:\${1:${n}}`,
    snippet: true,
    detail: what,
    sortText: `1${i}`,
  }));
}

// ---------------------------------------------------------------------------------------------
// Filters and actions

function expressionItems(situation: Situation, scanned: ScanResult, within: 'filter' | 'action'): CompletionEntry[] {
  const prefix = situation.prefix;
  const items: CompletionEntry[] = [];
  if (prefix.startsWith('@')) {
    return mapItems(scanned);
  }
  if (prefix.startsWith('$')) {
    return variableItems(scanned);
  }
  const inAssignment = situation.mapAssignment === true;
  for (const f of FUNCTIONS) {
    // Map functions only stand alone in an action (`@x = count()`), never in a filter or an argument.
    if (f.kind === 'map' && situation.kind !== 'action') {
      continue;
    }
    items.push(functionItem(f, inAssignment));
  }
  const functionNames = new Set(FUNCTIONS.map((f) => f.name));
  for (const b of BUILTINS) {
    if (functionNames.has(b.name)) {
      continue;
    }
    items.push({
      label: b.name,
      kind: 'builtin',
      insertText: b.name,
      detail: b.type,
      documentation: builtinDocText(b.name),
      sortText: `2${b.name}`,
    });
  }
  if (within === 'action' && situation.kind === 'action') {
    for (const k of KEYWORDS) {
      items.push({
        label: k.name,
        kind: 'keyword',
        insertText: k.snippet ?? k.name,
        snippet: !!k.snippet,
        detail: 'keyword',
        documentation: k.doc + (k.newerThan017 ? ' Newer than bpftrace 0.17.' : ''),
        sortText: `4${k.name}`,
      });
    }
  }
  if (prefix === '') {
    items.push(...mapItems(scanned), ...variableItems(scanned));
  }
  return items;
}

function functionItem(f: FunctionDoc, inAssignment: boolean): CompletionEntry {
  const first = f.signatures[0];
  const sigText = f.signatures.map((s) => formatSignature(f.name, s).label).join('\n');
  const needsArgs = first.params.some((p) => !p.optional) || !!first.variadic;
  // Map functions first right after `@x =`, the PMDA-unfriendly ones last.
  const rank = f.pmdaNote ? '5' : inAssignment && f.kind === 'map' ? '0' : f.kind === 'map' ? '1' : '3';
  return {
    label: f.name,
    kind: f.kind === 'map' ? 'mapFunction' : 'function',
    insertText: needsArgs ? `${f.name}($1)` : `${f.name}()`,
    snippet: needsArgs,
    detail: formatSignature(f.name, first).label,
    documentation: [
      `\`\`\`\n${sigText}\n\`\`\``,
      f.doc,
      f.pmdaNote ? `⚠ ${f.pmdaNote}` : '',
      f.newerThan017 ? 'Newer than bpftrace 0.17.' : '',
    ]
      .filter(Boolean)
      .join('\n\n'),
    sortText: `${rank}${f.name}`,
  };
}

function builtinDocText(name: string): string {
  const b = builtinDoc(name);
  if (!b) {
    return '';
  }
  return [b.doc, b.probes ? `In: ${b.probes}.` : '', b.newerThan017 ? 'Newer than bpftrace 0.17.' : '']
    .filter(Boolean)
    .join(' ');
}

/** The script's own maps, with what the PMDA will make of them. */
function mapItems(scanned: ScanResult): CompletionEntry[] {
  const view = pmdaView(scanned.text, scanned);
  const kinds = new Map(view.variables.map((v) => [v.name, v.kind]));
  const seen = new Set<string>();
  const items: CompletionEntry[] = [];
  for (const t of scanned.tokens) {
    if (t.kind === 'map' && t.text.length > 1 && !seen.has(t.text)) {
      seen.add(t.text);
      const kind = kinds.get(t.text);
      items.push({
        label: t.text,
        kind: 'map',
        insertText: t.text,
        detail: kind ? `map · exported as ${kind}` : 'map',
        sortText: `0${t.text}`,
      });
    }
  }
  return items;
}

function variableItems(scanned: ScanResult): CompletionEntry[] {
  const seen = new Set<string>();
  const items: CompletionEntry[] = [];
  for (const t of scanned.tokens) {
    if ((t.kind === 'scratch' || t.kind === 'param') && t.text.length > 1 && !seen.has(t.text)) {
      seen.add(t.text);
      items.push({
        label: t.text,
        kind: 'variable',
        insertText: t.text,
        detail: t.kind === 'param' ? 'positional parameter (none are passed by the PMDA)' : 'scratch variable',
        sortText: `0${t.text}`,
      });
    }
  }
  return items;
}

/** Values that fit an argument: stack modes, clocks, the script's maps for clear() … */
function argumentValues(name: string, argIndex: number, scanned: ScanResult): CompletionEntry[] {
  if (argIndex !== 0) {
    return [];
  }
  const f = functionDoc(name);
  if (f?.firstArgIsMap) {
    return mapItems(scanned).map((m) => ({ ...m, sortText: `0${m.label}` }));
  }
  const values = f?.firstArgValues ?? builtinDoc(name)?.firstArgValues ?? [];
  return values.map((v, i) => ({
    label: v,
    kind: 'value',
    insertText: v,
    detail: `${name}() argument`,
    sortText: `0${i}`,
  }));
}

// ---------------------------------------------------------------------------------------------
// Monaco

export interface ProviderDeps {
  /** The editor's model: providers are global per language, so each answers for its own model only. */
  modelId: () => string | undefined;
  /** The catalog now, or a promise of it (awaited briefly on the first probe completion). */
  catalog: () => ProbeCatalog | undefined;
  loadCatalog?: () => Promise<ProbeCatalog | undefined>;
}

/** How long a probe completion waits for the host's list on first use. */
const CATALOG_WAIT_MS = 3000;

export function completionProvider(monaco: Monaco, deps: ProviderDeps): monacoTypes.languages.CompletionItemProvider {
  const K = monaco.languages.CompletionItemKind;
  const KIND: Record<EntryKind, monacoTypes.languages.CompletionItemKind> = {
    probeType: K.Module,
    probe: K.Event,
    probeGroup: K.Folder,
    function: K.Function,
    mapFunction: K.Method,
    builtin: K.Variable,
    map: K.Field,
    variable: K.Variable,
    keyword: K.Keyword,
    snippet: K.Snippet,
    value: K.EnumMember,
  };
  return {
    triggerCharacters: [':', '@', '$', '(', ','],
    async provideCompletionItems(model, position) {
      if (model.id !== deps.modelId()) {
        return { suggestions: [] };
      }
      const text = model.getValue();
      const offset = model.getOffsetAt(position);
      let catalog = deps.catalog();
      let result = completeAt(text, offset, { catalog });
      if (!catalog && result.situation.kind === 'probe' && result.situation.prefix.includes(':') && deps.loadCatalog) {
        catalog = await Promise.race([
          deps.loadCatalog().catch(() => undefined),
          new Promise<undefined>((r) => setTimeout(() => r(undefined), CATALOG_WAIT_MS)),
        ]);
        result = completeAt(text, offset, { catalog });
      }
      const from = model.getPositionAt(result.from);
      const to = model.getPositionAt(result.to);
      const range = new monaco.Range(from.lineNumber, from.column, to.lineNumber, to.column);
      return {
        incomplete: result.incomplete,
        suggestions: result.items.map((item) => ({
          label: item.label,
          kind: KIND[item.kind],
          insertText: item.insertText,
          insertTextRules: item.snippet ? monaco.languages.CompletionItemInsertTextRule.InsertAsSnippet : undefined,
          detail: item.detail,
          documentation: item.documentation ? { value: item.documentation } : undefined,
          sortText: item.sortText,
          filterText: item.filterText,
          range,
          command: item.retrigger ? { id: 'editor.action.triggerSuggest', title: 'Suggest' } : undefined,
        })),
      };
    },
  };
}
