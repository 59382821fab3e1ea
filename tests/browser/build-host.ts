#!/usr/bin/env node
/**
 * Builds the test "Grafana host" for the headless-browser tests: one IIFE bundle (host.tsx plus
 * every module Grafana shares with plugins, on window.__deps) and Monaco's editor worker.
 * Output: tests/browser/dist/ (gitignored). The plugin's own dist/module.js is NOT rebuilt or
 * touched here; build it first with `npm run build`.
 *
 *   npx ts-node -P tests/tsconfig.json tests/browser/build-host.ts
 */
import * as esbuild from 'esbuild';
import type { BuildOptions, Plugin } from 'esbuild';
import { existsSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { hostDependencies } from './deps';
import { assertOneRuntime, describeRuntime, Runtime, runtimeFile, runtimeResolver, selectedRuntime } from './runtime';

const HERE = __dirname;
export const ROOT = join(HERE, '..', '..');
export const PLUGIN_DIST = join(ROOT, 'dist');
export const PLUGIN_MODULE = join(PLUGIN_DIST, 'module.js');
export const HOST_DIST = join(HERE, 'dist');

const DEPS_MODULE = 'bpflive-host:deps';

/**
 * Generates `export default { 'react': <module>, ... }`. Namespace imports (not require) so the
 * host's own `import` of @grafana/runtime etc. and the plugin share ONE instance: require() would
 * pick the packages' CJS builds and give the plugin a second @grafana/runtime with its own
 * backendSrv singleton.
 */
function depsModuleSource(deps: string[]): string {
  const lines = deps.map((d, i) => `import * as m${i} from ${JSON.stringify(d)};`);
  lines.push('export default {');
  deps.forEach((d, i) => lines.push(`  ${JSON.stringify(d)}: m${i},`));
  lines.push('};');
  return lines.join('\n');
}

function depsPlugin(deps: string[], runtime: Runtime): Plugin {
  return {
    name: 'bpflive-host-deps',
    setup(build) {
      build.onResolve({ filter: new RegExp(`^${DEPS_MODULE}$`) }, () => ({
        path: DEPS_MODULE,
        namespace: 'bpflive-host',
      }));
      build.onLoad({ filter: /.*/, namespace: 'bpflive-host' }, () => ({
        contents: depsModuleSource(deps),
        resolveDir: runtime.dir,
        loader: 'js',
      }));
    },
  };
}

/** Builds the host for the runtime BPFLIVE_RUNTIME selects (runtime.ts). */
export async function buildHost({ quiet = false } = {}): Promise<{ deps: string[] }> {
  if (!existsSync(PLUGIN_MODULE)) {
    throw new Error(`${relative(process.cwd(), PLUGIN_MODULE)} is missing: run \`npm run build\` first`);
  }
  const deps = hostDependencies(PLUGIN_MODULE);
  const runtime = selectedRuntime();
  mkdirSync(HOST_DIST, { recursive: true });
  const started = Date.now();
  const common: BuildOptions = {
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    absWorkingDir: ROOT,
    logLevel: quiet ? 'error' : 'warning',
    // Development React: its warnings reach the console, where the tests collect them.
    define: { 'process.env.NODE_ENV': '"development"', global: 'globalThis' },
    legalComments: 'none',
    metafile: true,
    plugins: [runtimeResolver(runtime)],
  };
  const builds = await Promise.all([
    esbuild.build({
      ...common,
      entryPoints: { host: join(HERE, 'host.tsx') },
      outdir: HOST_DIST,
      jsx: 'automatic',
      sourcemap: 'linked',
      // Monaco's CSS (imported by monaco-editor's ESM build) lands in host.css, its icon font beside it.
      loader: {
        '.ttf': 'file',
        '.woff': 'file',
        '.woff2': 'file',
        '.svg': 'dataurl',
        '.png': 'dataurl',
        '.gif': 'dataurl',
      },
      assetNames: '[name]',
      publicPath: '/host/',
      plugins: [depsPlugin(deps, runtime), runtimeResolver(runtime)],
    }),
    esbuild.build({
      ...common,
      entryPoints: { 'editor.worker': runtimeFile(runtime, 'monaco-editor/esm/vs/editor/editor.worker.js') },
      outdir: HOST_DIST,
    }),
  ]);
  builds.forEach((b) => assertOneRuntime(runtime, b.metafile, ROOT));
  if (!quiet) {
    console.log(
      `host bundle (${describeRuntime(runtime)}): ${relative(ROOT, HOST_DIST)}/ in ${Date.now() - started} ms; deps: ${deps.join(', ')}`
    );
  }
  return { deps };
}

if (require.main === module) {
  buildHost().catch((e) => {
    console.error(e.message ?? e);
    process.exit(1);
  });
}
