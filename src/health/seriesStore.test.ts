import { SeriesClient } from '../pmapi';
import { scriptedTransport } from '../test/scriptedTransport';
import { checkSeriesStore } from './seriesStore';
// Raw answers of the real pmproxy 6.0.3 + redis-server 7.0 (the file says how they were recorded).
import fixture from '../../tests/fixtures/series.json';

describe('checkSeriesStore', () => {
  it('names the recorded hosts and counts the metrics', async () => {
    const { transport } = scriptedTransport([
      [/names=hostname/, { status: 200, body: '{"hostname":["vm","bpflive-second"]}' }],
      [/match=/, { status: 200, body: fixture.metricsMatching.body }],
    ]);
    const report = await checkSeriesStore(new SeriesClient(transport));
    expect(report).toMatchObject({ available: true, hosts: ['bpflive-second', 'vm'] });
    expect(report.sentence).toBe(
      `Series store: available, 2 hosts recorded (bpflive-second, vm), ${report.metrics} metrics.`
    );
    expect(report.metrics).toBeGreaterThan(10);
  });

  it('says when it answers but holds nothing', async () => {
    const { transport } = scriptedTransport([
      [/names=hostname/, { status: 200, body: '{}' }],
      [/match=/, { status: 200, body: '[]' }],
    ]);
    const report = await checkSeriesStore(new SeriesClient(transport));
    expect(report.sentence).toMatch(/^Series store: available but empty/);
  });

  it('says why it is not available when pmproxy never answers (no Redis), without failing anything else', async () => {
    const hang = () => new Promise<string>(() => undefined);
    const report = await checkSeriesStore(new SeriesClient(hang, { timeoutMs: 10 }));
    expect(report.available).toBe(false);
    expect(report.sentence).toMatch(
      /^Series store: not available \(pmproxy's series API did not answer in 0.01 s: .*Redis\/Valkey.*\); live data works, history/
    );
  });
});
