#!/usr/bin/env node
/**
 * Builds the flame-graph test page (flamegraph-host.tsx + flamegraph.html) into
 * tests/browser/dist/flamegraph/, which server.ts serves under /host/flamegraph/.
 *
 * @grafana/flamegraph has no 12.x release; 13.0.1 runs on @grafana/ui and @grafana/data 12.4.2
 * (what Grafana 12 gives a plugin) and on 13.x (runtime.ts: BPFLIVE_RUNTIME) with three changes
 * made here:
 * - every import of @grafana/ui, @grafana/data and @grafana/flamegraph goes to the runtime's
 *   TOP-LEVEL packages, never to the 13.0.1 copies npm nests under @grafana/flamegraph;
 * - their CJS builds are bundled: the ESM build of @grafana/ui hits a default-import interop bug
 *   with react-custom-scrollbars-2 ("Element type is invalid … CustomScrollbar");
 * - @grafana/assistant (a peer of the flame graph, provided by Grafana) is a stub.
 * react-virtualized-auto-sizer@1.0.26 is a devDependency for the same reason.
 *
 *   npx ts-node -P tests/tsconfig.json tests/browser/build-flamegraph.ts
 */
import * as esbuild from 'esbuild';
import type { Plugin } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { assertOneRuntime, describeRuntime, Runtime, runtimeResolver, selectedRuntime } from './runtime';

const HERE = __dirname;
const ROOT = join(HERE, '..', '..');
export const FLAMEGRAPH_DIST = join(HERE, 'dist', 'flamegraph');
/** Where server.ts serves FLAMEGRAPH_DIST. */
export const FLAMEGRAPH_PAGE = '/host/flamegraph/index.html';

/** Package → the file every import of it must load, whoever imports it: the runtime's own copy. */
function pinnedModules(runtime: Runtime): Map<string, string> {
  const requireFromRuntime = createRequire(join(runtime.dir, 'package.json'));
  const cjs = (name: string) => requireFromRuntime.resolve(name); // the "require" condition: the CJS build
  return new Map([
    ['@grafana/ui', cjs('@grafana/ui')],
    ['@grafana/data', cjs('@grafana/data')],
    ['@grafana/flamegraph', cjs('@grafana/flamegraph')],
    ['@emotion/css', cjs('@emotion/css')],
    ['react', cjs('react')],
    ['react-dom', cjs('react-dom')],
    ['@grafana/assistant', join(HERE, 'flamegraph-assistant-stub.ts')],
  ]);
}

function pinPlugin(pinned: Map<string, string>): Plugin {
  const names = [...pinned.keys()].map((n) => n.replace(/[/.]/g, '\\$&'));
  return {
    name: 'bpflive-flamegraph-pins',
    setup(build) {
      build.onResolve({ filter: new RegExp(`^(${names.join('|')})$`) }, (args) => ({ path: pinned.get(args.path) }));
    },
  };
}

/** Builds the page for the runtime BPFLIVE_RUNTIME selects (runtime.ts). */
export async function buildFlameGraphPage({ quiet = false } = {}): Promise<void> {
  const runtime = selectedRuntime();
  mkdirSync(FLAMEGRAPH_DIST, { recursive: true });
  const started = Date.now();
  const built = await esbuild.build({
    entryPoints: { flamegraph: join(HERE, 'flamegraph-host.tsx') },
    outdir: FLAMEGRAPH_DIST,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    absWorkingDir: ROOT,
    jsx: 'automatic',
    logLevel: quiet ? 'error' : 'warning',
    define: { 'process.env.NODE_ENV': '"development"', global: 'globalThis' },
    legalComments: 'none',
    loader: {
      '.svg': 'dataurl',
      '.png': 'dataurl',
      '.gif': 'dataurl',
      '.woff': 'file',
      '.woff2': 'file',
      '.ttf': 'file',
    },
    metafile: true,
    plugins: [pinPlugin(pinnedModules(runtime)), runtimeResolver(runtime)],
  });
  assertOneRuntime(runtime, built.metafile, ROOT);
  copyFileSync(join(HERE, 'flamegraph.html'), join(FLAMEGRAPH_DIST, 'index.html'));
  if (!quiet) {
    console.log(
      `flame-graph page (${describeRuntime(runtime)}): ${relative(ROOT, FLAMEGRAPH_DIST)}/ in ${Date.now() - started} ms`
    );
  }
}

if (require.main === module) {
  buildFlameGraphPage().catch((e) => {
    console.error(e.message ?? e);
    process.exit(1);
  });
}
