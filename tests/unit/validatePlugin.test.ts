import { execFileSync, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';

// scripts/validate-plugin.mjs, run as CI runs it, over a small plugin built here: a good one
// passes every rule, and each way of breaking it fails the rule a reviewer would reject it under.

const ROOT = path.join(__dirname, '..', '..');
const ID = 'bpflive-bpftrace-datasource';
const VERSION = '1.2.3';
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

function pluginJson(): Record<string, any> {
  return {
    type: 'datasource',
    name: 'bpftrace (bpflive)',
    id: ID,
    info: {
      description: 'Live bpftrace scripts.',
      author: { name: 'bpflive' },
      keywords: ['bpftrace'],
      logos: { small: 'img/logo.svg', large: 'img/logo.svg' },
      links: [{ name: 'Documentation', url: 'https://example.org/docs' }],
      screenshots: [{ name: 'Flame graph', path: 'img/screenshots/flamegraph.png' }],
      version: VERSION,
      updated: '2026-12-03',
    },
    dependencies: { grafanaDependency: '>=12.4.0', plugins: [] },
  };
}

const MODULE_JS = 'define(["react","@grafana/data"],(e,t)=>({}));\n//# sourceMappingURL=module.js.map\n';
const SOURCE_MAP = {
  version: 3,
  sources: ['webpack://x/./src/module.ts'],
  sourcesContent: ['export {}'],
  mappings: '',
};

/** A plugin dir, its archive and checksum, as npm run build writes them; `edit` breaks it first. */
function build(edit: (dist: string) => void = () => {}): { dist: string; zip: string } {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bpflive-validate-'));
  const dist = path.join(work, 'dist');
  fs.mkdirSync(path.join(dist, 'img', 'screenshots'), { recursive: true });
  fs.writeFileSync(path.join(dist, 'plugin.json'), JSON.stringify(pluginJson(), null, 2));
  fs.writeFileSync(path.join(dist, 'module.js'), MODULE_JS);
  fs.writeFileSync(path.join(dist, 'module.js.map'), JSON.stringify(SOURCE_MAP));
  fs.writeFileSync(path.join(dist, 'LICENSE'), 'Apache License 2.0\n');
  fs.writeFileSync(path.join(dist, 'README.md'), '# bpftrace (bpflive)\n\nLive bpftrace.\n');
  fs.writeFileSync(path.join(dist, 'CHANGELOG.md'), `# Changelog\n\n## [${VERSION}] - 2026-12-03\n\n- First.\n`);
  fs.writeFileSync(path.join(dist, 'img', 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>');
  fs.writeFileSync(path.join(dist, 'img', 'screenshots', 'flamegraph.png'), PNG);
  edit(dist);
  // Packed as package-plugin.mjs packs: one folder named after the plugin id.
  const staging = path.join(work, 'staging');
  fs.mkdirSync(staging);
  fs.cpSync(dist, path.join(staging, ID), { recursive: true });
  const zip = path.join(work, `${ID}-${VERSION}.zip`);
  execFileSync('python3', ['-m', 'zipfile', '-c', zip, ID], { cwd: staging });
  const sha = createHash('sha256').update(fs.readFileSync(zip)).digest('hex');
  fs.writeFileSync(`${zip}.sha256`, `${sha}  ${path.basename(zip)}\n`);
  return { dist, zip };
}

function validate({ dist, zip }: { dist: string; zip: string }): { status: number | null; out: string } {
  const r = spawnSync('node', [path.join(ROOT, 'scripts', 'validate-plugin.mjs'), '--dist', dist, '--zip', zip], {
    encoding: 'utf8',
  });
  return { status: r.status, out: r.stdout + r.stderr };
}

/** The rules that failed, by the name the validator prints after FAIL. */
function failedRules(out: string): string[] {
  return [...out.matchAll(/^FAIL {2}(.+)$/gm)].map((m) => m[1]);
}

const editJson = (dist: string, change: (p: Record<string, any>) => void) => {
  const p = JSON.parse(fs.readFileSync(path.join(dist, 'plugin.json'), 'utf8'));
  change(p);
  fs.writeFileSync(path.join(dist, 'plugin.json'), JSON.stringify(p));
};

describe('scripts/validate-plugin.mjs', () => {
  it('passes a complete plugin and its archive', () => {
    const r = validate(build());
    expect(failedRules(r.out)).toEqual([]);
    expect(r.status).toBe(0);
  });

  it.each([
    [
      'plugin.json metadata',
      (d: string) =>
        editJson(d, (p) => {
          p.info.links = [];
          p.info.keywords = [];
        }),
      /no info\.keywords[\s\S]*no info\.links/,
    ],
    ['plugin.json metadata', (d: string) => editJson(d, (p) => (p.info.updated = '%TODAY%')), /%TODAY%/],
    ['grafanaDependency', (d: string) => editJson(d, (p) => (p.dependencies.grafanaDependency = '12.4.0')), /oldest/],
    ['logos', (d: string) => fs.rmSync(path.join(d, 'img', 'logo.svg')), /logo img\/logo\.svg is missing/],
    [
      'logos',
      (d: string) => fs.writeFileSync(path.join(d, 'img', 'logo.svg'), '<svg onload="alert(1)"></svg>'),
      /event handler/,
    ],
    [
      'screenshots',
      (d: string) => fs.rmSync(path.join(d, 'img', 'screenshots', 'flamegraph.png')),
      /flamegraph\.png is missing/,
    ],
    [
      'module.js',
      (d: string) => fs.appendFileSync(path.join(d, 'module.js'), 'console.log("debug");\n'),
      /console\.log \(1×\)/,
    ],
    ['source map', (d: string) => fs.rmSync(path.join(d, 'module.js.map')), /module\.js\.map is missing/],
    [
      'Grafana and React not bundled',
      (d: string) =>
        fs.writeFileSync(
          path.join(d, 'module.js.map'),
          JSON.stringify({
            ...SOURCE_MAP,
            sources: [...SOURCE_MAP.sources, 'webpack://x/./node_modules/react-dom/cjs/react-dom.production.js'],
            sourcesContent: ['', ''],
          })
        ),
      /react-dom is bundled/,
    ],
    ['LICENSE, README, CHANGELOG', (d: string) => fs.rmSync(path.join(d, 'LICENSE')), /LICENSE is missing/],
    [
      'LICENSE, README, CHANGELOG',
      (d: string) => fs.appendFileSync(path.join(d, 'README.md'), 'Build it with yarn.\n'),
      /developer jargon \(yarn\)/,
    ],
    [
      'LICENSE, README, CHANGELOG',
      (d: string) => fs.writeFileSync(path.join(d, 'CHANGELOG.md'), '# Changelog\n\n## [1.0.0] - 2026-01-01\n'),
      /no "## 1\.2\.3" section/,
    ],
  ])('fails "%s" when it is broken', (rule, edit, problem) => {
    const r = validate(build(edit));
    expect(r.status).toBe(1);
    expect(failedRules(r.out)).toContain(rule);
    expect(r.out).toMatch(problem);
  });

  it('fails the archive whose top folder is not the plugin id, or whose checksum is stale', () => {
    const { dist, zip } = build();
    const wrong = path.join(path.dirname(zip), 'wrong');
    fs.cpSync(dist, path.join(wrong, 'dist'), { recursive: true });
    fs.rmSync(zip);
    execFileSync('python3', ['-m', 'zipfile', '-c', zip, 'dist'], { cwd: wrong });
    const r = validate({ dist, zip });
    expect(failedRules(r.out)).toEqual(['archive layout and size', 'archive checksum']);
    expect(r.out).toMatch(/entries outside bpflive-bpftrace-datasource\//);
    expect(r.out).toMatch(/\.sha256 does not match/);
  });

  it("fails an archive whose plugin.json is not dist's (dist rebuilt, not repacked)", () => {
    const { dist, zip } = build();
    editJson(dist, (p) => (p.name = 'renamed'));
    const r = validate({ dist, zip });
    expect(failedRules(r.out)).toEqual(['archive layout and size']);
    expect(r.out).toMatch(/differs from dist\/plugin\.json/);
  });
});
