import { endpointSettings, parseDuration, pollIntervalProblem, retentionProblem } from './settings';

describe('datasource settings', () => {
  it('defaults: localhost, 1 s, 30 min', () => {
    expect(endpointSettings({})).toEqual({ hostspec: 'localhost', pollIntervalMs: 1000, retentionMs: 1_800_000 });
  });

  it('refuses polling faster than the PMDA refreshes, and says why', () => {
    expect(pollIntervalProblem(0.5)).toMatch(/once a second/);
    expect(pollIntervalProblem(1)).toBeUndefined();
    expect(pollIntervalProblem(5)).toBeUndefined();
    expect(pollIntervalProblem(-1)).toMatch(/1 or more/);
    expect(pollIntervalProblem(NaN)).toMatch(/1 or more/);
    expect(endpointSettings({ pollIntervalSec: 0.2 }).pollIntervalMs).toBe(1000);
    expect(endpointSettings({ pollIntervalSec: 2 }).pollIntervalMs).toBe(2000);
  });

  it('reads retention as a duration', () => {
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration(' 90s ')).toBe(90_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(parseDuration('30')).toBeUndefined();
    expect(retentionProblem('soon')).toMatch(/duration such as 30m/);
    expect(retentionProblem('10s')).toMatch(/at least 1m/);
    expect(retentionProblem('30d')).toMatch(/more than 7d/);
    expect(endpointSettings({ retention: '2h' }).retentionMs).toBe(7_200_000);
    expect(endpointSettings({ retention: 'soon' }).retentionMs).toBe(1_800_000);
  });

  it('trims the hostspec and falls back to localhost', () => {
    expect(endpointSettings({ hostspec: '  pcp://db1:44321 ' }).hostspec).toBe('pcp://db1:44321');
    expect(endpointSettings({ hostspec: '  ' }).hostspec).toBe('localhost');
  });
});
