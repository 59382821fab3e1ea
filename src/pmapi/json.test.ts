import { parsePmproxyJson, timestampToMs } from './json';

describe('pmproxy timestamps', () => {
  it('pads the unpadded nanosecond fraction before parsing', () => {
    // Recorded: "1795320850.6659325" means .006659325 s, not .6659325 s.
    const parsed = parsePmproxyJson<{ timestamp: number }>('{"context":1,"timestamp":1795320850.6659325,"values":[]}');
    expect(timestampToMs(parsed.timestamp, 0)).toBe(1795320850007);
  });

  it('leaves a full 9-digit fraction alone', () => {
    const parsed = parsePmproxyJson<{ timestamp: number }>('{"timestamp":1795320762.297247045,"values":[]}');
    expect(timestampToMs(parsed.timestamp, 0)).toBe(1795320762297);
  });

  it('does not touch numbers elsewhere in the document', () => {
    const parsed = parsePmproxyJson<{ timestamp: number; values: Array<{ v: number }> }>(
      '{"timestamp":1795320849.24831406,"values":[{"v":1.5}]}'
    );
    expect(timestampToMs(parsed.timestamp, 0)).toBe(1795320849025);
    expect(parsed.values[0].v).toBe(1.5);
  });

  it('fixes only the top-level timestamp, even when a nested one comes first', () => {
    const parsed = parsePmproxyJson<{ timestamp: number; labels: { timestamp: number } }>(
      '{"labels":{"timestamp":12.5},"timestamp":1795320850.6659325}'
    );
    expect(parsed.labels.timestamp).toBe(12.5);
    expect(timestampToMs(parsed.timestamp, 0)).toBe(1795320850007);
  });

  it('falls back to the client clock without a timestamp', () => {
    expect(timestampToMs(undefined, 42)).toBe(42);
  });
});
