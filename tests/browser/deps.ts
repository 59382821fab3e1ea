/**
 * The modules Grafana shares with plugins at runtime (the scaffold's webpack externals,
 * .config/bundler/externals.ts), which the test host must provide on window.__deps.
 */
import { readFileSync } from 'node:fs';

/** Always in the host bundle: what Grafana's runtime surely exposes and plugins commonly import. */
export const BASE_DEPS = [
  'react',
  'react-dom',
  'react-dom/client',
  'react/jsx-runtime',
  '@grafana/data',
  '@grafana/ui',
  '@grafana/runtime',
  'rxjs',
  'rxjs/operators',
  '@emotion/css',
  '@emotion/react',
  'lodash',
  'moment',
  'i18next',
];

/** Also external in .config/bundler/externals.ts: added to the host only when dist/module.js asks. */
export const OTHER_EXTERNALS = [
  'react/jsx-dev-runtime',
  'jquery',
  'slate',
  'emotion',
  'prismjs',
  'slate-plain-serializer',
  '@grafana/slate-react',
  'react-redux',
  'redux',
  'react-router',
  'd3',
  'angular',
];

/** AMD's own pseudo-dependency (webpack's `amd-module` external), answered by the page's shim. */
export const AMD_SPECIAL = ['module', 'require', 'exports'];

/** The dependency list of the AMD `define([...], factory)` call at the top of a webpack AMD bundle. */
export function amdDependencies(modulePath: string): string[] {
  const text = readFileSync(modulePath, 'utf8');
  const m = /\bdefine\(\s*(\[[^\]]*\])/.exec(text);
  if (!m) {
    throw new Error(`${modulePath}: no AMD define([...]) found; is it the scaffold's webpack AMD build?`);
  }
  return JSON.parse(m[1]);
}

/** The host's dependency list for a given plugin build: the base set plus whatever else it imports. */
export function hostDependencies(modulePath: string): string[] {
  const wanted = amdDependencies(modulePath).filter((d) => !AMD_SPECIAL.includes(d));
  return [...new Set([...BASE_DEPS, ...wanted])];
}
