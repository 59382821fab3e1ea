import { BpfliveOptions } from '../../src/types';
import { newDataSource } from './datasourceHarness';
import { installNodeBackendSrv } from './nodeBackendSrv';
import { execFileSync } from 'child_process';
import path from 'path';
import {
  CREDENTIALS_FILE,
  pmdaPid,
  PMPROXY,
  seriesDown,
  seriesUp,
  sh,
  stackCredentials,
  stackUp,
  waitFor,
} from './stack';

const STACK_SCRIPT = path.resolve(__dirname, '../../scripts/pcp-stack.sh');

// Save & Test of the real datasource class against the real stack, healthy and broken in each
// way we can produce here. Every broken state is undone with scripts/pcp-stack.sh up, which turns
// authentication on: the datasource sends the stack's generated credentials unless a test says
// otherwise.
let upstream = PMPROXY;
let basicAuth: string | undefined;

beforeAll(() => {
  stackUp();
  basicAuth = stackCredentials();
  installNodeBackendSrv(
    () => upstream,
    () => basicAuth
  );
});

afterEach(() => {
  upstream = PMPROXY;
  basicAuth = stackCredentials();
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

  it('bpftrace PMDA installed but not running (it died again soon after a restart): says so, not "install it"', async () => {
    // pmcd starts a dead PMDA at once, then at most once a minute: a second kill keeps it down.
    const first = pmdaPid();
    expect(first).toBeDefined();
    sh(`kill -9 ${first}`);
    await waitFor('the PMDA back', () => pmdaPid() !== undefined && pmdaPid() !== first, 70_000);
    await waitFor('Save & Test ok', async () => (await saveAndTest()).state === 'ok', 30_000);
    const second = pmdaPid()!;
    sh(`kill -9 ${second}`);
    // In the first moment pmcd may not know yet (its lookups fail, or still answer).
    const r = await waitFor(
      'Save & Test saying the PMDA is not running',
      async () => {
        const answer = await saveAndTest();
        return answer.state === 'pmdaStopped' ? answer : undefined;
      },
      10_000
    );
    expect(r).toMatchObject({ status: 'error', state: 'pmdaStopped' });
    expect(r.message).toMatch(/installed on localhost but not running \(pmcd says: /);
    await waitFor('the PMDA back again', () => pmdaPid() !== undefined && pmdaPid() !== second, 70_000);
    await waitFor('Save & Test ok again', async () => (await saveAndTest()).state === 'ok', 30_000);
  }, 200_000);

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

describe('Save & Test with authentication on (the default of scripts/pcp-stack.sh up)', () => {
  const password = 'bpflive-test-secret';
  const passwordFile = '/tmp/bpflive-test-password';

  beforeAll(() => {
    sh(`printf '%s\\n' '${password}' > ${passwordFile} && chmod 600 ${passwordFile}`);
  });

  afterAll(() => {
    stackUp(); // back to the default: auth on, only the generated user may register
  });

  it('the generated user: all good; its credentials file is root only and survives a re-run', async () => {
    const credentials = stackCredentials();
    expect(credentials).toMatch(/^bpflive:[A-Za-z0-9]{32}$/);
    expect(sh(`stat -c '%U %a' ${CREDENTIALS_FILE}`).trim()).toBe('root 600');
    expect(await saveAndTest()).toMatchObject({ status: 'success', state: 'ok' });
    stackUp();
    expect(stackCredentials()).toBe(credentials);
    // Only the credentials line matters here; status exits non-zero while another part is not well
    // yet (pmproxy takes ~20 s to find its Redis again after the series store test stopped it).
    expect(sh(`bash '${STACK_SCRIPT}' status || true`)).toMatch(
      new RegExp(`credentials: ${CREDENTIALS_FILE} \\(user bpflive; pmcd accepts them\\)`)
    );
  });

  it('no credentials: anonymous contexts are refused registering', async () => {
    basicAuth = undefined;
    const r = await saveAndTest();
    expect(r).toMatchObject({ status: 'error', state: 'scriptsRefused' });
    expect(r.message).toMatch(/allowed_users/);
  });

  it('a wrong password: credentials refused', async () => {
    basicAuth = `${stackCredentials().split(':')[0]}:wrong`;
    const wrong = await saveAndTest();
    expect(wrong).toMatchObject({ status: 'error', state: 'authFailed' });
    expect(wrong.message).toMatch(/refused the credentials/);
  });

  it('a valid user who may not register scripts: scripts refused, naming the user', async () => {
    stackUp(['--user', 'bpflive_bob', '--password-file', passwordFile, '--allowed-users', 'bpflive']);
    basicAuth = `bpflive_bob:${password}`;
    const r = await saveAndTest();
    expect(r).toMatchObject({ status: 'error', state: 'scriptsRefused' });
    const uid = sh('id -u bpflive_bob').trim();
    expect(r.message).toContain(`user "${uid}"`);
    expect(r.message).toMatch(/allowed_users/);
    // the stack's own user is still the allowed one, and a given password file leaves its file alone
    basicAuth = stackCredentials();
    expect(await saveAndTest()).toMatchObject({ status: 'success', state: 'ok' });
  });

  it('a user of our choosing with a password file: allowed', async () => {
    stackUp(['--user', 'bpflive_alice', '--password-file', passwordFile]);
    basicAuth = `bpflive_alice:${password}`;
    expect(await saveAndTest()).toMatchObject({ status: 'success', state: 'ok' });
  });

  it('--no-auth: warns loudly, and then anyone may register', async () => {
    try {
      const stderr = execFileSync('bash', ['-c', `bash '${STACK_SCRIPT}' up --no-auth 2>&1 >/dev/null`], {
        encoding: 'utf8',
      });
      expect(stderr).toMatch(/WARNING: AUTHENTICATION IS OFF/);
      expect(stderr).toMatch(/run kernel tracing code AS ROOT/);
      basicAuth = undefined;
      expect(await saveAndTest()).toMatchObject({ status: 'success', state: 'ok' });
    } finally {
      stackUp();
    }
    basicAuth = undefined;
    expect((await saveAndTest()).state).toBe('scriptsRefused');
  });
});

describe('Save & Test: the series store', () => {
  it('says which hosts pmlogger records into it', async () => {
    const r = await saveAndTest();
    expect(r).toMatchObject({ status: 'success', state: 'ok' });
    const hostname = sh('pminfo -h local: -f pmcd.hostname | sed -n \'s/.*value "\\(.*\\)"/\\1/p\'').trim();
    const recorded = /Series store: available, (\d+) hosts? recorded \(([^)]*)\), (\d+) metrics?\./.exec(r.message);
    expect(recorded).not.toBeNull();
    expect(recorded![2].split(', ')).toEqual(expect.arrayContaining([hostname, 'bpflive-second']));
    expect(Number(recorded![3])).toBeGreaterThan(0);
  });

  it('store down: not available and why, while the PMDA check still succeeds', async () => {
    seriesDown();
    try {
      const started = Date.now();
      const r = await saveAndTest();
      expect(r).toMatchObject({ status: 'success', state: 'ok' });
      expect(r.message).toMatch(
        /Series store: not available \(pmproxy's series API .*Redis\/Valkey.*\); live data works/
      );
      // The client's own timeout, not pmproxy's (which never answers).
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      seriesUp();
    }
  });
});
