import { LoadingState } from '@grafana/data';
import { ScriptLease } from '../engine/ScriptLease';
import { leaseResponse } from './leaseResponse';

const ALL_TIME = { from: 0, to: Infinity };

function newLease() {
  return new ScriptLease('k', 'text', { retentionMs: 600_000, pollIntervalMs: 1000, mayControl: true });
}

/** A lease through its real transitions: registered, then printed once. */
function runningLease() {
  const lease = newLease();
  lease.hold('d/1/A');
  lease.registerStarted();
  lease.registered(
    { script_id: 's1', variables: { '@n': { single: true, semantics: 1, datatype: 3, metrictype: null } } },
    0
  );
  const status = (value: string | number, leaf: string) => [
    `bpftrace.scripts.s1.${leaf}`,
    { pmid: '1', name: leaf, instances: [{ instance: null, value }] },
  ];
  lease.observe(
    {
      t: 500,
      values: new Map([
        status('started', 'status'),
        status(5, 'data_bytes'),
        status(2, 'probes'),
        status('', 'error'),
      ] as never),
      instanceName: () => undefined,
    },
    500
  );
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
    lease.rejected('stdin:1:3: ERROR: syntax error');
    const r = leaseResponse({ refId: 'A', code: 'x' }, lease, ALL_TIME);
    expect(r.errors).toEqual([{ refId: 'A', message: 'stdin:1:3: ERROR: syntax error' }]);
  });

  it('never a silent empty panel: progress is told in a notice', () => {
    const lease = newLease();
    const r = leaseResponse({ refId: 'A', code: 'x' }, lease, ALL_TIME);
    expect(r.data).toHaveLength(1);
    expect(r.data[0].meta?.notices?.[0].text).toMatch(/Registering/);
  });

  it('a stopped script keeps its data and says so', () => {
    const lease = runningLease();
    const stopped = (value: string | number, leaf: string) => [
      `bpftrace.scripts.s1.${leaf}`,
      { pmid: '1', name: leaf, instances: [{ instance: null, value }] },
    ];
    lease.observe(
      {
        t: 4000,
        values: new Map([stopped('stopped', 'status'), stopped(0, 'exit_code'), stopped('', 'error')] as never),
        instanceName: () => undefined,
      },
      4000
    );
    const r = leaseResponse({ refId: 'A', code: 'x' }, lease, ALL_TIME);
    expect(r.data[0].fields[1].values).toHaveLength(3);
    expect(r.data[0].meta?.notices?.map((n: { text: string }) => n.text)).toContain(
      'The script has stopped (exit code 0); showing its last data.'
    );
  });

  it('warnings ride along with the data', () => {
    const lease = runningLease();
    lease.setTransport('pmproxy cannot be reached (x); retrying.');
    const r = leaseResponse({ refId: 'A', code: 'x' }, lease, ALL_TIME);
    expect(r.data[0].meta?.notices).toEqual([
      { severity: 'warning', text: 'pmproxy cannot be reached (x); retrying.' },
      { severity: 'info', text: 'Auto: @n as time series (it is a map). Also: Format Table.' },
    ]);
    expect(r.errors).toBeUndefined();
  });

  it('every frame carries the format it was drawn as (meta.custom.view), empty ones too', () => {
    const auto = leaseResponse({ refId: 'A', code: 'x' }, runningLease(), ALL_TIME);
    expect(auto.data.map((f) => f.meta?.custom?.view)).toEqual(['timeseries']);
    const table = leaseResponse({ refId: 'A', code: 'x', format: 'table' }, runningLease(), ALL_TIME);
    expect(table.data.map((f) => f.meta?.custom?.view)).toEqual(['table']);
    expect(table.data[0].meta?.notices ?? []).not.toContainEqual(expect.objectContaining({ text: expect.stringMatching(/^Auto: /) }));
    const waiting = leaseResponse({ refId: 'A', code: 'x', format: 'logs' }, newLease(), ALL_TIME);
    expect(waiting.data.map((f) => f.meta?.custom?.view)).toEqual(['logs']);
  });
});
