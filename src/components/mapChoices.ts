import { pmdaView, VALID_MAP_NAME } from '../language/pmdaView';

/** What the panel's data says of the script that runs: its code and the maps it exports. */
export interface RanScript {
  /** The code the reporting run was started with (undefined: not known). */
  code?: string;
  /** The maps the PMDA exports for it, in its order. */
  variables?: readonly string[];
}

/**
 * The maps the Map field offers for the text being edited: the maps the PMDA will export for it,
 * in the order they are written, then any others the running script reports, but only when it
 * runs this very text. A run of other code (the one before an edit, or a run still starting)
 * says nothing of these maps, so it neither replaces nor reorders them: a map picked while the
 * script starts is the one the user aimed at, not the one that moved under the pointer.
 */
export function mapChoices(draft: string, ran: RanScript): string[] {
  const written = pmdaView(draft)
    .variables.map((v) => v.name)
    .filter((n) => VALID_MAP_NAME.test(n));
  if (ran.code !== draft || !ran.variables) {
    return written;
  }
  const known = new Set(written);
  return [...written, ...ran.variables.filter((v) => !known.has(v))];
}
