/**
 * What the test pages expose on `window`, for the tests' page.evaluate() callbacks and for the
 * pages themselves (host.tsx, flamegraph-host.tsx, page.html's AMD shim). Types only.
 */
import type { DataSourceApi, DataSourcePlugin } from '@grafana/data';
import type * as Monaco from 'monaco-editor';

/** One backendSrv request the plugin made: status 0 for a network failure, undefined while pending. */
export interface HostRequest {
  url: string;
  method: string;
  status: number | undefined;
}

/** Save & test's answer, as plain JSON; `thrown` when testDatasource threw instead of answering. */
export interface TestResult {
  status: string;
  message: string;
  details?: { message?: string };
  thrown?: boolean;
}

/** The query as the plugin's QueryEditor last handed it to onChange (see src/types.ts BpftraceQuery). */
export interface HostQuery {
  refId: string;
  code: string;
  format?: string;
  map?: string;
  rate?: boolean;
  legendFormat?: string;
  topN?: number;
  hostspec?: string;
  flameGraph?: { hideIdle?: boolean; minSamples?: number };
  [option: string]: unknown;
}

/** The latest PanelData the query editor got, summarised. */
export interface HostData {
  requestId: string;
  status?: string;
  probes?: number;
  variables?: unknown;
  errors?: string[];
  frames?: number;
  thrown?: string;
}

/** The plugin as dist/module.js exports it; its query type is the plugin's own. */
export type LoadedPlugin = DataSourcePlugin<DataSourceApi<any, any>, any, any>;

/** window.bpfliveHost (host.tsx). */
export interface BpfliveHost {
  ready: boolean;
  startError?: string;
  renderErrors?: string[];
  /** The module object dist/module.js's AMD factory returned. */
  module?: { plugin?: LoadedPlugin };
  plugin?: LoadedPlugin;
  datasource?: DataSourceApi<any, any>;
  requests: HostRequest[];
  lastQuery?: HostQuery;
  changeCount: number;
  runQueryCount: number;
  configOptions?: { jsonData: Record<string, unknown> };
  lastTestResult?: TestResult;
  start(module: { plugin?: LoadedPlugin } | undefined): Promise<void>;
  testDatasource(): Promise<TestResult>;
  testDatasourceAt(url: string): Promise<TestResult>;
  /** The Monaco instance Grafana's CodeEditor uses. */
  monaco: typeof Monaco;
  lastData?: HostData;
  /** Every request the query page ran. */
  runs: Array<{ requestId: string; code: string }>;
  /** `?view=hosts`: the frames of the one query on several hosts, summarised. */
  hostsPanel?: Array<{
    name: string;
    series: string[];
    labels: Array<Record<string, string>>;
    points: number;
    notices: string[];
  }>;
  /** Replaces the query (as a dashboard load would) without running it. */
  setQuery?: (q: HostQuery) => void;
}

/** window.flameHost (flamegraph-host.tsx). */
export interface FlameHost {
  ready: boolean;
  /** The React the page runs (runtime.ts: the selected runtime's). */
  reactVersion: string;
  error?: string;
  rows?: number;
  total?: number;
  /** A diff frame's comparison total (valueRight of the root); undefined for a plain flame graph. */
  totalRight?: number;
  topLevel?: string[];
}

declare global {
  interface Window {
    bpfliveHost: BpfliveHost;
    flameHost: FlameHost;
    /** The modules Grafana shares with plugins, by import name. */
    __deps: Record<string, Record<string, any>>;
    __pluginModule: Record<string, unknown>;
    __pluginDeps: string[];
    __bpfliveTestJsonData?: Record<string, unknown>;
  }
}
