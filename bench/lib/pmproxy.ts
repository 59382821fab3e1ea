/**
 * A pmproxy transport for benches run in Node: straight to pmproxy with Node's keep-alive fetch
 * (the plugin itself goes through Grafana's proxy), counting requests by path.
 */
import { classifyHttpError } from '../../src/pmapi/errors';
import type { PmapiTransport } from '../../src/pmapi/request';

export const PMPROXY = process.env.BPFLIVE_PMPROXY_URL ?? 'http://127.0.0.1:44322';

export function countingTransport(base = PMPROXY) {
  const counts = new Map<string, number>();
  const transport: PmapiTransport = async (path, query) => {
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const res = await fetch(`${base}${path}${query ? `?${query}` : ''}`);
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
