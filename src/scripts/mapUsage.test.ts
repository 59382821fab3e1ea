import { isNameRanking, isScratch, mapUsage } from './mapUsage';

// Script shapes of well-known tool kinds (written here): snoop, latency, count, top.
const BIOSNOOP_LIKE = `
tracepoint:block:block_rq_issue { @start[args->dev, args->sector] = nsecs; @iopid[args->sector] = pid; }
tracepoint:block:block_rq_complete /@start[args->dev, args->sector]/ {
  printf("%d %d\\n", @iopid[args->sector], (nsecs - @start[args->dev, args->sector]) / 1000);
  delete(@start[args->dev, args->sector]); delete(@iopid[args->sector]);
}`;
const OPENSNOOP_LIKE = `
tracepoint:syscalls:sys_enter_openat { @filename[tid] = args->filename; }
tracepoint:syscalls:sys_exit_openat /@filename[tid]/ {
  printf("%s\\n", str(@filename[tid])); // "@fake = count()" in a comment is no map
}`;

describe('mapUsage: how a script uses its maps', () => {
  it('reads aggregations, keys and deletes', () => {
    const u = mapUsage(`k { @bytes[comm, pid] = sum(arg2); @max = max(arg0); @ = count(); @h = hist(1); @n++; }`);
    expect(u.get('@bytes')).toMatchObject({ aggregation: 'sum', keys: ['comm, pid'], deleted: false });
    expect(u.get('@max')?.aggregation).toBe('max');
    expect(u.get('@')?.aggregation).toBe('count');
    expect(u.get('@h')?.aggregation).toBe('hist');
    expect(u.get('@n')?.plain).toBe(true);
    expect(u.get('@n')?.aggregation).toBeUndefined();
  });

  it('notes the maps a timer clears, with the shortest period: their values are counts per period', () => {
    const u = mapUsage(`
tracepoint:syscalls:sys_enter_read { @reads = count(); @bytes = sum(args->count); @lat = hist(1); @ev = count(); @end = count(); }
interval:s:1 { time(); print(@reads); clear(@reads); }
i:ms:500 { zero(@bytes); }
interval:hz:4 { clear(@lat); }
interval:s:5 { print(@reads); clear(@reads); }
interval:s:1 { print(@ev); if ((elapsed / 1000000000) % 30 == 0) { clear(@ev); } }
interval:s:1 /@end > 100/ { clear(@end); }
tracepoint:sched:sched_switch { clear(@ev); }
END { clear(@end); } // interval:s:1 { clear(@end); }
BEGIN { printf("interval:s:1 { clear(@end); }"); }`);
    expect(u.get('@reads')?.clearedEveryMs).toBe(1000);
    expect(u.get('@bytes')?.clearedEveryMs).toBe(500);
    expect(u.get('@lat')?.clearedEveryMs).toBe(250);
    // On events, at the end, under a condition or a filter, in a comment or a string: a running
    // total, reset now and then.
    expect(u.get('@ev')?.clearedEveryMs).toBeUndefined();
    expect(u.get('@end')?.clearedEveryMs).toBeUndefined();
  });

  it('ignores maps named in strings and comments', () => {
    const u = mapUsage(OPENSNOOP_LIKE + '\nBEGIN { printf("@x = count()\\n"); }');
    expect([...u.keys()]).toEqual(['@filename']);
  });

  it('scratch: plain values deleted per event, or keyed by the thread', () => {
    const bio = mapUsage(BIOSNOOP_LIKE);
    expect(isScratch(bio.get('@start'))).toBe(true);
    expect(isScratch(bio.get('@iopid'))).toBe(true);
    expect(isScratch(mapUsage(OPENSNOOP_LIKE).get('@filename'))).toBe(true);
  });

  it('not scratch: aggregations (even keyed by pid, even cleared), and plain values kept per name', () => {
    expect(isScratch(mapUsage('k { @[pid] = count(); }').get('@'))).toBe(false);
    expect(isScratch(mapUsage('k { @c[tid] = count(); delete(@c[tid]); }').get('@c'))).toBe(false);
    expect(isScratch(mapUsage('k { @last[comm] = nsecs; }').get('@last'))).toBe(false);
    expect(isScratch(mapUsage('k { @lat = nsecs; }').get('@lat'))).toBe(false);
    expect(isScratch(undefined)).toBe(false);
  });

  it('a ranking: a count or sum keyed by names (comm, probe, str(…)), not by numbers or per task', () => {
    const ranking = (code: string, map = '@') => isNameRanking(mapUsage(code).get(map));
    expect(ranking('k { @[comm] = count(); }')).toBe(true);
    expect(ranking('k { @bytes[comm, pid] = sum(arg2); }', '@bytes')).toBe(true);
    expect(ranking('k { @[probe] = count(); }')).toBe(true);
    expect(ranking('k { @[str(args->filename, 32)] = count(); }')).toBe(true);
    expect(ranking('k { @[cpu] = count(); }')).toBe(false);
    expect(ranking('k { @[args->id] = count(); }')).toBe(false);
    expect(ranking('k { @[comm] = max(arg0); }')).toBe(false);
    expect(ranking('k { @last[comm] = nsecs; }', '@last')).toBe(false);
  });
});
