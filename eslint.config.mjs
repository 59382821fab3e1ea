import { defineConfig } from 'eslint/config';
import baseConfig from './.config/eslint.config.mjs';

/**
 * The rooms of src/ and what each may import of ours (docs/ARCHITECTURE.md explains why).
 * Everything may import src/types.ts and packages; a room may import its own files; tests
 * (*.test.*) may also import src/test/. Any other import of ours is an error in `npm run lint`.
 */
const ROOMS = {
  lexer: [],
  pmapi: [],
  scripts: ['pmapi', 'lexer'],
  buffers: [],
  frames: ['buffers'],
  engine: ['scripts', 'pmapi', 'buffers', 'language'],
  query: ['engine', 'scripts', 'frames', 'buffers', 'lexer'],
  health: ['scripts', 'pmapi'],
  settings: [],
  /** Pure helpers every room may use (binary search): imports nothing of ours. */
  shared: [],
  language: ['lexer', 'scripts'],
  components: ['datasource', 'query', 'language', 'settings'],
  datasource: ['engine', 'query', 'health', 'language', 'settings', 'pmapi'],
  module: ['components', 'datasource'],
};
/** Single files at the top of src/ that are rooms of their own. */
const TOP_FILES = new Set(['datasource', 'module']);
/** Files of a room it may not import although the room is allowed (language reads text, never the protocol). */
const NEVER = { language: ['scripts/protocol'] };
/** Packages a room may not import: buffers are storage, and what a DataFrame is belongs to frames/. */
const NEVER_PACKAGES = { buffers: ['@grafana/data'] };

function layering(room) {
  const prefix = TOP_FILES.has(room) ? './' : '../';
  const forbidden = [...Object.keys(ROOMS), 'test'].filter(
    (r) => r !== room && r !== 'shared' && !ROOMS[room].includes(r)
  );
  const message = `src/${room}${TOP_FILES.has(room) ? '.ts' : '/'} may import only ${
    ROOMS[room].length ? ROOMS[room].join(', ') : 'nothing of ours'
  }${NEVER[room] ? ` but not ${NEVER[room].join(', ')}` : ''} (and types.ts): see docs/ARCHITECTURE.md "Rooms".`;
  const restrict = (names) => ({
    // Grafana's base config forbids moment; an override replaces the rule, so it is repeated here.
    paths: [
      'moment',
      ...(NEVER_PACKAGES[room] ?? []).map((name) => ({
        name,
        message: `src/${room}/ may not import ${name}: see docs/ARCHITECTURE.md "Rooms".`,
      })),
    ],
    patterns: [{ group: names.flatMap((r) => [`${prefix}${r}`, `${prefix}${r}/**`]), message }],
  });
  const files = TOP_FILES.has(room) ? [`src/${room}.ts`] : [`src/${room}/**/*.{ts,tsx}`];
  return [
    { files, rules: { 'no-restricted-imports': ['error', restrict([...forbidden, ...(NEVER[room] ?? [])])] } },
    {
      // Tests may use the shared fakes and fixtures of src/test/.
      files: files.map((f) => f.replace(/\.ts$|\.\{ts,tsx\}$/, '.test.{ts,tsx}')),
      rules: {
        'no-restricted-imports': [
          'error',
          restrict([...forbidden.filter((r) => r !== 'test'), ...(NEVER[room] ?? [])]),
        ],
      },
    },
  ];
}

export default defineConfig([
  {
    ignores: [
      '**/logs',
      '**/*.log',
      '**/npm-debug.log*',
      '**/yarn-debug.log*',
      '**/yarn-error.log*',
      '**/.pnpm-debug.log*',
      '**/node_modules/',
      '.yarn/cache',
      '.yarn/unplugged',
      '.yarn/build-state.yml',
      '.yarn/install-state.gz',
      '**/.pnp.*',
      '**/pids',
      '**/*.pid',
      '**/*.seed',
      '**/*.pid.lock',
      '**/lib-cov',
      '**/coverage',
      '**/dist/',
      '**/artifacts/',
      '**/work/',
      '**/ci/',
      'test-results/',
      'playwright-report/',
      'blob-report/',
      'playwright/.cache/',
      'playwright/.auth/',
      '**/.idea',
      '**/.eslintcache',
    ],
  },
  ...baseConfig,
  // TypeScript outside src/ (tests, bench) is linted too, by the same rules without type information.
  { files: ['tests/**/*.{ts,tsx}', 'bench/**/*.ts'] },
  {
    // The browser tests' host pages record what the plugin does on window (a test double's job).
    files: ['tests/browser/*.tsx'],
    rules: { 'react-hooks/immutability': 'off' },
  },
  ...Object.keys(ROOMS).flatMap(layering),
]);
