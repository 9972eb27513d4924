/**
 * Control-chart constants (docs/methods.md §5.1). d2 to 3 decimals and d3 to 7 decimals are the qcc
 * `exp.R.unscaled` / `se.R.unscaled` tables: they reproduce the NIST and qcc published limits, which
 * the exact d2 (1.128379…) does not. c4 is computed exactly from the gamma function.
 */

import { lnGamma } from './dist.js';
import { SpcInputError } from './errors.js';

/** Identifies the constants table in provenance records. */
export const CONSTANTS_TABLE_ID = 'qcc-d2-3dp-d3-7dp-c4-exact';

// Index = subgroup size n (index 0 and 1 unused).
const D2: readonly number[] = [
  Number.NaN,
  Number.NaN,
  1.128,
  1.693,
  2.059,
  2.326,
  2.534,
  2.704,
  2.847,
  2.97,
  3.078,
  3.173,
  3.258,
  3.336,
  3.407,
  3.472,
  3.532,
  3.588,
  3.64,
  3.689,
  3.735,
  3.778,
  3.819,
  3.858,
  3.895,
  3.931,
];
const D3: readonly number[] = [
  Number.NaN,
  Number.NaN,
  0.8525033,
  0.8883697,
  0.8798108,
  0.8640855,
  0.8480442,
  0.8332108,
  0.8198378,
  0.8078413,
  0.7970584,
  0.787323,
  0.7784873,
  0.7704257,
  0.763033,
  0.7562217,
  0.7499188,
  0.7440627,
  0.7386021,
  0.7334929,
  0.728698,
  0.7241851,
  0.7199267,
  0.7158987,
  0.7120802,
  0.7084528,
];

/** Largest subgroup size with tabulated d2/d3; range-based charts beyond it should use X̄-S. */
export const MAX_RANGE_SUBGROUP = D2.length - 1;

function checkRangeSize(n: number): void {
  if (!Number.isInteger(n) || n < 2 || n > MAX_RANGE_SUBGROUP) {
    throw new SpcInputError(
      `range-based constants exist for subgroup sizes 2..${MAX_RANGE_SUBGROUP} (got ${n}); use the xbar-s chart`,
    );
  }
}

export function d2(n: number): number {
  checkRangeSize(n);
  return D2[n] as number;
}

export function d3(n: number): number {
  checkRangeSize(n);
  return D3[n] as number;
}

const c4Cache = new Map<number, number>();

/** c4(n) = √(2/(n−1)) · Γ(n/2)/Γ((n−1)/2), exact (through log-gamma to stay finite for large n). */
export function c4(n: number): number {
  if (!Number.isInteger(n) || n < 2) throw new SpcInputError(`c4 needs an integer n ≥ 2 (got ${n})`);
  let v = c4Cache.get(n);
  if (v === undefined) {
    v = Math.sqrt(2 / (n - 1)) * Math.exp(lnGamma(n / 2) - lnGamma((n - 1) / 2));
    c4Cache.set(n, v);
  }
  return v;
}

/** Derived factors, for display (limits are always computed from σ̂, never from these rounded factors). */
export function factors(n: number): {
  A2: number;
  D3: number;
  D4: number;
  A3: number;
  B3: number;
  B4: number;
  E2: number;
} {
  const dd2 = d2(n);
  const dd3 = d3(n);
  const cc4 = c4(n);
  const s = (3 * Math.sqrt(1 - cc4 * cc4)) / cc4;
  return {
    A2: 3 / (dd2 * Math.sqrt(n)),
    D3: Math.max(0, 1 - (3 * dd3) / dd2),
    D4: 1 + (3 * dd3) / dd2,
    A3: 3 / (cc4 * Math.sqrt(n)),
    B3: Math.max(0, 1 - s),
    B4: 1 + s,
    E2: 3 / dd2,
  };
}

/** Median moving range constants (Wheeler): σ̂ = MR̃/0.954; upper range limit 3.863·MR̃. */
export const MEDIAN_MR_D4 = 0.954;
export const MEDIAN_MR_URL_FACTOR = 3.863;
