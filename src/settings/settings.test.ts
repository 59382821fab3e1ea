import {
  cpuBudgetProblem,
  endpointSettings,
  maxScriptsProblem,
  parseDuration,
  pollIntervalProblem,
  retentionProblem,
} from './settings';

describe('datasource settings', () => {
  it('defaults: localhost, 1 s, 30 min, Viewers may not run scripts, 50 scripts, no CPU budget', () => {
    expect(endpointSettings({})).toEqual({
      hostspec: 'localhost',
      pollIntervalMs: 1000,
      retentionMs: 1_800_000,
      allowViewersToRun: false,
      maxScripts: 50,
      hosts: ['localhost'],
      cpuBudget: undefined,
      stopOverBudget: false,
    });
    expect(endpointSettings(undefined)).toEqual(endpointSettings({}));
  });

  it('lists the default host first, then the other hosts for variables, each once', () => {
    expect(endpointSettings({ hostspec: 'a', hosts: ' b, c  a,,d:44321 ' }).hosts).toEqual(['a', 'b', 'c', 'd:44321']);
  });

  it('refuses polling faster than the PMDA refreshes, and says why', () => {
    expect(pollIntervalProblem(0.5)).toMatch(/once a second/);
    expect(pollIntervalProblem(1)).toBeUndefined();
    expect(pollIntervalProblem(5)).toBeUndefined();
    expect(pollIntervalProblem(-1)).toMatch(/from 1 to 20/);
    expect(pollIntervalProblem(NaN)).toMatch(/from 1 to 20/);
    expect(endpointSettings({ pollIntervalSec: 0.2 }).pollIntervalMs).toBe(1000);
    expect(endpointSettings({ pollIntervalSec: 2 }).pollIntervalMs).toBe(2000);
    expect(endpointSettings({ pollIntervalSec: -3 }).pollIntervalMs).toBe(1000);
  });

  it('refuses polling slower than 20 s, since the PMDA stops unread scripts after 60 s, and clamps it', () => {
    expect(pollIntervalProblem(20)).toBeUndefined();
    expect(pollIntervalProblem(21)).toMatch(/script_expiry_time \(60 s by default\)/);
    expect(pollIntervalProblem(3600)).toMatch(/Slower than 20 s is refused/);
    expect(endpointSettings({ pollIntervalSec: 20 }).pollIntervalMs).toBe(20_000);
    expect(endpointSettings({ pollIntervalSec: 3600 }).pollIntervalMs).toBe(20_000);
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

  it('lets Viewers run scripts only on an explicit boolean true', () => {
    expect(endpointSettings({ allowViewersToRun: true }).allowViewersToRun).toBe(true);
    expect(endpointSettings({ allowViewersToRun: false }).allowViewersToRun).toBe(false);
    // Provisioned by hand as a string: the browser stays strict (the config page warns about it).
    expect(endpointSettings({ allowViewersToRun: 'true' as unknown as boolean }).allowViewersToRun).toBe(false);
  });

  it('caps scripts per datasource at 1..500, default 50', () => {
    expect(maxScriptsProblem(undefined)).toBeUndefined();
    expect(maxScriptsProblem(1)).toBeUndefined();
    expect(maxScriptsProblem(500)).toBeUndefined();
    expect(maxScriptsProblem(0)).toMatch(/whole number from 1 to 500/);
    expect(maxScriptsProblem(501)).toMatch(/root on the target host/);
    expect(maxScriptsProblem(2.5)).toMatch(/whole number/);
    expect(maxScriptsProblem(NaN)).toMatch(/whole number/);
    expect(endpointSettings({ maxScripts: 10 }).maxScripts).toBe(10);
    expect(endpointSettings({ maxScripts: 0 }).maxScripts).toBe(1);
    expect(endpointSettings({ maxScripts: 9999 }).maxScripts).toBe(500);
    expect(endpointSettings({ maxScripts: NaN }).maxScripts).toBe(50);
  });

  it('reads the CPU budget as a percentage of one CPU, refuses what is not one, and stops only on a real true', () => {
    expect(endpointSettings({ cpuBudgetPercent: 5 }).cpuBudget).toBeCloseTo(0.05);
    expect(endpointSettings({ cpuBudgetPercent: 0 }).cpuBudget).toBeUndefined();
    expect(endpointSettings({ cpuBudgetPercent: 250 }).cpuBudget).toBeUndefined();
    expect(cpuBudgetProblem(5)).toBeUndefined();
    expect(cpuBudgetProblem(0)).toMatch(/from 0.01 to 100/);
    expect(cpuBudgetProblem(NaN)).toMatch(/percentage of one CPU/);
    expect(endpointSettings({ cpuBudgetPercent: 5, stopOverBudget: true }).stopOverBudget).toBe(true);
    expect(endpointSettings({ stopOverBudget: 'true' as unknown as boolean }).stopOverBudget).toBe(false);
  });
});
