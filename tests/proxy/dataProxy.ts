/**
 * An emulator of Grafana's datasource proxy (/api/datasources/proxy/uid/<uid>/<path>): which
 * requests it refuses and where it sends the others. bpflive has no backend, so plugin.json's
 * `routes` are the only server-side gate in front of a root bpftrace; this lets tests check that
 * gate without a Grafana server, the same way in jest (tests/unit/routes.test.ts,
 * tests/integration/nodeBackendSrv.ts) and in node (tests/browser/server.ts).
 *
 * Pure: no I/O, no Node or browser APIs beyond the language, so it runs under jest's jsdom
 * environment and in node alike.
 *
 * What it models, from Grafana's source (main, 2025–2026):
 *  - Go's request parsing (net/url): the path is unescaped into URL.Path and the raw form is kept
 *    as RawPath when it differs; EscapedPath() gives the raw form back when it is a valid encoding.
 *  - pkg/services/datasourceproxy: the proxy path is EscapedPath() minus
 *    `^/api/datasources/proxy/([\d]+|uid/[\w-]+)/?`, i.e. RAW (percent-escapes intact).
 *  - pkg/api/pluginproxy/ds_proxy.go validateRequest: routes in order; a route applies when its
 *    method is "", "*" or exactly the request's, and CleanRelativePath(proxyPath) has
 *    CleanRelativePath(route.path) as a plain string prefix. The FIRST such route decides: access
 *    denied → 403 "plugin proxy route access denied", no later route is tried. No route → the
 *    request goes on to the datasource URL with no role check at all.
 *    NOTE CleanRelativePath("") is "." (filepath.Rel("/", "/")), so a route with path "" matches
 *    only the proxy root and paths that clean to something starting with "." — not "everything".
 *  - hasAccessToRoute: reqAction, when set, alone decides (held only if some role grants it);
 *    else reqRole (Viewer < Editor < Admin) must be included in the user's org role.
 *  - director + ApplyRoute (ds_auth_provider.go): unmatched → RawPath = JoinURLFragments(dsURL.Path,
 *    proxyPath); matched → Path = JoinURLFragments(routeURL.Path, TrimPrefix(proxyPath, route.path))
 *    where route.url is a Go text/template over {URL, JsonData, SecureJsonData}. The raw query is
 *    kept. The wire path is Go's EscapedPath() of the result.
 *  - pkg/middleware/csrf: for requests carrying the login cookie, except HEAD/OPTIONS/TRACE, an
 *    Origin whose HOSTNAME differs from the Host header's hostname → 403 "origin not allowed"
 *    (the port is ignored, as in Grafana); no Origin header → not checked.
 */

/** A route as plugin.json declares it. */
export interface ProxyRoute {
  path?: string;
  method?: string;
  url?: string;
  reqRole?: string;
  reqAction?: string;
}

/** Grafana's basic org roles. */
export type OrgRole = 'None' | 'Viewer' | 'Editor' | 'Admin';
/** A user: an org role, or not signed in ('Anonymous': evaluated with the anonymous org role). */
export type Role = OrgRole | 'Anonymous';

/** What the CSRF middleware looks at. */
export interface CsrfContext {
  /** The Origin header; absent on top-level GET navigations and <img> requests. */
  origin?: string;
  /** The Host header (host[:port]). */
  host: string;
  /** Whether the request carries Grafana's login cookie (SameSite decides that in a browser). */
  loginCookie: boolean;
}

export interface ProxyRequest {
  routes: ProxyRoute[];
  method: string;
  /** The request target as sent: /api/datasources/proxy/uid/<uid>/<path>[?query], raw escapes included. */
  url: string;
  role: Role;
  /** Grafana's [auth.anonymous] org_role; default Viewer. */
  anonymousRole?: OrgRole;
  /** The datasource's URL (pmproxy), e.g. http://127.0.0.1:44322. */
  datasourceUrl: string;
  jsonData?: Record<string, unknown>;
  secureJsonData?: Record<string, string>;
  /** RBAC actions the user holds; none by default (no role grants bpflive's unlisted-path action). */
  grantedActions?: string[];
  /** false: a Grafana build that ignores reqAction and checks reqRole instead. Default true. */
  honorReqAction?: boolean;
  /** Omitted: the CSRF middleware is not modelled (a same-origin request). */
  csrf?: CsrfContext;
}

export type ProxyDecision =
  | {
      allowed: true;
      status: undefined;
      /** Where Grafana sends it: origin + wire path + the original query. */
      target: string;
      /** The route that matched; undefined when none did (forwarded with no role check). */
      route?: ProxyRoute;
      proxyPath: string;
      /** A route template Grafana could not execute: it then forwards to the datasource URL + path. */
      templateError?: string;
    }
  | {
      allowed: false;
      status: 400 | 403;
      message: string;
      route?: ProxyRoute;
      proxyPath?: string;
    };

/** What a route's url template may read. */
export interface TemplateData {
  URL?: string;
  JsonData?: Record<string, unknown>;
  SecureJsonData?: Record<string, string>;
}

interface Lookup {
  found: boolean;
  value: unknown;
}

interface TemplateToken {
  kind: 'text' | 'action';
  text: string;
  trimLeft?: boolean;
  trimRight?: boolean;
}

export const PROXY_PATH_PATTERN = /^\/api\/datasources\/proxy\/([\d]+|uid\/[\w-]+)\/?/;

/** What Grafana answers when the first matching route refuses the user. */
export const ROUTE_DENIED = 'plugin proxy route access denied';
export const ORIGIN_NOT_ALLOWED = 'origin not allowed';

const ROLE_RANK: Record<OrgRole, number> = { None: 0, Viewer: 1, Editor: 2, Admin: 3 };
const SAFE_METHODS = new Set(['HEAD', 'OPTIONS', 'TRACE']);

// ---------------------------------------------------------------------------------------------
// Go's net/url, on "byte strings" (one JS char per byte) so escapes of non-ASCII bytes stay exact.

const HEX = '0123456789ABCDEF';

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** url.shouldEscape(c, encodePath). */
export function shouldEscapePath(c: number): boolean {
  if (isAlnum(c)) {
    return false;
  }
  const ch = String.fromCharCode(c);
  if ('-_.~'.includes(ch)) {
    return false;
  }
  if ('$&+,/:;=?@'.includes(ch)) {
    return ch === '?';
  }
  return true;
}

/** url.validEncoded(s, encodePath). */
export function validEncodedPath(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if ("!$&'()*+,;=:@[]%".includes(ch)) {
      continue;
    }
    if (shouldEscapePath(s.charCodeAt(i))) {
      return false;
    }
  }
  return true;
}

function isHex(ch: string): boolean {
  return /^[0-9a-fA-F]$/.test(ch ?? '');
}

/** url.unescape(s, encodePath); throws on a malformed escape, as Go returns an error. */
export function unescapePath(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%') {
      if (!isHex(s[i + 1]) || !isHex(s[i + 2])) {
        throw new Error(`invalid URL escape "${s.slice(i, i + 3)}"`);
      }
      out += String.fromCharCode(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

/** url.escape(s, encodePath). */
export function escapePath(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += shouldEscapePath(c) ? `%${HEX[c >> 4]}${HEX[c & 15]}` : s[i];
  }
  return out;
}

/** URL.EscapedPath() for a URL with this Path and RawPath. */
export function escapedPath(path: string, rawPath: string): string {
  if (rawPath && validEncodedPath(rawPath)) {
    try {
      if (unescapePath(rawPath) === path) {
        return rawPath;
      }
    } catch {
      // fall through to escaping Path, as Go does
    }
  }
  if (path === '*') {
    return '*';
  }
  return escapePath(path);
}

/** UTF-8 bytes of a JS string as a byte string (what a client puts on the wire for raw non-ASCII). */
function utf8Bytes(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) {
      out += ch;
    } else if (cp < 0x800) {
      out += String.fromCharCode(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    } else if (cp < 0x10000) {
      out += String.fromCharCode(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    } else {
      out += String.fromCharCode(
        0xf0 | (cp >> 18),
        0x80 | ((cp >> 12) & 63),
        0x80 | ((cp >> 6) & 63),
        0x80 | (cp & 63)
      );
    }
  }
  return out;
}

/**
 * How Go's HTTP server parses a request target (url.ParseRequestURI): {path, rawPath, rawQuery}.
 * Throws for what Go answers 400 to (control characters, malformed escapes, no leading slash).
 */
export function parseRequestTarget(target: string): { path: string; rawPath: string; rawQuery: string } {
  const bytes = utf8Bytes(target);
  if (/[\x00-\x1f\x7f]/.test(bytes)) {
    throw new Error('invalid control character in URL');
  }
  const q = bytes.indexOf('?');
  const rest = q < 0 ? bytes : bytes.slice(0, q);
  const rawQuery = q < 0 ? '' : bytes.slice(q + 1);
  if (!rest.startsWith('/')) {
    throw new Error('invalid URI for request');
  }
  const path = unescapePath(rest);
  return { path, rawPath: escapePath(path) === rest ? '' : rest, rawQuery };
}

/** Go's path.Clean (filepath.Clean on Unix). */
export function cleanPath(p: string): string {
  if (p === '') {
    return '.';
  }
  const rooted = p.startsWith('/');
  const out = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') {
      continue;
    }
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') {
        out.pop();
      } else if (!rooted) {
        out.push('..');
      }
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (rooted) {
    return '/' + joined;
  }
  return joined === '' ? '.' : joined;
}

/**
 * Grafana's util.CleanRelativePath: Clean(Join("/", p)) made relative to "/". "" and "/" become
 * "." (filepath.Rel of equal paths), everything else loses its leading slash and dot segments.
 */
export function cleanRelativePath(p: string): string {
  const clean = cleanPath('/' + p);
  return clean === '/' ? '.' : clean.slice(1);
}

/** Grafana's util.JoinURLFragments. */
export function joinURLFragments(a: string, b: string): string {
  if (b.length === 0) {
    return a;
  }
  const aSlash = a.endsWith('/');
  const bSlash = b.startsWith('/');
  if (aSlash && bSlash) {
    return a + b.slice(1);
  }
  if (!aSlash && !bSlash) {
    return a + '/' + b;
  }
  return a + b;
}

// ---------------------------------------------------------------------------------------------
// Go text/template, the subset routes use: {{ .URL }}, {{ .JsonData.x }}, {{ .SecureJsonData.x }},
// {{ if <field> }} … {{ else }} … {{ end }} (nestable), and the {{- -}} trim markers.

function lookupField(expr: string, data: TemplateData): Lookup {
  const m = /^\.(URL|JsonData|SecureJsonData)(?:\.([A-Za-z_][A-Za-z0-9_]*))?$/.exec(expr);
  if (!m) {
    throw new Error(`template: unsupported expression "${expr}"`);
  }
  const [, root, key] = m;
  if (root === 'URL') {
    if (key) {
      throw new Error(`template: can't evaluate field ${key} in type string`);
    }
    return { found: true, value: data.URL ?? '' };
  }
  const map = (root === 'JsonData' ? data.JsonData : data.SecureJsonData) ?? {};
  if (!key) {
    return { found: true, value: map };
  }
  return Object.prototype.hasOwnProperty.call(map, key)
    ? { found: true, value: map[key] }
    : { found: false, value: undefined };
}

/** Go template truth: false, 0, nil, "" and empty maps/slices are false; anything else is true. */
export function goTruth(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') {
    return false;
  }
  if (Array.isArray(value)) {
    return value.length > 0;
  }
  if (typeof value === 'object') {
    return Object.keys(value).length > 0;
  }
  return true;
}

function printValue({ found, value }: Lookup): string {
  if (!found) {
    return '<no value>'; // what text/template prints for a missing map key
  }
  if (value === null || value === undefined) {
    return '<nil>';
  }
  if (typeof value === 'object') {
    throw new Error('template: printing maps and slices is not modelled');
  }
  return String(value);
}

function tokenize(text: string): TemplateToken[] {
  const tokens: TemplateToken[] = [];
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    if (open < 0) {
      tokens.push({ kind: 'text', text: text.slice(i) });
      break;
    }
    const close = text.indexOf('}}', open + 2);
    if (close < 0) {
      throw new Error('template: unclosed action');
    }
    tokens.push({ kind: 'text', text: text.slice(i, open) });
    let inner = text.slice(open + 2, close);
    const trimLeft = inner.startsWith('- ');
    const trimRight = inner.endsWith(' -');
    if (trimLeft) {
      inner = inner.slice(2);
    }
    if (trimRight) {
      inner = inner.slice(0, -2);
    }
    tokens.push({ kind: 'action', text: inner.trim(), trimLeft, trimRight });
    i = close + 2;
  }
  for (let t = 0; t < tokens.length; t++) {
    if (tokens[t].kind !== 'action') {
      continue;
    }
    if (tokens[t].trimLeft && tokens[t - 1]?.kind === 'text') {
      tokens[t - 1].text = tokens[t - 1].text.replace(/\s+$/, '');
    }
    if (tokens[t].trimRight && tokens[t + 1]?.kind === 'text') {
      tokens[t + 1].text = tokens[t + 1].text.replace(/^\s+/, '');
    }
  }
  return tokens;
}

/** Executes a Go text/template (the subset above) with Grafana's route template data. */
export function interpolate(template: string, data: TemplateData): string {
  const tokens = tokenize(template);
  let pos = 0;
  function block(stopAt: string[]): string {
    let out = '';
    while (pos < tokens.length) {
      const t = tokens[pos];
      if (t.kind === 'text') {
        out += t.text;
        pos++;
        continue;
      }
      if (stopAt.includes(t.text)) {
        return out;
      }
      pos++;
      const ifMatch = /^if\s+(\S+)$/.exec(t.text);
      if (ifMatch) {
        const cond = goTruth(lookupField(ifMatch[1], data).value);
        const yes = block(['else', 'end']);
        let no = '';
        if (tokens[pos]?.text === 'else') {
          pos++;
          no = block(['end']);
        }
        if (tokens[pos]?.text !== 'end') {
          throw new Error('template: unexpected EOF, missing {{ end }}');
        }
        pos++;
        out += cond ? yes : no;
        continue;
      }
      if (t.text === 'else' || t.text === 'end') {
        throw new Error(`template: unexpected {{ ${t.text} }}`);
      }
      out += printValue(lookupField(t.text, data));
    }
    if (stopAt.length > 0) {
      throw new Error('template: unexpected EOF');
    }
    return out;
  }
  return block([]);
}

// ---------------------------------------------------------------------------------------------
// Roles and access.

function canonicalRole(role: unknown): OrgRole | undefined {
  if (typeof role !== 'string') {
    return undefined;
  }
  return (Object.keys(ROLE_RANK) as OrgRole[]).find((r) => r.toLowerCase() === role.toLowerCase());
}

/** The org role a request is evaluated with: anonymous users get the configured anonymous role. */
export function effectiveRole(role: Role, anonymousRole: OrgRole = 'Viewer'): OrgRole {
  if (role === 'Anonymous') {
    return canonicalRole(anonymousRole) ?? 'None';
  }
  return canonicalRole(role) ?? 'None';
}

/** hasAccessToRoute: reqAction alone decides when set (and honoured), else reqRole. */
export function hasAccessToRoute(
  route: ProxyRoute,
  orgRole: OrgRole,
  { grantedActions = [], honorReqAction = true }: { grantedActions?: string[]; honorReqAction?: boolean } = {}
): boolean {
  if (honorReqAction && route.reqAction) {
    return grantedActions.includes(route.reqAction);
  }
  const required = canonicalRole(route.reqRole);
  if (required && required !== 'None') {
    return ROLE_RANK[orgRole] >= ROLE_RANK[required];
  }
  return true;
}

function methodMatches(route: ProxyRoute, method: string): boolean {
  const m = route.method ?? '';
  return m === '' || m === '*' || m === method;
}

// ---------------------------------------------------------------------------------------------

/** The origin and path of a datasource URL as Go's url.Parse splits them. */
function splitUrl(raw: string): { origin: string; path: string; rawPath: string } {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*)([^?#]*)/.exec(raw);
  if (!m) {
    throw new Error(`not an absolute URL: ${raw}`);
  }
  return { origin: m[1], path: unescapePath(m[2]), rawPath: m[2] };
}

function hostnameOf(hostPort: string): string {
  if (hostPort.startsWith('[')) {
    return hostPort.slice(1, hostPort.indexOf(']'));
  }
  const colon = hostPort.lastIndexOf(':');
  return colon < 0 ? hostPort : hostPort.slice(0, colon);
}

/** Grafana's CSRF middleware: undefined when it lets the request through, else the refusal. */
export function csrfRefusal(method: string, csrf?: CsrfContext): string | undefined {
  if (!csrf || !csrf.loginCookie || SAFE_METHODS.has(method) || !csrf.origin) {
    return undefined;
  }
  // url.Parse("null") (a sandboxed frame's Origin) has no host: refused like any other mismatch.
  const originHost = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)/.exec(csrf.origin)?.[1];
  const host = hostnameOf(csrf.host ?? '');
  if (!host || originHost === undefined || hostnameOf(originHost) !== host) {
    return ORIGIN_NOT_ALLOWED;
  }
  return undefined;
}

/** Decides one request the way Grafana's datasource proxy would. */
export function decide(req: ProxyRequest): ProxyDecision {
  const method = req.method ?? 'GET';
  const csrf = csrfRefusal(method, req.csrf);
  if (csrf) {
    return { allowed: false, status: 403, message: csrf };
  }
  let parsed;
  try {
    parsed = parseRequestTarget(req.url);
  } catch (e) {
    return { allowed: false, status: 400, message: String(e instanceof Error ? e.message : e) };
  }
  const escaped = escapedPath(parsed.path, parsed.rawPath);
  if (!PROXY_PATH_PATTERN.test(escaped)) {
    throw new Error(`not a datasource proxy URL: ${req.url}`);
  }
  const proxyPath = escaped.replace(PROXY_PATH_PATTERN, '');
  const cleaned = cleanRelativePath(proxyPath);
  const orgRole = effectiveRole(req.role, req.anonymousRole);
  const options = { grantedActions: req.grantedActions ?? [], honorReqAction: req.honorReqAction ?? true };
  const route = req.routes.find((r) => methodMatches(r, method) && cleaned.startsWith(cleanRelativePath(r.path ?? '')));
  if (route && !hasAccessToRoute(route, orgRole, options)) {
    return { allowed: false, status: 403, message: ROUTE_DENIED, route, proxyPath };
  }

  const ds = splitUrl(req.datasourceUrl);
  // director: the datasource URL plus the raw proxy path.
  const rawPath = joinURLFragments(ds.path, proxyPath);
  let path = unescapePath(rawPath);
  let origin = ds.origin;
  let templateError;
  if (route?.url) {
    let routeUrl;
    try {
      routeUrl = splitUrl(
        interpolate(route.url, {
          URL: req.datasourceUrl,
          JsonData: req.jsonData ?? {},
          SecureJsonData: req.secureJsonData ?? {},
        })
      );
    } catch (e) {
      // ApplyRoute logs the error and returns: the request goes on to the director's target.
      templateError = String(e instanceof Error ? e.message : e);
    }
    if (routeUrl) {
      origin = routeUrl.origin;
      // ApplyRoute strips route.path from the RAW proxy path and sets only Path.
      const prefix = route.path ?? '';
      const rest = proxyPath.startsWith(prefix) ? proxyPath.slice(prefix.length) : proxyPath;
      path = joinURLFragments(routeUrl.path, rest);
    }
  }
  const wirePath = escapedPath(path, rawPath);
  const target = origin + wirePath + (parsed.rawQuery ? `?${parsed.rawQuery}` : '');
  return { allowed: true, status: undefined, target, route, proxyPath, templateError };
}

/**
 * The request target for `path` relative to the datasource's proxy URL, as bpflive's transport
 * builds it (`<proxy url>/<path>`). A path that already starts with "/" is appended as it is, so
 * hostile paths such as "//pmapi/store" keep their extra slash.
 */
export function proxyUrl(path: string, uid = 'bpflive'): string {
  const base = `/api/datasources/proxy/uid/${uid}`;
  return path.startsWith('/') ? base + path : `${base}/${path}`;
}
