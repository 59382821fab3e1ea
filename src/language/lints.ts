import { budgetOf, MAX_ENCODED_SCRIPT, UrlBudget } from '../scripts/budget';
import { foreignCharacters, foreignCharactersMessage } from '../scripts/characters';
import { mapUsage } from '../scripts/mapUsage';
import { DEFAULT_OUTPUT_LINES, MAX_OUTPUT_LINES, prepareScript } from '../scripts/naming';
import { Diagnostic, diagnosticAt, sortDiagnostics } from './diagnostics';
import { allProviderNames, probeType, ProbeTypeDoc } from './docs';
import { PmdaVariable, pmdaView, PmdaView, VALID_MAP_NAME } from './pmdaView';
import { ProbeCatalog } from './probeCatalog';
import { scan, ScanResult, Token } from '../lexer/scan';

/**
 * Problems found before anything runs: each says why the script will fail (or trace nothing) and
 * what to write instead. Pure: text in, diagnostics out.
 */

export interface LintOptions {
  /** The host's probes; without it the host checks are skipped. */
  catalog?: ProbeCatalog;
  /** pmproxy's limit for the URL-encoded script (default: scripts/budget.ts's). */
  maxEncodedLength?: number;
}

export function lint(code: string, options: LintOptions = {}): Diagnostic[] {
  if (code.trim() === '') {
    return [];
  }
  const scanned = scan(code);
  const view = pmdaView(code, scanned);
  const out: Diagnostic[] = [];
  const probes = scanned.clauses.flatMap((c) => c.probes);
  const catalog = options.catalog;
  // bpftrace skips what it cannot attach and runs the rest; only a script left with nothing fails.
  const attachable = probes.filter((p) => !catalog || !typeMissingOnHost(p.text, catalog));
  for (const probe of probes) {
    out.push(
      ...lintProbe(
        code,
        probe,
        catalog,
        attachable.map((p) => p.text)
      )
    );
  }
  out.push(...lintPmda(code, scanned, view));
  out.push(...lintArgsDot(code, scanned, catalog));
  out.push(...lintCalls(code, scanned));
  out.push(...lintClearedScalars(code, scanned, view));
  out.push(...lintForeignCharacters(code, scanned));
  const budget = lintUrlLength(code, options.maxEncodedLength ?? MAX_ENCODED_SCRIPT);
  if (budget) {
    out.push(budget);
  }
  return sortDiagnostics(out);
}

// ---------------------------------------------------------------------------------------------
// Probes

/** Whether the host lists no probe at all of this probe's type (kprobes on a kernel without them). */
function typeMissingOnHost(text: string, catalog: ProbeCatalog): boolean {
  const colon = text.indexOf(':');
  const doc = probeType(colon < 0 ? text : text.slice(0, colon));
  if (!doc || doc.bare || doc.listing !== 'host' || colon < 0 || !catalog.hasProbes) {
    return false;
  }
  return (doc.listedAs ?? []).every((p) => !catalog.hasProvider(p));
}

function lintProbe(code: string, probe: Token, catalog: ProbeCatalog | undefined, attachable: string[]): Diagnostic[] {
  const text = probe.text;
  const colon = text.indexOf(':');
  const provider = colon < 0 ? text : text.slice(0, colon);
  const rest = colon < 0 ? '' : text.slice(colon + 1);
  if (/[*?"]/.test(provider) || provider.includes('=')) {
    return [];
  }
  const at = (severity: 'error' | 'warning' | 'info', id: string, message: string, whole = false) =>
    diagnosticAt(code, probe.start, probe.start + (whole ? text.length : provider.length), severity, id, message);

  const doc = probeType(provider);
  if (!doc) {
    const guess = closest(provider, allProviderNames());
    return [
      at(
        'error',
        'unknown-probe-type',
        `"${provider}" is not a bpftrace probe type, so bpftrace will refuse the script.` +
          (guess ? ` Did you mean "${guess}"?` : '') +
          ' Probe types: tracepoint (t), kprobe (k), kretprobe (kr), fentry (f), fexit (fr), uprobe (u), uretprobe (ur), usdt (U), profile (p), interval (i), software (s), hardware (h), iter (it), rawtracepoint (rt), BEGIN, END.'
      ),
    ];
  }
  if (doc.bare || doc.listing === 'none' || colon < 0 || rest === '') {
    return [];
  }
  if (doc.listing === 'static') {
    return lintStaticEvent(code, probe, provider, rest, doc, catalog);
  }
  if (!catalog) {
    return [];
  }

  const listed = (doc.listedAs ?? []).filter((p) => catalog.hasProvider(p));
  if (listed.length === 0) {
    return [at('warning', 'probe-type-not-on-host', noProbesOfType(provider, doc, rest, catalog, attachable), true)];
  }
  const out: Diagnostic[] = [];
  if ((provider === 'fentry' || provider === 'fexit') && !listed.includes('fentry')) {
    const old = provider === 'fentry' ? 'kfunc' : 'kretfunc';
    out.push(
      at(
        'warning',
        'probe-type-old-name',
        `This host's bpftrace lists these functions as "kfunc:", the name used before bpftrace 0.20; it does not know "${provider}". Write ${old}:${rest} (or the short form ${provider === 'fentry' ? 'f' : 'fr'}:${rest}).`
      )
    );
  }
  const source = listed[0];
  const found = findOnHost(catalog, source, rest, provider);
  if (found.ok) {
    return out;
  }
  out.push(at('warning', 'probe-not-on-host', found.message, true));
  return out;
}

function lintStaticEvent(
  code: string,
  probe: Token,
  provider: string,
  rest: string,
  doc: ProbeTypeDoc,
  catalog?: ProbeCatalog
): Diagnostic[] {
  const event = rest.split(':')[0];
  const events = doc.events ?? [];
  if (event === '' || /[*?]/.test(event)) {
    return [];
  }
  const start = probe.start + provider.length + 1;
  if (!events.includes(event)) {
    const guess = closest(event, events);
    return [
      diagnosticAt(
        code,
        start,
        start + event.length,
        'error',
        'unknown-event',
        `"${event}" is not a ${doc.name} event, so bpftrace will refuse the probe.` +
          (guess ? ` Did you mean "${guess}"?` : '') +
          ` Events: ${events.join(', ')}.`
      ),
    ];
  }
  if (catalog && catalog.hasProbes && !catalog.hasProvider(doc.name)) {
    return [
      diagnosticAt(
        code,
        probe.start,
        probe.end,
        'warning',
        'probe-type-not-on-host',
        `This host lists no ${doc.name} events (bpftrace -l on the host shows none), so bpftrace will probably fail to attach ${probe.text}.` +
          (doc.name === 'hardware'
            ? ' Virtual machines rarely expose CPU performance counters; use profile:hz:99 for CPU sampling instead.'
            : '')
      ),
    ];
  }
  return [];
}

function noProbesOfType(
  provider: string,
  doc: ProbeTypeDoc,
  rest: string,
  catalog: ProbeCatalog,
  attachable: string[]
): string {
  const name = doc.name;
  const others = attachable.length;
  const listOthers = `${attachable.slice(0, 3).join(', ')}${others > 3 ? ' …' : ''}`;
  // Measured with bpftrace 0.17: a probe that fails to attach stops the whole script, its other
  // probes too; a wildcard that matches nothing is no failure, the script runs without it.
  let outcome: string;
  if (/[*?]/.test(rest)) {
    outcome =
      others > 0
        ? `${provider}:${rest} matches nothing: the script runs with its other probes (${listOthers}) and whatever this one records stays empty.`
        : `${provider}:${rest} matches nothing and the script traces nothing.`;
  } else {
    outcome =
      others > 0
        ? `bpftrace will fail to attach ${provider}:${rest} and the script ends in an error, its other probes (${listOthers}) too: bpftrace stops when one probe fails to attach.`
        : 'bpftrace will fail to attach it and the script ends in an error.';
  }
  let why: string;
  if (name === 'kprobe' || name === 'kretprobe') {
    why = `This host lists no kprobes: its kernel has no kprobe support (or no kprobe_events in tracefs), so ${outcome}`;
  } else if (name === 'fentry' || name === 'fexit') {
    why = `This host lists no kernel functions for fentry/fexit (kfunc in bpftrace 0.17): its kernel lacks BTF or BPF trampolines, so ${outcome}`;
  } else if (name === 'rawtracepoint') {
    why = `This host's bpftrace lists no raw tracepoints (bpftrace 0.17 does not know the type), so the script will be refused.`;
  } else {
    why = `This host lists no ${name} probes, so ${outcome}`;
  }
  const alt = tracepointFor(rest, name === 'kretprobe' || name === 'fexit', catalog);
  const suggestion = doc.instead && insteadOnHost(doc.instead, catalog);
  const instead = alt ? ` Use a tracepoint instead, e.g. ${alt}.` : suggestion ? ` Use ${suggestion} instead.` : '';
  return why + instead;
}

/** A suggestion without the probe types this host does not have ("or fentry" on a host without kfunc). */
function insteadOnHost(instead: string, catalog: ProbeCatalog): string {
  const trampolines = catalog.hasProvider('fentry') || catalog.hasProvider('kfunc');
  const kprobes = catalog.hasProvider('kprobe');
  let text = instead;
  if (!trampolines) {
    text = text.replace(/ or (fentry|fexit)$/, '');
  }
  if (!kprobes) {
    text = text.replace(/, or k(ret)?probe where the kernel has kprobes$/, '');
  }
  return text;
}

/** A tracepoint that sees roughly what a kernel function does, if the host has one. */
export function tracepointFor(fn: string, exit: boolean, catalog: ProbeCatalog): string | undefined {
  const name = fn
    .split(':')
    .pop()!
    .replace(/\+.*$/, '')
    .replace(/^(__x64_sys_|__arm64_sys_|__se_sys_|__do_sys_|do_sys_|ksys_|sys_|vfs_|do_)/, '');
  if (!name || /[*?]/.test(name)) {
    return undefined;
  }
  const syscall = `syscalls:sys_${exit ? 'exit' : 'enter'}_${name}`;
  if (catalog.has('tracepoint', syscall)) {
    return `tracepoint:${syscall}`;
  }
  const any = catalog.withLastSegment('tracepoint', name, 1)[0];
  return any ? `tracepoint:${any}` : undefined;
}

function findOnHost(
  catalog: ProbeCatalog,
  source: string,
  rest: string,
  provider: string
): { ok: true } | { ok: false; message: string } {
  const bare = rest.replace(/\+(0x[0-9a-fA-F]+|\d+)$/, '');
  const total = catalog.providerSize(source);
  if (/[*?]/.test(bare)) {
    const direct = catalog.matching(source, bare, 1).rests.length > 0;
    const viaModule = !direct && !bare.includes(':') && catalog.matching(source, `*:${bare}`, 1).rests.length > 0;
    if (direct || viaModule) {
      return { ok: true };
    }
    return {
      ok: false,
      message: `${provider}:${rest} matches none of the ${total.toLocaleString('en-US')} ${source} probes this host lists, so bpftrace will have nothing to attach and fail.`,
    };
  }
  const first = source === 'iter' ? bare.split(':')[0] : bare;
  if (catalog.has(source, first)) {
    return { ok: true };
  }
  // kfunc:vmlinux:vfs_read is listed; kfunc:vfs_read means the same. And the reverse.
  const last = first.includes(':') ? first.slice(first.lastIndexOf(':') + 1) : first;
  if (catalog.has(source, last) || catalog.withLastSegment(source, last, 50).some((r) => r.endsWith(`:${last}`))) {
    return { ok: true };
  }
  const guess = nearbyProbe(catalog, source, first);
  return {
    ok: false,
    message:
      `${provider}:${rest} is not in this host's probe list (${total.toLocaleString('en-US')} ${source} probes), so bpftrace will fail to attach it.` +
      (guess ? ` Did you mean ${provider}:${guess}?` : ''),
  };
}

/** The listed probe sharing the longest prefix with `rest` and closest to it. */
function nearbyProbe(catalog: ProbeCatalog, source: string, rest: string): string | undefined {
  for (let k = rest.length - 1; k >= Math.min(3, rest.length); k--) {
    const { rests } = catalog.withPrefix(source, rest.slice(0, k), 50);
    if (rests.length > 0) {
      return closest(rest, rests, Infinity);
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// What the PMDA will make of the script

function lintPmda(code: string, scanned: ScanResult, view: PmdaView): Diagnostic[] {
  const out: Diagnostic[] = [];
  const firstProbe = scanned.clauses[0]?.probes[0];

  if (view.rejection) {
    const r = view.rejection;
    let message: string;
    let id: string;
    let start = r.start;
    let end = r.end;
    if (r.message.startsWith('every histogram')) {
      id = 'pmda-keyed-hist';
      const keyed = keyedHistogram(view.matches.find((m) => m.start === r.start));
      message =
        `The bpftrace PMDA refuses a histogram in a keyed map ("${r.message}"), so registering the script fails. ` +
        `Give each histogram a map of its own without a key, e.g. ${keyed?.name ?? '@lat'} = ${keyed?.func ?? 'hist'}(…) instead of ${keyed ? `${keyed.name}[${keyed.key}]` : 'a keyed one'}; ` +
        'to split by process, use one map per process you care about, or count by key with count()/sum().';
      if (keyed) {
        start = keyed.start;
        end = keyed.end;
      }
    } else if (r.message.startsWith('no bpftrace variables')) {
      id = 'pmda-nothing-exported';
      const bumped = scanned.tokens.some((t) => t.kind === 'map');
      message =
        `The bpftrace PMDA refuses this script ("${r.message}"): it exports maps assigned with "@name = …" and printf() output, and there is neither. ` +
        'Store what you measure, e.g. @calls = count(); or print it with printf().' +
        (bumped ? ' (@x++ and @x += … do not count: the PMDA looks for "@name =".)' : '');
      start = firstProbe?.start ?? 0;
      end = firstProbe?.end ?? Math.max(1, code.indexOf('\n'));
    } else if (r.message.startsWith('output from printf')) {
      id = 'pmda-output-name';
      message = `The bpftrace PMDA refuses a map named @output when the script also prints: printf() and time() text is exported as @output. Rename the map.`;
    } else {
      id = 'pmda-directive';
      message = `The bpftrace PMDA refuses this directive ("${r.message}"). Write a whole number, e.g. // table-retain-lines: 20.`;
    }
    out.push(diagnosticAt(code, start, end, 'error', id, message));
  }

  const retain = view.directives.tableRetainLinesAt;
  if (retain && Number(view.directives.tableRetainLines) > MAX_OUTPUT_LINES) {
    out.push(
      diagnosticAt(
        code,
        retain.start,
        retain.end,
        'warning',
        'pmda-retain-cost',
        `The PMDA keeps ${Number(view.directives.tableRetainLines).toLocaleString('en-US')} lines of this script's output and copies all of them for every line it prints, ` +
          `in the process that serves every script of the host: past ${MAX_OUTPUT_LINES.toLocaleString('en-US')} the copies outgrow the CPU's caches, and a script that prints a few hundred lines a second can take the PMDA's whole CPU and stall every panel of the host. ` +
          `Keep about what two reads bring, e.g. // table-retain-lines: ${DEFAULT_OUTPUT_LINES}.`
      )
    );
  }

  for (const m of view.matches) {
    if (!VALID_MAP_NAME.test(m.name)) {
      out.push(misreadName(code, m, view.directives.customOutputBlock));
    }
  }

  // A name the PMDA found only inside a string: it prints a map that does not exist.
  const realMaps = new Set(scanned.tokens.filter((t) => t.kind === 'map').map((t) => t.text));
  for (const v of view.variables) {
    if (v.kind !== 'output' && VALID_MAP_NAME.test(v.name) && !realMaps.has(v.name)) {
      out.push(
        diagnosticAt(
          code,
          v.start,
          v.start + v.name.length,
          view.directives.customOutputBlock ? 'warning' : 'error',
          'pmda-phantom-map',
          `The bpftrace PMDA reads "${v.name} =" here as a map assignment (it does not know strings) and will print ${v.name}, which the script never defines: bpftrace then fails with "Undefined map". Avoid "@name =" inside strings, e.g. write "@name: %d".`
        )
      );
    }
  }

  // Maps only ever bumped with ++/--: the PMDA never sees "@x =", so they are not exported.
  const exported = new Set(view.variables.map((v) => v.name));
  const covered = (t: Token) => view.matches.some((m) => t.start >= m.start && t.start < m.end);
  const reported = new Set<string>();
  scanned.tokens.forEach((t, i) => {
    if (t.kind !== 'map' || exported.has(t.text) || reported.has(t.text) || covered(t)) {
      return;
    }
    const next = scanned.tokens[i + 1];
    const prev = scanned.tokens[i - 1];
    const bumped =
      (next && (next.text === '++' || next.text === '--')) || (prev && (prev.text === '++' || prev.text === '--'));
    // With // custom-output-block the script prints its maps itself: ++ is fine there.
    if (bumped && view.rejection === undefined && !view.directives.customOutputBlock) {
      reported.add(t.text);
      out.push(
        diagnosticAt(
          code,
          t.start,
          t.end,
          'warning',
          'pmda-not-exported',
          `${t.text} is only changed with ++/--, which the bpftrace PMDA does not see (it exports maps assigned with "@name = …"), so ${t.text} never reaches Grafana. Write ${t.text} = count() instead.`
        )
      );
    }
  });

  if (view.directives.name !== undefined) {
    const m = /^\/\/\s*name\s*:.*$/m.exec(code);
    if (m) {
      out.push(
        diagnosticAt(
          code,
          m.index,
          m.index + m[0].length,
          'info',
          'name-directive-ignored',
          'bpflive names every script itself (bpflive_<hash of the code>), so that panels showing the same code share one bpftrace process; this // name: line is left out.'
        )
      );
    }
  }
  return out;
}

/**
 * The keyed histogram inside what the PMDA matched: its match can start at an earlier map of the
 * line (`@start[tid]; @ns[comm] = hist(` is one "name"), so the histogram's map is the last one.
 */
export function keyedHistogram(
  m: PmdaVariable | undefined
): { name: string; key: string; func: string; start: number; end: number } | undefined {
  if (!m || m.key === undefined) {
    return undefined;
  }
  // Either part may hold the earlier map: "@start" + "tid]; @ns[comm" is also a match.
  const whole = `${m.name}[${m.key}]`;
  const maps = [...whole.matchAll(/@\w*\[/g)];
  const last = maps[maps.length - 1];
  if (!last) {
    return undefined;
  }
  const at = last.index ?? 0;
  const name = last[0].slice(0, -1);
  const key = whole.slice(at + last[0].length, -1);
  return { name, key, func: m.func ?? 'hist', start: m.start + at, end: m.start + whole.length };
}

function misreadName(code: string, m: PmdaVariable, customOutputBlock: boolean): Diagnostic {
  const name = m.name.replace(/\s+/g, ' ');
  const lead =
    `The bpftrace PMDA will take "${name}" for a map name: it reads from an @ to the next "=" on the same line. ` +
    (customOutputBlock
      ? 'It will export a metric of that name, which holds nothing.'
      : `It will add print(${name}) to the print block it appends after your script, and bpftrace will fail there with a syntax error past your last line.`);
  let fix: string;
  if (/[!<>]$/.test(m.name)) {
    fix =
      ' Compare without "!=", "<=" or ">=" on this line: test the map alone (/@start[tid]/ means "not zero"), write !(@x == v), or use > and <.';
  } else if (/\/\s*\{/.test(m.name)) {
    fix = ' Put the filter on a line of its own and start the action block on the next line.';
  } else if (/(\+\+|--)/.test(m.name)) {
    fix = ' Use @x = count() instead of @x++, or put the ++ on a line of its own.';
  } else if (/[-+*/%&|^]$/.test(m.name) || /(<<|>>)$/.test(m.name)) {
    fix =
      ' Instead of a compound assignment, write @name[key] = sum(value) (or = count() to count), which the PMDA exports properly.';
  } else {
    fix = ' Put the statement that reads the map on a line of its own, apart from the next "=".';
  }
  const start = m.start;
  return diagnosticAt(
    code,
    start,
    start + m.name.length,
    customOutputBlock ? 'warning' : 'error',
    'pmda-misread-map',
    lead + fix
  );
}

// ---------------------------------------------------------------------------------------------
// bpftrace versions

/**
 * Whether the host's bpftrace is older than 0.19, judged from its probe list: 0.20 lists kernel
 * functions as fentry and knows rawtracepoint; 0.17 (Debian 12) lists neither.
 */
export function bpftraceBefore019(catalog: ProbeCatalog | undefined): boolean {
  return (
    catalog !== undefined &&
    catalog.hasProbes &&
    !catalog.hasProvider('fentry') &&
    !catalog.hasProvider('rawtracepoint')
  );
}

/** `args.field` (bpftrace 0.19 and later) where the host's bpftrace needs `args->field`. */
export function argsDotTokens(scanned: ScanResult): Array<{ args: Token; dot: Token; field: Token }> {
  const out: Array<{ args: Token; dot: Token; field: Token }> = [];
  const t = scanned.tokens;
  for (let i = 0; i + 2 < t.length; i++) {
    const prev = t[i - 1];
    if (
      t[i].kind === 'ident' &&
      t[i].text === 'args' &&
      t[i].region !== 'top' &&
      t[i + 1].text === '.' &&
      t[i + 2].kind === 'ident' &&
      !(prev && (prev.text === '.' || prev.text === '->'))
    ) {
      out.push({ args: t[i], dot: t[i + 1], field: t[i + 2] });
    }
  }
  return out;
}

function lintArgsDot(code: string, scanned: ScanResult, catalog: ProbeCatalog | undefined): Diagnostic[] {
  if (!bpftraceBefore019(catalog)) {
    return [];
  }
  return argsDotTokens(scanned).map(({ args, field }) =>
    diagnosticAt(
      code,
      args.start,
      field.end,
      // A warning: the datasource judges saved code without the host's list (blocking.ts), and a
      // host check must block the same scripts there as in the editor.
      'warning',
      'args-dot',
      `args.${field.text} is bpftrace 0.19's syntax; this host's bpftrace is older (it lists no fentry or rawtracepoint probes) and refuses it. Write args->${field.text}, which every version accepts.`
    )
  );
}

// ---------------------------------------------------------------------------------------------
// Scalars a timer clears

/**
 * A scalar cleared on a timer at least once a second (`interval:s:1 { print(@n); clear(@n); }`):
 * the PMDA's own print of every map runs once a second after the script's clauses, so it reads
 * the scalar just cleared and exports 0 (measured on the stack: 0 at every sample, printed by the
 * script or not). A keyed map keeps the script's printed keys, and `// custom-output-block`
 * drops the PMDA's print.
 */
function lintClearedScalars(code: string, scanned: ScanResult, view: PmdaView): Diagnostic[] {
  if (view.directives.customOutputBlock) {
    return [];
  }
  const cleared = [...mapUsage(code)].filter(([, u]) => u.keys.length === 0 && (u.clearedEveryMs ?? Infinity) <= 1000);
  const out: Diagnostic[] = [];
  for (const [name, u] of cleared) {
    const at = scanned.tokens.find(
      (t, i) =>
        t.kind === 'map' &&
        t.text === name &&
        scanned.tokens[i - 1]?.text === '(' &&
        ['clear', 'zero'].includes(scanned.tokens[i - 2]?.text ?? '')
    );
    if (!at) {
      continue;
    }
    const every = u.clearedEveryMs === 1000 ? 'every second' : `every ${u.clearedEveryMs} ms`;
    out.push(
      diagnosticAt(
        code,
        at.start,
        at.end,
        'warning',
        'pmda-cleared-scalar',
        `${name} is cleared ${every}, and the bpftrace PMDA prints every map once a second right after the script's own clauses: it reads ${name} just cleared, so the panel shows 0. ` +
          `Key it (${name}[1] = …: a keyed map keeps what the script printed), or add // custom-output-block (then only what the script prints reaches Grafana).`
      )
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Calls whose results never arrive

function lintCalls(code: string, scanned: ScanResult): Diagnostic[] {
  const out: Diagnostic[] = [];
  scanned.tokens.forEach((t, i) => {
    if (t.kind !== 'ident' || t.region === 'top' || scanned.tokens[i + 1]?.text !== '(') {
      return;
    }
    if (t.text === 'avg' || t.text === 'stats') {
      out.push(
        diagnosticAt(
          code,
          t.start,
          t.end,
          'warning',
          'pmda-avg-stats',
          `The bpftrace PMDA does not export ${t.text}() values: bpftrace prints them in a form the PMDA cannot read, so the panel shows 0 or nothing. ` +
            'Store @total = sum(value) and @n = count() in two maps and divide them in Grafana (Transform → Add field from calculation).'
        )
      );
    } else if (t.text === 'join') {
      out.push(
        diagnosticAt(
          code,
          t.start,
          t.end,
          'warning',
          'join-output-lost',
          'join() output never reaches Grafana: the bpftrace PMDA collects printf() and time() text and maps, not what join() prints. ' +
            'Print the elements you need with printf("%s %s\\n", str(args->argv[0]), str(args->argv[1])), or count by one of them in a map.'
        )
      );
    }
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Characters bpftrace cannot read

/** Pasted characters outside ASCII in code (see scripts/characters.ts): an error, never sent. */
function lintForeignCharacters(code: string, scanned: ScanResult): Diagnostic[] {
  return foreignCharacters(code, scanned).map((f) =>
    diagnosticAt(code, f.start, f.end, 'error', 'foreign-character', foreignCharactersMessage(f))
  );
}

// ---------------------------------------------------------------------------------------------
// pmproxy's URL limit

export type { UrlBudget };

/** The user's code as the engine would send it, against pmproxy's URL limit (scripts/budget.ts). */
export function urlBudget(code: string, max = MAX_ENCODED_SCRIPT): UrlBudget {
  return budgetOf(prepareScript(code).text, max);
}

function lintUrlLength(code: string, max: number): Diagnostic | undefined {
  const b = urlBudget(code, max);
  if (b.ratio < 0.75) {
    return undefined;
  }
  const figures = `${b.encoded.toLocaleString('en-US')} of the ${b.max.toLocaleString('en-US')} characters pmproxy's URL limit leaves for a script (${Math.round(b.ratio * 100)}%)`;
  const lines = code.replace(/\s+$/, '').split('\n');
  const lastStart = code.replace(/\s+$/, '').length - lines[lines.length - 1].length;
  const end = lastStart + lines[lines.length - 1].length;
  if (b.ratio > 1) {
    return diagnosticAt(
      code,
      lastStart,
      end,
      'error',
      'url-too-long',
      `The script is too long for pmproxy: URL-encoded it takes ${figures}, and pmproxy answers "414 URI Too Long". ` +
        'Comments are already left out; shorten names and strings, drop probes, or split it into two queries.'
    );
  }
  return diagnosticAt(
    code,
    lastStart,
    end,
    b.ratio >= 0.9 ? 'warning' : 'info',
    'url-length',
    `URL-encoded, the script takes ${figures}; past 100% pmproxy refuses it. Comments don't count, names, strings and indentation do.`
  );
}

// ---------------------------------------------------------------------------------------------

/** The candidate nearest to `word` by edit distance, if within `max` edits. */
export function closest(word: string, candidates: string[], max = 2): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= max ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length];
}
