import { firstValueFrom, from, lastValueFrom, of } from 'rxjs';
import { DataQueryRequest, DataSourceInstanceSettings, dateTime, getDefaultTimeRange } from '@grafana/data';
import { BackendSrv, config, setBackendSrv, setTemplateSrv, TemplateSrv } from '@grafana/runtime';
import { DataSource } from './datasource';
import { blockingDiagnostics } from './language/blocking';
import { EXAMPLES } from './language/examples';
import { fakeSeriesStore } from './test/fakeSeriesStore';
import { BpfliveOptions, BpftraceQuery } from './types';

/** A template service with these variables (name → values), as Grafana's hands them to a formatter. */
function templateSrvWith(table: Record<string, string[]>): TemplateSrv {
  return {
    getVariables: () => Object.keys(table).map((name) => ({ name, type: 'custom' })),
    replace: (target: string, scoped?: Record<string, { value: unknown }>, format?: (value: unknown) => string) =>
      target.replace(/\$\{(\w+)\}|\$(\w+)/g, (m: string, braced?: string, bare?: string) => {
        const name = (braced ?? bare)!;
        const values = scoped?.[name] ? [String(scoped[name].value)] : table[name];
        if (!values) {
          return m;
        }
        const value = values.length === 1 ? values[0] : values;
        return format ? format(value) : values.join(',');
      }),
  } as unknown as TemplateSrv;
}

function datasource(jsonData: BpfliveOptions = {}) {
  return new DataSource({
    uid: 'ds',
    name: 'bpftrace',
    access: 'proxy',
    url: '/api/datasources/proxy/uid/ds',
    jsonData,
  } as unknown as DataSourceInstanceSettings<BpfliveOptions>);
}

afterEach(() => setTemplateSrv(undefined as unknown as TemplateSrv));

describe('DataSource: dashboard variables', () => {
  it('applyTemplateVariables writes script, host and legend; scoped variables of a repeated panel win', () => {
    setTemplateSrv(templateSrvWith({ pid: ['1', '2'], host: ['db1'], env: ['prod'] }));
    const query: BpftraceQuery = {
      refId: 'A',
      code: 'tracepoint:raw_syscalls:sys_enter /pid == $pid/ { @[comm] = count(); }',
      hostspec: '$host',
      legendFormat: '$env $key',
    };
    expect(datasource().applyTemplateVariables(query, {})).toEqual({
      ...query,
      code: 'tracepoint:raw_syscalls:sys_enter /(pid == 1 || pid == 2)/ { @[comm] = count(); }',
      hostspec: 'db1',
      legendFormat: 'prod $key',
    });
    const repeated = datasource().applyTemplateVariables(query, { pid: { text: '7', value: '7' } });
    expect(repeated.code).toContain('/pid == 7/');
  });

  it('a query whose variable may not be written in fails alone, with the message naming it', async () => {
    setTemplateSrv(templateSrvWith({ pid: ['1; system("id")'] }));
    const request = {
      targets: [{ refId: 'A', code: 'k:f /pid == $pid/ { @ = count(); }' }],
      range: getDefaultTimeRange(),
      scopedVars: {},
      app: 'dashboard',
    } as unknown as DataQueryRequest<BpftraceQuery>;
    const response = await firstValueFrom(datasource().query(request));
    expect(response.errors?.[0].message).toMatch(/\$pid .*number or an identifier/);
    expect(response.key).toBe('A');
  });

  it('a multi-value host runs the query on each host, and the editor is told which', () => {
    setTemplateSrv(templateSrvWith({ host: ['a', 'b'] }));
    const result = datasource().interpolate({ refId: 'A', code: 'BEGIN {}', hostspec: '$host' });
    expect(result.hosts).toEqual(['a', 'b']);
    expect(result.replaced).toContainEqual(
      expect.objectContaining({ name: 'host', values: ['a', 'b'], where: 'hostspec' })
    );
    setTemplateSrv(templateSrvWith({ host: ['a&hostspec=b'] }));
    expect(() => datasource().interpolate({ refId: 'A', code: 'BEGIN {}', hostspec: '$host' })).toThrow(
      /not a host specification/
    );
  });

  it('interpolateVariablesInQueries (Explore from a panel) writes values in, and leaves a refused query as it was', () => {
    setTemplateSrv(templateSrvWith({ comm: ['bash'], bad: ['x y'] }));
    const [good, refused] = datasource().interpolateVariablesInQueries(
      [
        { refId: 'A', code: 'k:f /comm == "$comm"/ { }' },
        { refId: 'B', code: 'k:f /pid == $bad/ { }' },
      ],
      {}
    );
    expect(good.code).toBe('k:f /comm == "bash"/ { }');
    expect(refused.code).toBe('k:f /pid == $bad/ { }');
  });

  it('ad-hoc filters of the request reach every probe of the script', () => {
    setTemplateSrv(templateSrvWith({}));
    const out = datasource().applyTemplateVariables({ refId: 'A', code: 'k:f { @ = count(); }' }, {}, [
      { key: 'comm', operator: '=', value: 'nginx' },
    ]);
    expect(out.code).toBe('k:f /comm == "nginx"/ { @ = count(); }');
  });

  it('the examples, with variables written in, still pass the editor checks', () => {
    setTemplateSrv(templateSrvWith({ pid: ['1', '2'] }));
    for (const e of EXAMPLES) {
      const code = datasource().applyTemplateVariables({ refId: 'A', code: e.code }, {}, [
        { key: 'comm', operator: '!=', value: 'sshd' },
      ]).code;
      expect([e.id, blockingDiagnostics(code)]).toEqual([e.id, []]);
    }
  });

  it('getTagKeys offers the filters bpflive applies', async () => {
    expect((await datasource().getTagKeys()).map((k) => k.text)).toEqual(['comm', 'pid']);
  });
});

describe('DataSource: query display text', () => {
  it('is the first line of code and the host for query history', () => {
    expect(
      datasource().getQueryDisplayText({
        refId: 'A',
        code: '// hot paths\nprofile:hz:99 { @[kstack] = count(); }',
        hostspec: 'db1',
      })
    ).toBe('profile:hz:99 { @[kstack] = count(); } · on db1');
  });
});

describe('DataSource: PCP metric queries', () => {
  const metricQuery: BpftraceQuery = { refId: 'A', code: '', queryType: 'metric', metrics: 'disk.dev.$stat' };

  it('runs a metric query that has metrics and no code; a script query still needs code', () => {
    const ds = datasource();
    expect(ds.filterQuery(metricQuery)).toBe(true);
    expect(ds.filterQuery({ ...metricQuery, metrics: ' ' })).toBe(false);
    expect(ds.filterQuery({ refId: 'B', code: '', metrics: 'kernel.all.load' })).toBe(false);
  });

  it('writes dashboard variables into the metric names, several values as several names', () => {
    setTemplateSrv(templateSrvWith({ stat: ['read', 'write'] }));
    expect(datasource().applyTemplateVariables(metricQuery, {}).metrics).toBe('disk.dev.read, disk.dev.write');
  });
});

describe('DataSource: running scripts', () => {
  it("a Viewer's Stop sends nothing at all (Grafana's proxy would refuse it too: control/store is Editor only)", async () => {
    const sent: unknown[] = [];
    setBackendSrv({ fetch: (r: unknown) => sent.push(r) } as unknown as BackendSrv);
    const ds = datasource({ allowViewersToRun: false });
    expect(ds.mayStopScripts).toBe(false);
    await expect(ds.stopScript('7')).rejects.toThrow(/may not stop scripts/);
    expect(sent).toEqual([]);
  });

  it('a Running scripts query runs without code; a script query without code does not', () => {
    const ds = datasource();
    expect(ds.filterQuery({ refId: 'A', code: '', queryType: 'runningScripts' })).toBe(true);
    expect(ds.filterQuery({ refId: 'A', code: '' })).toBe(false);
  });
});

describe('DataSource: recordings', () => {
  const asRole = (orgRole: string) => {
    (config as unknown as { bootData: unknown }).bootData = { user: { orgRole, isGrafanaAdmin: false } };
  };
  /** Grafana's proxy as pmproxy answers it (a context, a store, the deregister's read-back); records each request. */
  const answering = (sent: Array<{ url: string; method?: string }>) =>
    setBackendSrv({
      fetch: (r: { url: string; method?: string }) => {
        sent.push(r);
        const data = r.url.includes('/pmapi/context')
          ? { context: 1 }
          : r.url.includes('/pmapi/fetch')
            ? {
                timestamp: 1,
                values: [
                  {
                    pmid: '1',
                    name: 'bpftrace.control.deregister',
                    instances: [{ instance: null, value: '{"success": "true"}' }],
                  },
                ],
              }
            : { success: true };
        return of({ data, status: 200 });
      },
    } as unknown as BackendSrv);
  afterEach(() => asRole('Viewer'));

  it("an Editor's Stop recording deregisters the named script by name through the Editor control route", async () => {
    asRole('Editor');
    const sent: Array<{ url: string; method?: string }> = [];
    answering(sent);
    const ds = datasource();
    expect(ds.mayRecord).toBe(true);
    await ds.stopRecording('bpflive_rec_runq');
    const stores = sent.filter((r) => r.method === 'POST');
    expect(stores).toHaveLength(1);
    expect(stores[0].url).toContain('/control/store?');
    expect(stores[0].url).not.toContain('viewer-control');
    expect(stores[0].url).toContain('name=bpftrace.control.deregister');
    expect(stores[0].url).toContain('value=bpflive_rec_runq');
  });

  it('a Viewer gets no Stop recording and its browser sends nothing, even when Viewers may run scripts', async () => {
    asRole('Viewer');
    const sent: unknown[] = [];
    answering(sent as Array<{ url: string }>);
    const ds = datasource({ allowViewersToRun: true });
    expect(ds.mayStopScripts).toBe(true);
    expect(ds.mayRecord).toBe(false);
    await expect(ds.stopRecording('bpflive_rec_runq')).rejects.toThrow(/Only an Editor or Admin/);
    expect(sent).toEqual([]);
  });

  it('stops nothing that is not a recording', async () => {
    asRole('Editor');
    const sent: unknown[] = [];
    answering(sent as Array<{ url: string }>);
    await expect(datasource().stopRecording('runqlat')).rejects.toThrow(/not a bpflive recording/);
    expect(sent).toEqual([]);
  });

  it('a recording name that breaks the rule is an error on that query, and nothing is sent', async () => {
    asRole('Editor');
    const sent: unknown[] = [];
    answering(sent as Array<{ url: string }>);
    const request = {
      targets: [{ refId: 'A', code: 'BEGIN { @a = count(); }', record: true, recordName: 'no-dash' }],
      range: getDefaultTimeRange(),
    } as unknown as DataQueryRequest<BpftraceQuery>;
    const response = await firstValueFrom(datasource().query(request));
    expect(response.errors?.[0].message).toMatch(/letters, digits and _/);
    expect(sent).toEqual([]);
  });
});

describe('DataSource: metric queries from the series store', () => {
  it('reads all hosts of a Host variable in one stream, one values request per refresh once the ids are known', async () => {
    const T0 = Date.parse('2026-12-04T03:00:00Z');
    const store = fakeSeriesStore({
      hosts: ['db1', 'db2', 'db3'],
      intervalMs: 10_000,
      fromMs: T0,
      toMs: T0 + 300_000,
      metrics: [{ name: 'kernel.all.sysfork', sem: 'counter', value: (_h, _i, t) => (t - T0) / 100 }],
    });
    const sent: string[] = [];
    setBackendSrv({
      fetch: (r: { url: string }) => {
        const [path, query] = r.url.replace('/api/datasources/proxy/uid/ds', '').split('?');
        sent.push(path);
        return from(store.transport(path, query ?? '').then((data) => ({ data, status: 200 })));
      },
    } as unknown as BackendSrv);
    setTemplateSrv(templateSrvWith({ host: ['db1', 'db2', 'db3'] }));
    const ds = datasource();
    const range = { from: dateTime(T0), to: dateTime(T0 + 300_000), raw: { from: 'x', to: 'y' } };
    const request = {
      targets: [
        {
          refId: 'A',
          code: '',
          queryType: 'metric',
          metrics: 'kernel.all.sysfork',
          hostspec: '$host',
          metricSource: 'series',
        },
      ],
      range,
      scopedVars: {},
    } as unknown as DataQueryRequest<BpftraceQuery>;
    const first = await lastValueFrom(ds.query(request));
    expect(first.data.map((f: { name: string }) => f.name)).toEqual([
      'db1: kernel.all.sysfork',
      'db2: kernel.all.sysfork',
      'db3: kernel.all.sysfork',
    ]);
    expect(sent.every((p) => p.startsWith('/series/'))).toBe(true);
    sent.length = 0;
    await lastValueFrom(ds.query(request));
    expect(sent).toEqual(['/series/values']);
    // A "Recorded hosts" variable lists them from the store, asking no pmcd.
    sent.length = 0;
    expect(await ds.variableValues({ refId: 'v', kind: 'recordedHosts' })).toEqual(
      ['db1', 'db2', 'db3'].map((h) => ({ text: h, value: h }))
    );
    expect(sent).toEqual(['/series/labels']);
    // `*` as Host: every host the store records, with no host filter in the expression.
    const all = {
      ...request,
      targets: [{ ...request.targets[0], hostspec: '*' }],
    } as DataQueryRequest<BpftraceQuery>;
    const everyHost = await lastValueFrom(ds.query(all));
    expect(everyHost.data).toHaveLength(3);
    expect(store.calls.at(-1)?.query).not.toContain('hostname');
  });
});
