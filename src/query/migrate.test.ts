import { BpftraceQuery, QUERY_MODEL_VERSION } from '../types';
import { migrateQuery, SavedQuery } from './migrate';

describe('migrateQuery: saved dashboards keep working', () => {
  it('version 1 (no version): the map chosen under `variable` becomes `map`', () => {
    const saved: SavedQuery = { refId: 'A', code: 'x', variable: '@usecs', format: 'heatmap' };
    expect(migrateQuery(saved)).toEqual({
      refId: 'A',
      code: 'x',
      map: '@usecs',
      format: 'heatmap',
      version: QUERY_MODEL_VERSION,
    });
  });

  it('version 1 without a chosen map gains no map', () => {
    const migrated = migrateQuery({ refId: 'A', code: 'x' });
    expect(migrated).toEqual({ refId: 'A', code: 'x', version: QUERY_MODEL_VERSION });
    expect('map' in migrated).toBe(false);
  });

  it('a map chosen under both names keeps the newer `map`', () => {
    expect(migrateQuery({ refId: 'A', code: 'x', variable: '@old', map: '@new' }).map).toBe('@new');
  });

  it('a current query comes back as the same object (no re-render, no change to save)', () => {
    const current: BpftraceQuery = { refId: 'A', code: 'x', map: '@a', version: QUERY_MODEL_VERSION };
    expect(migrateQuery(current)).toBe(current);
  });

  it('the result is current: migrating twice changes nothing', () => {
    const once = migrateQuery({ refId: 'A', code: 'x', variable: '@a' });
    expect(migrateQuery(once)).toBe(once);
  });
});
