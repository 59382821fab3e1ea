import { DataSourceJsonData } from '@grafana/data';
import { DataQuery } from '@grafana/schema';

/** One panel query: a bpftrace script and how to show it. */
export interface BpftraceQuery extends DataQuery {
  /** The bpftrace script, as the user wrote it. */
  code: string;
  /** Counters (count(), hist(), lhist()) as per-second rates; default true. */
  rate?: boolean;
  /** Series names, e.g. `$var $key` or `{{comm}}`-free `$key0 on $host`; default `@var[key]`. */
  legendFormat?: string;
}

export const DEFAULT_QUERY: Partial<BpftraceQuery> = {
  code: '',
};

/** Datasource settings (jsonData). URL and basic auth live in Grafana's own HTTP settings. */
export interface BpfliveOptions extends DataSourceJsonData {
  /** pmcd host as pmproxy reaches it; pmproxy's own host when empty. */
  hostspec?: string;
  /** Seconds between polls of pmproxy. The PMDA refreshes once a second, so at least 1. */
  pollIntervalSec?: number;
  /** How much history the browser keeps per series, e.g. `30m`, `2h`. */
  retention?: string;
}

export const DEFAULT_HOSTSPEC = 'localhost';
export const DEFAULT_POLL_INTERVAL_SEC = 1;
export const DEFAULT_RETENTION = '30m';
export const DEFAULT_URL = 'http://localhost:44322';
