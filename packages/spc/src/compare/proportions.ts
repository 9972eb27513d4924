/**
 * Proportions and rates before/after (docs/methods.md §6.3): pooled two-proportion z test with Fisher's
 * exact test when an expected count is below 5, and the exact conditional binomial test for two
 * Poisson rates (R's poisson.test). Two-sided exact p-values sum the outcomes no more likely than the
 * observed one, with R's relative tolerance 1 + 1e-7.
 */
import { binomialProbability, hypergeometricProbability, normalCdf } from '../dist.js';
import { SpcInputError } from '../errors.js';

const REL_ERR = 1 + 1e-7;

function checkCount(v: number, field: string): void {
  if (!(Number.isInteger(v) && v >= 0))
    throw new SpcInputError(`${field} must be a non-negative whole number (got ${v})`, field);
}

export interface ExactTestResult {
  p: number;
  pLess: number;
  pGreater: number;
}

/** Fisher's exact test on the 2×2 table [[x1, n1 − x1], [x2, n2 − x2]]. */
export function fisherExact(x1: number, n1: number, x2: number, n2: number): ExactTestResult {
  const N = n1 + n2;
  const K = x1 + x2;
  const lo = Math.max(0, K - n2);
  const hi = Math.min(K, n1);
  const pObs = hypergeometricProbability(x1, N, K, n1);
  let p = 0;
  let pLess = 0;
  let pGreater = 0;
  for (let k = lo; k <= hi; k++) {
    const pk = hypergeometricProbability(k, N, K, n1);
    if (pk <= pObs * REL_ERR) p += pk;
    if (k <= x1) pLess += pk;
    if (k >= x1) pGreater += pk;
  }
  return { p: Math.min(1, p), pLess: Math.min(1, pLess), pGreater: Math.min(1, pGreater) };
}

export interface TwoProportionResult {
  p1: number;
  p2: number;
  /** p̂₁ − p̂₂. */
  difference: number;
  z: number | null;
  /** p-values of the method used (Fisher when any expected count is < 5). */
  p: number;
  pLess: number;
  pGreater: number;
  method: 'z' | 'fisher';
}

export function twoProportionTest(x1: number, n1: number, x2: number, n2: number): TwoProportionResult {
  checkCount(x1, 'x1');
  checkCount(x2, 'x2');
  if (!(Number.isInteger(n1) && n1 > 0 && Number.isInteger(n2) && n2 > 0)) {
    throw new SpcInputError(`sample sizes must be positive whole numbers (got ${n1} and ${n2})`);
  }
  if (x1 > n1 || x2 > n2) throw new SpcInputError('a count of events exceeds its sample size');
  const pooled = (x1 + x2) / (n1 + n2);
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const expected = [n1 * pooled, n1 * (1 - pooled), n2 * pooled, n2 * (1 - pooled)];
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (expected.some((e) => e < 5) || !(se > 0)) {
    return { p1, p2, difference: p1 - p2, z: null, ...fisherExact(x1, n1, x2, n2), method: 'fisher' };
  }
  const z = (p1 - p2) / se;
  return {
    p1,
    p2,
    difference: p1 - p2,
    z,
    p: Math.min(1, 2 * Math.min(normalCdf(z), 1 - normalCdf(z))),
    pLess: normalCdf(z),
    pGreater: 1 - normalCdf(z),
    method: 'z',
  };
}

export interface TwoRateResult extends ExactTestResult {
  rate1: number;
  rate2: number;
  /** (x₁/e₁)/(x₂/e₂); null when x₂ = 0. */
  rateRatio: number | null;
  /** Expected x₁ under H₀: (x₁+x₂)·e₁/(e₁+e₂). */
  expectedCount1: number;
}

/** Exact test of two Poisson rates: x₁ ~ Binomial(x₁+x₂, e₁/(e₁+e₂)) under H₀. */
export function twoRateTest(x1: number, e1: number, x2: number, e2: number): TwoRateResult {
  checkCount(x1, 'x1');
  checkCount(x2, 'x2');
  if (!(e1 > 0 && e2 > 0 && Number.isFinite(e1) && Number.isFinite(e2))) {
    throw new SpcInputError(`exposures must be positive (got ${e1} and ${e2})`);
  }
  const n = x1 + x2;
  const pi = e1 / (e1 + e2);
  let p = 0;
  let pLess = 0;
  let pGreater = 0;
  const d = binomialProbability(x1, n, pi);
  for (let k = 0; k <= n; k++) {
    const pk = binomialProbability(k, n, pi);
    if (pk <= d * REL_ERR) p += pk;
    if (k <= x1) pLess += pk;
    if (k >= x1) pGreater += pk;
  }
  return {
    p: Math.min(1, p),
    pLess: Math.min(1, pLess),
    pGreater: Math.min(1, pGreater),
    rate1: x1 / e1,
    rate2: x2 / e2,
    rateRatio: x2 === 0 ? null : x1 / e1 / (x2 / e2),
    expectedCount1: n * pi,
  };
}
