/**
 * Distribution functions, delegated to the stdlib-js packages (ports of Boost/Cephes with published
 * accuracy tests) instead of hand-written approximations: p-values and intervals must match R.
 */
import gammaln from '@stdlib/math-base-special-gammaln';
import binomialPmf from '@stdlib/stats-base-dists-binomial-pmf';
import hypergeometricPmf from '@stdlib/stats-base-dists-hypergeometric-pmf';
import normalCdfImpl from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantileImpl from '@stdlib/stats-base-dists-normal-quantile';
import tCdfImpl from '@stdlib/stats-base-dists-t-cdf';
import tQuantileImpl from '@stdlib/stats-base-dists-t-quantile';

/** Standard normal CDF Φ(x). */
export function normalCdf(x: number): number {
  return normalCdfImpl(x, 0, 1);
}

/** Standard normal quantile Φ⁻¹(p). */
export function normalQuantile(p: number): number {
  return normalQuantileImpl(p, 0, 1);
}

/** Student t CDF with ν degrees of freedom (ν may be fractional, as in Welch's test). */
export function tCdf(x: number, df: number): number {
  return tCdfImpl(x, df);
}

export function tQuantile(p: number, df: number): number {
  return tQuantileImpl(p, df);
}

export function lnGamma(x: number): number {
  return gammaln(x);
}

export function binomialProbability(k: number, n: number, p: number): number {
  return binomialPmf(k, n, p);
}

/** P(X = k) for X ~ Hypergeometric(population N, K successes in population, n draws). */
export function hypergeometricProbability(k: number, N: number, K: number, n: number): number {
  return hypergeometricPmf(k, N, K, n);
}
