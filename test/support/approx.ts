import { expect } from 'vitest';

/**
 * An expected value whose fractional numbers match within 12 significant digits. ClickHouse sums Float64
 * columns in parallel, in an order that varies from run to run, so the same SQL can return 307.41548527808067
 * once and 307.4154852780807 the next: equal formulas, different last bits. Integers stay exact.
 */
export function approx<T>(value: T): T {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || Number.isInteger(value)) return value;
    const digits = 12 - Math.ceil(Math.log10(Math.abs(value)));
    return expect.closeTo(value, Math.max(0, digits)) as T;
  }
  if (Array.isArray(value)) return value.map(approx) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, approx(v)])) as T;
  }
  return value;
}
