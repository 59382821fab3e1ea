import { PmapiClient } from './client';
import { CONTROL_PATHS } from './request';
import { SeriesClient, SeriesClientOptions } from './series';
import { backendSrvTransport } from './transport';

/**
 * Which of the plugin's control routes (plugin.json) this browser session may send stores to:
 * `editor` for Editors and Admins, `viewer` for Viewers when an Admin allowed it; none, and the
 * client sends no store at all.
 */
export type ControlRoute = keyof typeof CONTROL_PATHS;

export interface ProxyClientOptions {
  /** pmcd host as pmproxy should reach it. */
  hostspec: string;
  /** The datasource's poll interval: pmproxy's context timeout is sized from it. */
  pollIntervalMs: number;
  control?: ControlRoute;
}

/**
 * A pmproxy client that goes through Grafana's datasource proxy (`proxyUrl` is the datasource's
 * own URL in access mode "proxy"), so Grafana adds the credentials and enforces the routes.
 */
export function proxyClient(proxyUrl: string, options: ProxyClientOptions): PmapiClient {
  return new PmapiClient(backendSrvTransport(proxyUrl), {
    hostspec: options.hostspec,
    // pmproxy drops a context nobody used for this long: ten ticks, and never under 30 s.
    polltimeoutSec: Math.max(30, Math.ceil((options.pollIntervalMs * 10) / 1000)),
    controlPath: options.control && CONTROL_PATHS[options.control],
  });
}

/** The series store's client through Grafana's datasource proxy (plugin.json routes series/* GET). */
export function proxySeriesClient(proxyUrl: string, options?: SeriesClientOptions): SeriesClient {
  return new SeriesClient(backendSrvTransport(proxyUrl), options);
}
