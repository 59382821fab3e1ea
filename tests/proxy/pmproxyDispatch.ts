/**
 * Which pmproxy handler a forwarded request reaches (PCP 6.x, src/pmproxy/src/http.c servlet_lookup
 * and webapi.c pmwebapi_lookup_rest_command), so route tests can say what a request DOES, not only
 * whether Grafana lets it through. pmproxy percent-decodes the path before dispatching, and picks a
 * /pmapi/ command by PREFIX of the text after "/pmapi/[<context>/][_]" in this order — so
 * "/pmapi/fetch/../store" is a fetch and "/pmapi/metrics" the OpenMetrics scrape.
 */

const PMAPI_COMMANDS = ['context', 'profile', 'metrics', 'metric', 'derive', 'fetch', 'indom', 'store', 'children'];
/** src/pmproxy/src/series.c: commands matched by PREFIX of the text after "/series/", in this order. */
const SERIES_COMMANDS = ['query', 'descs', 'instances', 'labels', 'metrics', 'sources', 'values', 'load', 'ping'];

/** pmproxy's http_decode of the path: %XX → byte; malformed escapes make the request fail. */
function decode(path: string): string | undefined {
  let out = '';
  for (let i = 0; i < path.length; i++) {
    if (path[i] === '%') {
      const hex = path.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) {
        return undefined;
      }
      out += String.fromCharCode(parseInt(hex, 16));
      i += 2;
    } else {
      out += path[i];
    }
  }
  return out;
}

/**
 * The handler for `target` (an absolute URL as Grafana sends it): 'pmapi/<command>', 'metrics'
 * (OpenMetrics scrape of everything), 'series/<command>', 'search', 'logger', or 'no handler'
 * (pmproxy answers 400).
 * @param {string} target
 * @returns {string}
 */
export function pmproxyHandler(target: string): string {
  const m = /^[a-z]+:\/\/[^/?#]*([^?#]*)/i.exec(target);
  const path = m ? decode(m[1] || '/') : undefined;
  if (path === undefined) {
    return 'no handler';
  }
  // Servlets are tried in registration order: search, series, webapi (plus logger in newer PCP).
  if (path.startsWith('/search/')) {
    return 'search';
  }
  if (path.startsWith('/series/')) {
    const command = SERIES_COMMANDS.find((c) => path.slice('/series/'.length).startsWith(c));
    return command ? `series/${command}` : 'no handler';
  }
  if (path.startsWith('/logger/')) {
    return 'logger';
  }
  if (path.startsWith('/pmapi/')) {
    let name = path.slice('/pmapi/'.length);
    const ctx = /^\d+/.exec(name);
    if (ctx) {
      if (name[ctx[0].length] !== '/') {
        return 'no handler';
      }
      name = name.slice(ctx[0].length + 1);
    }
    if (name.startsWith('_')) {
      name = name.slice(1); // backward-compatibility spelling
    }
    const command = PMAPI_COMMANDS.find((c) => name.startsWith(c));
    if (command) {
      return command === 'metrics' ? 'metrics' : `pmapi/${command}`;
    }
  }
  if (path.startsWith('/metrics')) {
    return 'metrics';
  }
  return 'no handler';
}
