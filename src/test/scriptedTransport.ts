/**
 * A transport for unit tests that answers from a script of recorded pmproxy replies. The reply
 * bodies used by the tests are copied from the real stack (PCP 6.0.3 pmproxy, bpftrace PMDA on
 * Debian 12; see shared/research/pcp-stack-behaviour.md and tests/fixtures/). Integration tests
 * never use this: they talk to the real pmproxy.
 */
import { classifyHttpError } from '../pmapi/errors';
import type { PmapiTransport } from '../pmapi/request';

export interface RecordedCall {
  path: string;
  method: 'GET' | 'POST';
  params: Record<string, string>;
}

export type Reply = { status: number; body: string } | ((call: RecordedCall) => { status: number; body: string });

export function scriptedTransport(replies: Array<[RegExp | string, Reply]>) {
  const calls: RecordedCall[] = [];
  const transport: PmapiTransport = async (path, query, method = 'GET') => {
    const params = Object.fromEntries(new URLSearchParams(query));
    const call = { path, method, params };
    calls.push(call);
    const index = replies.findIndex(([match]) =>
      typeof match === 'string' ? match === path : match.test(`${path}?${query}`)
    );
    if (index < 0) {
      throw new Error(`no recorded reply for ${path}?${query}`);
    }
    const reply = replies[index][1];
    const { status, body } = typeof reply === 'function' ? reply(call) : reply;
    if (status < 200 || status > 299) {
      throw classifyHttpError(status, body);
    }
    return body;
  };
  return { transport, calls };
}

/** A reply used once, then removed, so a test can script a sequence for the same request. */
export function once(replies: Array<{ status: number; body: string }>): Reply {
  return () => {
    const next = replies.shift();
    if (!next) {
      throw new Error('scripted replies exhausted');
    }
    return next;
  };
}

/**
 * pmproxy's /pmapi/metric for a fixed table of metrics, as the real one answers: the whole
 * request fails when one name is unknown.
 */
export function metricTable(table: Record<string, { pmid: string; type?: string }>): Reply {
  return (call) => {
    const names = (call.params.names ?? '').split(',');
    const unknown = names.find((n) => !table[n]);
    if (unknown) {
      return { status: 400, body: `{"message":"${unknown} traversal failed - Unknown metric name","success":false}` };
    }
    const metrics = names.map((n) => ({
      name: n,
      pmid: table[n].pmid,
      type: table[n].type ?? 'u64',
      sem: 'instant',
      units: 'none',
    }));
    return { status: 200, body: JSON.stringify({ metrics }) };
  };
}
