// Runs every bench/*.bench.ts (or those whose name contains an argument): bundles each with esbuild
// for node into a temp dir and runs it with `node --expose-gc`. Exits non-zero if any bench fails.
//   npm run bench                  all benches
//   npm run bench -- ingest        only matching files
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(benchDir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

if (files.length === 0) {
  console.error(`no bench/*.bench.ts matches ${filters.join(' ')}`);
  process.exit(1);
}

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
      logLevel: 'warning',
    });
    console.log(`\n=== ${file} (node ${process.version}) ===`);
    const started = Date.now();
    const run = spawnSync(process.execPath, ['--expose-gc', outfile], { stdio: 'inherit' });
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
