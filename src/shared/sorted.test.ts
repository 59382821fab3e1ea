import { lowerBound, upperBound } from './sorted';

describe('lowerBound / upperBound', () => {
  const times = [10, 20, 20, 30];

  it('find the first element >= and > a key, equal elements included', () => {
    expect(lowerBound(times, 20)).toBe(1);
    expect(upperBound(times, 20)).toBe(3);
    expect(lowerBound(times, 15)).toBe(1);
    expect(upperBound(times, 15)).toBe(1);
  });

  it('answer the length past the end and 0 before the start', () => {
    expect(lowerBound(times, 31)).toBe(4);
    expect(upperBound(times, 30)).toBe(4);
    expect(lowerBound(times, -Infinity)).toBe(0);
    expect(upperBound(times, Infinity)).toBe(4);
    expect(lowerBound([], 1)).toBe(0);
  });

  it('compare strings by code unit, as a sorted index does', () => {
    const names = ['kprobe:a', 'kprobe:b', 'tracepoint:x'];
    expect(lowerBound(names, 'kprobe:b')).toBe(1);
    expect(lowerBound(names, 'kprobe:\uffff')).toBe(2);
  });
});
