#!/usr/bin/env node
/**
 * The test page's web server, standing in for Grafana's: serves the page, the host bundle
 * (tests/browser/dist/), the plugin build (dist/) and @grafana/ui's icons, and acts as Grafana's
 * datasource proxy for the datasource with uid "bpflive":
 *
 *   /api/datasources/proxy/uid/bpflive/<path>?<query>  →  <upstream>/<path>?<query>
 *
 * Status and body pass through. When the upstream does not answer, it replies like Grafana's proxy
 * (pkg/util/proxyutil/reverse_proxy.go errorHandler): 502 with an empty body, 504 on a timeout.
 *
 *   BPFLIVE_UPSTREAM=http://127.0.0.1:44322 PORT=0 node tests/browser/server.mjs
 */
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
export const DEFAULT_UPSTREAM = 'http://127.0.0.1:44322';
export const PROXY_PREFIX = '/api/datasources/proxy/uid/bpflive';
/** Grafana's default [dataproxy] timeout. */
const PROXY_TIMEOUT_MS = 30_000;

const STATIC = [
  ['/host/', join(HERE, 'dist')],
  ['/dist/', join(ROOT, 'dist')],
  ['/public/build/img/icons/', join(ROOT, 'node_modules', '@grafana', 'ui', 'dist', 'public', 'img', 'icons')],
];

const TYPES = {
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

async function serveFile(res, base, rel) {
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

async function proxy(req, res, upstream, log) {
  const url = new URL(req.url, 'http://x');
  const target = upstream.replace(/\/+$/, '') + (url.pathname.slice(PROXY_PREFIX.length) || '/') + url.search;
  const headers = {};
  for (const [k, v] of Object.entries(req.headers)) {
    // Grafana drops the browser's cookies and Authorization (it adds the datasource's own auth).
    if (!HOP_BY_HOP.has(k) && k !== 'cookie' && k !== 'authorization' && typeof v === 'string') {
      headers[k] = v;
    }
  }
  let body;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    const chunks = [];
    for await (const c of req) {
      chunks.push(c);
    }
    body = Buffer.concat(chunks);
  }
  let upstreamRes;
  try {
    upstreamRes = await fetch(target, {
      method: req.method,
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(PROXY_TIMEOUT_MS),
    });
  } catch (e) {
    const timedOut = e?.name === 'TimeoutError';
    log(`proxy ${req.method} ${target}: ${timedOut ? 'timed out' : 'failed'}: ${e?.cause?.code ?? e?.message}`);
    res.writeHead(timedOut ? 504 : 502).end();
    return;
  }
  const outHeaders = {};
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
 * Starts the server on 127.0.0.1. `upstream` may be changed later through the returned object.
 * @returns {Promise<{url: string, port: number, upstream: string, close: () => Promise<void>}>}
 */
export function startServer({
  upstream = process.env.BPFLIVE_UPSTREAM || DEFAULT_UPSTREAM,
  port = 0,
  log = () => {},
} = {}) {
  const state = { upstream };
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path === PROXY_PREFIX || path.startsWith(PROXY_PREFIX + '/')) {
      proxy(req, res, state.upstream, log).catch((e) => {
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
      const actual = server.address().port;
      resolve({
        url: `http://127.0.0.1:${actual}`,
        port: actual,
        get upstream() {
          return state.upstream;
        },
        set upstream(u) {
          state.upstream = u;
        },
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** A loopback port nothing listens on (bound, then released). */
export async function unusedPort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const s = await startServer({ port: Number(process.env.PORT ?? 0), log: (m) => console.error(m) });
  console.log(`bpflive test host on ${s.url}/ (datasource proxy → ${s.upstream})`);
}
