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
const text = read('docker-compose.yaml');
const compose = parse(text);
const pluginId = JSON.parse(read('src/plugin.json')).id;

describe('docker-compose.yaml', () => {
  it('records by default: pmproxy series on the valkey service, reachable on the compose network only', () => {
    const v = compose.services.valkey;
    const p = compose.services.pcp;
    expect(v.ports).toBeUndefined();
    expect(v.expose).toEqual(['6379']);
    expect(v.volumes).toContain('valkey-data:/data');
    expect(p.environment.BPFLIVE_REDIS_SERVERS).toBe('valkey:6379');
    expect(p.environment.BPFLIVE_SERIES_RETENTION).toMatch(/7d/);
    expect(p.depends_on.valkey.condition).toBe('service_healthy');
    expect(p.volumes).toContain('pcp-archives:/var/log/pcp/pmlogger/bpflive');
    // finished archives leave pmproxy's discovery tree (docs/recording.md) and are kept here
    expect(p.volumes).toContain('pcp-archives-done:/var/lib/bpflive/archives');
    expect(read('scripts/pcp-stack.sh')).toContain('readonly RECORD_DONE=/var/lib/bpflive/archives');
    expect(p.volumes).toContain('pcp-recordings:/var/lib/bpflive/recordings');
    // the recorder that pcp-stack.sh up starts is found beside it in the image
    expect(read('docker/pcp/Dockerfile')).toContain(
      'COPY scripts/bpflive-recorder.py /usr/local/bin/bpflive-recorder.py'
    );
    expect(fs.existsSync(path.join(root, 'scripts/bpflive-recorder.py'))).toBe(true);
  });

  it('has Grafana 12.4, a PCP service and its series store', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['grafana', 'pcp', 'valkey']);
    expect(compose.services.grafana.image).toMatch(
      /^grafana\/grafana(-enterprise)?:\$\{GRAFANA_VERSION:-12\.4\.\d+\}$/
    );
  });

  it('Grafana loads the built plugin unsigned, with our provisioning, on port 3000', () => {
    const g = compose.services.grafana;
    expect(g.volumes).toContain(`./dist:/var/lib/grafana/plugins/${pluginId}:ro`);
    expect(g.volumes).toContain('./provisioning:/etc/grafana/provisioning:ro');
    expect(g.environment.GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS).toContain(pluginId);
    expect(g.environment.BPFLIVE_PMPROXY_URL).toBe('http://pcp:44322');
  });

  it('Grafana opens nothing: 127.0.0.1 only, no anonymous access, strict cookies, no default password', () => {
    const g = compose.services.grafana;
    expect(g.ports).toEqual(['127.0.0.1:3000:3000']);
    expect(text).not.toMatch(/^\s*-\s*['"]?3000:3000/m);
    expect(g.environment.GF_AUTH_ANONYMOUS_ENABLED).toBe('false');
    expect(g.environment.GF_AUTH_ANONYMOUS_ORG_ROLE).toBeUndefined();
    expect(g.environment.GF_SECURITY_COOKIE_SAMESITE).toBe('strict');
    expect(g.environment.GF_SECURITY_ADMIN_PASSWORD).toBeUndefined();
    // the admin password is generated on the first start into the grafana-data volume
    expect(g.volumes).toContain('grafana-data:/var/lib/grafana');
    expect(g.entrypoint.join(' ')).toMatch(/bpflive-grafana-entrypoint\.sh$/);
    const mount = (g.volumes as string[]).find((v) => v.endsWith(':/usr/local/bin/bpflive-grafana-entrypoint.sh:ro'));
    expect(mount).toBeDefined();
    const entrypoint = read(mount!.split(':')[0]);
    expect(entrypoint).toMatch(/\/dev\/urandom/);
    expect(entrypoint).toMatch(/GF_SECURITY_ADMIN_PASSWORD__FILE/);
    expect(entrypoint).toMatch(/exec \/run\.sh/);
  });

  it('both services have healthchecks; Grafana waits for a healthy pcp', () => {
    const g = compose.services.grafana;
    const p = compose.services.pcp;
    expect(g.healthcheck.test.join(' ')).toContain('/api/health');
    expect(p.healthcheck.test.join(' ')).toContain('/pmapi/metric?names=bpftrace.control.register');
    expect(g.depends_on).toEqual({ pcp: { condition: 'service_healthy' } });
  });

  it('the PCP service can run bpftrace on the host kernel, and keeps pmcd and pmproxy off the host', () => {
    const p = compose.services.pcp;
    expect(p.privileged).toBe(true);
    expect(p.pid).toBe('host');
    const targets = (p.volumes as string[]).map((v) => v.split(':')[1]);
    expect(targets).toEqual(expect.arrayContaining(['/sys/kernel/debug', '/sys/kernel/tracing', '/lib/modules']));
    expect(p.ports).toBeUndefined();
    expect(text).not.toMatch(/4432[123]:4432[123]/);
    expect(p.expose).toContain('44322');
    expect(p.environment.BPFLIVE_PMPROXY_LISTEN).toBe('0.0.0.0');
    // a host that runs PCP itself: our daemons by pid file, never the host's by name
    expect(p.environment.BPFLIVE_DAEMON_CONTROL).toBe('direct');
  });

  it('the PMDA requires authentication, and its generated credentials reach Grafana through a shared volume', () => {
    const p = compose.services.pcp;
    const g = compose.services.grafana;
    expect(p.environment.BPFLIVE_AUTH).toBeUndefined(); // pcp-stack.sh up: auth on by default
    expect(text).not.toMatch(/--no-auth|BPFLIVE_AUTH:\s*['"]?(0|false|no|off)/);
    expect(read('docker/pcp/entrypoint.sh')).toMatch(/^\s*pcp-stack\.sh up\s*$/m);
    expect(read('scripts/pcp-stack.sh')).toMatch(/AUTH=\$\(truthy "\$\{BPFLIVE_AUTH:-1\}"\)/);
    const credentialsDir = p.environment.BPFLIVE_GRAFANA_CREDENTIALS_DIR;
    expect(p.volumes).toContain(`pmproxy-credentials:${credentialsDir}`);
    expect(g.volumes).toContain('pmproxy-credentials:/etc/bpflive/pmproxy:ro');
    expect(p.volumes).toContain(`pcp-credentials:${path.dirname(p.environment.BPFLIVE_PCP_CREDENTIALS_FILE)}`);
    // Grafana never mounts the root-only credentials volume
    expect((g.volumes as string[]).some((v) => v.startsWith('pcp-credentials:'))).toBe(false);
    expect(Object.keys(compose.volumes).sort()).toEqual([
      'grafana-data',
      'pcp-archives',
      'pcp-archives-done',
      'pcp-credentials',
      'pcp-recordings',
      'pmproxy-credentials',
      'valkey-data',
    ]);
    expect(p.healthcheck.test.join(' ')).toContain(`${credentialsDir}/password`);
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

  it('sends the PMDA’s SASL credentials as basic auth, read from the shared volume with $__file', () => {
    const ds = parse(read('provisioning/datasources/datasources.yml')).datasources[0];
    expect(ds.basicAuth).toBe(true);
    expect(ds.basicAuthUser).toBe('$__file{/etc/bpflive/pmproxy/user}');
    expect(ds.secureJsonData).toEqual({ basicAuthPassword: '$__file{/etc/bpflive/pmproxy/password}' });
    // no password in clear text anywhere in provisioning
    expect(ds.jsonData.basicAuthPassword).toBeUndefined();
    expect(ds.basicAuthPassword).toBeUndefined();
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
