export { PmapiClient } from './client';
export type { PmapiClientOptions } from './client';
export { PmapiError, isPmapiError, classifyHttpError } from './errors';
export type { PmapiErrorKind } from './errors';
export { backendSrvTransport } from './transport';
export { CONTROL_PATHS, encodeQuery } from './request';
export type { PmapiTransport } from './request';
export * from './types';
