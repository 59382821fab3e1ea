import { InstanceValue } from '../pmapi/types';
import { InstanceNames } from './instanceNames';

const M = 'bpftrace.scripts.s1.data.bycomm';
const fetched = (...ids: Array<number | null>): InstanceValue[] => ids.map((instance, i) => ({ instance, value: i }));
const INDOM = [
  { instance: 0, name: 'bash' },
  { instance: 1, name: 'sshd' },
  { instance: 2, name: 'systemd' },
];

describe('InstanceNames', () => {
  it('names fetched instances by the indom, in fetch order', () => {
    const names = new InstanceNames();
    names.learn(M, INDOM);
    expect(names.keysOf(M, fetched(2, 0))).toEqual({ keys: ['systemd', 'bash'], complete: true });
  });

  it('says when an id has no name yet (the caller asks the indom), with the id standing in', () => {
    const names = new InstanceNames();
    expect(names.keysOf(M, fetched(0, 7))).toEqual({ keys: ['0', '7'], complete: false });
    names.learn(M, INDOM);
    expect(names.keysOf(M, fetched(0, 7))).toEqual({ keys: ['bash', '7'], complete: false });
    names.learn(M, [...INDOM, { instance: 7, name: 'cron' }]);
    expect(names.keysOf(M, fetched(0, 7))).toEqual({ keys: ['bash', 'cron'], complete: true });
  });

  it('gives a metric without instances the key ""', () => {
    expect(new InstanceNames().keysOf(M, fetched(null))).toEqual({ keys: [''], complete: true });
  });

  it('reuses the last keys while the ids are the same (nothing named again), and names a change', () => {
    const names = new InstanceNames();
    names.learn(M, INDOM);
    const first = names.keysOf(M, fetched(0, 1, 2));
    const same = names.keysOf(M, fetched(0, 1, 2));
    expect(same).toBe(first);
    // Another order, one gone, one more: new keys.
    expect(names.keysOf(M, fetched(1, 0)).keys).toEqual(['sshd', 'bash']);
    expect(names.keysOf(M, fetched(1, 0, 2)).keys).toEqual(['sshd', 'bash', 'systemd']);
  });

  it('forgets names after a restart (ids may name other things)', () => {
    const names = new InstanceNames();
    names.learn(M, INDOM);
    names.keysOf(M, fetched(0));
    names.clear();
    expect(names.keysOf(M, fetched(0))).toEqual({ keys: ['0'], complete: false });
    names.learn(M, INDOM);
    names.forget(M);
    expect(names.keysOf(M, fetched(1)).complete).toBe(false);
  });
});
