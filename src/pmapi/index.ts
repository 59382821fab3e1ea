export { PmapiClient } from './client';
export type { PmapiClientOptions } from './client';
export { PmapiError, isPmapiError, classifyHttpError } from './errors';
export type { PmapiErrorKind } from './errors';
export { backendSrvTransport, encodeQuery } from './transport';
export type { PmapiTransport } from './transport';
export * from './types';
