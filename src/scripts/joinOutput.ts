import { stripComments } from './prepare';

/**
 * What the PMDA does with join(), seen on the real stack (PCP 6.0.3, bpftrace 0.17): bpftrace
 * prints join()'s text as a JSON message of type "join", and the PMDA keeps only "printf" and
 * "time" messages. So the joined words AND their newline never reach @output, and every event of
 * a tool like `printf("%-8d ", pid); join(args->argv);` is glued to the previous one in a
 * single line that never ends: `PID      ARGS\n14049    14050    14051    …`.
 *
 * What is left is each event's printf part, whole (the PMDA appends whole messages). Where that
 * part has a shape that can be matched without ambiguity, the glued run is cut back into one line
 * per event.
 */

/** The message shown with a script that uses join(). */
export const JOIN_NOTICE =
  'join() output never reaches bpflive: the PMDA drops it (bpftrace prints it as a message of its own), newline included. Showing what is left of each event, its printf part; to see the arguments, print them with printf and str() (e.g. str(args->filename)).';

/** Whether the script calls join(). */
export function usesJoin(code: string): boolean {
  return /\bjoin\s*\(/.test(stripComments(code));
}

/**
 * A function that cuts the unterminated last line of @output back into one line per event, for a
 * script whose events are `printf("…"); join(…);`, or undefined when the script has no such
 * printf or its format cannot be matched without ambiguity (e.g. a `%s` without a width).
 */
export function joinedEventSplitter(code: string): ((text: string) => string) | undefined {
  const m = /printf\s*\(\s*"((?:[^"\\\n]|\\.)*)"[^;]*\)\s*;\s*join\s*\(/.exec(stripComments(code));
  if (!m || /\\n/.test(m[1])) {
    return undefined;
  }
  const event = eventPattern(unescape(m[1]));
  if (!event) {
    return undefined;
  }
  return (text) => {
    const start = text.lastIndexOf('\n') + 1;
    const tail = text.slice(start);
    const events: string[] = [];
    let at = 0;
    event.lastIndex = 0;
    while (at < tail.length) {
      event.lastIndex = at;
      const hit = event.exec(tail);
      if (!hit || hit[0].length === 0) {
        break;
      }
      events.push(hit[0]);
      at = event.lastIndex;
    }
    if (at !== tail.length || events.length === 0) {
      return text; // not all of it matched: leave it as the PMDA has it
    }
    return text.slice(0, start) + events.map((e) => `${e.trimEnd()}\n`).join('');
  };
}

/** A sticky regular expression for one event's printf text, or undefined when it would be ambiguous. */
function eventPattern(format: string): RegExp | undefined {
  const conversion = /%([-+ 0#]*)(\d*)(?:\.\d+)?(?:hh|h|ll|l|z)?([diuxXopcs%])/g;
  let source = '';
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = conversion.exec(format))) {
    source += escape(format.slice(last, m.index));
    last = conversion.lastIndex;
    const [, flags, width, type] = m;
    const left = flags.includes('-');
    const pad = width ? ' *' : '';
    let part: string;
    switch (type) {
      case '%':
        part = '%';
        break;
      case 'c':
        part = '.';
        break;
      case 's':
        if (!width) {
          return undefined; // a string of any length, spaces included: where it ends is a guess
        }
        // Padded to at least `width` characters (comm fits in 16).
        part = `.{${width},}?`;
        break;
      case 'x':
      case 'X':
        part = '[0-9a-fA-F]+';
        break;
      case 'o':
        part = '[0-7]+';
        break;
      case 'p':
        part = '(?:0x)?[0-9a-fA-F]+';
        break;
      default:
        part = '-?\\d+';
    }
    source += type === 's' || type === 'c' || type === '%' ? part : left ? `${part}${pad}` : `${pad}${part}`;
  }
  const rest = format.slice(last);
  source += escape(rest);
  if (source === '') {
    return undefined;
  }
  return new RegExp(source, 'ys');
}

function unescape(literal: string): string {
  return literal.replace(/\\(.)/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c));
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
