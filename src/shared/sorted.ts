/**
 * Binary search over an ascending array (numbers or strings, compared with `<`): the one copy the
 * buffers, the frame builders and the probe index share. Pure: imports nothing.
 */

/** The first index whose element is >= `key` (`items.length` when there is none). */
export function lowerBound<T extends number | string>(items: ArrayLike<T>, key: T): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (items[mid] < key) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

/** The first index whose element is > `key` (`items.length` when there is none). */
export function upperBound<T extends number | string>(items: ArrayLike<T>, key: T): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (items[mid] <= key) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}
