import { durationText } from './duration';

describe('durationText', () => {
  it('gives seconds under a minute, minutes and seconds above', () => {
    expect(durationText(0)).toBe('0 s');
    expect(durationText(45_400)).toBe('45 s');
    expect(durationText(59_600)).toBe('1 min');
    expect(durationText(134_000)).toBe('2 min 14 s');
    expect(durationText(3_600_000)).toBe('60 min');
  });
});
