import { classifyHttpError } from './errors';

// Bodies recorded from pmproxy 6.0.3 (shared/research/pcp-stack-behaviour.md).
describe('classifyHttpError', () => {
  const cases: Array<[number, string, string]> = [
    [400, '{"context":12345,"message":"unknown context identifier: 12345","success":false}', 'unknownContext'],
    [400, '{"message":"cannot connect to PMCD: Connection refused","success":false}', 'pmcdUnreachable'],
    // pmcd stopped: a fetch on a context made before (recorded on PCP 6.0.3, answered at once).
    [
      400,
      '{"context":595361795,"message":"cannot reconnect context: Connection timed out","success":false}',
      'pmcdUnreachable',
    ],
    [400, '{"message":"cannot connect to PMCD: Authentication - user not found","success":false}', 'authFailed'],
    [
      400,
      '{"message":"cannot connect to PMCD: Authentication - authentication failure","success":false}',
      'authFailed',
    ],
    [401, '{"message":"authentication required"}', 'authFailed'],
    [403, '{"message":"authentication failed"}', 'authFailed'],
    [400, '{"message":"failed to get context labels: No such process","success":false}', 'authFailed'],
    [400, '{"message":"no.such.metric traversal failed - Unknown metric name","success":false}', 'unknownMetric'],
    [
      400,
      '{"message":"failed to store value to metric bpftrace.control.register: No permission to perform requested operation","success":false}',
      'permissionDenied',
    ],
    [
      400,
      '{"message":"failed to store value to metric bpftrace.control.register: Bad input to pmstore","success":false}',
      'badInput',
    ],
    [400, '{"message":"child traversal failed - IPC protocol failure","success":false}', 'ipcFailure'],
    [400, '{"message":"IPC protocol failure","success":false}', 'ipcFailure'],
    [401, '{"message":"failed to store value: Resource temporarily unavailable","success":false}', 'pmdaOutOfStep'],
    [414, '<html><body>URI Too Long</body></html>', 'tooLong'],
    [502, '{"message":"Bad Gateway"}', 'unreachable'],
    [0, '', 'unreachable'],
    [500, '{"message":"something odd","success":false}', 'unexpected'],
  ];

  it.each(cases)('status %s %s → %s', (status, body, kind) => {
    const e = classifyHttpError(status, body);
    expect(e.kind).toBe(kind);
    expect(e.status).toBe(status);
  });

  it('keeps the original message', () => {
    const e = classifyHttpError(400, '{"message":"cannot connect to PMCD: Connection refused","success":false}');
    expect(e.message).toBe('cannot connect to PMCD: Connection refused');
  });

  it('reads an already parsed body (Grafana parses JSON error bodies)', () => {
    expect(classifyHttpError(400, { message: 'unknown context identifier: 1', success: false }).kind).toBe(
      'unknownContext'
    );
  });

  it('a 502 with a pmproxy body is pmproxy speaking, not an unreachable proxy', () => {
    expect(classifyHttpError(502, '{"message":"IPC protocol failure","success":false}').kind).toBe('ipcFailure');
  });
});
