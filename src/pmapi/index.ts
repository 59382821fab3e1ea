export { PmapiClient } from './client';
export type { PmapiClientOptions } from './client';
export { PmapiError, isPmapiError, classifyHttpError } from './errors';
export type { PmapiErrorKind } from './errors';
export { backendSrvTransport } from './transport';
export { PAGE_ASLEEP_MS, sleptPast } from './asleep';
export { proxyClient, proxySeriesClient } from './proxyClient';
export { SeriesClient, seriesString } from './series';
export type {
  SeriesClientOptions,
  SeriesDesc,
  SeriesInstance,
  SeriesLabels,
  SeriesSample,
  SeriesWindow,
} from './series';
export type { ControlRoute, ProxyClientOptions } from './proxyClient';
export { CONTROL_PATHS, encodeQuery } from './request';
export type { PmapiTransport } from './request';
export * from './types';
