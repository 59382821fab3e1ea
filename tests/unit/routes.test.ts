/**
 * plugin.json's routes are the only server-side gate between a browser and a bpftrace that runs
 * as root: bpflive has no backend. These tests run every request bpflive sends, and a list of
 * hostile ones, through an emulator of Grafana's datasource proxy (tests/proxy/dataProxy.ts) and
 * of pmproxy's dispatch (tests/proxy/pmproxyDispatch.ts), for every role, with the Viewers'
 * opt-in off and on, and assert what each request ends up doing. The last block checks the
 * emulator itself against what Grafana's source does.
 */
import pluginJson from '../../src/plugin.json';
import {
  cleanRelativePath,
  decide,
  escapedPath,
  interpolate,
  parseRequestTarget,
  proxyUrl,
  ProxyRequest,
  ProxyRoute,
  Role,
  ROUTE_DENIED,
  ORIGIN_NOT_ALLOWED,
} from '../proxy/dataProxy';
import { pmproxyHandler } from '../proxy/pmproxyDispatch';

const ROUTES: ProxyRoute[] = pluginJson.routes;
const PMPROXY = 'http://127.0.0.1:44322';
const ROLES: Role[] = ['Anonymous', 'Viewer', 'Editor', 'Admin'];
const UNLISTED_ACTION = 'bpflive-bpftrace-datasource.proxy:unlisted-path';
const READS = ['context', 'fetch', 'metric', 'indom', 'children'];
/** The series store's reads (pmapi/series.ts); /series/load, sources and ping stay unrouted. */
const SERIES_READS = ['query', 'values', 'labels', 'descs', 'instances', 'metrics'];
/** Every handler a Viewer's read may reach. */
const READ_HANDLERS = [...READS.map((r) => `pmapi/${r}`), ...SERIES_READS.map((r) => `series/${r}`)];

/** What a request ends up doing: '403', '400', or the pmproxy handler it reaches. */
function outcome(
  method: string,
  path: string,
  role: Role,
  allowViewersToRun: boolean,
  extra: Partial<ProxyRequest> = {}
) {
  const d = decide({
    routes: ROUTES,
    method,
    url: proxyUrl(path),
    role,
    anonymousRole: 'Viewer',
    datasourceUrl: PMPROXY,
    jsonData: { allowViewersToRun },
    ...extra,
  });
  if (!d.allowed) {
    return String(d.status);
  }
  expect(d.templateError).toBeUndefined();
  return pmproxyHandler(d.target);
}

type Expect = 'read' | 'control' | 'viewer-control' | 'denied';

/** The outcome a category of request must have for `role`, with the opt-in off or on. */
function expected(kind: Expect, handler: string, role: Role, optIn: boolean): string {
  switch (kind) {
    case 'read':
      return handler;
    case 'control':
      return role === 'Editor' || role === 'Admin' ? 'pmapi/store' : '403';
    case 'viewer-control':
      // Everyone from Viewer up passes Grafana; only the Admin's opt-in makes the target real.
      return optIn ? 'pmapi/store' : 'no handler';
    case 'denied':
      return '403';
  }
}

const STORE_QUERY =
  'context=7&name=bpftrace.control.register&value=tracepoint%3Araw_syscalls%3Asys_enter%20%7B%20%40n%20%3D%20count()%3B%20%7D';

/** [method, path relative to the proxy URL, category, pmproxy handler for allowed reads]. */
const CASES: Array<[string, string, Expect, string?]> = [
  // What bpflive sends.
  ['GET', 'pmapi/context?hostspec=localhost&polltimeout=30', 'read', 'pmapi/context'],
  ['GET', 'pmapi/fetch?context=7&names=bpftrace.info.scripts_json', 'read', 'pmapi/fetch'],
  ['GET', 'pmapi/metric?context=7&names=bpftrace.control.register', 'read', 'pmapi/metric'],
  ['GET', 'pmapi/indom?context=7&name=bpftrace.info.scripts', 'read', 'pmapi/indom'],
  ['GET', 'pmapi/children?context=7&prefix=bpftrace.scripts', 'read', 'pmapi/children'],
  ['POST', `control/store?${STORE_QUERY}`, 'control'],
  ['POST', `viewer-control/store?${STORE_QUERY}`, 'viewer-control'],
  ['GET', 'series/query?expr=kernel.all.load%7Bhostname%3D%3D%22db1%22%7D', 'read', 'series/query'],
  [
    'GET',
    'series/query?expr=kernel.all.load%5Bstart%3A1796330620.000%2Cfinish%3A1796330625.000%5D',
    'read',
    'series/query',
  ],
  [
    'GET',
    'series/values?series=87c82bbaf66128838b7d33a2fd9867187d7d98c5&start=1796330620.000',
    'read',
    'series/values',
  ],
  ['GET', 'series/labels?names=hostname', 'read', 'series/labels'],
  ['GET', 'series/descs?series=87c82bbaf66128838b7d33a2fd9867187d7d98c5', 'read', 'series/descs'],
  ['GET', 'series/instances?series=87c82bbaf66128838b7d33a2fd9867187d7d98c5', 'read', 'series/instances'],
  ['GET', 'series/metrics?match=bpftrace.*', 'read', 'series/metrics'],
  // Odd spellings that still reach only the route's own command.
  ['GET', 'pmapi/fetch/%2e%2e/store?x=1', 'read', 'pmapi/fetch'],
  ['GET', 'pmapi/fetch%2f..%2fstore', 'read', 'pmapi/fetch'],
  ['GET', 'pmapi/fetchstore', 'read', 'pmapi/fetch'],
  ['GET', 'pmapi/metrics', 'read', 'pmapi/metric'], // not the OpenMetrics scrape: the target is /pmapi/metric/s
  ['POST', 'control/storeX', 'control'], // Editors only, and still a store
  ['GET', 'series/values%2f..%2fload?expr=x', 'read', 'series/values'], // pmproxy picks commands by prefix
  ['GET', 'series/queryload', 'read', 'series/query'],
  // Hostile: other pmproxy endpoints, other methods, path tricks.
  ['GET', `pmapi/store?${STORE_QUERY}`, 'denied'],
  ['POST', `pmapi/store?${STORE_QUERY}`, 'denied'],
  ['GET', `control/store?${STORE_QUERY}`, 'denied'], // a GET control would be a CSRF hole
  ['HEAD', `control/store?${STORE_QUERY}`, 'denied'],
  ['OPTIONS', 'control/store', 'denied'],
  ['TRACE', 'control/store', 'denied'],
  ['GET', `viewer-control/store?${STORE_QUERY}`, 'denied'],
  ['PUT', `control/store?${STORE_QUERY}`, 'denied'],
  ['DELETE', 'control/store', 'denied'],
  ['PATCH', 'viewer-control/store', 'denied'],
  ['POST', 'pmapi/fetch?names=x', 'denied'],
  ['PUT', 'pmapi/fetch?names=x', 'denied'],
  ['DELETE', 'pmapi/context', 'denied'],
  ['HEAD', 'pmapi/fetch?names=x', 'denied'],
  ['GET', 'pmapi/derive?name=x&expr=y', 'denied'],
  ['POST', 'pmapi/derive?name=x&expr=y', 'denied'],
  ['GET', 'pmapi/profile?context=7', 'denied'],
  ['GET', 'pmapi/_store?name=x&value=y', 'denied'],
  ['GET', 'pmapi/123/store?name=x&value=y', 'denied'],
  ['GET', 'pmapi/123/fetch?names=x', 'denied'],
  ['GET', 'pmapi/fetch/../store?name=x&value=y', 'denied'],
  ['GET', 'pmapi/fetch/../../pmapi/store?name=x', 'denied'],
  ['POST', 'control/store/../../pmapi/store?name=x', 'denied'],
  ['POST', 'control/%2e%2e/pmapi/store?name=x', 'denied'],
  ['GET', '%2e%2e/pmapi/store?name=x', 'denied'],
  ['GET', 'pm%61pi/store?name=x&value=y', 'denied'],
  ['GET', '%70mapi/store?name=x&value=y', 'denied'],
  ['POST', '%63ontrol/store?name=x', 'denied'],
  ['GET', 'pmapi%2fstore?name=x', 'denied'],
  ['GET', '//pmapi/store?name=x', 'denied'],
  ['GET', './pmapi/store?name=x', 'denied'],
  ['GET', 'PMAPI/STORE', 'denied'],
  ['GET', 'metrics', 'denied'],
  ['GET', 'metrics?names=bpftrace', 'denied'],
  ['GET', 'series/sources?match=*', 'denied'],
  ['GET', 'series/load?expr=%7Bsource.path%3A%22%2Fetc%22%7D', 'denied'], // loads archives into the store
  ['POST', 'series/load', 'denied'],
  ['POST', 'series/query', 'denied'],
  ['POST', 'series/values', 'denied'],
  ['GET', 'series/ping', 'denied'],
  ['GET', 'series/values/../load?expr=x', 'denied'],
  ['GET', 'series/query/../../series/load?expr=x', 'denied'],
  ['GET', 'series/%6coad?expr=x', 'denied'],
  ['GET', 'series%2fload?expr=x', 'denied'],
  ['GET', 'SERIES/LOAD', 'denied'],
  ['GET', 'search/text?query=bpftrace', 'denied'],
  ['GET', 'logger/label?x=1', 'denied'],
  ['GET', '', 'denied'],
  ['GET', '.hidden', 'denied'],
  ['GET', '~x', 'denied'],
  ['POST', 'control', 'denied'],
  ['POST', 'control/stor', 'denied'],
  ['POST', 'viewer-control', 'denied'],
];

describe('route table: every request × role × Viewers opt-in', () => {
  it('ends where it must: reads for all, control for Editors and Admins, the opt-in for Viewers, nothing else', () => {
    const actual = CASES.map(([method, path]) => ({
      request: `${method} ${path}`,
      off: Object.fromEntries(ROLES.map((r) => [r, outcome(method, path, r, false)])),
      on: Object.fromEntries(ROLES.map((r) => [r, outcome(method, path, r, true)])),
    }));
    const wanted = CASES.map(([method, path, kind, handler]) => ({
      request: `${method} ${path}`,
      off: Object.fromEntries(ROLES.map((r) => [r, expected(kind, handler ?? '', r, false)])),
      on: Object.fromEntries(ROLES.map((r) => [r, expected(kind, handler ?? '', r, true)])),
    }));
    expect(actual).toEqual(wanted);
  });

  it('sends each route to its own pmproxy path and keeps the query', () => {
    const target = (method: string, path: string, role: Role, optIn = false) => {
      const d = decide({
        routes: ROUTES,
        method,
        url: proxyUrl(path),
        role,
        datasourceUrl: PMPROXY,
        jsonData: { allowViewersToRun: optIn },
      });
      return d.allowed ? d.target : `${d.status} ${d.message}`;
    };
    expect(target('POST', `control/store?${STORE_QUERY}`, 'Editor')).toBe(`${PMPROXY}/pmapi/store?${STORE_QUERY}`);
    expect(target('POST', `viewer-control/store?${STORE_QUERY}`, 'Viewer', true)).toBe(
      `${PMPROXY}/pmapi/store?${STORE_QUERY}`
    );
    expect(target('POST', `viewer-control/store?${STORE_QUERY}`, 'Viewer', false)).toBe(
      `${PMPROXY}/pmapi/bpflive-viewers-may-not-run-scripts?${STORE_QUERY}`
    );
    for (const r of READS) {
      expect(target('GET', `pmapi/${r}?context=7&names=a,b`, 'Anonymous')).toBe(
        `${PMPROXY}/pmapi/${r}?context=7&names=a,b`
      );
    }
    for (const r of SERIES_READS) {
      expect(target('GET', `series/${r}?series=a,b&start=1.000`, 'Viewer')).toBe(
        `${PMPROXY}/series/${r}?series=a,b&start=1.000`
      );
    }
    expect(target('POST', `control/store?${STORE_QUERY}`, 'Viewer')).toBe(`403 ${ROUTE_DENIED}`);
    // A datasource URL with a path of its own (pmproxy behind a reverse proxy).
    const d = decide({
      routes: ROUTES,
      method: 'GET',
      url: proxyUrl('pmapi/fetch?names=x'),
      role: 'Viewer',
      datasourceUrl: 'https://gw.example/pcp',
    });
    expect(d.allowed && d.target).toBe('https://gw.example/pcp/pmapi/fetch?names=x');
  });

  it('refuses even Admins the unlisted paths, and an anonymous Admin may control', () => {
    expect(outcome('GET', `pmapi/store?${STORE_QUERY}`, 'Admin', true)).toBe('403');
    // Grafana's anonymous role decides for users who are not signed in: never make it Editor or Admin.
    expect(outcome('POST', `control/store?${STORE_QUERY}`, 'Anonymous', false, { anonymousRole: 'Admin' })).toBe(
      'pmapi/store'
    );
    expect(outcome('POST', `control/store?${STORE_QUERY}`, 'Anonymous', false, { anonymousRole: 'Editor' })).toBe(
      'pmapi/store'
    );
    expect(outcome('POST', `control/store?${STORE_QUERY}`, 'None', false)).toBe('403');
    expect(outcome('GET', 'pmapi/fetch?names=x', 'None', false)).toBe('403');
  });

  it('on a Grafana that ignores reqAction, Admins pass the catch-all but land on a dead path', () => {
    for (const [method, path] of [
      ['GET', `pmapi/store?${STORE_QUERY}`],
      ['GET', 'pm%61pi/store?name=x'],
      ['GET', 'series/load?expr=x'],
      ['GET', 'metrics'],
      ['GET', ''],
    ]) {
      expect(outcome(method, path, 'Admin', true, { honorReqAction: false })).toBe('no handler');
      expect(outcome(method, path, 'Editor', true, { honorReqAction: false })).toBe('403');
    }
  });

  it('leaves no first character of a path unguarded, for any method or role', () => {
    const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND'];
    const leaks: string[] = [];
    for (let byte = 0; byte < 256; byte++) {
      const ch = String.fromCharCode(byte);
      // As a client may send it: literally when Go would keep it, else percent-escaped.
      const first = /[A-Za-z0-9\-_.~!$&'()*+,;=:@[\]]/.test(ch) ? ch : `%${byte.toString(16).padStart(2, '0')}`;
      for (const rest of ['pmapi/store?name=x&value=y', 'series/load', 'x']) {
        for (const method of methods) {
          for (const role of ['Admin', 'Anonymous'] as Role[]) {
            const out = outcome(method, first + rest, role, true);
            if (out !== '403' && out !== '400') {
              leaks.push(`${method} ${first}${rest} as ${role} → ${out}`);
            }
          }
        }
      }
    }
    expect(leaks).toEqual([]);
  });

  it('lets no combination of path pieces reach more than the role may do', () => {
    const pieces = [
      'pmapi',
      'control',
      'viewer-control',
      'store',
      'fetch',
      'metrics',
      'series',
      'load',
      'query',
      '..',
      '.',
      '%2e%2e',
      '%2f',
      '',
      'pm%61pi',
      '123',
      '_store',
    ];
    const mayReach: Record<Role, string[]> = {
      Anonymous: READ_HANDLERS.concat('no handler'),
      Viewer: READ_HANDLERS.concat('no handler'),
      None: ['no handler'],
      Editor: READ_HANDLERS.concat('no handler', 'pmapi/store'),
      Admin: READ_HANDLERS.concat('no handler', 'pmapi/store'),
    };
    const leaks: string[] = [];
    let checked = 0;
    for (const a of pieces) {
      for (const b of pieces) {
        for (const c of pieces) {
          const path = [a, b, c].join('/');
          for (const method of ['GET', 'POST', 'HEAD', 'PUT']) {
            for (const role of ROLES) {
              const out = outcome(method, path, role, false);
              checked++;
              if (out !== '403' && out !== '400' && !mayReach[role].includes(out)) {
                leaks.push(`${method} ${path} as ${role} → ${out}`);
              }
            }
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(50_000);
    expect(leaks).toEqual([]);
  });
});

describe('plugin.json routes', () => {
  const allowing = ROUTES.filter((r) => !r.reqAction);
  const denying = ROUTES.filter((r) => r.reqAction);

  it('every route names its method; reads GET only, control POST only', () => {
    for (const r of ROUTES) {
      expect(typeof r.method).toBe('string');
      expect(r.method).not.toBe('');
    }
    expect(allowing.map((r) => [r.method, r.path, r.reqRole])).toEqual([
      ...READS.map((c) => ['GET', `pmapi/${c}`, 'Viewer']),
      ...SERIES_READS.map((c) => ['GET', `series/${c}`, 'Viewer']),
      ['POST', 'control/store', 'Editor'],
      ['POST', 'viewer-control/store', 'Viewer'],
    ]);
  });

  it('lists the allowed routes first, then the catch-alls, with path "" last', () => {
    const firstDeny = ROUTES.findIndex((r) => r.reqAction);
    expect(ROUTES.slice(firstDeny).every((r) => r.reqAction)).toBe(true);
    expect(ROUTES[ROUTES.length - 1].path).toBe('');
    for (const r of denying) {
      expect(r).toEqual({
        path: r.path,
        method: '*',
        url: '{{ .URL }}/bpflive-unlisted-path',
        reqRole: 'Admin',
        reqAction: UNLISTED_ACTION,
      });
    }
  });

  it('has one catch-all per character a cleaned raw proxy path can start with, since "" alone matches only the root', () => {
    // Go's EscapedPath keeps these unescaped; every other byte arrives as %XX; "/" and "." are
    // removed by cleaning or caught by "" (which cleans to ".").
    const starts = [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_~!$&'()*+,;=:@[]%"];
    expect(denying.map((r) => r.path).sort()).toEqual([...starts, ''].sort());
  });

  it('makes the Viewers route real only when the Admin set a true allowViewersToRun', () => {
    const url = ROUTES.find((r) => r.path === 'viewer-control/store')!.url!;
    const run = (jsonData: Record<string, unknown>) => interpolate(url, { URL: PMPROXY, JsonData: jsonData });
    expect(run({ allowViewersToRun: true })).toBe(`${PMPROXY}/pmapi/store`);
    expect(run({ allowViewersToRun: false })).toBe(`${PMPROXY}/pmapi/bpflive-viewers-may-not-run-scripts`);
    expect(run({})).toBe(`${PMPROXY}/pmapi/bpflive-viewers-may-not-run-scripts`);
    // Go templates: any non-empty string is true. The config page stores booleans and warns otherwise.
    expect(run({ allowViewersToRun: 'false' })).toBe(`${PMPROXY}/pmapi/store`);
    expect(pmproxyHandler(run({}))).toBe('no handler');
  });
});

describe('CSRF (Grafana middleware) in front of the routes', () => {
  const csrfOutcome = (method: string, path: string, origin: string | undefined, loginCookie = true) =>
    outcome(method, path, 'Editor', false, { csrf: { origin, host: 'grafana.example:3000', loginCookie } });

  it('refuses a cross-site POST that carries the login cookie', () => {
    expect(csrfOutcome('POST', `control/store?${STORE_QUERY}`, 'https://evil.example')).toBe('403');
    expect(csrfOutcome('POST', `control/store?${STORE_QUERY}`, 'null')).toBe('403');
    expect(csrfOutcome('POST', `control/store?${STORE_QUERY}`, 'http://grafana.example:3000')).toBe('pmapi/store');
  });

  it('ignores the port, as Grafana does: another port of the same host passes', () => {
    expect(csrfOutcome('POST', `control/store?${STORE_QUERY}`, 'http://grafana.example:8080')).toBe('pmapi/store');
  });

  it('cannot protect a GET a browser sends without Origin, which is why control is POST only', () => {
    expect(csrfOutcome('GET', `pmapi/fetch?names=x`, undefined)).toBe('pmapi/fetch');
    expect(csrfOutcome('GET', `control/store?${STORE_QUERY}`, undefined)).toBe('403');
  });
});

describe('the emulator follows Grafana', () => {
  const base = { datasourceUrl: 'http://up:1', role: 'Viewer' as Role };

  it('first matching route decides; a later, more generous one is never tried', () => {
    const routes = [
      { path: 'a', method: 'GET', reqRole: 'Admin' },
      { path: 'a', method: 'GET' },
    ];
    expect(decide({ ...base, routes, method: 'GET', url: proxyUrl('a/b') })).toMatchObject({
      allowed: false,
      status: 403,
      message: ROUTE_DENIED,
    });
    expect(decide({ ...base, routes, method: 'GET', url: proxyUrl('a/b'), role: 'Admin' }).allowed).toBe(true);
  });

  it('forwards a request that matches no route, with no role check, when there is no catch-all', () => {
    const routes = [{ path: 'x', method: 'GET', reqRole: 'Admin' }];
    const d = decide({ ...base, routes, method: 'DELETE', url: proxyUrl('pmapi/store?name=a'), role: 'Anonymous' });
    expect(d).toMatchObject({ allowed: true, target: 'http://up:1/pmapi/store?name=a', route: undefined });
  });

  it('matches a method of "", "*" or exactly the request\'s; never a list, never another case', () => {
    const d = (method: string, routeMethod: string) =>
      decide({ ...base, routes: [{ path: 'x', method: routeMethod, reqRole: 'Admin' }], method, url: proxyUrl('x') })
        .allowed;
    expect(d('GET', '')).toBe(false);
    expect(d('PATCH', '*')).toBe(false);
    expect(d('GET', 'GET')).toBe(false);
    expect(d('GET', 'GET,POST')).toBe(true);
    expect(d('GET', 'get')).toBe(true);
  });

  it('cleans both paths before the prefix test, so "" (→ ".") matches only the root and dot paths', () => {
    expect(cleanRelativePath('')).toBe('.');
    expect(cleanRelativePath('/')).toBe('.');
    expect(cleanRelativePath('pmapi/fetch/../store')).toBe('pmapi/store');
    expect(cleanRelativePath('//a/./b/')).toBe('a/b');
    expect(cleanRelativePath('../../etc')).toBe('etc');
    const routes = [{ path: '', method: '*', reqRole: 'Admin' }];
    const allowed = (p: string) => decide({ ...base, routes, method: 'GET', url: proxyUrl(p) }).allowed;
    expect(allowed('')).toBe(false);
    expect(allowed('.x')).toBe(false);
    expect(allowed('pmapi/store')).toBe(true);
  });

  it('strips route.path from the RAW proxy path for the target and keeps the query', () => {
    const routes = [{ path: 'api', method: 'GET', url: '{{ .URL }}/v1' }];
    expect(decide({ ...base, routes, method: 'GET', url: proxyUrl('api/q?x=1&y=%20') })).toMatchObject({
      target: 'http://up:1/v1/q?x=1&y=%20',
    });
    // The proxy path stays raw: a percent-escape is not decoded before matching.
    expect(decide({ ...base, routes, method: 'GET', url: proxyUrl('%61pi/q') })).toMatchObject({
      target: 'http://up:1/%61pi/q',
      route: undefined,
    });
  });

  it('decides reqAction alone when present; reqRole is the fallback where reqAction is ignored', () => {
    const routes = [{ path: 'x', method: '*', reqRole: 'Viewer', reqAction: 'p.a:b' }];
    const r = (extra: Partial<ProxyRequest>) =>
      decide({ ...base, routes, method: 'GET', url: proxyUrl('x'), ...extra }).allowed;
    expect(r({ role: 'Admin' })).toBe(false);
    expect(r({ role: 'Viewer', grantedActions: ['p.a:b'] })).toBe(true);
    expect(r({ role: 'Viewer', honorReqAction: false })).toBe(true);
    expect(r({ role: 'None', honorReqAction: false })).toBe(false);
  });

  it('reads reqRole case-insensitively, Admin ⊇ Editor ⊇ Viewer, anonymous users with the anonymous role', () => {
    const routes = [{ path: 'x', method: '*', reqRole: 'editor' }];
    const r = (role: Role, anonymousRole?: 'Viewer' | 'Editor' | 'Admin') =>
      decide({ ...base, routes, method: 'GET', url: proxyUrl('x'), role, anonymousRole }).allowed;
    expect([r('Viewer'), r('Editor'), r('Admin'), r('Anonymous'), r('Anonymous', 'Editor')]).toEqual([
      false,
      true,
      true,
      false,
      true,
    ]);
  });

  it('executes route templates like Go: .URL, .JsonData, if/else/end, <no value>', () => {
    const data = { URL: 'http://h:1', JsonData: { a: 'x', on: true, n: 0 }, SecureJsonData: { k: 's' } };
    expect(interpolate('{{ .URL }}/p/{{ .JsonData.a }}/{{.SecureJsonData.k}}', data)).toBe('http://h:1/p/x/s');
    expect(interpolate('{{ if .JsonData.on }}yes{{ else }}no{{ end }}', data)).toBe('yes');
    expect(interpolate('{{ if .JsonData.n }}yes{{ else }}no{{ end }}', data)).toBe('no');
    expect(interpolate('{{ if .JsonData.missing }}yes{{ end }}!', data)).toBe('!');
    expect(interpolate('{{ .JsonData.missing }}', data)).toBe('<no value>');
    expect(interpolate('a {{- if .JsonData.on -}} b {{- end }}', data)).toBe('ab');
    expect(() => interpolate('{{ .Other }}', data)).toThrow(/unsupported/);
    // A template Grafana cannot execute: it logs and forwards to the datasource URL + raw path.
    const d = decide({
      ...base,
      routes: [{ path: 'a', method: 'GET', url: '{{ .Nope }}/z' }],
      method: 'GET',
      url: proxyUrl('a/b'),
    });
    expect(d).toMatchObject({ allowed: true, target: 'http://up:1/a/b' });
    expect(d.allowed && d.templateError).toMatch(/unsupported/);
  });

  it('parses request targets like Go: escapes kept when valid, re-escaped otherwise, bad ones refused', () => {
    const ep = (t: string) => {
      const p = parseRequestTarget(t);
      return escapedPath(p.path, p.rawPath);
    };
    expect(ep('/a/pm%61pi')).toBe('/a/pm%61pi');
    expect(ep('/a b/%61')).toBe('/a%20b/a');
    expect(ep('/é')).toBe('/%C3%A9');
    expect(decide({ ...base, routes: [], method: 'GET', url: proxyUrl('%zz') })).toMatchObject({ status: 400 });
  });

  it('checks CSRF only with a login cookie and an Origin, never for HEAD, OPTIONS, TRACE', () => {
    const r = (method: string, origin: string | undefined, loginCookie: boolean) => {
      const d = decide({
        ...base,
        routes: [],
        method,
        url: proxyUrl('x'),
        csrf: { origin, host: 'g:3000', loginCookie },
      });
      return d.allowed ? 'ok' : d.message;
    };
    expect(r('POST', 'https://evil', true)).toBe(ORIGIN_NOT_ALLOWED);
    expect(r('GET', 'https://evil', true)).toBe(ORIGIN_NOT_ALLOWED);
    expect(r('POST', 'https://evil', false)).toBe('ok');
    expect(r('POST', undefined, true)).toBe('ok');
    expect(r('HEAD', 'https://evil', true)).toBe('ok');
    expect(r('POST', 'http://g:9999', true)).toBe('ok');
  });
});

describe('pmproxy dispatch model', () => {
  it('decodes the path and picks a /pmapi/ command by prefix', () => {
    expect(pmproxyHandler('http://p/pm%61pi/store?x')).toBe('pmapi/store');
    expect(pmproxyHandler('http://p/pmapi/fetch/../store')).toBe('pmapi/fetch');
    expect(pmproxyHandler('http://p/pmapi/metrics')).toBe('metrics');
    expect(pmproxyHandler('http://p/pmapi/metric/s')).toBe('pmapi/metric');
    expect(pmproxyHandler('http://p/pmapi/12/_store')).toBe('pmapi/store');
    expect(pmproxyHandler('http://p/pmapi/12store')).toBe('no handler');
    expect(pmproxyHandler('http://p/bpflive-unlisted-path/pmapi/store')).toBe('no handler');
    expect(pmproxyHandler('http://p/series/query')).toBe('series/query');
    expect(pmproxyHandler('http://p/series/values/../load')).toBe('series/values');
    expect(pmproxyHandler('http://p/series/%6coad')).toBe('series/load');
    expect(pmproxyHandler('http://p/series/nothing')).toBe('no handler');
    expect(pmproxyHandler('http://p/metrics?names=a')).toBe('metrics');
  });
});
