import fs from 'fs';
import path from 'path';
import { urlBudget } from '../../src/language/lints';

// The sample dashboards' scripts must reach the host: each, as bpflive sends it (comments
// stripped, its own lines added, URL-encoded), fits pmproxy's URL limit (src/scripts/budget.ts).

interface Panel {
  title?: string;
  targets?: Array<{ code?: string; queryType?: string }>;
  panels?: Panel[];
}

const dir = path.join(__dirname, '../../src/dashboards');
const scripts = fs.readdirSync(dir).flatMap((file) => {
  const panels: Panel[] = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')).panels;
  const all = panels.flatMap((p) => [p, ...(p.panels ?? [])]);
  // A query of another type (the running scripts list) sends no script.
  return all.flatMap((p) =>
    (p.targets ?? []).filter((t) => !t.queryType).map((t) => [`${file}: ${p.title}`, t.code ?? ''] as const)
  );
});

describe('sample dashboards', () => {
  it('have scripts', () => {
    expect(scripts.length).toBeGreaterThan(10);
  });

  it.each(scripts)('%s fits pmproxy', (_, code) => {
    const budget = urlBudget(code);
    expect(budget.encoded).toBeGreaterThan(0);
    expect(budget.encoded).toBeLessThanOrEqual(budget.max);
  });
});
