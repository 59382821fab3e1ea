// Integration tests: the real pmproxy, pmcd, bpftrace PMDA and bpftrace, started by
// scripts/pcp-stack.sh. Node's keep-alive fetch (pmproxy truncates chunked
// replies on `Connection: close`) inside jsdom, which @grafana/data needs at import; one worker,
// since tests restart parts of the shared stack.
process.env.TZ = 'UTC';
const base = require('./.config/jest.config');

module.exports = {
  transform: { ...base.transform, '^.+\\.mjs$': base.transform['^.+\\.(t|j)sx?$'] },
  transformIgnorePatterns: base.transformIgnorePatterns,
  moduleNameMapper: base.moduleNameMapper,
  modulePaths: ['<rootDir>/src'],
  testEnvironment: '<rootDir>/tests/integration/environment.js',
  setupFilesAfterEnv: base.setupFilesAfterEnv,
  testMatch: ['<rootDir>/tests/integration/**/*.test.ts'],
  maxWorkers: 1,
  globalTeardown: '<rootDir>/tests/integration/globalTeardown.js',
  testTimeout: 120000,
};
