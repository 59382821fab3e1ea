import { LoadingState } from '@grafana/data';
import { ScriptLease } from '../engine/ScriptLease';
import { leaseResponse } from './leaseResponse';

const ALL_TIME = { from: 0, to: Infinity };

function runningLease() {
  const lease = new ScriptLease('bpflive_x', 'text', 600_000);
  lease.adopt({ '@n': { single: true, semantics: 1, datatype: 3, metrictype: null } });
  lease.status = 'started';
  const buffer = lease.buffers.get('@n')!;
  buffer.append(1000, new Map([['', 10]]));
  buffer.append(2000, new Map([['', 30]]));
  buffer.append(3000, new Map([['', 60]]));
  return lease;
}

describe('leaseResponse', () => {
  it('streams frames keyed by refId', () => {
    const r = leaseResponse({ refId: 'B', code: 'x' }, runningLease(), ALL_TIME);
    expect(r.key).toBe('B');
    expect(r.state).toBe(LoadingState.Streaming);
    expect(r.data[0].refId).toBe('B');
  });

  it('counters are per-second rates by default, raw with the toggle off', () => {
    const rates = leaseResponse({ refId: 'A', code: 'x' }, runningLease(), ALL_TIME).data[0].fields[1].values;
    expect(rates).toEqual([null, 20, 30]);
    const raw = leaseResponse({ refId: 'A', code: 'x', rate: false }, runningLease(), ALL_TIME).data[0].fields[1]
      .values;
    expect(raw).toEqual([10, 30, 60]);
  });

  it('a bpftrace error is an error of this query only, with its message', () => {
    const lease = runningLease();
    lease.fail('stdin:1:3: ERROR: syntax error', true);
    const r = leaseResponse({ refId: 'A', code: 'x' }, lease, ALL_TIME);
    expect(r.errors).toEqual([{ refId: 'A', message: 'stdin:1:3: ERROR: syntax error' }]);
  });

  it('never a silent empty panel: progress is told in a notice', () => {
    const lease = new ScriptLease('bpflive_x', 'text', 600_000);
    const r = leaseResponse({ refId: 'A', code: 'x' }, lease, ALL_TIME);
    expect(r.data).toHaveLength(1);
    expect(r.data[0].meta?.notices?.[0].text).toMatch(/Registering/);
  });

  it('a stopped script keeps its data and says so', () => {
    const lease = runningLease();
    lease.status = 'stopped';
    lease.exitCode = 0;
    const r = leaseResponse({ refId: 'A', code: 'x' }, lease, ALL_TIME);
    expect(r.data[0].fields[1].values).toHaveLength(3);
    expect(r.data[0].meta?.notices?.map((n: { text: string }) => n.text)).toContain(
      'The script has stopped (exit code 0); showing its last data.'
    );
  });

  it('warnings ride along with the data', () => {
    const lease = runningLease();
    lease.warnings = ['bpftrace runs, but some probes may trace nothing: x'];
    const r = leaseResponse({ refId: 'A', code: 'x' }, lease, ALL_TIME);
    expect(r.data[0].meta?.notices).toEqual([
      { severity: 'warning', text: 'bpftrace runs, but some probes may trace nothing: x' },
    ]);
    expect(r.errors).toBeUndefined();
  });
});
