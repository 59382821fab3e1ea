import { ScopedVars } from '@grafana/data';
import { expandHosts, ReplaceVariables } from './hosts';

/**
 * Grafana's TemplateSrv.replace as far as it matters here: `$name` and `${name}`, scoped
 * variables first (a repeated panel's), the format function called with a string or, for a
 * multi-value variable, the array of its values; unknown names left as written.
 */
function templateSrv(variables: Record<string, string | string[]>): ReplaceVariables {
  return (target, scopedVars?: ScopedVars, format?) =>
    target.replace(/\$(\w+)|\$\{(\w+)\}/g, (whole, a, b) => {
      const name = a ?? b;
      const value = scopedVars?.[name]?.value ?? variables[name];
      if (value === undefined) {
        return whole;
      }
      return format ? format(value) : String(value);
    });
}

describe('expandHosts', () => {
  const srv = templateSrv({ host: ['alpha', 'beta:44331'], one: 'gamma', port: ['1', '2'], none: [] });

  it('runs a multi-value $host on each of its hosts, in order', () => {
    expect(expandHosts('$host', 'localhost', srv)).toEqual(['alpha', 'beta:44331']);
    expect(expandHosts('${host}', 'localhost', srv)).toEqual(['alpha', 'beta:44331']);
  });

  it('repeats the text around the variable for every value', () => {
    expect(expandHosts('pcp://$host?username=x', 'localhost', srv)).toEqual([
      'pcp://alpha?username=x',
      'pcp://beta:44331?username=x',
    ]);
  });

  it('gives every combination of two multi-value variables, once each', () => {
    expect(expandHosts('h$port-$port', 'localhost', srv)).toEqual(['h1-1', 'h1-2', 'h2-1', 'h2-2']);
  });

  it("takes a repeated panel's own value over the dashboard's", () => {
    expect(expandHosts('$host', 'localhost', srv, { host: { text: 'beta', value: 'beta:44331' } })).toEqual([
      'beta:44331',
    ]);
  });

  it('keeps a plain hostspec (commas are PCP ports, not hosts) and falls back to the datasource host', () => {
    expect(expandHosts('localhost:44321,44322', 'ds', srv)).toEqual(['localhost:44321,44322']);
    expect(expandHosts('$one', 'ds', srv)).toEqual(['gamma']);
    expect(expandHosts('  ', 'ds', srv)).toEqual(['ds']);
    expect(expandHosts(undefined, '$host', srv)).toEqual(['alpha', 'beta:44331']);
  });

  it('leaves an unknown variable as written (that query then says the host is unreachable)', () => {
    expect(expandHosts('$nosuch', 'ds', srv)).toEqual(['$nosuch']);
  });

  it('runs a duplicated host once and never an empty host', () => {
    const dup = templateSrv({ h: ['a', 'a', ' ', 'b'] });
    expect(expandHosts('$h', 'ds', dup)).toEqual(['a', 'b']);
    expect(expandHosts('$none', 'ds', srv)).toEqual(['ds']);
  });
});
