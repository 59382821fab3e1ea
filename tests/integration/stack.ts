/** Helpers that drive the real PCP stack on this machine (as root), and put it back. */
import { execFileSync } from 'child_process';
import path from 'path';

export const PMPROXY = process.env.BPFLIVE_PMPROXY_URL ?? 'http://127.0.0.1:44322';
const STACK_SCRIPT = path.resolve(__dirname, '../../scripts/pcp-stack.sh');
const CLEAN_PATH = '/usr/bin:/bin:/usr/sbin:/sbin';

export function sh(command: string): string {
  return execFileSync('bash', ['-c', command], {
    encoding: 'utf8',
    env: { ...process.env, PATH: CLEAN_PATH },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Brings the stack back to the state the suite expects (idempotent, seconds when nothing changed). */
export function stackUp(options: string[] = []) {
  execFileSync('bash', [STACK_SCRIPT, 'up', ...options], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Process ids of running bpftrace processes. */
export function bpftracePids(): number[] {
  const out = sh('pgrep -x bpftrace || true').trim();
  return out ? out.split('\n').map(Number) : [];
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20000
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) {
        return value;
      }
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
