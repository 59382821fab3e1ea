import { interpolateHostspec, interpolateLegend, interpolateScript, VariableError, VariableSource } from './variables';

/** A dashboard's variables as a table: name → values. */
function vars(table: Record<string, string[]>): VariableSource {
  return {
    has: (name) => Object.prototype.hasOwnProperty.call(table, name),
    values: (name) => table[name] ?? [],
  };
}

const dashboard = vars({
  pid: ['42'],
  pids: ['1', '2'],
  comm: ['bash'],
  comms: ['a', 'b'],
  func: ['vfs_read'],
  funcs: ['vfs_read', 'vfs_write'],
  bin: ['/usr/bin/bash'],
  quote: ['say "hi" \\o/'],
  none: [],
});

describe('interpolateScript: what is written where', () => {
  const cases: Array<[string, string, string]> = [
    ['a number in a filter', 'k:f /pid == $pid/ { @ = count() }', 'k:f /pid == 42/ { @ = count() }'],
    ['${name} in code', 'k:f /pid == ${pid}/ { @ = count() }', 'k:f /pid == 42/ { @ = count() }'],
    ['${name:format} in code (the format is ignored)', 'k:f /pid == ${pid:csv}/ { }', 'k:f /pid == 42/ { }'],
    ['a string value', 'k:f /comm == "$comm"/ { }', 'k:f /comm == "bash"/ { }'],
    ['inside a longer string', 'BEGIN { printf("watching $comm\\n"); }', 'BEGIN { printf("watching bash\\n"); }'],
    ['a string value is escaped', 'BEGIN { printf("$quote"); }', 'BEGIN { printf("say \\"hi\\" \\\\o/"); }'],
    ['a probe', 'kprobe:$func { @ = count() }', 'kprobe:vfs_read { @ = count() }'],
    ['a path at the start of a probe part', 'uprobe:$bin:readline { }', 'uprobe:/usr/bin/bash:readline { }'],
    ['multi-value ==', 'k:f /pid == $pids/ { }', 'k:f /(pid == 1 || pid == 2)/ { }'],
    ['multi-value on the left', 'k:f /$pids == pid/ { }', 'k:f /(pid == 1 || pid == 2)/ { }'],
    ['multi-value !=', 'k:f /pid != $pids/ { }', 'k:f /(pid != 1 && pid != 2)/ { }'],
    ['multi-value string ==', 'k:f /comm == "$comms"/ { }', 'k:f /(comm == "a" || comm == "b")/ { }'],
    [
      'multi-value with an operand path and other terms',
      'k:f /uid == 0 && args->pid == $pids/ { }',
      'k:f /uid == 0 && (args->pid == 1 || args->pid == 2)/ { }',
    ],
    [
      'multi-value with a call operand',
      't:x:y /str(args->filename) == "$comms"/ { }',
      't:x:y /(str(args->filename) == "a" || str(args->filename) == "b")/ { }',
    ],
    [
      'multi-value in an if',
      'k:f { if (pid == $pids) { @ = count(); } }',
      'k:f { if ((pid == 1 || pid == 2)) { @ = count(); } }',
    ],
    [
      'multi-value in a probe',
      'kprobe:$funcs { @[probe] = count() }',
      'kprobe:vfs_read, kprobe:vfs_write { @[probe] = count() }',
    ],
    // What is never touched:
    ['positional parameters', 'k:f /pid == $1/ { printf("%d", $#); }', 'k:f /pid == $1/ { printf("%d", $#); }'],
    ['scratch variables that are no dashboard variable', 'k:f { $x = 1; @ = $x; }', 'k:f { $x = 1; @ = $x; }'],
    [
      'a $ in a string that names no variable',
      'BEGIN { printf("cost: $5 $other\\n"); }',
      'BEGIN { printf("cost: $5 $other\\n"); }',
    ],
    ['comments', '// pid is $pid\nk:f { } /* $comm */', '// pid is $pid\nk:f { } /* $comm */'],
  ];
  it.each(cases)('%s', (_, code, expected) => {
    expect(interpolateScript(code, dashboard).code).toBe(expected);
  });

  it('keeps line numbers: every replacement stays on its line', () => {
    const code = 'kprobe:$funcs\n/pid == $pids/\n{\n  @[comm] = count();\n}';
    const out = interpolateScript(code, dashboard).code;
    expect(out.split('\n')).toHaveLength(5);
  });

  it('tells which variables were replaced, with their values and line', () => {
    const { replaced } = interpolateScript('k:f\n/pid == $pids/ { printf("$comm"); }', dashboard);
    expect(replaced).toEqual([
      { name: 'pids', values: ['1', '2'], line: 2, where: 'comparison' },
      { name: 'comm', values: ['bash'], line: 2, where: 'string' },
    ]);
  });
});

describe('interpolateScript: values that would inject code are refused, naming the variable', () => {
  const attempts: Array<[string, string, RegExp]> = [
    ['code injection in a filter', 'k:f /pid == $v/ { }', /\$v .*number or an identifier/],
    ['a statement in an action', 'k:f { @ = $v; }', /\$v .*number or an identifier/],
    ['a probe injection', 'kprobe:$v { }', /\$v .*cannot go into a probe/],
    ['an injected filter through a probe', 'kprobe:$v { }', /\$v/],
  ];
  const values: Record<string, string> = {
    'code injection in a filter': '1/ { system("id"); } k:g /1',
    'a statement in an action': '1; system("rm -rf /")',
    'a probe injection': 'vfs_read { system("id"); } BEGIN',
    'an injected filter through a probe': 'vfs_read/pid==1/',
  };
  it.each(attempts)('%s', (label, code, message) => {
    expect(() => interpolateScript(code, vars({ v: [values[label]] }))).toThrow(message);
  });

  it('a quote cannot end a string early: it is escaped', () => {
    const out = interpolateScript('BEGIN { printf("$v"); }', vars({ v: ['"); system("id'] })).code;
    expect(out).toBe('BEGIN { printf("\\"); system(\\"id"); }');
  });

  it('a backslash cannot escape the closing quote', () => {
    expect(interpolateScript('BEGIN { printf("$v"); }', vars({ v: ['x\\'] })).code).toBe('BEGIN { printf("x\\\\"); }');
  });

  it('a newline is spelled, other control characters are refused', () => {
    expect(interpolateScript('BEGIN { printf("$v"); }', vars({ v: ['a\nb'] })).code).toBe('BEGIN { printf("a\\nb"); }');
    expect(() => interpolateScript('BEGIN { printf("$v"); }', vars({ v: ['a\u0000b'] }))).toThrow(
      /\$v .*control character/
    );
  });

  it('a multi-value variable outside a comparison fails with the rule', () => {
    expect(() => interpolateScript('k:f { @[$pids] = count(); }', dashboard)).toThrow(
      /\$pids has several values .*"pid == \$pids"/
    );
    expect(() => interpolateScript('BEGIN { printf("x $comms"); }', dashboard)).toThrow(/\$comms has several values/);
    // `x + pid == $v` is `(x + pid) == $v`: not rewritten as if pid alone were compared.
    expect(() => interpolateScript('k:f /1 + pid == $pids/ { }', dashboard)).toThrow(/\$pids/);
    expect(() => interpolateScript('k:f /pid == $pids * 2/ { }', dashboard)).toThrow(/\$pids/);
  });

  it('a variable with no value selected fails', () => {
    expect(() => interpolateScript('k:f /pid == $none/ { }', dashboard)).toThrow(/\$none has no value/);
  });

  it('a dashboard variable the script assigns as a scratch variable is refused', () => {
    expect(() => interpolateScript('k:f { $pid = 1; }', dashboard)).toThrow(
      /\$pid is a dashboard variable and a scratch variable/
    );
    expect(() => interpolateScript('k:f { let $pid = 1; }', dashboard)).toThrow(VariableError);
  });
});

describe('ad-hoc filters', () => {
  it('are added to every clause that runs in a process, not to BEGIN, END or interval', () => {
    const code = 'BEGIN { }\nk:f /uid == 0/ { @ = count(); }\nk:g { }\ninterval:s:1 { print(@); }\nEND { }';
    const out = interpolateScript(code, dashboard, [{ key: 'comm', operator: '=', value: 'bash' }]).code;
    expect(out).toBe(
      'BEGIN { }\nk:f /comm == "bash" && (uid == 0)/ { @ = count(); }\nk:g /comm == "bash"/ { }\ninterval:s:1 { print(@); }\nEND { }'
    );
  });

  it('go into the right clauses when a filter uses ${name}', () => {
    const out = interpolateScript('k:f /pid == ${pid}/ { @ = count(); }\nEND { }', dashboard, [
      { key: 'comm', operator: '=', value: 'bash' },
    ]).code;
    expect(out).toBe('k:f /comm == "bash" && (pid == 42)/ { @ = count(); }\nEND { }');
  });

  it('combine with &&; one-of filters become a disjunction', () => {
    const out = interpolateScript('k:f { }', dashboard, [
      { key: 'pid', operator: '=|', value: '1', values: ['1', '2'] },
      { key: 'comm', operator: '!=', value: 'sshd' },
    ]).code;
    expect(out).toBe('k:f /(pid == 1 || pid == 2) && !(comm == "sshd")/ { }');
  });

  it('refuse keys, operators and values bpftrace cannot apply', () => {
    expect(() => interpolateScript('k:f { }', dashboard, [{ key: 'cpu', operator: '=', value: '1' }])).toThrow(
      /filters by comm and pid/
    );
    expect(() => interpolateScript('k:f { }', dashboard, [{ key: 'comm', operator: '=~', value: 'ba.*' }])).toThrow(
      /no regular expressions/
    );
    expect(() => interpolateScript('k:f { }', dashboard, [{ key: 'pid', operator: '=', value: '1 || 1' }])).toThrow(
      /process id/
    );
  });
});

describe('interpolateHostspec', () => {
  it('writes a host in, one per value of a multi-value variable', () => {
    const hosts = vars({ host: ['a.example:44321'], hosts: ['a', 'b'] });
    expect(interpolateHostspec('$host', hosts)).toEqual(['a.example:44321']);
    expect(interpolateHostspec('${hosts}', hosts)).toEqual(['a', 'b']);
    expect(interpolateHostspec('plain', hosts)).toEqual(['plain']);
  });

  it('repeats the text around the variable for every value, every combination once', () => {
    const source = vars({ host: ['alpha', 'beta:44331'], port: ['1', '2'], dup: ['a', 'a', 'b'] });
    expect(interpolateHostspec('pcp://$host?username=x', source)).toEqual([
      'pcp://alpha?username=x',
      'pcp://beta:44331?username=x',
    ]);
    expect(interpolateHostspec('h$port-$port', source)).toEqual(['h1-1', 'h1-2', 'h2-1', 'h2-2']);
    expect(interpolateHostspec('$dup', source)).toEqual(['a', 'b']);
    // Commas are PCP's ports (host:44321,44322), not a list of hosts; an unknown name stays as written.
    expect(interpolateHostspec('localhost:44321,44322', source)).toEqual(['localhost:44321,44322']);
    expect(interpolateHostspec('$nosuch', source)).toEqual(['$nosuch']);
  });

  it('refuses a value that is no host', () => {
    expect(() => interpolateHostspec('$h', vars({ h: ['a&hostspec=b'] }))).toThrow(/\$h .*not a host specification/);
  });
});

describe('interpolateLegend', () => {
  it('writes dashboard variables in, but bpflive names and key names stay its own', () => {
    const source = vars({ env: ['prod'], host: ['x'], comm: ['bash'], key: ['k'] });
    expect(interpolateLegend('$env $host $key $comm', 'k:f { @[comm] = count(); }', source)).toBe(
      'prod $host $key $comm'
    );
    expect(interpolateLegend('$comm', 'k:f { @ = count(); }', source)).toBe('bash');
  });
});
