/**
 * docker-compose.yaml cannot run here (no Docker engine), so what a user runs is checked as text:
 * valid YAML, the two services, the mounts bpftrace needs, the ports, and that every file it
 * points at exists.
 */
import fs from 'fs';
import path from 'path';
import { parse } from 'yaml';

const root = path.resolve(__dirname, '../..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');
const compose = parse(read('docker-compose.yaml'));
const pluginId = JSON.parse(read('src/plugin.json')).id;

describe('docker-compose.yaml', () => {
  it('has Grafana 12.4 and a PCP service', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['grafana', 'pcp']);
    expect(compose.services.grafana.image).toMatch(
      /^grafana\/grafana(-enterprise)?:\$\{GRAFANA_VERSION:-12\.4\.\d+\}$/
    );
  });

  it('Grafana loads the built plugin unsigned, with our provisioning, on port 3000', () => {
    const g = compose.services.grafana;
    expect(g.volumes).toContain(`./dist:/var/lib/grafana/plugins/${pluginId}:ro`);
    expect(g.volumes).toContain('./provisioning:/etc/grafana/provisioning:ro');
    expect(g.environment.GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS).toContain(pluginId);
    expect(g.ports).toContain('3000:3000');
    expect(g.environment.BPFLIVE_PMPROXY_URL).toBe('http://pcp:44322');
  });

  it('the PCP service can run bpftrace on the host kernel, and keeps pmproxy off the host', () => {
    const p = compose.services.pcp;
    expect(p.privileged).toBe(true);
    expect(p.pid).toBe('host');
    const targets = (p.volumes as string[]).map((v) => v.split(':')[1]);
    expect(targets).toEqual(expect.arrayContaining(['/sys/kernel/debug', '/sys/kernel/tracing', '/lib/modules']));
    expect(p.ports).toBeUndefined();
    expect(p.expose).toContain('44322');
    expect(p.environment.BPFLIVE_PMPROXY_LISTEN).toBe('0.0.0.0');
  });

  it('builds from files that exist: the Dockerfile, the stack script and the entrypoint', () => {
    const dockerfile = path.join(root, compose.services.pcp.build.context, compose.services.pcp.build.dockerfile);
    const text = fs.readFileSync(dockerfile, 'utf8');
    expect(text).toMatch(/^FROM debian:12/m);
    for (const [, source] of text.matchAll(/^COPY (\S+) /gm)) {
      expect(fs.existsSync(path.join(root, source))).toBe(true);
    }
    expect(text).toMatch(/pcp-stack\.sh install/);
    const entrypoint = path.join(root, 'docker/pcp/entrypoint.sh');
    expect(fs.statSync(entrypoint).mode & 0o111).not.toBe(0);
    expect(fs.readFileSync(entrypoint, 'utf8')).toMatch(/pcp-stack\.sh up/);
  });
});

describe('provisioning', () => {
  it('provisions the bpftrace datasource through Grafana’s proxy with the compose URL', () => {
    const ds = parse(read('provisioning/datasources/datasources.yml')).datasources[0];
    expect(ds).toMatchObject({ type: pluginId, uid: 'bpflive', access: 'proxy', url: '${BPFLIVE_PMPROXY_URL}' });
  });
});

describe('provisioned dashboards', () => {
  it('are read from the plugin folder that docker-compose mounts, and the build ships them', () => {
    const provider = parse(read('provisioning/dashboards/bpflive.yml')).providers[0];
    expect(provider.options.path).toBe(`/var/lib/grafana/plugins/${pluginId}/dashboards`);
    const includes = JSON.parse(read('src/plugin.json')).includes as Array<{ path: string }>;
    expect(includes.length).toBeGreaterThanOrEqual(2);
    for (const include of includes) {
      // src/ is what the build copies into dist/.
      expect(fs.existsSync(path.join(root, 'src', include.path))).toBe(true);
    }
  });
});

