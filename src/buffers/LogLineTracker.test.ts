// execsnoop.json and csvtable.json are tests/fixtures recorded from the real stack (pmproxy + pmcd
// + bpftrace PMDA + bpftrace 0.17): the PMDA's printf text in two fetches a few seconds apart,
// accumulated (execsnoop) and header + last 5 lines (csvtable, `// table-retain-lines: 5`).
import { LogLineTracker, longestOverlap } from './LogLineTracker';
import { fixtureOutput, T0 } from '../test/fixtures';

function bodies(t: LogLineTracker): readonly string[] {
  return t.columns.bodies;
}

describe('LogLineTracker', () => {
  it('takes each line of the real accumulated printf output once, in order', () => {
    const first = fixtureOutput('execsnoop.json', 0);
    const second = fixtureOutput('execsnoop.json', 1);
    expect(second.startsWith(first)).toBe(true); // the PMDA hands over everything so far
    const firstLines = first.split('\n').slice(0, -1);
    const allLines = second.split('\n').slice(0, -1);

    const t = new LogLineTracker();
    expect(t.update(first, T0)).toBe(firstLines.length);
    expect(t.update(second, T0 + 3000)).toBe(allLines.length - firstLines.length);
    expect(t.update(second, T0 + 6000)).toBe(0);
    expect(t.lineCount).toBe(allLines.length);
    expect(bodies(t)).toEqual(allLines);
    expect(bodies(t)[0]).toBe('24838    bash             /usr/bin/ls');

    const { times, ids } = t.columns;
    expect(times[0]).toBe(T0);
    expect(times[firstLines.length - 1]).toBe(T0);
    expect(times[firstLines.length]).toBe(T0 + 3000);
    expect(new Set(ids).size).toBe(allLines.length);
  });

  it('takes the real retained CSV output without repeating its header', () => {
    const first = fixtureOutput('csvtable.json', 0);
    const second = fixtureOutput('csvtable.json', 1);
    const t = new LogLineTracker();
    expect(t.update(first, T0)).toBe(6);
    // All five retained lines were replaced (new pid): five new lines, the header kept once.
    expect(t.update(second, T0 + 3000)).toBe(5);
    expect(bodies(t).filter((b) => b === 'comm,pid,file')).toHaveLength(1);
    expect(bodies(t).slice(6)).toEqual(second.split('\n').slice(1, 6));
  });

  it('numbers the lines of one tick in order, with an id unique per line', () => {
    const t = new LogLineTracker();
    t.update('a\nb\n', T0);
    expect(t.columns).toEqual({ times: [T0, T0], nanos: [0, 1], bodies: ['a', 'b'], ids: [`${T0}_0`, `${T0}_1`] });
  });

  it('waits for an unfinished last line until it is complete', () => {
    const t = new LogLineTracker();
    expect(t.update('one\ntw', T0)).toBe(1);
    expect(t.update('one\ntwo\nthr', T0 + 1000)).toBe(1);
    expect(t.update('one\ntwo\nthree\n', T0 + 2000)).toBe(1);
    expect(bodies(t)).toEqual(['one', 'two', 'three']);
    expect(t.columns.times).toEqual([T0, T0 + 1000, T0 + 2000]);
  });

  it('counts repeated identical lines when the text grows', () => {
    const t = new LogLineTracker();
    expect(t.update('tick\ntick\n', T0)).toBe(2);
    expect(t.update('tick\ntick\ntick\n', T0 + 1000)).toBe(1);
    expect(t.update('tick\ntick\ntick\ntick\ntick\n', T0 + 2000)).toBe(2);
    expect(t.lineCount).toBe(5);
  });

  it('finds what is new when old lines drop out of the front (table-retain-lines)', () => {
    const t = new LogLineTracker();
    expect(t.update('H\na\nb\nc\n', T0)).toBe(4);
    expect(t.update('H\nc\nd\ne\n', T0 + 1000)).toBe(2);
    expect(t.update('H\ne\nf\ng\n', T0 + 2000)).toBe(2);
    expect(bodies(t)).toEqual(['H', 'a', 'b', 'c', 'd', 'e', 'f', 'g']);
  });

  it('takes every line as new when nothing overlaps (more lines than retained came in one tick)', () => {
    const t = new LogLineTracker();
    t.update('H\na\nb\n', T0);
    expect(t.update('H\nx\ny\n', T0 + 1000)).toBe(2);
    expect(bodies(t)).toEqual(['H', 'a', 'b', 'x', 'y']);
  });

  it('prefers the reading in which the new text continues the old one when lines repeat', () => {
    const t = new LogLineTracker();
    t.update('H\nt\nt\nu\n', T0);
    // Read as "t, u" seen before and one new "t" (not as three new lines): the longest overlap wins.
    expect(t.update('H\nt\nu\nt\n', T0 + 1000)).toBe(1);
    expect(bodies(t)).toEqual(['H', 't', 't', 'u', 't']);
    // A full retained window of identical lines that does not change is read as nothing new.
    const same = new LogLineTracker();
    same.update('H\nt\nt\n', T0);
    expect(same.update('H\nt\nt\n', T0 + 1000)).toBe(0);
  });

  it('adds nothing when the text shrinks to a part of the old one, and starts over after that', () => {
    const t = new LogLineTracker();
    t.update('a\nb\nc\n', T0);
    expect(t.update('a\nb\n', T0 + 1000)).toBe(0);
    expect(t.update('', T0 + 2000)).toBe(0);
    expect(t.update('x\n', T0 + 3000)).toBe(1);
    expect(bodies(t)).toEqual(['a', 'b', 'c', 'x']);
  });

  it('takes all lines of output that starts over with something else', () => {
    const t = new LogLineTracker();
    t.update('a\nb\n', T0);
    expect(t.update('p\nq\n', T0 + 1000)).toBe(2);
    expect(bodies(t)).toEqual(['a', 'b', 'p', 'q']);
  });

  it('strips the CR of CRLF lines and keeps empty lines', () => {
    const t = new LogLineTracker();
    expect(t.update('a\r\n\r\nb\r\n', T0)).toBe(3);
    expect(bodies(t)).toEqual(['a', '', 'b']);
  });

  it('keeps at most maxLines, dropping the oldest, without changing columns handed out before', () => {
    const t = new LogLineTracker({ maxLines: 3 });
    t.update('1\n2\n', T0);
    const before = t.columns;
    const snapshot = JSON.parse(JSON.stringify(before));
    expect(t.update('1\n2\n3\n4\n5\n', T0 + 1000)).toBe(3);
    expect(bodies(t)).toEqual(['3', '4', '5']);
    expect(t.lineCount).toBe(3);
    expect(before).toEqual(snapshot);
    const ids = t.columns.ids;
    expect(ids).toEqual([`${T0 + 1000}_2`, `${T0 + 1000}_3`, `${T0 + 1000}_4`]);
    // More new lines than maxLines in one tick: the newest maxLines.
    expect(t.update('1\n2\n3\n4\n5\n6\n7\n8\n9\n', T0 + 2000)).toBe(4);
    expect(bodies(t)).toEqual(['7', '8', '9']);
  });

  it('rejects a maxLines below 1', () => {
    expect(() => new LogLineTracker({ maxLines: 0 })).toThrow(RangeError);
  });

  it('does work proportional to the new text when the text only grows', () => {
    // 6 MB of output, 10 lines a tick for 6000 ticks; re-reading the whole text each tick (a split,
    // a full comparison) takes 5 s or more, taking only the new lines some tens of ms.
    const line = 'x'.repeat(100) + '\n';
    const full = line.repeat(60_000);
    const t = new LogLineTracker({ maxLines: 100_000 });
    const start = Date.now();
    let taken = 0;
    for (let n = 0; n <= full.length; n += line.length * 10) {
      taken += t.update(full.slice(0, n), T0 + n);
    }
    expect(taken).toBe(60_000);
    expect(Date.now() - start).toBeLessThan(1000);
  });
});

describe('longestOverlap', () => {
  it('finds the longest end of a that b starts with', () => {
    expect(longestOverlap(['a', 'b', 'c'], 0, ['b', 'c', 'd'], 0)).toBe(2);
    expect(longestOverlap(['a', 'b', 'c'], 0, ['x'], 0)).toBe(0);
    expect(longestOverlap(['t', 't', 't'], 0, ['t', 't', 't', 't'], 0)).toBe(3);
    expect(longestOverlap(['a', 'b', 'a', 'b'], 0, ['a', 'b', 'a', 'c'], 0)).toBe(2);
    expect(longestOverlap(['H', 'a', 'b'], 1, ['H', 'b', 'c'], 1)).toBe(1);
    expect(longestOverlap([], 0, ['a'], 0)).toBe(0);
  });

  it('stays linear when every line is the same', () => {
    const same = new Array<string>(200_000).fill('tick');
    const start = Date.now();
    expect(longestOverlap(same, 0, same, 0)).toBe(200_000);
    expect(Date.now() - start).toBeLessThan(1000);
  });

  it('keeps an unterminated last line apart until it is complete', () => {
    const t = new LogLineTracker();
    t.update('HEADER\n123 ls', T0);
    expect(t.partial).toBe('123 ls');
    expect(t.partialLine).toEqual({ text: '123 ls', at: T0, id: 'partial_1' });
    expect(t.lineCount).toBe(1);
    t.update('HEADER\n123 ls -l /etc\n', T0 + 1000);
    expect(t.partialLine).toBeUndefined();
    expect(bodies(t)).toEqual(['HEADER', '123 ls -l /etc']);
  });

  it('finds the lines that arrived in a time range', () => {
    const t = new LogLineTracker();
    t.update('a\n', T0);
    t.update('a\nb\nc\n', T0 + 1000);
    t.update('a\nb\nc\nd\n', T0 + 2000);
    expect(t.linesIn(T0 + 500, T0 + 1500)).toEqual(['b', 'c']);
    expect(t.linesIn(T0 + 2000)).toEqual(['d']);
    expect(t.linesIn(T0 - 10_000, T0 - 1)).toEqual([]);
    expect(t.rowsIn(T0, T0)).toEqual([0, 1]);
  });

  it('counts the lines its cap drops, so the panel can say so', () => {
    const t = new LogLineTracker({ maxLines: 3 });
    t.update('1\n2\n', T0);
    expect(t.dropped).toBe(0);
    t.update('1\n2\n3\n4\n5\n', T0 + 1000);
    expect(t.dropped).toBe(2);
    expect(bodies(t)).toEqual(['3', '4', '5']);
  });
});
