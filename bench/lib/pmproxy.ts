/**
 * A pmproxy transport for benches run in Node: straight to pmproxy with Node's keep-alive fetch
 * (the plugin itself goes through Grafana's proxy), counting requests by path. It stands in for
 * Grafana's proxy as far as benches need: the control routes go to /pmapi/store, and the stack's
 * SASL credentials (scripts/pcp-stack.sh keeps them in /etc/pcp/bpflive/credentials) are added.
 */
import { readFileSync } from 'node:fs';
import { classifyHttpError } from '../../src/pmapi/errors';
import { CONTROL_PATHS, PmapiTransport } from '../../src/pmapi/request';

export const PMPROXY = process.env.BPFLIVE_PMPROXY_URL ?? 'http://127.0.0.1:44322';
const CREDENTIALS = process.env.BPFLIVE_PCP_CREDENTIALS_FILE ?? '/etc/pcp/bpflive/credentials';

function authorization(): Record<string, string> {
  try {
    const line = readFileSync(CREDENTIALS, 'utf8').split('\n')[0].trim();
    return line ? { Authorization: `Basic ${Buffer.from(line).toString('base64')}` } : {};
  } catch {
    return {}; // a stack without auth
  }
}

export function countingTransport(base = PMPROXY) {
  const counts = new Map<string, number>();
  const headers = authorization();
  const transport: PmapiTransport = async (path, query, method = 'GET') => {
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const target = path === CONTROL_PATHS.editor ? '/pmapi/store' : path;
    const res = await fetch(`${base}${target}${query ? `?${query}` : ''}`, { method, headers });
    const text = await res.text();
    if (!res.ok) {
      throw classifyHttpError(res.status, text, res.statusText);
    }
    return text;
  };
  return { transport, counts };
}

export async function pmproxyAvailable(base = PMPROXY): Promise<boolean> {
  try {
    const res = await fetch(`${base}/pmapi/metric?names=bpftrace.control.register`);
    return res.ok;
  } catch {
    return false;
  }
}
