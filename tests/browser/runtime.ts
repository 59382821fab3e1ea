/**
 * Which Grafana runtime the browser tests give the plugin: the modules on window.__deps (React,
 * @grafana/data/ui/runtime …) and the flame-graph page's packages. The plugin's dist/module.js is
 * the same for both; only the host page changes, as it does between Grafana 12 and Grafana 13.
 *
 * - "12" (default): the project's own node_modules (@grafana/* 12.4, React 18), what src/ builds against.
 * - "13": tests/browser/runtime-13/ (@grafana/* 13.x, React 19), a separate install locked by its
 *   own package-lock.json (`npm ci` there; scripts/test-all.sh does it).
 *
 * Chosen by BPFLIVE_RUNTIME; run.sh runs the tests once per runtime it is given.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type { Metafile, Plugin } from 'esbuild';

const ROOT = join(__dirname, '..', '..');

export interface Runtime {
  name: string;
  /** The directory whose node_modules provides the runtime's packages. */
  dir: string;
}

const RUNTIMES: Record<string, string> = {
  '12': ROOT,
  '13': join(__dirname, 'runtime-13'),
};

export function selectedRuntime(): Runtime {
  const name = process.env.BPFLIVE_RUNTIME || '12';
  const dir = RUNTIMES[name];
  if (!dir) {
    throw new Error(`BPFLIVE_RUNTIME=${name}: unknown runtime (known: ${Object.keys(RUNTIMES).join(', ')})`);
  }
  if (!existsSync(join(dir, 'node_modules'))) {
    throw new Error(`runtime ${name}: ${dir}/node_modules is missing; run \`npm ci --ignore-scripts\` in ${dir}`);
  }
  return { name, dir };
}

/** The installed version of `pkg` as the runtime resolves it. */
export function installedVersion(runtime: Runtime, pkg: string): string {
  return JSON.parse(readFileSync(runtimeFile(runtime, `${pkg}/package.json`), 'utf8')).version;
}

/** The path of a package file (`monaco-editor/esm/…`) in the runtime's install. */
export function runtimeFile(runtime: Runtime, request: string): string {
  return createRequire(join(runtime.dir, 'package.json')).resolve(request);
}

/** "Grafana 13.2.3 / React 19.2.9": for logs and test names. */
export function describeRuntime(runtime: Runtime): string {
  return `Grafana ${installedVersion(runtime, '@grafana/data')} / React ${installedVersion(runtime, 'react')}`;
}

/** The esbuild resolver's own calls (made from inside the plugin below) are marked with this. */
const RESOLVING = Symbol('bpflive-runtime-resolving');

/**
 * Resolves every package imported by the test pages' own files (not by packages) from the
 * runtime's node_modules, and fails the build when the runtime lacks one: without it, esbuild
 * would find the project's node_modules above tests/browser/ and mix the two runtimes.
 */
export function runtimeResolver(runtime: Runtime): Plugin {
  return {
    name: 'bpflive-runtime',
    setup(build) {
      if (runtime.dir === ROOT) {
        return; // esbuild's own lookup already ends in the project's node_modules
      }
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === RESOLVING || args.namespace !== 'file' || args.importer.includes('/node_modules/')) {
          return undefined;
        }
        const found = await build.resolve(args.path, {
          kind: args.kind,
          resolveDir: runtime.dir,
          pluginData: RESOLVING,
        });
        if (found.errors.length > 0) {
          return { errors: [{ text: `runtime ${runtime.name} has no ${args.path} (${runtime.dir}/package.json)` }] };
        }
        return found;
      });
    },
  };
}

/**
 * The bundled package files that do not come from the runtime's node_modules: empty, or the
 * host page would run a mix of two runtimes. `inputs` are esbuild's metafile input paths
 * (relative to `workingDir`, symlinks resolved: node_modules may be a link in a git worktree).
 */
export function foreignPackageFiles(runtime: Runtime, inputs: string[], workingDir: string): string[] {
  const own = realpathSync(join(runtime.dir, 'node_modules')) + '/';
  return inputs.map((p) => resolve(workingDir, p)).filter((p) => p.includes('/node_modules/') && !p.startsWith(own));
}

/** Fails a page build that bundled packages from outside the runtime (see foreignPackageFiles). */
export function assertOneRuntime(runtime: Runtime, metafile: Metafile | undefined, workingDir: string): void {
  const foreign = foreignPackageFiles(runtime, Object.keys(metafile?.inputs ?? {}), workingDir);
  if (foreign.length > 0) {
    throw new Error(
      `runtime ${runtime.name}: ${foreign.length} bundled files come from another install, e.g. ${foreign.slice(0, 3).join(', ')}`
    );
  }
}
