/**
 * A minimal "Grafana host" for the headless-browser tests: what Grafana's frontend provides to a
 * datasource plugin at runtime, and no more.
 *
 * - window.__deps: the modules Grafana shares with plugins (webpack externals), for the page's AMD
 *   shim that loads the UNMODIFIED dist/module.js.
 * - setBackendSrv: a fetch-based backendSrv that behaves like Grafana's
 *   (public/app/core/services/backend_srv.ts + core/utils/fetch.ts), including its error shapes.
 * - MonacoEnvironment: Monaco's editor worker, served from /host/editor.worker.js.
 * - bpfliveHost.start(module): renders the plugin's ConfigEditor (with Save & test) and QueryEditor
 *   inside ThemeContext with Grafana's default dark theme.
 * - The query page runs like a panel: onRunQuery subscribes to ds.query() with a DataQueryRequest
 *   (unsubscribing the previous run first) and hands the latest PanelData ({series, errors,
 *   state, request, timeRange}) back to the QueryEditor as `data`, as Grafana's PanelQueryRunner does.
 * - bpfliveHost.monaco: the Monaco instance Grafana's CodeEditor uses (one copy in the bundle),
 *   for reading markers, tokens and models.
 *
 * window.grafanaBootData and __grafana_public_path__ are set by page.html before this bundle runs,
 * as Grafana's index.html does: @grafana/runtime reads them while its module initialises. The
 * user's role comes from the page's `?role=` (see page.html); server.ts's proxy enforces it.
 */
import React, { Component, ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Observable, lastValueFrom, Subscription } from 'rxjs';
import { map } from 'rxjs/operators';
import {
  CoreApp,
  createTheme,
  DataQueryError,
  DataQueryRequest,
  DataQueryResponse,
  DataSourceApi,
  DataSourceInstanceSettings,
  DataSourcePluginMeta,
  DataSourceSettings,
  applyFieldOverrides,
  dateTime,
  FieldColorModeId,
  getDefaultTimeRange,
  LoadingState,
  PanelData,
} from '@grafana/data';
import {
  BackendSrv,
  BackendSrvRequest,
  FetchResponse,
  setBackendSrv,
  setTemplateSrv,
  TemplateSrv,
} from '@grafana/runtime';
import { Alert, Button, GlobalStyles, Stack, ThemeContext, TimeSeries } from '@grafana/ui';
import * as monaco from 'monaco-editor';
import deps from 'bpflive-host:deps';
import type { BpfliveHost, HostQuery, HostRequest, LoadedPlugin, TestResult } from './pageApi';

window.__deps = deps;

const PLUGIN_ID = 'bpflive-bpftrace-datasource';
const DS_UID = 'bpflive';
/** Where Grafana's datasource proxy serves a proxy-mode datasource: `instanceSettings.url`. */
export const PROXY_URL = `/api/datasources/proxy/uid/${DS_UID}`;

/** Everything a test wants to observe, on window.bpfliveHost. */
const host: BpfliveHost = {
  ready: false,
  /** The module object dist/module.js's AMD factory returned. */
  module: undefined,
  plugin: undefined,
  /** Every backendSrv request: {url, method, status} (status 0 for a network failure). */
  requests: [],
  lastQuery: undefined,
  changeCount: 0,
  runQueryCount: 0,
  configOptions: undefined,
  lastTestResult: undefined,
  start,
  testDatasource,
  testDatasourceAt,
  monaco,
  /** The latest PanelData the query editor got, summarised: {state, status, errors, frames}. */
  lastData: undefined,
  /** Every request the query page ran: {requestId, code}. */
  runs: [],
  /** Replaces the query (as a dashboard load would) without running it. */
  setQuery: undefined,
};
type Any = any;
/** The plugin's datasource: its query type is the plugin's own, unknown to the host. */
type PluginDataSource = DataSourceApi<HostQuery, Any>;
window.bpfliveHost = host;

// ---------------------------------------------------------------------------------------------
// Monaco: Grafana's CodeEditor uses monaco-editor 0.34 from @grafana/ui. Without a worker Monaco
// logs "Could not create web worker(s)" and runs its worker code on the main thread.
self.MonacoEnvironment = {
  getWorker() {
    // Only the generic editor worker is built: bpflive's language is Monarch tokens and providers in the page, no language service.
    return new Worker('/host/editor.worker.js');
  },
};

// ---------------------------------------------------------------------------------------------
// backendSrv, as in Grafana 12 (public/app/core/services/backend_srv.ts):
//  - the body is parsed per `responseType` (core/utils/fetch.ts parseResponseBody): 'text' keeps
//    text; no responseType parses JSON when the Content-Type says JSON, else tries JSON.parse;
//  - a non-2xx answer errors with FetchError {status, statusText, data, config}, and then
//    processRequestError makes `data` an object: a string body becomes
//    {message: body, error: statusText, response: body}, an empty message takes `error`;
//  - a network failure (fetch rejects) errors with the TypeError itself, given
//    `data = {message: 'Unexpected error'}`: it has no `status` (isFetchError is false).

// core/utils/fetch.ts isContentTypeApplicationJson: an exact match, so "application/json; charset=…" is not JSON.
function isJsonContentType(headers: Headers): boolean {
  return (headers.get('content-type') ?? '').toLowerCase() === 'application/json';
}

// core/utils/fetch.ts parseResponseBody.
async function parseResponseBody(response: Response, responseType: string | undefined): Promise<unknown> {
  switch (responseType) {
    case 'arraybuffer':
      return response.arrayBuffer();
    case 'blob':
      return response.blob();
    case 'json':
      if (response.headers.get('Content-Length') === '0') {
        return {};
      }
      return response.json();
    case 'text':
      return response.text();
  }
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

// backend_srv.ts processRequestError, without the alerts.
function processRequestError(err: Any): Any {
  err.data = err.data ?? { message: 'Unexpected error' };
  if (typeof err.data === 'string') {
    err.data = { message: err.data, error: err.statusText, response: err.data };
  }
  if (err.data && !err.data.message && typeof err.data.error === 'string') {
    err.data.message = err.data.error;
  }
  return err;
}

// core/utils/fetch.ts parseUrlFromOptions / serializeParams.
function requestUrl(options: BackendSrvRequest): string {
  const params = Object.entries((options.params ?? {}) as Record<string, Any>).filter(
    ([, v]) => v !== undefined && !(v && v.length === 0)
  );
  if (params.length === 0) {
    return options.url;
  }
  const serialized = params
    .map(([k, v]) =>
      (Array.isArray(v) ? v : [v]).map((item: Any) => `${encodeURIComponent(k)}=${encodeURIComponent(item)}`).join('&')
    )
    .join('&');
  return `${options.url}?${serialized}`;
}

// core/utils/fetch.ts parseHeaders + parseBody.
function requestInit(options: BackendSrvRequest): RequestInit {
  const headers = new Headers(options.headers ?? {});
  const method = (options.method ?? 'GET').toUpperCase();
  if (['POST', 'PUT', 'PATCH'].includes(method) && !headers.get('content-type')) {
    headers.set('content-type', 'application/json');
  }
  if (!headers.get('accept')) {
    headers.set('accept', 'application/json, text/plain, */*');
  }
  let body: Any = options.data;
  if (body && typeof body !== 'string') {
    body = isJsonContentType(headers) ? JSON.stringify(body) : new URLSearchParams(body);
  }
  const credentials = options.credentials ?? (options.withCredentials ? 'include' : 'same-origin');
  return { method, headers, body: body || undefined, credentials };
}

function backendFetch<T>(options: BackendSrvRequest): Observable<FetchResponse<T>> {
  return new Observable<FetchResponse<T>>((subscriber) => {
    const controller = new AbortController();
    const url = requestUrl(options);
    const init = requestInit(options);
    const record: HostRequest = { url, method: String(init.method), status: undefined };
    host.requests.push(record);
    window
      .fetch(url, { ...init, signal: options.abortSignal ?? controller.signal })
      .then(async (res) => {
        record.status = res.status;
        const responseType = options.responseType ?? (isJsonContentType(res.headers) ? 'json' : undefined);
        const data = (await parseResponseBody(res, responseType)) as T;
        if (!res.ok) {
          subscriber.error(
            processRequestError({ status: res.status, statusText: res.statusText, data, config: options })
          );
          return;
        }
        subscriber.next({
          data,
          status: res.status,
          statusText: res.statusText,
          ok: res.ok,
          headers: res.headers,
          redirected: res.redirected,
          type: res.type,
          url: res.url,
          config: options,
        });
        subscriber.complete();
      })
      .catch((e) => {
        if (controller.signal.aborted) {
          return; // unsubscribed: Grafana completes silently too
        }
        record.status = 0;
        subscriber.error(processRequestError(e));
      });
    return () => controller.abort();
  });
}

const request = (options: BackendSrvRequest) => lastValueFrom(backendFetch(options).pipe(map((r) => r.data)));

// Only what plugins call is provided; the rest of BackendSrv is Grafana's own business.
setBackendSrv({
  fetch: backendFetch,
  request,
  datasourceRequest: (options: BackendSrvRequest) => lastValueFrom(backendFetch(options)),
  get: (url: string, params?: Any, requestId?: string, options?: Partial<BackendSrvRequest>) =>
    request({ ...options, method: 'GET', url, params, requestId }),
  delete: (url: string, data?: unknown, options?: Partial<BackendSrvRequest>) =>
    request({ ...options, method: 'DELETE', url, data }),
  post: (url: string, data?: unknown, options?: Partial<BackendSrvRequest>) =>
    request({ ...options, method: 'POST', url, data }),
  patch: (url: string, data: unknown, options?: Partial<BackendSrvRequest>) =>
    request({ ...options, method: 'PATCH', url, data }),
  put: (url: string, data: unknown, options?: Partial<BackendSrvRequest>) =>
    request({ ...options, method: 'PUT', url, data }),
  chunked: () => {
    throw new Error('backendSrv.chunked is not provided by the bpflive test host');
  },
  resolveCancelerIfExists: () => {},
  cancelAllInFlightRequests: () => {},
} as unknown as BackendSrv);

// ---------------------------------------------------------------------------------------------
// Datasource settings as Grafana hands them to the plugin.

// page.html's `?jsonData=` lets a test set the datasource's options (e.g. allowViewersToRun).
const JSON_DATA: Record<string, unknown> = {
  hostspec: 'localhost',
  pollIntervalSec: 1,
  retention: '30m',
  ...window.__bpfliveTestJsonData,
};

/** DataSourceSettings: what the config page edits (GET /api/datasources/uid/bpflive). */
const INITIAL_OPTIONS: DataSourceSettings = {
  id: 1,
  uid: DS_UID,
  orgId: 1,
  name: 'bpflive',
  type: PLUGIN_ID,
  typeName: 'Bpftrace',
  typeLogoUrl: '/dist/img/logo.svg',
  access: 'proxy',
  url: 'http://localhost:44322',
  user: '',
  database: '',
  basicAuth: false,
  basicAuthUser: '',
  isDefault: true,
  jsonData: JSON_DATA,
  secureJsonFields: {},
  readOnly: false,
  withCredentials: false,
  version: 1,
};

let pluginMeta: DataSourcePluginMeta = {
  id: PLUGIN_ID,
  name: 'Bpftrace',
  type: 'datasource',
  module: '/dist/module.js',
  baseUrl: '/dist',
  info: {} as DataSourcePluginMeta['info'],
} as DataSourcePluginMeta;

/** DataSourceInstanceSettings: what the datasource class gets (from Grafana's boot data). */
function instanceSettings(jsonData = JSON_DATA, url = PROXY_URL): DataSourceInstanceSettings {
  return {
    id: 1,
    uid: DS_UID,
    type: PLUGIN_ID,
    name: 'bpflive',
    access: 'proxy',
    url,
    jsonData,
    meta: pluginMeta,
    readOnly: false,
  };
}

/** What Grafana's config page shows for a thrown error (features/datasources/state: parseHealthCheckError). */
function thrownResult(e: Any): TestResult {
  return {
    status: 'error',
    message: e?.message ?? e?.data?.message ?? (e?.statusText ? `HTTP error ${e.statusText}` : String(e)),
    thrown: true,
  };
}

function plainResult<T>(r: T): T {
  return JSON.parse(JSON.stringify(r ?? null));
}

async function runTest(jsonData: Record<string, unknown>, url: string): Promise<TestResult> {
  const Ds = host.plugin!.DataSourceClass;
  try {
    return plainResult((await new Ds(instanceSettings(jsonData, url)).testDatasource()) as TestResult);
  } catch (e) {
    return thrownResult(e);
  }
}

/** ds.testDatasource() through the datasource proxy, with the page's current settings. */
async function testDatasource(): Promise<TestResult> {
  return runTest(host.configOptions?.jsonData ?? JSON_DATA, PROXY_URL);
}

/** ds.testDatasource() with instanceSettings.url = `url` (e.g. a direct, unreachable URL). */
async function testDatasourceAt(url: string): Promise<TestResult> {
  return runTest(host.configOptions?.jsonData ?? JSON_DATA, url);
}

// ---------------------------------------------------------------------------------------------
// The page.

class Boundary extends Component<{ name: string; children: ReactNode }, { error?: Any }> {
  constructor(props: { name: string; children: ReactNode }) {
    super(props);
    this.state = { error: undefined };
  }
  static getDerivedStateFromError(error: unknown) {
    return { error };
  }
  componentDidCatch(error: Any) {
    (host.renderErrors ??= []).push(`${this.props.name}: ${error?.message ?? error}`);
  }
  render() {
    if (this.state.error) {
      return (
        <Alert severity="error" title={`${this.props.name} failed to render`}>
          <pre>{String(this.state.error?.stack ?? this.state.error)}</pre>
        </Alert>
      );
    }
    return this.props.children;
  }
}

function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section id={id} style={{ padding: '16px 24px 24px', maxWidth: 1000 }}>
      <h2 style={{ marginBottom: 16 }}>{title}</h2>
      {children}
    </section>
  );
}

function ConfigPage({ plugin }: { plugin: LoadedPlugin }) {
  const [options, setOptions] = useState(INITIAL_OPTIONS);
  const [testing, setTesting] = useState(false);
  const [result, setResult] = useState<TestResult | undefined>(undefined);
  host.configOptions = { jsonData: options.jsonData as unknown as Record<string, unknown> };
  const ConfigEditor = plugin.components.ConfigEditor!;

  const onSaveAndTest = useCallback(async () => {
    setTesting(true);
    setResult(undefined);
    const r = await testDatasource();
    host.lastTestResult = r;
    setResult(r);
    setTesting(false);
  }, []);

  return (
    <Section id="config-section" title="Data source settings: bpflive">
      <Boundary name="ConfigEditor">
        <ConfigEditor options={options} onOptionsChange={setOptions} />
      </Boundary>
      <div style={{ marginTop: 24 }}>
        {result && (
          <div data-testid="test-result" data-status={result.status}>
            <Alert severity={result.status === 'success' ? 'success' : 'error'} title={result.message}>
              {result.details?.message}
            </Alert>
          </div>
        )}
        <Stack direction="row" gap={2}>
          <Button variant="destructive" type="button" disabled>
            Delete
          </Button>
          <Button
            variant="primary"
            type="button"
            onClick={onSaveAndTest}
            disabled={testing}
            data-testid="save-and-test"
          >
            {testing ? 'Testing…' : 'Save & test'}
          </Button>
        </Stack>
      </div>
    </Section>
  );
}

const INITIAL_QUERY: HostQuery = { refId: 'A', code: 'tracepoint:raw_syscalls:sys_enter { @syscalls = count(); }' };

let requestCounter = 0;

/**
 * What Grafana's PanelQueryRunner and runRequest do for one panel: a DataQueryRequest per run,
 * the previous run unsubscribed first, the latest packet per key kept, PanelData to the editor.
 */
function useQueryRunner(datasource: PluginDataSource): [PanelData | undefined, (query: HostQuery) => void] {
  const [data, setData] = useState<PanelData | undefined>(undefined);
  const subscription = useRef<Subscription | undefined>(undefined);
  useEffect(() => () => subscription.current?.unsubscribe(), []);
  const run = useCallback(
    (query: HostQuery) => {
      subscription.current?.unsubscribe();
      const range = getDefaultTimeRange();
      const request: DataQueryRequest<HostQuery> = {
        requestId: `Q${++requestCounter}`,
        interval: '1s',
        intervalMs: 1000,
        maxDataPoints: 500,
        range,
        rangeRaw: range.raw,
        scopedVars: {},
        targets: [query],
        timezone: 'browser',
        app: CoreApp.PanelEditor,
        startTime: Date.now(),
        dashboardUID: 'browser-test',
        panelId: 1,
      };
      host.runs.push({ requestId: request.requestId, code: query.code });
      const packets = new Map<string, DataQueryResponse>();
      setData({ state: LoadingState.Loading, series: [], errors: undefined, request, timeRange: range });
      // A streaming datasource answers with an Observable (bpflive always does).
      subscription.current = (datasource.query(request) as Observable<DataQueryResponse>).subscribe({
        next(packet: DataQueryResponse) {
          packets.set(packet.key ?? packet.data?.[0]?.refId ?? 'A', packet);
          const all = [...packets.values()];
          const errors: DataQueryError[] = all.flatMap((p) => p.errors ?? (p.error ? [p.error] : []));
          const next: PanelData = {
            state: all.some((p) => p.state === LoadingState.Streaming)
              ? LoadingState.Streaming
              : (packet.state ?? LoadingState.Done),
            series: all.flatMap((p) => p.data ?? []),
            errors: errors.length ? errors : undefined,
            request,
            timeRange: range,
          };
          const custom = next.series.find((f) => f.meta?.custom?.bpflive)?.meta?.custom?.bpflive;
          host.lastData = plainResult({
            requestId: request.requestId,
            status: custom?.status,
            probes: custom?.probes,
            variables: custom?.variables,
            errors: (next.errors ?? []).map((e) => e.message ?? ''),
            frames: next.series.length,
          });
          setData(next);
        },
        error(e: Any) {
          host.lastData = { requestId: request.requestId, thrown: String(e?.message ?? e) };
          setData({
            state: LoadingState.Error,
            series: [],
            errors: [{ message: String(e?.message ?? e) }],
            request,
            timeRange: range,
          });
        },
      });
    },
    [datasource]
  );
  return [data, run];
}

function QueryPage({ plugin, datasource }: { plugin: LoadedPlugin; datasource: PluginDataSource }) {
  const [query, setQuery] = useState(INITIAL_QUERY);
  // Grafana calls onChange then onRunQuery in one go: the run must see the new query.
  const latest = useRef(INITIAL_QUERY);
  const [data, run] = useQueryRunner(datasource);
  const QueryEditor = plugin.components.QueryEditor!;
  const onChange = useCallback((q: HostQuery) => {
    host.lastQuery = plainResult(q);
    host.changeCount++;
    latest.current = q;
    setQuery(q);
  }, []);
  const onRunQuery = useCallback(() => {
    host.runQueryCount++;
    run(latest.current);
  }, [run]);
  host.setQuery = (q: HostQuery) => {
    latest.current = q;
    setQuery(q);
  };
  return (
    <Section id="query-section" title="Query A (bpflive)">
      <Boundary name="QueryEditor">
        <QueryEditor
          datasource={datasource}
          query={query}
          queries={[query]}
          onChange={onChange}
          onRunQuery={onRunQuery}
          data={data}
          app={CoreApp.PanelEditor}
          range={getDefaultTimeRange()}
        />
      </Boundary>
    </Section>
  );
}

/**
 * Dashboard variables for the page, from `?vars=pid:1|2;comm:bash`: Grafana's template service
 * reduced to what a datasource reads (the variables' names, and their values through replace's
 * format function, a list for several values as Grafana hands them over).
 */
function installTemplateSrv(): void {
  const table = new Map<string, string[]>();
  for (const entry of (new URLSearchParams(location.search).get('vars') ?? '').split(';')) {
    const at = entry.indexOf(':');
    if (at > 0) {
      table.set(entry.slice(0, at), entry.slice(at + 1).split('|'));
    }
  }
  setTemplateSrv({
    getVariables: () => [...table.keys()].map((name) => ({ name, type: 'custom' })),
    replace: (target = '', _scopedVars?: unknown, format?: (value: unknown) => string) =>
      target.replace(/\$\{(\w+)\}|\$(\w+)/g, (match: string, braced?: string, bare?: string) => {
        const values = table.get((braced ?? bare)!);
        if (!values) {
          return match;
        }
        return format ? format(values.length === 1 ? values[0] : values) : values.join(',');
      }),
  } as unknown as TemplateSrv);
}

/**
 * `?view=hosts&hosts=a,b`: one panel whose query runs on a multi-value dashboard variable $host
 * with hosts a and b, drawn with Grafana's time-series graph (series per host, legend below).
 * The template service does what Grafana's does for a multi-value variable: the plugin's format
 * function gets the array of values.
 */
/** Grafana's classic palette, first two: green, yellow. */
const SERIES_COLOURS = ['#73BF69', '#F2CC0C', '#8AB8FF', '#FF780A'];

function HostsPanel({ datasource, hosts }: { datasource: PluginDataSource; hosts: string[] }) {
  const [data, run] = useQueryRunner(datasource);
  useEffect(() => {
    const replace = (target?: string, _scoped?: unknown, format?: unknown) =>
      (target ?? '').replace(/\$host\b|\$\{host\}/g, () =>
        typeof format === 'function' ? format(hosts) : hosts.join(',')
      );
    setTemplateSrv({
      replace,
      getVariables: () => [{ name: 'host', type: 'custom' }],
      containsTemplate: (t?: string) => /\$host\b|\$\{host\}/.test(t ?? ''),
    } as unknown as TemplateSrv);
    run({ refId: 'A', code: INITIAL_QUERY.code, hostspec: '$host' });
  }, [run, hosts]);
  const raw = (data?.series ?? []).filter((f) => f.fields.length > 1 && f.length > 1);
  // What a dashboard's time-series panel does before drawing: a colour and a line per series
  // (applyFieldOverrides gives each value its display; Grafana's registry of field options is not
  // loaded in this host, so colour and line are set here), then the
  // range of the data.
  const withDisplay = applyFieldOverrides({
    data: raw,
    fieldConfig: { defaults: {}, overrides: [] },
    replaceVariables: (v: string) => v,
    theme: createTheme({ colors: { mode: 'dark' } }),
    timeZone: 'browser',
  });
  const frames = withDisplay.map((f, i) => ({
    ...f,
    fields: f.fields.map((field, k) =>
      k === 0
        ? field
        : {
            ...field,
            config: {
              ...field.config,
              color: { mode: FieldColorModeId.Fixed, fixedColor: SERIES_COLOURS[i % SERIES_COLOURS.length] },
              custom: { lineWidth: 2, fillOpacity: 10, drawStyle: 'line', showPoints: 'never' },
            },
          }
    ),
  }));
  const times = raw.flatMap((f) => [f.fields[0].values[0] as number, f.fields[0].values[f.length - 1] as number]);
  const range = times.length
    ? (() => {
        const from = dateTime(Math.min(...times) - 2000);
        const to = dateTime(Math.max(...times) + 1000);
        return { from, to, raw: { from, to } };
      })()
    : undefined;
  host.hostsPanel = raw.map((f) => ({
    name: f.name ?? '',
    series: f.fields.slice(1).map((field) => field.config.displayNameFromDS ?? field.name),
    labels: f.fields.slice(1).map((field) => field.labels ?? {}),
    points: f.length,
    notices: (f.meta?.notices ?? []).map((n) => n.text),
  }));
  return (
    <Section id="hosts-section" title={`One query, Host field $host = ${hosts.join(' + ')}: ${INITIAL_QUERY.code}`}>
      {range && frames.length > 0 ? (
        <TimeSeries
          frames={frames}
          width={950}
          height={320}
          timeRange={range}
          timeZone="browser"
          legend={{ showLegend: true, displayMode: 'list' as never, placement: 'bottom', calcs: [] }}
        />
      ) : (
        <div>waiting for data…</div>
      )}
    </Section>
  );
}

async function start(pluginModule: { plugin?: LoadedPlugin } | undefined): Promise<void> {
  host.module = pluginModule;
  host.plugin = pluginModule?.plugin;
  try {
    pluginMeta = await (await fetch('/dist/plugin.json')).json();
  } catch {
    // keep the minimal meta
  }
  const plugin = host.plugin;
  if (!plugin?.DataSourceClass || !plugin.components?.ConfigEditor || !plugin.components?.QueryEditor) {
    throw new Error('dist/module.js does not export a DataSourcePlugin with ConfigEditor and QueryEditor');
  }
  installTemplateSrv();
  const datasource = new plugin.DataSourceClass(instanceSettings()) as PluginDataSource;
  host.datasource = datasource;
  const theme = createTheme({ colors: { mode: 'dark' } });
  const params = new URLSearchParams(location.search);
  if (params.get('view') === 'hosts') {
    createRoot(document.getElementById('root')!).render(
      <ThemeContext.Provider value={theme}>
        <GlobalStyles />
        <HostsPanel datasource={datasource} hosts={(params.get('hosts') ?? 'localhost').split(',')} />
      </ThemeContext.Provider>
    );
    host.ready = true;
    return;
  }
  createRoot(document.getElementById('root')!).render(
    <ThemeContext.Provider value={theme}>
      <GlobalStyles />
      <ConfigPage plugin={plugin} />
      <QueryPage plugin={plugin} datasource={datasource} />
    </ThemeContext.Provider>
  );
  host.ready = true;
}
