import { queryDisplayText } from './displayText';

describe('queryDisplayText', () => {
  it('is the first line that holds code, without comments', () => {
    const code =
      '// count syscalls\n#include <linux/sched.h>\n\n/* by process */\ntracepoint:raw_syscalls:sys_enter { @[comm] = count(); } // all\n';
    expect(queryDisplayText({ code })).toBe('tracepoint:raw_syscalls:sys_enter { @[comm] = count(); }');
  });

  it('names the host when the query has its own', () => {
    expect(queryDisplayText({ code: 'BEGIN { exit(); }', hostspec: ' db1:44321 ' })).toBe(
      'BEGIN { exit(); } · on db1:44321'
    );
  });

  it('cuts a long line and says when the script is empty', () => {
    const text = queryDisplayText({ code: `kprobe:f { printf("${'x'.repeat(300)}"); }` });
    expect(text).toHaveLength(120);
    expect(text.endsWith('…')).toBe(true);
    expect(queryDisplayText({ code: '  // nothing yet\n' })).toBe('(empty script)');
  });

  it('names a PCP metric query by its metrics', () => {
    expect(
      queryDisplayText({ code: '', queryType: 'metric', metrics: 'kernel.all.load disk.dev.*', hostspec: 'db1' })
    ).toBe('PCP: kernel.all.load disk.dev.* · on db1');
  });
});
