import { stripComments } from './prepare';

/**
 * bpflive registers every script under a name derived from its code. Any client that wants the
 * same code computes the same name, so two browsers on one panel share one bpftrace process (the
 * PMDA refuses a second script of that name), and the metric names stay the same when the script
 * has to be registered again after a pmcd restart.
 */
export const NAME_PREFIX = 'bpflive_';

/** What is stored to bpftrace.control.register for the user's code. */
export interface PreparedScript {
  name: string;
  /** The text sent to the PMDA: comments stripped, the name directive on a last line of its own. */
  text: string;
}

export function prepareScript(code: string): PreparedScript {
  const stripped = stripComments(code).replace(/\s+$/, '');
  const withoutUserName = stripped.replace(/^\/\/\s*name\s*:.*$/gm, '');
  const name = NAME_PREFIX + fnv1a64(withoutUserName);
  // Last, not first: bpftrace's line numbers must stay those of the user's code.
  return { name, text: `${withoutUserName}\n// name: ${name}` };
}

/** 64-bit FNV-1a as 16 hex digits: stable across browsers, no crypto API needed. */
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
