import { BpftraceQuery, QUERY_MODEL_VERSION } from '../types';
import { migrateQuery, newerModelNotice, SavedQuery } from './migrate';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import v1Panels from '../../tests/fixtures/saved-queries/v1-panels.json';
import v2Panel from '../../tests/fixtures/saved-queries/v2-panel.json';

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

// Saved dashboards: the fixtures in tests/fixtures/saved-queries/ (older shapes, and today's with
// every option) and the dashboards bpflive ships (src/dashboards/, written by today's version).
describe('saved dashboards load in the current model', () => {
  const v1Targets = v1Panels.panels.flatMap((p): SavedQuery[] => p.targets as SavedQuery[]);

  it('model 1 (no version, `variable`): every query becomes current with its map, nothing else changed', () => {
    for (const saved of v1Targets) {
      const migrated = migrateQuery(saved);
      const { variable, ...unchanged } = saved;
      expect(migrated).toEqual({ ...unchanged, ...(variable ? { map: variable } : {}), version: QUERY_MODEL_VERSION });
      expect(newerModelNotice(migrated)).toBeUndefined();
    }
    expect(v1Targets.filter((t) => t.variable).length).toBeGreaterThan(1);
  });

  it('model 1: the saved code, hide and datasource ref survive byte for byte', () => {
    for (const saved of v1Targets) {
      const migrated = migrateQuery(saved);
      expect(migrated.code).toBe(saved.code);
      expect(migrated.hide).toBe(saved.hide);
      expect(migrated.datasource).toEqual(saved.datasource);
    }
  });

  it("today's model with every option set comes back unchanged (the same object)", () => {
    const saved = v2Panel.targets[0] as SavedQuery;
    expect(saved.version).toBe(QUERY_MODEL_VERSION);
    expect(migrateQuery(saved)).toBe(saved);
  });

  it('the dashboards bpflive ships are saved in the current model', () => {
    const dir = join(__dirname, '..', 'dashboards');
    type Panel = { targets?: SavedQuery[]; panels?: Panel[] };
    const targets = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .flatMap((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')).panels as Panel[])
      .flatMap((p) => [p, ...(p.panels ?? [])]) // a collapsed row holds its panels
      .flatMap((p) => p.targets ?? []);
    expect(targets.length).toBeGreaterThan(5);
    for (const t of targets) {
      expect(t.version).toBe(QUERY_MODEL_VERSION);
      expect(migrateQuery(t)).toBe(t);
    }
  });
});

describe('newerModelNotice: a query saved by a newer bpflive', () => {
  it('is run as it is, with a warning that names both model versions', () => {
    const newer: BpftraceQuery = { refId: 'A', code: 'x', version: QUERY_MODEL_VERSION + 1 };
    expect(migrateQuery(newer)).toBe(newer);
    expect(newerModelNotice(newer)).toContain(`query model ${QUERY_MODEL_VERSION + 1}`);
    expect(newerModelNotice(newer)).toContain(`knows up to ${QUERY_MODEL_VERSION}`);
  });

  it('says nothing about current or older queries', () => {
    expect(newerModelNotice({ refId: 'A', code: 'x', version: QUERY_MODEL_VERSION })).toBeUndefined();
    expect(newerModelNotice({ refId: 'A', code: 'x' })).toBeUndefined();
  });
});
