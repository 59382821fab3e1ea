import { PmapiClient } from '../pmapi/client';
import { CONTROL_PATHS } from '../pmapi/request';
import { FakePmda } from '../test/fakePmda';
import { StopRetries } from './StopRetries';

// Stops against the model of the PMDA (src/test/fakePmda.ts); the Endpoint's use of them is in
// Endpoint.test.ts ("sends a stop the host did not answer again").
let pmda: FakePmda;
let clock: number;
const deregisters = () => pmda.log.filter((l) => l.name === 'bpftrace.control.deregister').length;

function retries() {
  const client = new PmapiClient(pmda.transport('A'), {
    hostspec: 'localhost',
    polltimeoutSec: 30,
    controlPath: CONTROL_PATHS.editor,
  });
  let failed = 0;
  const r = new StopRetries(
    client,
    () => clock,
    () => failed++,
    60_000
  );
  return { r, failed: () => failed };
}

async function registered(): Promise<string> {
  const client = new PmapiClient(pmda.transport('setup'), {
    hostspec: 'localhost',
    polltimeoutSec: 30,
    controlPath: CONTROL_PATHS.editor,
  });
  await client.storeAndReadBack('bpftrace.control.register', 'interval:s:1 { @n = count(); }');
  return pmda.ids()[0];
}

beforeEach(() => {
  pmda = new FakePmda();
  clock = 1_000_000;
});

describe('StopRetries', () => {
  const listed = (r: StopRetries) => r.listed((id) => pmda.ids().includes(id));

  it('stops at once when the host answers, and keeps the stop until a list no longer shows the script', async () => {
    const id = await registered();
    const { r } = retries();
    await r.stop([id]);
    expect(pmda.ids()).toEqual([]);
    expect(r.pending).toBe(true);
    listed(r);
    expect(r.pending).toBe(false);
    expect(deregisters()).toBe(1);
  });

  it('sends an answered stop again when two lists since still show the script (a stop that did not take)', async () => {
    const id = await registered();
    const { r } = retries();
    pmda.deregistersLost = 1;
    await r.stop([id]);
    expect(pmda.ids()).toEqual([id]);
    clock += 1000;
    listed(r);
    await r.retryDue(); // one list only: the PMDA may not have dropped it yet
    expect(deregisters()).toBe(1);
    clock += 1000;
    listed(r);
    await r.retryDue();
    expect(deregisters()).toBe(2);
    expect(pmda.ids()).toEqual([]);
    listed(r);
    expect(r.pending).toBe(false);
  });

  it('sends an unanswered stop again only when due, with a growing pause, until it is answered', async () => {
    const id = await registered();
    const { r, failed } = retries();
    pmda.storesDown = true;
    await r.stop([id]);
    expect(r.ids).toEqual([id]);
    expect(failed()).toBe(1);
    const first = deregisters();
    await r.retryDue(); // not due yet: nothing sent
    expect(deregisters()).toBe(first);
    clock += 1000;
    await r.retryDue(); // 1 s after the first try
    expect(deregisters()).toBe(first + 1);
    clock += 1000;
    await r.retryDue(); // the next is 2 s after the second
    expect(deregisters()).toBe(first + 1);
    clock += 1000;
    pmda.storesDown = false;
    await r.retryDue();
    expect(pmda.ids()).toEqual([]);
    listed(r);
    expect(r.pending).toBe(false);
  });

  it('does not send again a stop a PMDA out of step answered (it took it; more requests keep it behind)', async () => {
    const id = await registered();
    const { r } = retries();
    pmda.outOfStepStores = true;
    await r.stop([id]);
    expect(r.pending).toBe(false);
  });

  it('gives up on a refusal at once, and on silence once the PMDA has expired the script anyway', async () => {
    const id = await registered();
    const refused = retries();
    pmda.refuseStores = true;
    await refused.r.stop([id]);
    expect(pmda.ids()).toEqual([id]);
    expect(refused.r.pending).toBe(false);
    pmda.refuseStores = false;

    const { r } = retries();
    pmda.storesDown = true;
    await r.stop([id]);
    for (let i = 0; i < 3; i++) {
      clock += 15_000;
      await r.retryDue();
    }
    expect(r.pending).toBe(true);
    for (let i = 0; i < 3; i++) {
      clock += 15_000;
      await r.retryDue();
    }
    expect(r.pending).toBe(false);
  });
});
