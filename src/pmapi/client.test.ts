import { metricTable, scriptedTransport, once } from '../test/scriptedTransport';
import { chunksByLength, PmapiClient } from './client';

// Reply bodies recorded from pmproxy 6.0.3 with the bpftrace PMDA (shared/research/pcp-stack-behaviour.md).
const CONTEXT = (id: number) => ({
  status: 200,
  body: `{"context":${id},"source":"8154","hostspec":"vm","labels":{"domainname":"localdomain","hostname":"vm"}}`,
});
const UNKNOWN_CONTEXT = (id: number) => ({
  status: 400,
  body: `{"context":${id},"message":"unknown context identifier: ${id}","success":false}`,
});
const FETCH_OK = {
  status: 200,
  body: '{"context":1,"timestamp":1795320762.297247045,"values":[{"pmid":"60.0.32","name":"hinv.ncpu","instances":[{"instance":null,"value":2}]}]}',
};

const METRICS = metricTable({
  'hinv.ncpu': { pmid: '60.0.32' },
  'kernel.all.load': { pmid: '60.2.0', type: 'float' },
  'bpftrace.scripts.s1.data.output': { pmid: '151.100.0', type: 'string' },
});

function client(replies: Parameters<typeof scriptedTransport>[0]) {
  replies.push(['/pmapi/metric', METRICS]);
  const { transport, calls } = scriptedTransport(replies);
  return {
    client: new PmapiClient(transport, { hostspec: 'localhost', polltimeoutSec: 30, controlPath: '/control/store' }),
    calls,
  };
}

describe('PmapiClient', () => {
  it('creates one context with a polltimeout and reuses it', async () => {
    const { client: c, calls } = client([
      ['/pmapi/context', once([CONTEXT(7)])],
      ['/pmapi/fetch', FETCH_OK],
    ]);
    await Promise.all([c.fetch(['hinv.ncpu']), c.fetch(['hinv.ncpu'])]);
    expect(calls.filter((x) => x.path === '/pmapi/fetch').every((x) => x.params.pmids === '60.0.32')).toBe(true);
    const contexts = calls.filter((x) => x.path === '/pmapi/context');
    expect(contexts).toHaveLength(1);
    expect(contexts[0].params).toEqual({ hostspec: 'localhost', polltimeout: '30' });
    expect(calls.filter((x) => x.path === '/pmapi/fetch').every((x) => x.params.context === '7')).toBe(true);
  });

  it('fetches many names in ONE request and keys the values by name', async () => {
    const { client: c, calls } = client([
      ['/pmapi/context', CONTEXT(7)],
      [
        '/pmapi/fetch',
        {
          status: 200,
          body: '{"timestamp":1795320762.297247045,"values":[{"pmid":"60.2.0","name":"kernel.all.load","instances":[{"instance":1,"value":0.62},{"instance":5,"value":0.5}]},{"pmid":"60.0.32","name":"hinv.ncpu","instances":[{"instance":null,"value":2}]}]}',
        },
      ],
    ]);
    const result = await c.fetch(['kernel.all.load', 'hinv.ncpu', 'no.such.metric']);
    expect(calls.filter((x) => x.path === '/pmapi/fetch')).toHaveLength(1);
    // Sent as pmids (short: pmproxy's URL limit), resolved once; the unknown name is left out.
    expect(calls.find((x) => x.path === '/pmapi/fetch')?.params.pmids).toBe('60.2.0,60.0.32');
    await c.fetch(['kernel.all.load', 'hinv.ncpu']);
    expect(calls.filter((x) => x.path === '/pmapi/metric').length).toBeLessThanOrEqual(3);
    const lookupsAfterFirst = calls.filter((x) => x.path === '/pmapi/metric').length;
    await c.fetch(['kernel.all.load', 'hinv.ncpu']);
    expect(calls.filter((x) => x.path === '/pmapi/metric').length).toBe(lookupsAfterFirst);
    expect(result.timestampMs).toBe(1795320762297);
    expect(result.values.get('kernel.all.load')?.instances).toEqual([
      { instance: 1, value: 0.62 },
      { instance: 5, value: 0.5 },
    ]);
    expect(result.values.has('no.such.metric')).toBe(false);
  });

  it('replaces an unknown context and retries the request once', async () => {
    const { client: c, calls } = client([
      ['/pmapi/context', once([CONTEXT(7), CONTEXT(8)])],
      [/^\/pmapi\/fetch\?context=7/, UNKNOWN_CONTEXT(7)],
      [/^\/pmapi\/fetch\?context=8/, FETCH_OK],
    ]);
    const before = c.contextGeneration;
    await c.fetch(['hinv.ncpu']); // creates context 7, fails, renews to 8
    expect(c.contextGeneration).toBe(before + 2);
    expect(calls.map((x) => `${x.path}:${x.params.context ?? ''}`)).toEqual([
      '/pmapi/context:',
      '/pmapi/metric:7',
      '/pmapi/fetch:7',
      '/pmapi/context:',
      '/pmapi/metric:8',
      '/pmapi/fetch:8',
    ]);
  });

  it('replaces the context after an IPC failure (pmcd restarted behind pmproxy)', async () => {
    const { client: c } = client([
      ['/pmapi/context', once([CONTEXT(7), CONTEXT(8)])],
      [/^\/pmapi\/metric\?context=7/, { status: 400, body: '{"message":"IPC protocol failure","success":false}' }],
      [/^\/pmapi\/fetch\?context=8/, FETCH_OK],
    ]);
    const result = await c.fetch(['hinv.ncpu']);
    expect(result.values.get('hinv.ncpu')?.instances[0].value).toBe(2);
  });

  it('gives up after one retry and reports the kind', async () => {
    const { client: c } = client([
      ['/pmapi/context', CONTEXT(7)],
      ['/pmapi/fetch', UNKNOWN_CONTEXT(7)],
    ]);
    await expect(c.fetch(['hinv.ncpu'])).rejects.toMatchObject({ kind: 'unknownContext' });
  });

  it('reports a pmproxy that is down as unreachable', async () => {
    const { client: c } = client([['/pmapi/context', { status: 0, body: '' }]]);
    await expect(c.context()).rejects.toMatchObject({ kind: 'unreachable' });
  });

  it('stores by POST to the control route, the value URL-encoded in the query (+ and = would break pmproxy)', async () => {
    const { client: c, calls } = client([
      ['/pmapi/context', CONTEXT(7)],
      ['/control/store', { status: 200, body: '{"context":7,"success":true}' }],
    ]);
    await c.store('bpftrace.control.register', 'i:s:1 { @x = 1+2; @y == 3; }');
    expect(calls[1].method).toBe('POST');
    expect(calls[1].params).toEqual({
      context: '7',
      name: 'bpftrace.control.register',
      value: 'i:s:1 { @x = 1+2; @y == 3; }',
    });
  });

  it('a session without a control path sends no store at all', async () => {
    const { transport, calls } = scriptedTransport([['/pmapi/context', CONTEXT(7)]]);
    const c = new PmapiClient(transport, { hostspec: 'localhost', polltimeoutSec: 30 });
    expect(c.mayControl).toBe(false);
    await expect(c.storeAndReadBack('bpftrace.control.register', 'x')).rejects.toMatchObject({
      kind: 'permissionDenied',
    });
    expect(calls).toHaveLength(0);
  });

  it('reads a store back on the same context and hands back the PMDA refusal', async () => {
    const readBack =
      '{"script_id":"s1","state":{"status":"error","error":"no bpftrace variables or printf statements found"}}';
    const { client: c, calls } = client([
      ['/pmapi/context', CONTEXT(7)],
      [
        '/control/store',
        {
          status: 400,
          body: '{"message":"failed to store value to metric bpftrace.control.register: Bad input to pmstore","success":false}',
        },
      ],
      [
        '/pmapi/fetch',
        {
          status: 200,
          body: `{"timestamp":1.1,"values":[{"pmid":"151.0.0","name":"bpftrace.control.register","instances":[{"instance":null,"value":${JSON.stringify(readBack)}}]}]}`,
        },
      ],
    ]);
    const { storeError, readBack: values } = await c.storeAndReadBack('bpftrace.control.register', 'x { }');
    expect(storeError?.kind).toBe('badInput');
    expect(values?.instances[0].value).toBe(readBack);
    expect(calls[1].params.context).toBe('7');
    expect(calls[2].params.context).toBe('7');
  });

  it('never repeats a store whose read-back failed (it would register a second script)', async () => {
    const { client: c, calls } = client([
      ['/pmapi/context', once([CONTEXT(7), CONTEXT(8)])],
      ['/control/store', { status: 200, body: '{"success":true}' }],
      ['/pmapi/fetch', UNKNOWN_CONTEXT(7)],
    ]);
    await expect(c.storeAndReadBack('bpftrace.control.register', 'x')).rejects.toMatchObject({
      kind: 'unknownContext',
    });
    expect(calls.filter((x) => x.path === '/control/store')).toHaveLength(1);
  });

  it('repeats a store that pmproxy refused for its context (it never reached the PMDA)', async () => {
    const { client: c, calls } = client([
      ['/pmapi/context', once([CONTEXT(7), CONTEXT(8)])],
      [/^\/control\/store\?context=7/, UNKNOWN_CONTEXT(7)],
      [/^\/control\/store\?context=8/, { status: 200, body: '{"success":true}' }],
    ]);
    await c.store('bpftrace.control.deregister', 'abc');
    expect(calls.filter((x) => x.path === '/control/store').map((x) => x.params.context)).toEqual(['7', '8']);
  });

  it('shows a string metric without a value as null, not as the 0 pmproxy sends', async () => {
    const { client: c } = client([
      ['/pmapi/context', CONTEXT(7)],
      [
        '/pmapi/metric',
        {
          status: 200,
          body: '{"metrics":[{"name":"bpftrace.scripts.s1.data.output","pmid":"151.100.0","type":"string","sem":"instant","units":"none"}]}',
        },
      ],
      [
        '/pmapi/fetch',
        {
          status: 200,
          body: '{"timestamp":1.1,"values":[{"pmid":"151.100.0","name":"bpftrace.scripts.s1.data.output","instances":[{"instance":null,"value":0}]}]}',
        },
      ],
    ]);
    await c.metrics(['bpftrace.scripts.s1.data.output']);
    const result = await c.fetch(['bpftrace.scripts.s1.data.output']);
    expect(result.values.get('bpftrace.scripts.s1.data.output')?.instances[0].value).toBeNull();
  });

  it('reads an answer spelled otherwise than pmproxy spells it (whitespace, member order) the same way', async () => {
    const spelled = FETCH_OK.body;
    const respelled =
      '{ "timestamp": 1795320762.297247045, "values": [\n  { "name": "hinv.ncpu", "pmid": "60.0.32",\n' +
      '    "instances": [ { "value": 2, "instance": null } ] } ] }';
    const results = [];
    for (const body of [spelled, respelled]) {
      const { client: c } = client([
        ['/pmapi/context', CONTEXT(7)],
        ['/pmapi/fetch', { status: 200, body }],
      ]);
      results.push(await c.fetch(['hinv.ncpu']));
    }
    expect(results[0]).toEqual({
      timestampMs: 1795320762297,
      values: new Map([
        ['hinv.ncpu', { pmid: '60.0.32', name: 'hinv.ncpu', instances: [{ instance: null, value: 2 }] }],
      ]),
    });
    expect(results[1]).toEqual(results[0]);
  });

  it('lists instance domains and children', async () => {
    const { client: c } = client([
      ['/pmapi/context', CONTEXT(7)],
      [
        '/pmapi/indom',
        { status: 200, body: '{"indom":"151.100010","instances":[{"instance":35,"name":"npm","labels":{}}]}' },
      ],
      [
        '/pmapi/children',
        { status: 200, body: '{"name":"bpftrace.scripts.s1","leaf":["status","pid"],"nonleaf":["data"]}' },
      ],
    ]);
    expect((await c.indom('bpftrace.scripts.s1.data.bycomm')).instances).toEqual([
      { instance: 35, name: 'npm', labels: {} },
    ]);
    expect(await c.children('bpftrace.scripts.s1')).toEqual({
      name: 'bpftrace.scripts.s1',
      leaf: ['status', 'pid'],
      nonleaf: ['data'],
    });
  });
});

describe('PmapiClient.storeAndReadBack concurrency', () => {
  it('runs store + read-back pairs one at a time, so each reads its own result', async () => {
    const order: string[] = [];
    let pending = '';
    const { transport } = scriptedTransport([
      ['/pmapi/context', { status: 200, body: '{"context":7}' }],
      [
        '/control/store',
        (call) => {
          order.push(`store ${call.params.value}`);
          pending = call.params.value;
          return { status: 200, body: '{"success":true}' };
        },
      ],
      [
        '/pmapi/fetch',
        () => {
          order.push(`read ${pending}`);
          const value = JSON.stringify(`{"script_id":"${pending}"}`);
          return {
            status: 200,
            body: `{"timestamp":1.1,"values":[{"pmid":"151.0.0","name":"bpftrace.control.register","instances":[{"instance":null,"value":${value}}]}]}`,
          };
        },
      ],
    ]);
    const c = new PmapiClient(transport, { hostspec: 'localhost', polltimeoutSec: 30, controlPath: '/control/store' });
    const [a, b] = await Promise.all([
      c.storeAndReadBack('bpftrace.control.register', 'a'),
      c.storeAndReadBack('bpftrace.control.register', 'b'),
    ]);
    expect(a.readBack?.instances[0].value).toBe('{"script_id":"a"}');
    expect(b.readBack?.instances[0].value).toBe('{"script_id":"b"}');
    expect(order).toEqual(['store a', 'read a', 'store b', 'read b']);
  });
});

describe('PmapiClient.fetch by pmid', () => {
  it('never hands back values that arrive under another name (a reused pmid)', async () => {
    const { transport } = scriptedTransport([
      ['/pmapi/context', { status: 200, body: '{"context":7}' }],
      ['/pmapi/metric', metricTable({ 'bpftrace.scripts.a.data.x': { pmid: '151.100.0' } })],
      [
        '/pmapi/fetch',
        {
          status: 200,
          body: '{"timestamp":1.1,"values":[{"pmid":"151.100.0","name":"bpftrace.scripts.b.data.y","instances":[{"instance":null,"value":5}]}]}',
        },
      ],
    ]);
    const c = new PmapiClient(transport, { hostspec: 'localhost', polltimeoutSec: 30, controlPath: '/control/store' });
    const result = await c.fetch(['bpftrace.scripts.a.data.x']);
    expect(result.values.size).toBe(0);
  });

  it('splits a list longer than a URL can carry into several fetches', () => {
    const pmids = Array.from({ length: 2000 }, (_, i) => `151.${100 + i}.10`);
    const chunks = chunksByLength(pmids, 6000);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.flat()).toEqual(pmids);
    expect(chunks.every((c) => c.join(',').length <= 6000)).toBe(true);
  });
});
