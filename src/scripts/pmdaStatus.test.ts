import { bpftraceAgentStatus, describeAgentStatus, PMCD_AGENT_STATUS } from './pmdaStatus';

describe('pmcd.agent.status of the bpftrace PMDA', () => {
  it('reads the bpftrace instance (its domain, 151) among the agents', () => {
    // The shape pmproxy answered on the stack right after a kill -9 of the PMDA (PCP 6.0.3).
    const values = new Map([
      [
        PMCD_AGENT_STATUS,
        {
          pmid: '2.4.1',
          name: PMCD_AGENT_STATUS,
          instances: [
            { instance: 1, value: 0 },
            { instance: 60, value: 0 },
            { instance: 151, value: 35080 },
          ],
        },
      ],
    ]);
    expect(bpftraceAgentStatus({ timestampMs: 0, values })).toBe(35080);
    expect(bpftraceAgentStatus({ timestampMs: 0, values: new Map() })).toBeUndefined();
  });

  it('says what each of the three bit fields holds', () => {
    expect(describeAgentStatus(35080)).toBe(
      'pmcd lost contact with it (it crashed, was killed or hung), exit status 137'
    );
    expect(describeAgentStatus(0x090002)).toBe('it exited, signal 9');
    expect(describeAgentStatus(1)).toBe('starting, not ready yet');
    expect(describeAgentStatus(4)).toBe('it could not be started');
  });
});
