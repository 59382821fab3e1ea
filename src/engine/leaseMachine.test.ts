import { readFileSync } from 'fs';
import path from 'path';
import { holdsScript, isRead, LeaseEventType, LeasePhase, transition, TRANSITIONS } from './leaseMachine';

const PHASES: LeasePhase[] = [
  'pending',
  'registering',
  'waiting',
  'starting',
  'running',
  'stalled',
  'exited',
  'restarting',
  'failed',
  'retiring',
  'releasing',
  'released',
];

// Every transition the lease may take, written out once more by hand: a change to the table
// must be a change to this list too (and to docs/lifecycle.md, checked below).
const EXPECTED: Array<[LeasePhase, LeaseEventType, LeasePhase | 'resume']> = [
  ['pending', 'registerStarted', 'registering'],
  ['registering', 'registered', 'starting'],
  ['registering', 'joined', 'starting'],
  ['waiting', 'joined', 'starting'],
  ['registering', 'notRunning', 'waiting'],
  ['registering', 'registerFailed', 'pending'],
  ['registering', 'rejected', 'failed'],
  ['starting', 'rejected', 'failed'],
  ['running', 'rejected', 'failed'],
  ['stalled', 'rejected', 'failed'],
  ['starting', 'printed', 'running'],
  ['running', 'printed', 'running'],
  ['stalled', 'printed', 'running'],
  ['starting', 'silent', 'stalled'],
  ['running', 'silent', 'stalled'],
  ['starting', 'exited', 'exited'],
  ['running', 'exited', 'exited'],
  ['stalled', 'exited', 'exited'],
  ['starting', 'died', 'restarting'],
  ['running', 'died', 'restarting'],
  ['stalled', 'died', 'restarting'],
  ['restarting', 'restartDue', 'pending'],
  ['restarting', 'gaveUp', 'failed'],
  ['registering', 'gaveUp', 'failed'],
  ['pending', 'gaveUp', 'failed'],
  ['starting', 'vanished', 'pending'],
  ['running', 'vanished', 'pending'],
  ['stalled', 'vanished', 'pending'],
  ['exited', 'vanished', 'pending'],
  ['retiring', 'vanished', 'released'],
  ['releasing', 'vanished', 'released'],
  ...(
    ['pending', 'registering', 'waiting', 'starting', 'running', 'stalled', 'exited', 'restarting', 'failed'] as const
  ).map((p): [LeasePhase, LeaseEventType, LeasePhase] => [p, 'unheld', 'retiring']),
  ['retiring', 'held', 'resume'],
  ['releasing', 'held', 'pending'],
  ['released', 'held', 'pending'],
  ['retiring', 'graceOver', 'releasing'],
  ['releasing', 'othersRead', 'released'],
  ['releasing', 'deregistered', 'released'],
];

describe('the lease state machine', () => {
  const events = Object.keys(TRANSITIONS) as LeaseEventType[];

  it.each(EXPECTED)('%s --%s--> %s', (from, event, to) => {
    expect(transition(from, event)).toBe(to);
  });

  it('has no transition besides those (every other pair is ignored)', () => {
    const allowed = new Set(EXPECTED.map(([f, e]) => `${f}/${e}`));
    for (const phase of PHASES) {
      for (const event of events) {
        if (!allowed.has(`${phase}/${event}`)) {
          expect([phase, event, transition(phase, event)]).toEqual([phase, event, undefined]);
        }
      }
    }
  });

  it('never leaves failed except when the last holder goes (retrying the same text cannot help)', () => {
    expect(events.filter((e) => transition('failed', e) !== undefined)).toEqual(['unheld']);
  });

  it('a released lease only comes back when someone holds it again', () => {
    expect(events.filter((e) => transition('released', e) !== undefined)).toEqual(['held']);
  });

  it('reads exactly the phases that have a script to read, and the cap counts what holds one', () => {
    expect(PHASES.filter(isRead)).toEqual(['starting', 'running', 'stalled', 'exited', 'retiring']);
    expect(PHASES.filter(holdsScript)).toEqual([
      'registering',
      'starting',
      'running',
      'stalled',
      'exited',
      'restarting',
      'retiring',
      'releasing',
    ]);
  });

  it('docs/lifecycle.md draws the same transitions', () => {
    const doc = readFileSync(path.resolve(__dirname, '../../docs/lifecycle.md'), 'utf8');
    const drawn = new Set(
      [...doc.matchAll(/^\s*(\w+) --> (\w+) ?: ?(\w+)/gm)].map(([, from, to, event]) => `${from}/${event}/${to}`)
    );
    const expected = new Set(
      EXPECTED.filter(([, , to]) => to !== 'resume').map(([from, event, to]) => `${from}/${event}/${to}`)
    );
    expect([...drawn].sort()).toEqual([...expected].sort());
  });
});
