import { BpftraceQuery, QUERY_MODEL_VERSION } from '../types';

/** A query as any version saved it: version 1 named the map `variable`. */
export type SavedQuery = BpftraceQuery & { variable?: string };

/**
 * A saved query in the current model (QUERY_MODEL_VERSION). Dashboards saved by older versions
 * keep working: each step upgrades one version, so a query from any version goes through all of
 * them in order. A query already current comes back as the same object (cheap to call on every
 * run, and React sees no change).
 */
export function migrateQuery(query: SavedQuery): BpftraceQuery {
  let q: SavedQuery = query;
  const from = q.version ?? 1;
  if (from >= QUERY_MODEL_VERSION) {
    return q;
  }
  if (from < 2) {
    q = toVersion2(q);
  }
  return { ...q, version: QUERY_MODEL_VERSION };
}

/** 1 → 2: `variable` became `map` (a map chosen in both keeps the newer `map`). */
function toVersion2(query: SavedQuery): BpftraceQuery {
  const { variable, ...rest } = query;
  const map = rest.map ?? variable;
  return map ? { ...rest, map } : rest;
}
