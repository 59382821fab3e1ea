/** Types of dataProxy.mjs, the emulator of Grafana's datasource proxy (see that file). */

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

export const PROXY_PATH_PATTERN: RegExp;
export const ROUTE_DENIED: string;
export const ORIGIN_NOT_ALLOWED: string;

export function decide(req: ProxyRequest): ProxyDecision;
export function proxyUrl(path: string, uid?: string): string;
export function csrfRefusal(method: string, csrf?: CsrfContext): string | undefined;
export function effectiveRole(role: Role, anonymousRole?: OrgRole): OrgRole;
export function hasAccessToRoute(
  route: ProxyRoute,
  orgRole: OrgRole,
  options?: { grantedActions?: string[]; honorReqAction?: boolean }
): boolean;
export function interpolate(
  template: string,
  data: { URL?: string; JsonData?: Record<string, unknown>; SecureJsonData?: Record<string, string> }
): string;
export function goTruth(value: unknown): boolean;
export function cleanPath(p: string): string;
export function cleanRelativePath(p: string): string;
export function joinURLFragments(a: string, b: string): string;
export function parseRequestTarget(target: string): { path: string; rawPath: string; rawQuery: string };
export function escapedPath(path: string, rawPath: string): string;
export function escapePath(s: string): string;
export function unescapePath(s: string): string;
export function validEncodedPath(s: string): boolean;
export function shouldEscapePath(c: number): boolean;
