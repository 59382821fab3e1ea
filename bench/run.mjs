// Runs every bench/*.bench.ts (or those whose name contains an argument): bundles each with esbuild
// for node into a temp dir and runs it with `node --expose-gc`. Exits non-zero if any bench fails.
//   npm run bench                  all benches
//   npm run bench -- ingest        only matching files
// First builds the thread CPU clock (bench/lib/thread-cpu, see bench/lib/threadCpu.ts) if a bench
// uses it, and passes its path in BENCH_THREAD_CPU_ADDON (or why it could not be built in
// BENCH_THREAD_CPU_UNAVAILABLE: the bench then falls back to process.cpuUsage and says so).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = dirname(fileURLToPath(import.meta.url));

/**
 * Builds bench/lib/thread-cpu with node-gyp against the running Node's own headers (never
 * downloads them: without local headers there is no build), once per source and Node version,
 * into node_modules/.cache. Returns the environment to hand the benches.
 */
function threadCpuAddon() {
  const src = join(benchDir, 'lib', 'thread-cpu');
  const files = ['binding.gyp', 'thread_cpu.c'];
  const hash = createHash('sha256');
  files.forEach((f) => hash.update(readFileSync(join(src, f))));
  hash.update(`${process.version} ${process.platform} ${process.arch}`);
  const cacheDir = join(benchDir, '..', 'node_modules', '.cache', 'bpflive-thread-cpu');
  const dir = join(cacheDir, hash.digest('hex').slice(0, 16));
  const addon = join(dir, 'build', 'Release', 'thread_cpu.node');
  if (existsSync(addon)) {
    return { BENCH_THREAD_CPU_ADDON: addon };
  }
  const unavailable = (why) => {
    console.log(`thread CPU clock not built (${why}): benches fall back to process.cpuUsage`);
    return { BENCH_THREAD_CPU_UNAVAILABLE: why };
  };
  const nodeDir = [process.env.npm_config_nodedir, dirname(dirname(process.execPath))].find(
    (d) => d && existsSync(join(d, 'include', 'node', 'node_api.h'))
  );
  if (!nodeDir) {
    return unavailable(`no Node headers (include/node/node_api.h) next to ${process.execPath} nor in npm's nodedir`);
  }
  const nodeGyp = [
    process.env.npm_config_node_gyp,
    join(
      dirname(dirname(process.execPath)),
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js'
    ),
  ].find((p) => p && existsSync(p));
  if (!nodeGyp) {
    return unavailable("npm's node-gyp not found");
  }
  mkdirSync(cacheDir, { recursive: true });
  const work = mkdtempSync(join(cacheDir, 'build-'));
  try {
    files.forEach((f) => copyFileSync(join(src, f), join(work, f)));
    const gyp = spawnSync(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${nodeDir}`], {
      cwd: work,
      encoding: 'utf8',
    });
    if (gyp.status !== 0) {
      const lines = `${gyp.stdout ?? ''}${gyp.stderr ?? ''}`.split('\n').filter((l) => l.trim());
      const errors = lines.filter((l) => /error/i.test(l));
      const why = (errors.length ? errors : lines).slice(0, 3).join(' | ');
      return unavailable(`node-gyp failed: ${gyp.error?.message ?? why}`);
    }
    renameSync(work, dir);
    console.log(`built the thread CPU clock: ${addon}`);
    return { BENCH_THREAD_CPU_ADDON: addon };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
const filters = process.argv.slice(2);
const files = readdirSync(benchDir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

if (files.length === 0) {
  console.error(`no bench/*.bench.ts matches ${filters.join(' ')}`);
  process.exit(1);
}

const usesThreadCpu = files.some((f) => readFileSync(join(benchDir, f), 'utf8').includes('./lib/threadCpu'));
const env = {
  ...process.env,
  ...(usesThreadCpu ? threadCpuAddon() : {}),
  // The bundles run from a temp dir: their external packages, and where the bench's sources are.
  NODE_PATH: join(benchDir, '..', 'node_modules'),
  BENCH_DIR: benchDir,
};

const outDir = mkdtempSync(join(tmpdir(), 'bpflive-bench-'));
let failed = 0;
try {
  for (const file of files) {
    const outfile = join(outDir, basename(file, '.ts') + '.cjs');
    await build({
      entryPoints: [join(benchDir, file)],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile,
      // Packages that find their own files (esbuild's binary, playwright's) run from node_modules.
      external: ['esbuild', 'playwright-core'],
      logLevel: 'warning',
    });
    console.log(`\n=== ${file} (node ${process.version}) ===`);
    const started = Date.now();
    const run = spawnSync(process.execPath, ['--expose-gc', outfile], { stdio: 'inherit', env });
    const status = run.status ?? 1;
    console.log(
      `=== ${file}: ${status === 0 ? 'ok' : `FAILED (exit ${status})`} in ${((Date.now() - started) / 1000).toFixed(1)} s ===`
    );
    if (status !== 0) {
      failed++;
    }
  }
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
process.exit(failed > 0 ? 1 : 0);
