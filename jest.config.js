// force timezone to UTC to allow tests to work regardless of local timezone
process.env.TZ = 'UTC';

const base = require('./.config/jest.config');

module.exports = {
  ...base,
  // Unit tests live next to the code; tests/unit holds those about the repository's files.
  testMatch: [...base.testMatch, '<rootDir>/tests/unit/**/*.test.ts'],
  // jsdom would pick yaml's ESM browser build; its CommonJS build works everywhere.
  moduleNameMapper: { ...base.moduleNameMapper, '^yaml$': '<rootDir>/node_modules/yaml/dist/index.js' },
  // d3-color 3.1.1 ships only .mjs: run those through the same SWC transform as our sources.
  transform: { ...base.transform, '^.+\\.mjs$': base.transform['^.+\\.(t|j)sx?$'] },
};
