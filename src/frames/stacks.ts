/**
 * Instance names of bpftrace stack maps (`@[kstack]`, `@[comm, kstack]`, `@[ustack, comm]` …) as
 * the PCP bpftrace PMDA exports them, split into frames and the other key parts.
 *
 * The format (tests/fixtures/kstacks.json, recorded from the real stack):
 * - key parts are joined with ',' in key order: `"bash,\n    f1+3\n    f2+10\n"`,
 *   `"\n    0x101f408\n    0x23536ce\n,node"`, `"bash,\n    f1+3\n,123"`;
 * - a stack is a block that starts with '\n' and holds one line per frame, each indented
 *   (4 spaces in bpftrace's default mode) and ended by '\n', INNERMOST (sampled) frame first;
 * - an empty stack (a sample in user space for kstack) is an empty part: `"bash,"`;
 * - a frame is `symbol+offset` (`do_syscall_64+113`), or `0x…` when the symbol is unknown.
 *
 * A frame line never holds a '\n', so the block ends at the first '\n' that is followed by ',' or
 * by the end of the key: commas INSIDE a frame (`std::map<int, int>::find(int const&)+20`) are
 * never split.
 */

export interface StackKey {
  /** Frame names, OUTERMOST caller first … the sampled frame last; offsets stripped. */
  frames: string[];
  /** The other key parts (comm, pid …) in key order. */
  parts: string[];
}

const NEWLINE = 10;
const COMMA = 44;

/**
 * Where one key's frame lines and other parts are, without making a string per frame line:
 * what splitStackKey and the flame graph's bulk parser (./stackParser) read. Reused from key to
 * key (scanStackKey overwrites it).
 */
export interface KeyShape {
  /** Frame lines [starts[i], ends[i]) in key order: each stack innermost first; non-empty, maybe blank. */
  starts: number[];
  ends: number[];
  lines: number;
  /** The other key parts in key order, and whether the key holds a stack block at all. */
  parts: string[];
  hasStack: boolean;
  /** Just past the last stack block (its closing '\n', or the key's end). */
  chainEnd: number;
}

export function emptyShape(): KeyShape {
  return { starts: [], ends: [], lines: 0, parts: [], hasStack: false, chainEnd: 0 };
}

/**
 * Splits one instance name of a stacks map. A key with several stacks (`@[kstack, ustack]`) gets
 * them joined in key order before reversing, so the LAST stack's outermost frame comes first:
 * for `[kstack, ustack]` that is user space calling into the kernel, as it happened.
 * A key without any stack block takes its first empty part as an empty stack (`"bash,"` →
 * frames [], parts ['bash']); otherwise all of it is parts.
 */
export function splitStackKey(key: string): StackKey {
  const shape = scanStackKey(key, emptyShape());
  const frames: string[] = [];
  for (let i = shape.lines - 1; i >= 0; i--) {
    const frame = normalizeRange(key, shape.starts[i], shape.ends[i]);
    if (frame !== '') {
      frames.push(frame);
    }
  }
  return { frames, parts: stackParts(shape) };
}

/** The key's other parts; without a stack block, the first empty part is the empty stack (see splitStackKey). */
export function stackParts(shape: KeyShape): string[] {
  const parts = shape.parts;
  if (!shape.hasStack) {
    const empty = parts.indexOf('');
    if (empty >= 0) {
      parts.splice(empty, 1);
    }
  }
  return parts;
}

/** Fills `shape` with the key's frame lines and parts (see KeyShape); returns it. */
export function scanStackKey(key: string, shape: KeyShape): KeyShape {
  const { starts, ends } = shape;
  const parts: string[] = [];
  let lines = 0;
  let hasStack = false;
  let chainEnd = 0;
  const n = key.length;
  let i = 0;
  for (;;) {
    if (i < n && key.charCodeAt(i) === NEWLINE) {
      // A stack block: one line per frame, up to the first '\n' followed by ',' or the key's end.
      hasStack = true;
      let lineStart = i + 1;
      for (;;) {
        const lineEnd = key.indexOf('\n', lineStart);
        if (lineEnd < 0) {
          // No closing '\n' (not what the PMDA sends): the rest is the block.
          if (n > lineStart) {
            starts[lines] = lineStart;
            ends[lines++] = n;
          }
          i = n;
          break;
        }
        if (lineEnd > lineStart) {
          starts[lines] = lineStart;
          ends[lines++] = lineEnd;
        }
        if (lineEnd + 1 === n || key.charCodeAt(lineEnd + 1) === COMMA) {
          i = lineEnd + 1;
          break;
        }
        lineStart = lineEnd + 1;
      }
      chainEnd = i;
      if (i >= n) {
        break;
      }
      i++; // past the ','
      continue;
    }
    const comma = key.indexOf(',', i);
    if (comma < 0) {
      parts.push(key.slice(i));
      break;
    }
    parts.push(key.slice(i, comma));
    i = comma + 1;
  }
  shape.lines = lines;
  shape.parts = parts;
  shape.hasStack = hasStack;
  shape.chainEnd = chainEnd;
  return shape;
}

/**
 * One frame line as a flame-graph label: indentation, a `perf`-mode address
 * (`\tffffffff8123abcd do_syscall_64+113 ([kernel.kallsyms])`) and a module suffix (` (/lib/libc.so.6)`,
 * ` [xfs]`) removed, and the `+offset` STRIPPED, so samples at different instructions of one
 * function (`f+10`, `f+24`) merge into one `f` box, as flame graphs aggregate by function;
 * otherwise one function called from one place would show as several narrow siblings. Compiler
 * clones (`.isra.0`, `.constprop.0`) are distinct symbols and stay. Unresolved `0x…` frames stay.
 * Hand-written scanning rather than regular expressions: it runs for every frame of every new key.
 */
export function normalizeFrame(line: string): string {
  return normalizeRange(line, 0, line.length);
}

/** normalizeFrame of `text.slice(from, to)`, without making that slice. */
export function normalizeRange(line: string, from: number, to: number): string {
  let start = from;
  let end = to;
  while (start < end && isSpace(line.charCodeAt(start))) {
    start++;
  }
  while (end > start && isSpace(line.charCodeAt(end - 1))) {
    end--;
  }
  if (start === end) {
    return '';
  }

  // A leading address: 6–16 hex digits (optionally 0x…), blanks, then the symbol.
  let i = start;
  if (line.charCodeAt(i) === ZERO && (line.charCodeAt(i + 1) | 0x20) === LOWER_X) {
    i += 2;
  }
  const digits = i;
  while (i < end && isHexDigit(line.charCodeAt(i))) {
    i++;
  }
  if (i - digits >= 6 && i - digits <= 16 && i < end && isSpace(line.charCodeAt(i))) {
    while (i < end && isSpace(line.charCodeAt(i))) {
      i++;
    }
    start = i;
  }

  // A module after the symbol: blank, then `(…)` or `[…]` without blanks inside.
  const last = line.charCodeAt(end - 1);
  if (last === CLOSE_PAREN || last === CLOSE_BRACKET) {
    const open = last === CLOSE_PAREN ? OPEN_PAREN : OPEN_BRACKET;
    let j = end - 2;
    while (j > start && !isSpace(line.charCodeAt(j)) && line.charCodeAt(j) !== open && line.charCodeAt(j) !== last) {
      j--;
    }
    if (j > start && line.charCodeAt(j) === open && j - 1 > start && isSpace(line.charCodeAt(j - 1))) {
      end = j - 1;
      while (end > start && isSpace(line.charCodeAt(end - 1))) {
        end--;
      }
    }
  }

  // The offset: `+113` or `+0x71` at the end.
  let j = end;
  while (j > start && isHexDigit(line.charCodeAt(j - 1))) {
    j--;
  }
  if (j < end) {
    if (j - 1 > start && line.charCodeAt(j - 1) === PLUS && allDecimal(line, j, end)) {
      end = j - 1;
    } else if (
      j - 3 > start &&
      (line.charCodeAt(j - 1) | 0x20) === LOWER_X &&
      line.charCodeAt(j - 2) === ZERO &&
      line.charCodeAt(j - 3) === PLUS
    ) {
      end = j - 3;
    }
  }
  return start === 0 && end === line.length ? line : line.slice(start, end);
}

const PLUS = 43;
const ZERO = 48;
const LOWER_X = 120;
const OPEN_PAREN = 40;
const CLOSE_PAREN = 41;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 102);
}

function allDecimal(s: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) {
    const c = s.charCodeAt(k);
    if (c < 48 || c > 57) {
      return false;
    }
  }
  return true;
}

/** `0x7f3a…` (bpftrace's unresolved frame), a bare address of 8+ hex digits (`raw` mode), `[unknown]`. */
export function isUnresolvedFrame(frame: string): boolean {
  return /^0x[0-9a-f]+$/i.test(frame) || /^[0-9a-f]{8,16}$/i.test(frame) || frame.startsWith('[unknown]');
}

/**
 * The kernel's idle loop and the functions that put a CPU into an idle state (x86 halt/mwait,
 * ACPI, intel_idle, polling, Xen, arm64 wfi/PSCI). A sample in any of them is a CPU with nothing
 * to do (Linux counts it as the swapper/N task).
 */
export const IDLE_FUNCTIONS: ReadonlySet<string> = new Set([
  // the idle loop
  'cpu_startup_entry',
  'do_idle',
  'cpu_idle',
  'cpu_idle_poll',
  'cpu_bringup_and_idle',
  'cpuidle_idle_call',
  'call_cpuidle',
  'cpuidle_enter',
  'cpuidle_enter_state',
  'cpuidle_enter_s2idle',
  'default_idle_call',
  'arch_cpu_idle',
  // entering an idle state
  'default_idle',
  'default_enter_idle',
  'native_safe_halt',
  'pv_native_safe_halt',
  'xen_safe_halt',
  'amd_e400_idle',
  'mwait_idle',
  'mwait_idle_with_hints',
  'intel_idle',
  'intel_idle_irq',
  'intel_idle_ibrs',
  'intel_idle_xstate',
  'intel_idle_s2idle',
  'acpi_idle_enter',
  'acpi_idle_enter_bm',
  'acpi_idle_enter_s2idle',
  'acpi_idle_do_entry',
  'acpi_safe_halt',
  'acpi_processor_ffh_cstate_enter',
  'poll_idle',
  'haltpoll_enter_idle',
  'cpu_do_idle',
  'psci_enter_idle_state',
]);

/**
 * Where an interrupt or softirq starts running on top of whatever the CPU was doing. Work in an
 * interrupt that arrived while the CPU was idle is real work (network receive, timers, block I/O
 * completions) and is not idle time.
 */
function isInterruptEntry(frame: string): boolean {
  return (
    frame.startsWith('asm_sysvec_') ||
    frame.startsWith('sysvec_') ||
    frame.startsWith('__sysvec_') ||
    frame === 'asm_common_interrupt' ||
    frame === 'common_interrupt' ||
    frame === 'irq_exit_rcu' ||
    frame === '__irq_exit_rcu' ||
    frame === 'handle_softirqs' ||
    frame === '__do_softirq' ||
    frame === 'do_softirq' ||
    frame === 'el1_interrupt' ||
    frame === 'gic_handle_irq'
  );
}

/** A compiler clone (`do_idle.isra.0`, `foo.cold`) is the same function for this purpose. */
function baseName(frame: string): string {
  const dot = frame.indexOf('.');
  return dot > 0 ? frame.slice(0, dot) : frame;
}

/** What a frame means for isIdleStack: neither, an idle function, or an interrupt entry. */
export const NOT_IDLE_RELATED = 0;
export const IDLE_ROLE = 1;
export const INTERRUPT_ROLE = 2;

export function idleRole(frame: string): number {
  const base = baseName(frame);
  return IDLE_FUNCTIONS.has(base) ? IDLE_ROLE : isInterruptEntry(base) ? INTERRUPT_ROLE : NOT_IDLE_RELATED;
}

/**
 * An idle sample: some frame is in IDLE_FUNCTIONS and no interrupt entry lies on the sampled
 * side of it. `frames` is outermost first, as in StackKey.
 * E.g. `… do_idle → cpuidle_enter_state → … → pv_native_safe_halt` is idle;
 * `… do_idle → … → pv_native_safe_halt → asm_sysvec_apic_timer_interrupt → … → tick_sched_timer`
 * is an interrupt handled on an idle CPU and is kept.
 * Read outermost first, that is: the last frame with a role decides (see idleAfter), so a parser
 * that knows each distinct frame's role folds a stack in one pass without looking at strings.
 */
export function isIdleStack(frames: readonly string[]): boolean {
  let idle = false;
  for (const frame of frames) {
    idle = idleAfter(idle, idleRole(frame));
  }
  return idle;
}

/** The idle state after one more frame, outermost first: an idle function sets it, an interrupt entry clears it. */
export function idleAfter(idle: boolean, role: number): boolean {
  return role === IDLE_ROLE ? true : role === INTERRUPT_ROLE ? false : idle;
}
