/**
 * @jest-environment ./tests/integration/environment.js
 */
/**
 * The integration tests' backendSrv enforces plugin.json's routes like Grafana's proxy: checked
 * here against a stand-in pmproxy on a loopback port, so no PCP stack is needed.
 */
import { createServer, IncomingMessage, Server } from 'http';
import { AddressInfo } from 'net';
import { lastValueFrom } from 'rxjs';
import { getBackendSrv } from '@grafana/runtime';
import { Role } from '../proxy/dataProxy';
import { clearProxyLog, installNodeBackendSrv, PROXY_PATH, proxyLog } from '../integration/nodeBackendSrv';

interface Seen {
  method: string;
  url: string;
  body: string;
  authorization?: string;
}

let server: Server;
let upstream = '';
const seen: Seen[] = [];
let role: Role = 'Editor';
let jsonData: Record<string, unknown> = {};

async function bodyOf(req: IncomingMessage) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
  }
  return body;
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    seen.push({
      method: req.method!,
      url: req.url!,
      body: await bodyOf(req),
      authorization: req.headers.authorization,
    });
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"success":true}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  upstream = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  installNodeBackendSrv(
    () => upstream,
    () => 'grafana:secret',
    { role: () => role, jsonData: () => jsonData }
  );
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

beforeEach(() => {
  seen.length = 0;
  clearProxyLog();
  role = 'Editor';
  jsonData = {};
});

async function send(method: string, path: string): Promise<number> {
  try {
    const res = await lastValueFrom(
      getBackendSrv().fetch({ url: `${PROXY_PATH}/${path}`, method, responseType: 'text' })
    );
    return res.status;
  } catch (e) {
    return (e as { status: number }).status;
  }
}

describe('nodeBackendSrv as Grafana’s datasource proxy', () => {
  it('forwards reads for everyone, with basic auth added on the "server" side', async () => {
    role = 'Anonymous';
    expect(await send('GET', 'pmapi/fetch?context=1&names=a')).toBe(200);
    expect(seen).toEqual([
      {
        method: 'GET',
        url: '/pmapi/fetch?context=1&names=a',
        body: '',
        authorization: `Basic ${btoa('grafana:secret')}`,
      },
    ]);
    expect(proxyLog).toEqual([
      {
        method: 'GET',
        path: 'pmapi/fetch?context=1&names=a',
        allowed: true,
        status: 200,
        target: `${upstream}/pmapi/fetch?context=1&names=a`,
        role: 'Anonymous',
      },
    ]);
  });

  it('sends control as a POST with an empty body to /pmapi/store, for Editors only', async () => {
    expect(await send('POST', 'control/store?context=1&name=bpftrace.control.stop&value=x')).toBe(200);
    expect(seen.map((s) => [s.method, s.url, s.body])).toEqual([
      ['POST', '/pmapi/store?context=1&name=bpftrace.control.stop&value=x', ''],
    ]);
    role = 'Viewer';
    seen.length = 0;
    expect(await send('POST', 'control/store?context=1&name=bpftrace.control.stop&value=x')).toBe(403);
    expect(seen).toEqual([]);
    expect(proxyLog.map((e) => [e.role, e.allowed, e.status])).toEqual([
      ['Editor', true, 200],
      ['Viewer', false, 403],
    ]);
  });

  it('lets Viewers control only when the datasource’s jsonData opts in', async () => {
    role = 'Viewer';
    expect(await send('POST', 'viewer-control/store?name=x&value=y')).toBe(200);
    jsonData = { allowViewersToRun: true };
    expect(await send('POST', 'viewer-control/store?name=x&value=y')).toBe(200);
    expect(seen.map((s) => s.url)).toEqual([
      '/pmapi/bpflive-viewers-may-not-run-scripts?name=x&value=y',
      '/pmapi/store?name=x&value=y',
    ]);
  });

  it('refuses what plugin.json does not list, before pmproxy sees it', async () => {
    role = 'Admin';
    for (const [method, path] of [
      ['GET', 'pmapi/store?name=x&value=y'],
      ['GET', 'control/store?name=x&value=y'],
      ['GET', 'pm%61pi/store?name=x'],
      ['POST', 'pmapi/fetch?names=a'],
      ['DELETE', 'control/store'],
      ['GET', 'series/load?expr=a'],
      ['POST', 'series/query?expr=a'],
    ]) {
      expect(await send(method, path)).toBe(403);
    }
    expect(seen).toEqual([]);
    expect(proxyLog.every((e) => !e.allowed && e.status === 403)).toBe(true);
  });
});
