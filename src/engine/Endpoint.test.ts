import { PmapiClient } from '../pmapi/client';
import { scriptedTransport } from '../test/scriptedTransport';
import { Endpoint } from './Endpoint';

// Replies recorded from pmproxy 6.0.3 with the bpftrace PMDA; the recovery paths themselves run
// against the real stack in tests/integration/engine.test.ts.
const OUT_OF_STEP = {
  status: 401,
  body: '{"message":"failed to store value to metric bpftrace.control.register: Resource temporarily unavailable","success":false}',
};

describe('Endpoint', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('reports a PMDA that answers out of step, and stops retrying', async () => {
    let now = 0;
    const { transport, calls } = scriptedTransport([
      ['/pmapi/context', { status: 200, body: '{"context":3}' }],
      ['/pmapi/store', OUT_OF_STEP],
      ['/pmapi/metric', { status: 200, body: '{"metrics":[{"name":"pmcd.pid","pmid":"2.0.23","type":"u32"}]}' }],
      ['/pmapi/fetch', { status: 200, body: '{"timestamp":1.5,"values":[]}' }],
    ]);
    const endpoint = new Endpoint(new PmapiClient(transport, { hostspec: 'localhost', polltimeoutSec: 30 }), {
      pollIntervalMs: 1000,
      retentionMs: 60_000,
      now: () => now,
    });
    const seen: string[] = [];
    const { lease } = endpoint.subscribe('d/1/A', 'tracepoint:raw_syscalls:sys_enter { @n = count(); }', () =>
      seen.push(`${lease.status}:${lease.error ?? lease.warnings.join()}`)
    );
    for (let tick = 0; tick < 12; tick++) {
      await jest.advanceTimersByTimeAsync(0);
      now += 1000;
      await endpoint.pollOnce();
    }
    expect(lease.status).toBe('error');
    expect(lease.error).toMatch(/not responding correctly.*restart pmcd/);
    // Three tries, then it stays reported instead of retrying forever.
    expect(calls.filter((c) => c.path === '/pmapi/store')).toHaveLength(3);
    expect(seen.some((s) => s.startsWith('registering:Could not register the script yet'))).toBe(true);
    await endpoint.dispose();
  });

  it('refuses a script too long for a pmproxy URL, saying how long it is', () => {
    const { transport } = scriptedTransport([]);
    const endpoint = new Endpoint(new PmapiClient(transport, { hostspec: 'localhost', polltimeoutSec: 30 }), {
      pollIntervalMs: 1000,
      retentionMs: 60_000,
    });
    const code = `BEGIN { ${Array.from({ length: 600 }, (_, i) => `@v${i} = ${i};`).join(' ')} }`;
    const { lease, release } = endpoint.subscribe('d/1/A', code, () => undefined);
    expect(lease.status).toBe('error');
    expect(lease.error).toMatch(/too long for pmproxy: \d+ characters once URL-encoded, at most 7800/);
    release();
  });
});
