import { BpfliveOptions } from '../../src/types';
import { newDataSource } from './datasourceHarness';
import { installNodeBackendSrv } from './nodeBackendSrv';
import { PMPROXY, sh, stackUp } from './stack';

// Save & Test of the real datasource class against the real stack, healthy and broken in each
// way we can produce here. Every broken state is undone with scripts/pcp-stack.sh up.
let upstream = PMPROXY;
let basicAuth: string | undefined;

beforeAll(() => {
  stackUp();
  installNodeBackendSrv(
    () => upstream,
    () => basicAuth
  );
});

afterEach(() => {
  upstream = PMPROXY;
  basicAuth = undefined;
});

afterAll(() => {
  stackUp();
});

async function saveAndTest(jsonData?: BpfliveOptions) {
  const result = await newDataSource(jsonData).testDatasource();
  return { ...result, state: String((result.details as { message: string }).message).replace('state: ', '') };
}

describe('Save & Test', () => {
  it('all good: says so, with the PCP version and the number of probes', async () => {
    const r = await saveAndTest();
    expect(r).toMatchObject({ status: 'success', state: 'ok' });
    const pcpVersion = sh('pminfo -h local: -f pmcd.version | sed -n \'s/.*value "\\(.*\\)"/\\1/p\'').trim();
    expect(r.message).toContain(`PCP ${pcpVersion}`);
    const probes = Number(/(\d+) probes/.exec(r.message)?.[1]);
    const expected = Number(sh('bpftrace -l | wc -l').trim());
    // bpftrace -l now vs the PMDA's list at its start: nearly the same host.
    expect(probes).toBeGreaterThan(expected * 0.9);
  });

  it('pmproxy unreachable: says so and what to check', async () => {
    upstream = 'http://127.0.0.1:1';
    const r = await saveAndTest();
    expect(r).toMatchObject({ status: 'error', state: 'pmproxyUnreachable' });
    expect(r.message).toMatch(/Cannot reach pmproxy/);
  });

  it('pmproxy stopped on the host: unreachable', async () => {
    sh('/etc/init.d/pmproxy stop >/dev/null 2>&1 || true; pkill -x pmproxy || true');
    try {
      const r = await saveAndTest();
      expect(r).toMatchObject({ status: 'error', state: 'pmproxyUnreachable' });
    } finally {
      stackUp();
    }
    expect((await saveAndTest()).state).toBe('ok');
  });

  it('pmcd unreachable from pmproxy: a host that has no pmcd', async () => {
    const r = await saveAndTest({ hostspec: 'localhost:1' });
    expect(r).toMatchObject({ status: 'error', state: 'pmcdUnreachable' });
    expect(r.message).toContain('localhost:1');
  });

  it('pmcd stopped: pmcd unreachable from pmproxy', async () => {
    sh('/etc/init.d/pmcd stop >/dev/null 2>&1 || true');
    try {
      const r = await saveAndTest();
      expect(r).toMatchObject({ status: 'error', state: 'pmcdUnreachable' });
    } finally {
      stackUp();
    }
  });

  it('bpftrace PMDA not installed: says how to install it', async () => {
    sh('cd /var/lib/pcp/pmdas/bpftrace && ./Remove >/dev/null 2>&1');
    try {
      const r = await saveAndTest();
      expect(r).toMatchObject({ status: 'error', state: 'pmdaMissing' });
      expect(r.message).toMatch(/Install/);
    } finally {
      stackUp();
    }
    expect((await saveAndTest()).state).toBe('ok');
  });

  it('dynamic scripts disabled: says to enable them', async () => {
    sh(
      "sed -i '/^\\[dynamic_scripts\\]/,/^\\[/ s/^enabled *=.*/enabled = false/' /etc/pcp/bpftrace/bpftrace.conf && /etc/init.d/pmcd restart >/dev/null 2>&1"
    );
    try {
      const r = await saveAndTest();
      expect(r).toMatchObject({ status: 'error', state: 'scriptsRefused' });
      expect(r.message).toMatch(/enabled = true/);
    } finally {
      stackUp();
    }
    expect((await saveAndTest()).state).toBe('ok');
  });
});

describe('Save & Test with authentication on (SASL users through basic auth)', () => {
  const password = 'bpflive-test-secret';
  const passwordFile = '/tmp/bpflive-test-password';

  beforeAll(() => {
    sh(`printf '%s\\n' '${password}' > ${passwordFile} && chmod 600 ${passwordFile}`);
  });

  afterAll(() => {
    stackUp(); // back to no auth
  });

  it('a user who may not register scripts: scripts refused, naming the user', async () => {
    stackUp(['--auth', '--user', 'bpflive_bob', '--password-file', passwordFile, '--allowed-users', 'root']);
    basicAuth = `bpflive_bob:${password}`;
    const r = await saveAndTest();
    expect(r).toMatchObject({ status: 'error', state: 'scriptsRefused' });
    const uid = sh('id -u bpflive_bob').trim();
    expect(r.message).toContain(`user "${uid}"`);
    expect(r.message).toMatch(/allowed_users/);
  });

  it('an allowed user: all good; a wrong password: credentials refused; none: refused', async () => {
    stackUp(['--auth', '--user', 'bpflive_alice', '--password-file', passwordFile]);
    basicAuth = `bpflive_alice:${password}`;
    expect(await saveAndTest()).toMatchObject({ status: 'success', state: 'ok' });

    basicAuth = 'bpflive_alice:wrong';
    const wrong = await saveAndTest();
    expect(wrong).toMatchObject({ status: 'error', state: 'authFailed' });
    expect(wrong.message).toMatch(/refused the credentials/);

    basicAuth = undefined;
    expect(await saveAndTest()).toMatchObject({ status: 'error', state: 'scriptsRefused' });
  });
});
