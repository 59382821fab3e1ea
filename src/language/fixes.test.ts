import { Diagnostic } from './diagnostics';
import { dropMapKey, fixArgsDot, fixesFor, fixForeignCharacters } from './fixes';
import { lint } from './lints';
import { ProbeCatalog } from './probeCatalog';

// A host like the test VM (bpftrace 0.17: kfunc-era listing, no fentry, no rawtracepoint).
const host = ProbeCatalog.fromProbes(['tracepoint:syscalls:sys_enter_openat', 'tracepoint:sched:sched_switch']);

/** The marker `id` on `code`, its fixes, and the script after the first one. */
function fixed(
  code: string,
  id: string,
  catalog?: ProbeCatalog
): { marker: Diagnostic; titles: string[]; after: string } {
  const marker = lint(code, { catalog }).find((d) => d.code === id);
  expect(marker).toBeDefined();
  const fixes = fixesFor(code, marker!);
  expect(fixes.length).toBeGreaterThan(0);
  return { marker: marker!, titles: fixes.map((f) => f.title), after: fixes[0].apply(code) };
}

describe('fix: characters pasted from a web page', () => {
  it('makes them plain ASCII (or deletes the invisible ones), strings kept, and the error is gone', () => {
    const code = '\uFFFDBEGIN\u00a0{ printf(\u201cd\u00e9j\u00e0 \u2013 vu\\n\u201d); @x = 3 \u2212 1; }';
    const { marker, after } = fixed(code, 'foreign-character');
    expect(marker.severity).toBe('error');
    expect(marker.startColumn).toBe(1);
    // Once the curly quotes are quotes, the accents are in a string again and stay.
    expect(after).toBe('BEGIN { printf("d\u00e9j\u00e0 - vu\\n"); @x = 3 - 1; }');
    expect(lint(after).filter((d) => d.code === 'foreign-character')).toEqual([]);
    expect(fixForeignCharacters('BEGIN { printf("d\u00e9j\u00e0 vu"); }')).toBe(
      'BEGIN { printf("d\u00e9j\u00e0 vu"); }'
    );
  });
});

describe('fix: args. → args->', () => {
  it('rewrites every args.field, and the lint is gone', () => {
    const code =
      'tracepoint:syscalls:sys_enter_openat /args.flags != 0/ {\n  printf("%s %d\\n", str(args.filename), args.flags);\n}';
    const { after } = fixed(code, 'args-dot', host);
    expect(after).toBe(
      'tracepoint:syscalls:sys_enter_openat /args->flags != 0/ {\n  printf("%s %d\\n", str(args->filename), args->flags);\n}'
    );
    expect(lint(after, { catalog: host }).map((d) => d.code)).toEqual([]);
  });

  it('leaves args-> and fields of other values alone', () => {
    const code = 'tracepoint:a:b { $t = (struct x *)0; printf("%d\\n", args->fd + $t->args.y); }';
    expect(fixArgsDot(code)).toBe(code);
  });
});

describe('fix: a keyed histogram', () => {
  it('drops the key of the histogram map everywhere, which the PMDA accepts', () => {
    const code = [
      'tracepoint:syscalls:sys_enter_read { @start[tid] = nsecs; }',
      'tracepoint:syscalls:sys_exit_read /@start[tid]/',
      '{',
      '  @ns[comm] = hist(nsecs - @start[tid]);',
      '  delete(@start[tid]);',
      '}',
      'END { print(@ns[comm]); }',
    ].join('\n');
    const { titles, after } = fixed(code, 'pmda-keyed-hist');
    expect(titles[0]).toMatch(/Drop the key of @ns: one histogram over all comm/);
    expect(after).toContain('  @ns = hist(nsecs - @start[tid]);');
    expect(after).toContain('  delete(@start[tid]);');
    expect(after).toContain('END { print(@ns); }');
    expect(lint(after).map((d) => d.code)).toEqual([]);
  });

  it('finds the histogram in a match that starts at an earlier map of the line', () => {
    const code =
      'tracepoint:a:b { @s[tid] = nsecs; }\ntracepoint:c:d { $d = nsecs - @s[tid]; @lat[pid, comm] = lhist($d, 0, 100, 10); }';
    const { after } = fixed(code, 'pmda-keyed-hist');
    expect(after).toContain('$d = nsecs - @s[tid]; @lat = lhist($d, 0, 100, 10);');
  });

  it('drops nested keys whole', () => {
    expect(dropMapKey('BEGIN { @h[@k[1], 2] = hist(1); @k[1] = 1; }', '@h')).toBe('BEGIN { @h = hist(1); @k[1] = 1; }');
  });
});

describe('fix: a map read that the PMDA misreads', () => {
  it('turns "!= 0" into the map alone', () => {
    const code = 'tracepoint:a:b { @start[tid] = nsecs; }\ntracepoint:c:d /@start[tid] != 0/ { @n = count(); }';
    const { titles, after } = fixed(code, 'pmda-misread-map');
    // The filter alone is still followed by an "=" on its line: the block moves to the next one.
    expect(after).toBe('tracepoint:a:b { @start[tid] = nsecs; }\ntracepoint:c:d /@start[tid]/\n{ @n = count(); }');
    expect(titles[0]).toMatch(/^write @start\[tid\], then start the action block on a line of its own/);
    expect(lint(after).map((d) => d.code)).toEqual([]);
  });

  it('writes other comparisons through their inverse, or breaks the line after the map read', () => {
    const code =
      'tracepoint:a:b { @seen[pid] = 1; }\ntracepoint:c:d /pid > 1 && @seen[pid] >= 2 && comm == "x"/\n{ @n = count(); }';
    const { after } = fixed(code, 'pmda-misread-map');
    // "!(@seen[pid] < 2) && comm ==" would still be one name to the PMDA: the line breaks instead.
    expect(after).toContain('/pid > 1 && @seen[pid]\n >= 2 && comm == "x"/');
    expect(lint(after).map((d) => d.code)).toEqual([]);
    const ne = 'BEGIN { @a = 1; }\ntracepoint:c:d /@a != 5/\n{ @n = count(); }';
    expect(fixed(ne, 'pmda-misread-map').after).toContain('/!(@a == 5)/');
  });

  it('offers nothing where the rewrite is not mechanical', () => {
    const code = 'tracepoint:a:b { @a[comm] += 1; }';
    const marker = lint(code).find((d) => d.code === 'pmda-misread-map')!;
    expect(fixesFor(code, marker)).toEqual([]);
    expect(fixesFor(code, { code: 'probe-not-on-host', startLine: 1, startColumn: 1 })).toEqual([]);
  });
});
