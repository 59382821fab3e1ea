import { deregisterScripts } from '../../src/scripts/protocol';
import { recordingOf } from '../../src/query/recording';
import { adminClient, expectNothingLeft, scriptsOnHost } from './leaks';
import { installNodeBackendSrv } from './nodeBackendSrv';
import { hasData, newDataSource, PanelRun, request } from './datasourceHarness';
import { PMPROXY, stackUp, waitFor } from './stack';

// Recorded queries on the real stack (issue 17, docs/history.md): a recording outlives the client
// that started it, a Viewer joins it but never starts it, and only an Editor's explicit Stop
// recording ends it, leaving no bpftrace behind.

beforeAll(() => {
  stackUp();
  installNodeBackendSrv(() => PMPROXY);
});

const COUNTER = 'tracepoint:raw_syscalls:sys_enter { @history_it = count(); }';
const RECORDED = { code: COUNTER, record: true };
const NAME = recordingOf({ refId: 'A', ...RECORDED })!.name;

afterEach(async () => {
  // A test that failed half-way must not leave its recording (named scripts never expire).
  if ((await scriptsOnHost()).some((r) => r.metadata?.name === NAME)) {
    await deregisterScripts(adminClient(), [NAME]).catch(() => undefined);
  }
  await expectNothingLeft();
});

const recordingOnHost = async () => (await scriptsOnHost()).find((r) => r.metadata?.name === NAME);

describe('Recorded queries on the real stack', () => {
  it('a recording outlives its client; a Viewer joins it; only an Editor stops it', async () => {
    const viewer = newDataSource({}, { role: 'Viewer' });
    const waiting = new PanelRun(viewer, request([RECORDED], 1));
    await waitFor(
      'the Viewer is told an Editor must start it',
      () =>
        waiting.notices().some((n) => /Not recording: an Editor must start/.test(n)) ||
        JSON.stringify(waiting.latest.get('A')).includes('Not recording'),
      20_000
    );
    expect(await recordingOnHost()).toBeUndefined();
    waiting.stop();

    const editor = newDataSource({}, { role: 'Editor' });
    const panel = new PanelRun(editor, request([RECORDED], 1));
    await waitFor('the recording counts', () => hasData(panel, 'A', 3), 30_000);
    expect((await recordingOnHost())?.persistent).toBe(true);
    panel.stop();
    await editor.endpoint.close();
    // Well past the grace period and the quiet window: a plain script would be gone by now.
    await new Promise((r) => setTimeout(r, 12_000));
    expect((await recordingOnHost())?.state?.status).toBe('started');

    const viewer2 = newDataSource({}, { role: 'Viewer' });
    const joined = new PanelRun(viewer2, request([RECORDED], 2));
    await waitFor('a Viewer reads the running recording', () => hasData(joined, 'A', 2), 20_000);
    joined.stop();
    await viewer2.endpoint.close();
    await expect(viewer2.stopRecording(NAME)).rejects.toThrow(/Only an Editor/);
    expect(await recordingOnHost()).toBeDefined();

    const stopper = newDataSource({}, { role: 'Editor' });
    await stopper.stopRecording(NAME);
    await waitFor('the recording is gone from the host', async () => (await recordingOnHost()) === undefined, 10_000);
  }, 120_000);
});
