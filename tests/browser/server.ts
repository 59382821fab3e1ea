#!/usr/bin/env node
/**
 * The test page's web server, standing in for Grafana's: serves the page, the host bundle
 * (tests/browser/dist/), the plugin build (dist/) and @grafana/ui's icons, and acts as Grafana's
 * datasource proxy for the datasource with uid "bpflive":
 *
 *   /api/datasources/proxy/uid/bpflive/<path>?<query>  →  the target plugin.json's routes give
 *
 * Like Grafana, it applies the plugin's routes first (tests/proxy/dataProxy.ts decides: role,
 * method, path, the datasource's jsonData, and the CSRF check on Origin): a refused request gets
 * Grafana's 403 {"message": …} and never reaches pmproxy. Status and body of forwarded requests
 * pass through. When the upstream does not answer, it replies like Grafana's proxy
 * (pkg/util/proxyutil/reverse_proxy.go errorHandler): 502 with an empty body, 504 on a timeout.
 *
 * The user's role: the cookie `bpflive_role` (Viewer, Editor, Admin, None or Anonymous), which
 * page.html sets from the page's `?role=` query, as Grafana knows the user from its session cookie;
 * without the cookie, `role` (BPFLIVE_ROLE, default Admin, the role page.html's boot data shows by
 * default). `Anonymous` is evaluated with `anonymousRole` (BPFLIVE_ANONYMOUS_ROLE, default Viewer).
 * The datasource's jsonData as the proxy sees it (route templates read allowViewersToRun):
 * `jsonData` (BPFLIVE_JSON_DATA as JSON), changeable through the returned object.
 *
 * Every proxy request is logged ({method, path, allowed, status, target, role}): `server.proxyLog`
 * in node, or GET /__proxy-log from anywhere (DELETE /__proxy-log clears it).
 *
 *   BPFLIVE_UPSTREAM=http://127.0.0.1:44322 PORT=0 npx ts-node -P tests/tsconfig.json tests/browser/server.ts
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { decide, OrgRole, ProxyRoute, Role } from '../proxy/dataProxy';

const HERE = __dirname;
const ROOT = join(HERE, '..', '..');
export const DEFAULT_UPSTREAM = 'http://127.0.0.1:44322';
export const PROXY_PREFIX = '/api/datasources/proxy/uid/bpflive';
/** Grafana's default [dataproxy] timeout. */
const PROXY_TIMEOUT_MS = 30_000;
export const ROLE_COOKIE = 'bpflive_role';
const ROLES: Role[] = ['None', 'Viewer', 'Editor', 'Admin', 'Anonymous'];
export const PROXY_LOG_PATH = '/__proxy-log';

/** The routes Grafana would load: the built plugin's plugin.json, else the source's. */
export function loadRoutes(): ProxyRoute[] {
  for (const file of [join(ROOT, 'dist', 'plugin.json'), join(ROOT, 'src', 'plugin.json')]) {
    if (existsSync(file)) {
      return JSON.parse(readFileSync(file, 'utf8')).routes ?? [];
    }
  }
  return [];
}

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) {
      return decodeURIComponent(v.join('='));
    }
  }
  return undefined;
}

const STATIC: Array<[string, string]> = [
  ['/host/', join(HERE, 'dist')],
  ['/dist/', join(ROOT, 'dist')],
  ['/public/build/img/icons/', join(ROOT, 'node_modules', '@grafana', 'ui', 'dist', 'public', 'img', 'icons')],
];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.md': 'text/plain; charset=utf-8',
};

/** Request and response headers a proxy must not forward (RFC 9110 §7.6.1), plus what fetch recomputes. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'host',
  'content-length',
  'content-encoding',
]);

async function serveFile(res: ServerResponse, base: string, rel: string): Promise<void> {
  const path = normalize(join(base, decodeURIComponent(rel)));
  if (path !== base && !path.startsWith(base + sep)) {
    res.writeHead(403).end();
    return;
  }
  try {
    const body = await readFile(path);
    res.writeHead(200, {
      'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream',
      'Cache-Control': 'no-store',
    });
    res.end(body);
  } catch {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found');
  }
}

/** One request the proxy saw: what the tests read from proxyLog. */
export interface ProxyLogEntry {
  method: string;
  path: string;
  allowed: boolean;
  status: number | undefined;
  target: string | undefined;
  role: string;
}

interface ServerState {
  upstream: string;
  role: string;
  anonymousRole: string;
  jsonData: Record<string, unknown>;
  routes: ProxyRoute[];
  basicAuth: string | undefined;
  proxyLog: ProxyLogEntry[];
}

type Log = (message: string) => void;

async function proxy(req: IncomingMessage, res: ServerResponse, state: ServerState, log: Log): Promise<void> {
  const role = cookieValue(req, ROLE_COOKIE) ?? state.role;
  const decision = decide({
    routes: state.routes,
    method: req.method!,
    url: req.url!,
    role: ROLES.includes(role as Role) ? (role as Role) : 'None',
    anonymousRole: state.anonymousRole as OrgRole,
    datasourceUrl: state.upstream,
    jsonData: state.jsonData,
    // A signed-in user's browser sends Grafana's login cookie; an anonymous one has none.
    csrf: { origin: req.headers.origin, host: req.headers.host ?? '', loginCookie: role !== 'Anonymous' },
  });
  const entry: ProxyLogEntry = {
    method: req.method!,
    path: req.url!.slice(PROXY_PREFIX.length).replace(/^\//, ''),
    allowed: decision.allowed,
    status: decision.status,
    target: decision.allowed ? decision.target : undefined,
    role,
  };
  state.proxyLog.push(entry);
  if (!decision.allowed) {
    log(`proxy ${req.method} ${req.url} as ${role}: ${decision.status} ${decision.message}`);
    res
      .writeHead(decision.status, { 'Content-Type': 'application/json' })
      .end(JSON.stringify({ message: decision.message }));
    return;
  }
  const target = decision.target;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    // Grafana drops the browser's cookies and Authorization (it adds the datasource's own auth).
    if (!HOP_BY_HOP.has(k) && k !== 'cookie' && k !== 'authorization' && typeof v === 'string') {
      headers[k] = v;
    }
  }
  if (state.basicAuth) {
    // The datasource's Basic auth, added on the server side as Grafana's proxy does. Spelled
    // "Authorization": pmproxy 6.0.3 matches the header name case-sensitively.
    headers.Authorization = `Basic ${Buffer.from(state.basicAuth).toString('base64')}`;
  }
  let body: Buffer | undefined;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    const chunks: Buffer[] = [];
    for await (const c of req) {
      chunks.push(c);
    }
    body = Buffer.concat(chunks);
  }
  let upstreamRes: Response;
  try {
    upstreamRes = await fetch(target, {
      method: req.method,
      headers,
      body: body as BodyInit | undefined,
      redirect: 'manual',
      signal: AbortSignal.timeout(PROXY_TIMEOUT_MS),
    });
  } catch (caught) {
    const e = caught as { name?: string; message?: string; cause?: { code?: string } };
    const timedOut = e?.name === 'TimeoutError';
    log(`proxy ${req.method} ${target}: ${timedOut ? 'timed out' : 'failed'}: ${e?.cause?.code ?? e?.message}`);
    entry.status = timedOut ? 504 : 502;
    res.writeHead(entry.status).end();
    return;
  }
  entry.status = upstreamRes.status;
  const outHeaders: Record<string, string> = {};
  upstreamRes.headers.forEach((v, k) => {
    if (!HOP_BY_HOP.has(k) && k !== 'set-cookie') {
      outHeaders[k] = v;
    }
  });
  const buf = Buffer.from(await upstreamRes.arrayBuffer());
  res.writeHead(upstreamRes.status, upstreamRes.statusText, outHeaders);
  res.end(buf);
}

/**
 * `user:password` of the stack's SASL user (scripts/pcp-stack.sh keeps it there, root only), or
 * undefined on a stack without authentication.
 */
function stackCredentials(): string | undefined {
  const file = process.env.BPFLIVE_PCP_CREDENTIALS_FILE || '/etc/pcp/bpflive/credentials';
  try {
    return readFileSync(file, 'utf8').split('\n')[0].trim() || undefined;
  } catch {
    return undefined;
  }
}

export interface ServerOptions {
  upstream?: string;
  port?: number;
  log?: Log;
  role?: string;
  anonymousRole?: string;
  jsonData?: Record<string, unknown>;
  routes?: ProxyRoute[];
  basicAuth?: string;
}

/** A running test server; `upstream`, `role`, `anonymousRole` and `jsonData` may be changed. */
export interface TestServer {
  url: string;
  port: number;
  upstream: string;
  role: string;
  anonymousRole: string;
  jsonData: Record<string, unknown>;
  proxyLog: ProxyLogEntry[];
  clearProxyLog(): void;
  close(): Promise<void>;
}

/** Starts the server on 127.0.0.1. */
export function startServer({
  upstream = process.env.BPFLIVE_UPSTREAM || DEFAULT_UPSTREAM,
  port = 0,
  log = () => {},
  role = process.env.BPFLIVE_ROLE || 'Admin',
  anonymousRole = process.env.BPFLIVE_ANONYMOUS_ROLE || 'Viewer',
  jsonData = process.env.BPFLIVE_JSON_DATA ? JSON.parse(process.env.BPFLIVE_JSON_DATA) : {},
  routes = loadRoutes(),
  basicAuth = stackCredentials(),
}: ServerOptions = {}): Promise<TestServer> {
  const state: ServerState = { upstream, role, anonymousRole, jsonData, routes, basicAuth, proxyLog: [] };
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === PROXY_LOG_PATH) {
      if (req.method === 'DELETE') {
        state.proxyLog.length = 0;
        res.writeHead(204).end();
      } else {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
        res.end(JSON.stringify(state.proxyLog));
      }
      return;
    }
    if (path === PROXY_PREFIX || path.startsWith(PROXY_PREFIX + '/')) {
      proxy(req, res, state, log).catch((e) => {
        log(`proxy error: ${e?.stack ?? e}`);
        if (!res.headersSent) {
          res.writeHead(502);
        }
        res.end();
      });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    if (path === '/' || path === '/index.html') {
      serveFile(res, HERE, 'page.html');
      return;
    }
    for (const [prefix, base] of STATIC) {
      if (path.startsWith(prefix)) {
        serveFile(res, base, path.slice(prefix.length));
        return;
      }
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found');
  });
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const actual = (server.address() as AddressInfo).port;
      resolve({
        url: `http://127.0.0.1:${actual}`,
        port: actual,
        get upstream() {
          return state.upstream;
        },
        set upstream(u) {
          state.upstream = u;
        },
        get role() {
          return state.role;
        },
        set role(r) {
          state.role = r;
        },
        get anonymousRole() {
          return state.anonymousRole;
        },
        set anonymousRole(r) {
          state.anonymousRole = r;
        },
        get jsonData() {
          return state.jsonData;
        },
        set jsonData(j) {
          state.jsonData = j;
        },
        proxyLog: state.proxyLog,
        clearProxyLog: () => {
          state.proxyLog.length = 0;
        },
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** A loopback port nothing listens on (bound, then released). */
export async function unusedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

if (require.main === module) {
  startServer({ port: Number(process.env.PORT ?? 0), log: (m) => console.error(m) }).then((s) =>
    console.log(`bpflive test host on ${s.url}/ (datasource proxy → ${s.upstream}, default role ${s.role})`)
  );
}
