import { PmapiClient } from '../pmapi';
import { metricTable, once, scriptedTransport } from '../test/scriptedTransport';
import { checkEndpoint } from './checkEndpoint';

// Replies recorded from the real stack (pmproxy 6.0.3, bpftrace PMDA, Debian 12). The states are
// also produced for real in tests/integration/saveAndTest.test.ts; these pin the decision logic.
const CONTEXT = { status: 200, body: '{"context":5,"hostspec":"vm","labels":{"hostname":"vm"}}' };
const CONTEXT_ALICE = {
  status: 200,
  body: '{"context":5,"hostspec":"vm","labels":{"hostname":"vm","userid":1001,"groupid":1001}}',
};
const REGISTER_META = metricTable({
  'bpftrace.control.register': { pmid: '151.0.0', type: 'string' },
  'bpftrace.control.deregister': { pmid: '151.0.1', type: 'string' },
  'pmcd.version': { pmid: '2.0.4', type: 'string' },
  'bpftrace.info.tracepoints': { pmid: '151.1.2', type: 'string' },
});
const VERSION_AND_PROBES = {
  status: 200,
  body: '{"timestamp":1795320762.297247045,"values":[{"pmid":"2.0.4","name":"pmcd.version","instances":[{"instance":null,"value":"6.0.3"}]},{"pmid":"151.1.2","name":"bpftrace.info.tracepoints","instances":[{"instance":null,"value":"tracepoint:sched:sched_switch,tracepoint:raw_syscalls:sys_enter,profile:hz:99"}]}]}',
};
const NOT_FOUND = {
  status: 400,
  body: '{"message":"failed to store value to metric bpftrace.control.deregister: Bad input to pmstore","success":false}',
};
const DEREGISTER_READBACK = {
  status: 200,
  body: '{"timestamp":1.1,"values":[{"pmid":"151.0.1","name":"bpftrace.control.deregister","instances":[{"instance":null,"value":"{\\"error\\": \\"one or more scripts were not found\\"}"}]}]}',
};
const NO_PERMISSION = {
  status: 400,
  body: '{"message":"failed to store value to metric bpftrace.control.deregister: No permission to perform requested operation","success":false}',
};

function check(replies: Parameters<typeof scriptedTransport>[0]) {
  const { transport, calls } = scriptedTransport(replies);
  return {
    result: checkEndpoint(
      new PmapiClient(transport, { hostspec: 'localhost', polltimeoutSec: 30, controlPath: '/control/store' })
    ),
    calls,
  };
}

describe('checkEndpoint (Save & Test)', () => {
  it('ok: PCP version and probe count, and nothing registered', async () => {
    const { result, calls } = check([
      ['/pmapi/context', CONTEXT],
      ['/pmapi/metric', REGISTER_META],
      [/^\/pmapi\/fetch\?context=5&pmids=2.0.4/, VERSION_AND_PROBES],
      ['/control/store', NOT_FOUND],
      [/^\/pmapi\/fetch\?context=5&names=bpftrace.control.deregister/, DEREGISTER_READBACK],
    ]);
    const report = await result;
    expect(report).toMatchObject({ state: 'ok', pcpVersion: '6.0.3', probeCount: 3 });
    expect(report.message).toBe('bpftrace PMDA ready on localhost: PCP 6.0.3, 3 probes on the host.');
    // The permission probe only ever deregisters a name no script can have.
    expect(calls.filter((c) => c.path === '/control/store').map((c) => c.params.name)).toEqual([
      'bpftrace.control.deregister',
    ]);
  });

  it('pmproxy unreachable', async () => {
    const { result } = check([['/pmapi/context', { status: 502, body: '{"message":"Bad Gateway"}' }]]);
    expect((await result).state).toBe('pmproxyUnreachable');
  });

  it('pmcd unreachable from pmproxy', async () => {
    const { result } = check([
      [
        '/pmapi/context',
        { status: 400, body: '{"message":"cannot connect to PMCD: Connection refused","success":false}' },
      ],
    ]);
    const report = await result;
    expect(report.state).toBe('pmcdUnreachable');
    expect(report.message).toContain('Connection refused');
  });

  it('credentials refused', async () => {
    const { result } = check([
      [
        '/pmapi/context',
        {
          status: 400,
          body: '{"message":"cannot connect to PMCD: Authentication - authentication failure","success":false}',
        },
      ],
    ]);
    expect((await result).state).toBe('authFailed');
  });

  it('PMDA not installed', async () => {
    const { result } = check([
      ['/pmapi/context', CONTEXT],
      [
        '/pmapi/metric',
        {
          status: 400,
          body: '{"message":"bpftrace.control.register traversal failed - Unknown metric name","success":false}',
        },
      ],
    ]);
    expect((await result).state).toBe('pmdaMissing');
  });

  it('PMDA installed but not running (died, pmcd has not started it again): says so, not "install it"', async () => {
    // pmcd.agent.status as the stack answered it after a kill -9 of the PMDA (instance 151).
    const { result } = check([
      ['/pmapi/context', CONTEXT],
      ['/pmapi/metric', metricTable({ 'pmcd.agent.status': { pmid: '2.4.1', type: '32' } })],
      [
        /^\/pmapi\/fetch\?context=5&pmids=2.4.1/,
        {
          status: 200,
          body: '{"timestamp":1796513743.45,"values":[{"pmid":"2.4.1","name":"pmcd.agent.status","instances":[{"instance":1,"value":0},{"instance":60,"value":0},{"instance":151,"value":35080}]}]}',
        },
      ],
    ]);
    const report = await result;
    expect(report.state).toBe('pmdaStopped');
    expect(report.message).toMatch(/installed on localhost but not running \(pmcd says: .*exit status 137\)/);
    expect(report.message).not.toMatch(/Install it/);
  });

  it('PMDA died a moment ago (pmcd answers "IPC protocol failure"): not running, once pmcd says so', async () => {
    const agentTable = metricTable({ 'pmcd.agent.status': { pmid: '2.4.1', type: '32' } });
    const { result } = check([
      ['/pmapi/context', CONTEXT],
      [
        '/pmapi/metric',
        (call) =>
          call.params.names === 'bpftrace.control.register'
            ? { status: 400, body: '{"message":"IPC protocol failure","success":false}' }
            : (agentTable as (c: typeof call) => { status: number; body: string })(call),
      ],
      [
        /^\/pmapi\/fetch\?context=5&pmids=2.4.1/,
        {
          status: 200,
          body: '{"timestamp":1.1,"values":[{"pmid":"2.4.1","name":"pmcd.agent.status","instances":[{"instance":151,"value":8}]}]}',
        },
      ],
    ]);
    const report = await result;
    expect(report.state).toBe('pmdaStopped');
    expect(report.message).toMatch(/not running \(pmcd says: pmcd lost contact with it/);
  });

  it('PMDA not in pmcd at all (no agent status for it): not installed', async () => {
    const { result } = check([
      ['/pmapi/context', CONTEXT],
      ['/pmapi/metric', metricTable({ 'pmcd.agent.status': { pmid: '2.4.1', type: '32' } })],
      [
        /^\/pmapi\/fetch\?context=5&pmids=2.4.1/,
        {
          status: 200,
          body: '{"timestamp":1.1,"values":[{"pmid":"2.4.1","name":"pmcd.agent.status","instances":[{"instance":1,"value":0},{"instance":60,"value":0}]}]}',
        },
      ],
    ]);
    expect((await result).state).toBe('pmdaMissing');
  });

  it('scripts refused, anonymous: names both causes', async () => {
    const { result } = check([
      ['/pmapi/context', CONTEXT],
      ['/pmapi/metric', REGISTER_META],
      [/^\/pmapi\/fetch\?context=5&pmids=2.0.4/, VERSION_AND_PROBES],
      ['/control/store', NO_PERMISSION],
      [/^\/pmapi\/fetch/, { status: 200, body: '{"timestamp":1.1,"values":[]}' }],
    ]);
    const report = await result;
    expect(report.state).toBe('scriptsRefused');
    expect(report.message).toMatch(/enabled = true/);
    expect(report.message).toMatch(/allowed_users/);
  });

  it('scripts refused for an authenticated user: names the user', async () => {
    const { result } = check([
      ['/pmapi/context', CONTEXT_ALICE],
      ['/pmapi/metric', REGISTER_META],
      [/^\/pmapi\/fetch\?context=5&pmids=2.0.4/, VERSION_AND_PROBES],
      ['/control/store', NO_PERMISSION],
      [/^\/pmapi\/fetch/, { status: 200, body: '{"timestamp":1.1,"values":[]}' }],
    ]);
    const report = await result;
    expect(report).toMatchObject({ state: 'scriptsRefused', user: '1001' });
  });

  it('a PMDA out of step', async () => {
    const { result } = check([
      ['/pmapi/context', CONTEXT],
      ['/pmapi/metric', REGISTER_META],
      [/^\/pmapi\/fetch\?context=5&pmids=2.0.4/, VERSION_AND_PROBES],
      [
        '/control/store',
        once([
          { status: 401, body: '{"message":"failed to store: Resource temporarily unavailable","success":false}' },
        ]),
      ],
    ]);
    expect((await result).state).toBe('pmdaOutOfStep');
  });
});
