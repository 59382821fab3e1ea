import { runtimeErrorNotice } from './runtimeErrors';

// stderr lines recorded from bpftrace 0.17 on Debian 12 (`cat("/nonexistent/zz")` twice a second).
const RLIMIT = `ERROR: Unknown error -1: couldn't set RLIMIT_MEMLOCK for bpftrace. If your program is not loading, you can try "ulimit -l 8192" to fix the problem`;
const CAT = "ERROR: failed to open file '/nonexistent/zz': No such file or directory";

describe('runtimeErrorNotice', () => {
  it('counts the error lines and quotes one, without the RLIMIT noise or the prefix', () => {
    const notice = runtimeErrorNotice([RLIMIT, CAT, CAT, CAT, ''].join('\n'), 30);
    expect(notice).toBe(
      `bpftrace reported 3 errors in the last 30 s while running, e.g. "failed to open file '/nonexistent/zz': No such file or directory": what those actions would have shown is missing. The script runs on.`
    );
  });

  it('says nothing for noise alone, for warnings (the start’s attach notice says those) or for nothing new', () => {
    expect(runtimeErrorNotice(RLIMIT + '\n', undefined)).toBeUndefined();
    expect(
      runtimeErrorNotice('WARNING: could not attach probe uprobe:/bin/bash:nope, skipping.\n', undefined)
    ).toBeUndefined();
    expect(runtimeErrorNotice('', 30)).toBeUndefined();
  });

  it('names failed stack lookups as samples missing from the flame graph', () => {
    const lines = Array.from({ length: 5 }, (_, i) => `failed to look up stack id -17 (pid ${100 + i}): -9`);
    expect(runtimeErrorNotice(lines.join('\n'), undefined)).toMatch(
      /^bpftrace could not look up 5 stacks since it started .*missing from the flame graph/
    );
  });

  it('quotes at most 200 characters of a long line', () => {
    const notice = runtimeErrorNotice(`ERROR: ${'x'.repeat(500)}`, 30)!;
    expect(notice).toContain(`"${'x'.repeat(200)}…"`);
    expect(notice).not.toContain('x'.repeat(201));
  });
});
