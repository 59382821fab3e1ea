import { BpftraceQuery, QUERY_MODEL_VERSION } from '../types';

/**
 * Saved queries change shape between versions; dashboards saved by any of them must keep working.
 *
 * Grafana's own migration hook (@grafana/runtime's MigrationHandler, `migrateQuery`,
 * `migrateRequest`, in 12.4 and 13.x alike) is for backend datasources only: it applies to a
 * DataSourceWithBackend with `hasBackendMigration` and posts the queries to the plugin's backend
 * (behind an experimental feature toggle). bpflive has no backend, so it does what frontend
 * datasources do: every place a saved query enters the plugin runs it through migrateQuery first,
 * DataSource.query() (panels, alerts seen by the browser, Explore) and the QueryEditor (which then
 * saves the query in the current model with the user's next change).
 */

/** A query as any version saved it: version 1 named the map `variable`. */
export type SavedQuery = BpftraceQuery & { variable?: string };

/**
 * A saved query in the current model (QUERY_MODEL_VERSION). Each step upgrades one version, so a
 * query from any version goes through all of them in order. A query already current comes back as
 * the same object (cheap to call on every run, and React sees no change); so does one saved by a
 * newer bpflive, which this version cannot know how to downgrade (see newerModelNotice).
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

/**
 * What to tell a user whose query was saved by a newer bpflive (a downgraded plugin, or a
 * dashboard imported from a newer Grafana): it runs, but options this version does not know are
 * ignored. Undefined for every query this version understands.
 */
export function newerModelNotice(query: BpftraceQuery): string | undefined {
  if (typeof query.version !== 'number' || query.version <= QUERY_MODEL_VERSION) {
    return undefined;
  }
  return `This query was saved by a newer bpflive (query model ${query.version}; this one knows up to ${QUERY_MODEL_VERSION}): options it does not know are ignored. Update the bpflive plugin to show it as it was saved.`;
}
