import { BackendSrv, FetchResponse, setBackendSrv } from '@grafana/runtime';
import { Observable } from 'rxjs';

import { isPmapiError } from './errors';
import { backendSrvTransport, REQUEST_TIMEOUT_MS } from './transport';

/**
 * A backendSrv whose requests answer when the test says (or never), and which records when a
 * request is dropped: Grafana's backendSrv aborts the HTTP request when its Observable is
 * unsubscribed.
 */
function fakeBackendSrv() {
  const requests: Array<{ url: string; answer: (body: string) => void; aborted: boolean }> = [];
  const fetch = (options: { url: string }) =>
    new Observable<FetchResponse<string>>((subscriber) => {
      const request = {
        url: options.url,
        aborted: false,
        answer: (body: string) => {
          subscriber.next({ data: body, status: 200, ok: true } as FetchResponse<string>);
          subscriber.complete();
        },
      };
      requests.push(request);
      return () => {
        request.aborted = true;
      };
    });
  setBackendSrv({ fetch } as unknown as BackendSrv);
  return requests;
}

describe('backendSrvTransport', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('a request pmproxy never answers fails as unreachable, saying how long it waited, and is aborted', async () => {
    const requests = fakeBackendSrv();
    const transport = backendSrvTransport('/api/datasources/proxy/uid/x');
    const outcome = transport('/pmapi/fetch', 'names=a').then(
      () => 'answered',
      (e: unknown) => e
    );
    await jest.advanceTimersByTimeAsync(REQUEST_TIMEOUT_MS - 1);
    expect(requests[0].aborted).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    const error = await outcome;
    expect(isPmapiError(error, 'unreachable')).toBe(true);
    expect((error as Error).message).toBe(`no answer in ${REQUEST_TIMEOUT_MS / 1000} s`);
    expect(requests[0].aborted).toBe(true);
  });

  it('a timeout that fires on waking (the page was asleep) is no verdict on pmproxy: interrupted, saying how long', async () => {
    const requests = fakeBackendSrv();
    const transport = backendSrvTransport('/api/datasources/proxy/uid/x');
    const outcome = transport('/pmapi/fetch', 'names=a').then(
      () => 'answered',
      (e: unknown) => e
    );
    // The computer sleeps for two minutes: the wall clock moves on, and no timer runs meanwhile.
    jest.setSystemTime(Date.now() + 120_000);
    await jest.advanceTimersByTimeAsync(REQUEST_TIMEOUT_MS);
    const error = await outcome;
    expect(isPmapiError(error, 'interrupted')).toBe(true);
    expect((error as Error).message).toBe('this page was asleep for 120 s');
    expect(requests[0].aborted).toBe(true);
  });

  it('a slow answer inside the limit is the answer', async () => {
    const requests = fakeBackendSrv();
    const transport = backendSrvTransport('/api/datasources/proxy/uid/x', 5000);
    const outcome = transport('/pmapi/context', 'hostspec=h');
    await jest.advanceTimersByTimeAsync(4999);
    requests[0].answer('{"context":1}');
    await expect(outcome).resolves.toBe('{"context":1}');
    expect(requests[0].url).toBe('/api/datasources/proxy/uid/x/pmapi/context?hostspec=h');
  });
});
