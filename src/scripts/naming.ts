import { LONE_SURROGATE } from './budget';
import { positionOf } from '../lexer/scan';
import { stripComments } from './prepare';

/**
 * What bpflive stores to bpftrace.control.register for a user's code, and how it recognises that
 * script on the host later.
 *
 * Scripts are registered WITHOUT a `// name:`: the PMDA expires an unnamed script that nobody has
 * read for `script_expiry_time`, so the scripts of a browser that died (no pagehide, a lost
 * laptop) stop on the host even when no other bpflive client is open. Named scripts never expire.
 *
 * Sharing does not need a name either: the PMDA exposes every script's code, so a client joins a
 * running script only when its code is exactly the text this function produces for the query —
 * verified by content, never by a guessable name. The last line is a marker with the datasource's
 * namespace, so a client joins and sweeps only the scripts of its own installation.
 */
export const MARKER_PREFIX = '// bpflive: ';

/** Lines of printf output the PMDA keeps per script unless the user chose another number. */
export const DEFAULT_OUTPUT_LINES = 2000;
/**
 * The most a query may ask the PMDA to keep. For every line a script prints, PCP 6.0.3's PMDA
 * copies (and scans) all the lines it keeps, in the one process that serves every script of the
 * host. Measured (lines of 90 characters, the stack's python3, with pcp-stack.sh's retain fix;
 * docs/operations.md): 0.065 ms a printed line at 2,000 kept, 0.32 ms at 10,000, 14 ms at
 * 100,000 (the former limit: past the CPU caches; 70 printed lines a second then took the
 * PMDA's whole CPU and stalled every panel of the host).
 */
export const MAX_OUTPUT_LINES = 10_000;
/** The PMDA's CPU for one printed line, per line it keeps (up to MAX_OUTPUT_LINES), in seconds: 0.032 µs measured. */
export const PMDA_SECONDS_PER_KEPT_LINE = 0.035e-6;

export interface PrepareOptions {
  /** Who may share and sweep the script: the datasource's uid, by default. */
  namespace?: string;
  /** `// table-retain-lines:` for scripts whose code does not set it. */
  outputLines?: number;
}

/** What is stored to bpftrace.control.register for the user's code. */
export interface PreparedScript {
  /** Stable key of this text in this browser (a hash): the lease registry's key. */
  key: string;
  /** The text sent to the PMDA: comments stripped, the PMDA directives kept, bpflive's lines last. */
  text: string;
  /** The user's part of `text` (the lines bpftrace's positions refer to), without bpflive's lines. */
  body: string;
  namespace: string;
}

const USER_NAME_DIRECTIVE = /^\/\/\s*name\s*:.*$/gm;
const RETAIN_DIRECTIVE = /^\/\/\s*table-retain-lines\s*:/m;
/** The PMDA accepts names of [a-zA-Z0-9_]; the marker is free text but kept to a safe set. */
const NAMESPACE_UNSAFE = /[^A-Za-z0-9_.-]/g;

export function prepareScript(code: string, options: PrepareOptions = {}): PreparedScript {
  const namespace = (options.namespace ?? 'default').replace(NAMESPACE_UNSAFE, '_').slice(0, 64) || 'default';
  // A user's `// name:` would make the script persistent (never expired): bpflive owns that choice.
  const body = stripComments(code).replace(/\s+$/, '').replace(USER_NAME_DIRECTIVE, '');
  const lines = [body];
  if (!RETAIN_DIRECTIVE.test(body)) {
    // Without it the PMDA keeps every printf line since the start and sends all of it on every
    // fetch (10 MB in 45 s for a busy snoop tool). Harmless for scripts that do not print.
    lines.push(`// table-retain-lines: ${clampOutputLines(options.outputLines)}`);
  }
  // Last, not first: bpftrace's line numbers must stay those of the user's code.
  lines.push(`${MARKER_PREFIX}${namespace}`);
  const text = lines.join('\n');
  return { key: fnv1a64(text), text, body, namespace };
}

export function clampOutputLines(n: number | undefined): number {
  if (n === undefined || !Number.isFinite(n)) {
    return DEFAULT_OUTPUT_LINES;
  }
  return Math.min(MAX_OUTPUT_LINES, Math.max(1, Math.floor(n)));
}

/** The namespace of a script's code on the host, when bpflive made it. */
export function namespaceOf(code: string): string | undefined {
  const at = code.lastIndexOf(`\n${MARKER_PREFIX}`);
  if (at < 0) {
    return undefined;
  }
  const rest = code.slice(at + 1 + MARKER_PREFIX.length);
  return rest.includes('\n') ? undefined : rest.trim();
}

/** 64-bit FNV-1a-like hash as 16 hex digits: stable across browsers, no crypto API needed. */
export function fnv1a64(text: string): string {
  let h1 = 0x811c9dc5 | 0;
  let h2 = 0xcbf29ce4 | 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c ^ (h1 >>> 7), 0x01000193);
  }
  return (h2 >>> 0).toString(16).padStart(8, '0') + (h1 >>> 0).toString(16).padStart(8, '0');
}

/**
 * Where the code cannot travel in a URL: a lone UTF-16 surrogate makes encodeURIComponent throw.
 * Returns the 1-based line and column of the first one.
 */
export function unencodableAt(code: string): { line: number; column: number } | undefined {
  const m = LONE_SURROGATE.exec(code);
  return m ? positionOf(code, m.index) : undefined;
}

/**
 * Recordings (issue 17): a recorded query runs as a NAMED script `bpflive_rec_<name>`, which the
 * PMDA never expires and pmlogger records (scripts/pcp-stack.sh's recorder matches this prefix on
 * every pmcd). The name is the user's, or a short hash of the prepared code: the same code is the
 * same recording, shared by every viewer and every datasource of the host.
 */
export const RECORDING_PREFIX = 'bpflive_rec_';
/** Room for a user's name after the prefix (PCP metric names stay short and readable). */
export const MAX_RECORDING_NAME = 40;
/** The PMDA's own rule for `// name:` is `[a-zA-Z_]\w+`; after our prefix any identifier chars do. */
const RECORDING_NAME = /^[A-Za-z0-9_]+$/;

/** Why a user's recording name cannot be used, in words for the editor; undefined when it can. */
export function recordingNameError(name: string): string | undefined {
  if (name === '') {
    return undefined;
  }
  if (!RECORDING_NAME.test(name)) {
    return `The recording name "${name}" may hold only letters, digits and _ (it becomes part of PCP metric names).`;
  }
  if (name.length > MAX_RECORDING_NAME) {
    return `The recording name is ${name.length} characters long; at most ${MAX_RECORDING_NAME} fit.`;
  }
  return undefined;
}

/** Whether a script name on the host is a bpflive recording. */
export function isRecordingName(name: string | null | undefined): boolean {
  return !!name && name.startsWith(RECORDING_PREFIX);
}

/** A recorded script: the text registered under its name, and the name its metrics go by. */
export interface PreparedRecording {
  /** `bpflive_rec_…`: the PMDA's name, so metrics are `bpftrace.scripts.<name>.data.…`. */
  name: string;
  /** The text stored to the PMDA: the prepared body, its retain line, and the `// name:` line last. */
  text: string;
}

/**
 * The named script a recorded query runs. No namespace marker: a recording belongs to the host
 * (it outlives tabs and datasources), and no client's sweep of abandoned scripts may take it.
 * Throws when the user's name breaks the rule (the editor says so before).
 */
export function prepareRecording(
  code: string,
  options: { name?: string; outputLines?: number } = {}
): PreparedRecording {
  const own = options.name?.trim() ?? '';
  const error = recordingNameError(own);
  if (error) {
    throw new Error(error);
  }
  const unnamed = prepareScript(code, { outputLines: options.outputLines }).text;
  // The marker line (the namespace) is the last line: cut, so the text is the host's, not a datasource's.
  const body = unnamed.slice(0, unnamed.lastIndexOf(`\n${MARKER_PREFIX}`));
  const name = RECORDING_PREFIX + (own || fnv1a64(body).slice(0, RECORDING_HASH_DIGITS));
  // Last, like bpflive's other lines: bpftrace's line numbers stay those of the user's code.
  return { name, text: `${body}\n// name: ${name}` };
}

/** 48 bits of the hash: one collision in ~16 million recordings of one host. */
const RECORDING_HASH_DIGITS = 12;
