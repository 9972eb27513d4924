/** Descriptive statistics shared by the charts and tests (docs/methods.md §0: n−1 SD, R type-7 quantiles). */
import { SpcInputError } from './errors.js';

export function sum(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] as number;
  return s;
}

export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) throw new SpcInputError('cannot take the mean of an empty series');
  return sum(values) / values.length;
}

/** Sample standard deviation (divisor n−1), two-pass for accuracy. */
export function sampleSd(values: ArrayLike<number>): number {
  const n = values.length;
  if (n < 2) throw new SpcInputError('a standard deviation needs at least 2 values');
  const m = mean(values);
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = (values[i] as number) - m;
    ss += d * d;
  }
  return Math.sqrt(ss / (n - 1));
}

export function sortedCopy(values: ArrayLike<number>): number[] {
  return Array.from(values).sort((a, b) => a - b);
}

/** R type-7 quantile of already sorted values: x[floor(h)] + frac·(next − this), h = (n−1)p. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) throw new SpcInputError('cannot take a quantile of an empty series');
  if (!(p >= 0 && p <= 1)) throw new SpcInputError(`quantile level must be in [0, 1] (got ${p})`);
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  const b = sorted[Math.min(lo + 1, n - 1)] as number;
  return a + (h - lo) * (b - a);
}

export function quantile(values: ArrayLike<number>, p: number): number {
  return quantileSorted(sortedCopy(values), p);
}

export function median(values: ArrayLike<number>): number {
  return quantile(values, 0.5);
}
