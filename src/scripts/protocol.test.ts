import { PmapiClient } from '../pmapi/client';
import { INFO_TRACEPOINTS } from './names';
import { readProbeList } from './protocol';

/** A client whose one fetch answers `value` for the PMDA's probe list. */
function answering(value: string | number | undefined): PmapiClient {
  const values = new Map(
    value === undefined
      ? []
      : [[INFO_TRACEPOINTS, { pmid: '1', name: INFO_TRACEPOINTS, instances: [{ instance: null, value }] }]]
  );
  return { fetch: async () => ({ timestamp: 0, values }) } as unknown as PmapiClient;
}

describe('readProbeList', () => {
  it("returns the PMDA's list", async () => {
    await expect(readProbeList(answering('tracepoint:sched:sched_switch\n'))).resolves.toContain('sched_switch');
  });

  it('an empty or missing list is an error, never a host without probes', async () => {
    // A string metric's placeholder while the PMDA restarts arrives as '' or 0 (see pmapi/client).
    for (const value of ['', '  ', 0, undefined]) {
      await expect(readProbeList(answering(value))).rejects.toThrow(/sent no probe list/);
    }
  });
});
