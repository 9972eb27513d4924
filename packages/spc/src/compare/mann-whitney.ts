/**
 * Mann–Whitney U / Wilcoxon rank-sum (docs/methods.md §6.2), as R's wilcox.test: exact permutation
 * p-values without ties when both samples are under 50, else the normal approximation with the tie
 * correction and a continuity correction; plus the Hodges–Lehmann shift.
 */
import { normalCdf } from '../dist.js';
import { assertFiniteArray, SpcInputError } from '../errors.js';
import { median } from '../stats.js';

export interface MannWhitneyResult {
  /** U of the first sample: R₁ − n₁(n₁+1)/2 (R's W). */
  u: number;
  /** U of the second sample, n₁n₂ − U₁. */
  uOther: number;
  /** Two-sided p-value. */
  p: number;
  /** One-sided p-values: H₁ x tends to be smaller / larger than y. */
  pLess: number;
  pGreater: number;
  method: 'exact' | 'normal';
  /** Continuity-corrected z of the two-sided normal approximation (null for the exact method). */
  z: number | null;
  ties: boolean;
}

/** Mid-ranks of the pooled sample; returns the rank sum of x and the tie-group sizes. */
function rankSum(x: readonly number[], y: readonly number[]): { r1: number; tieSizes: number[] } {
  const pooled = [...x.map((v) => ({ v, g: 0 })), ...y.map((v) => ({ v, g: 1 }))].sort((a, b) => a.v - b.v);
  let r1 = 0;
  const tieSizes: number[] = [];
  for (let i = 0; i < pooled.length; ) {
    let j = i;
    while (j + 1 < pooled.length && (pooled[j + 1] as { v: number }).v === (pooled[i] as { v: number }).v)
      j++;
    const rank = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) if ((pooled[k] as { g: number }).g === 0) r1 += rank;
    if (j > i) tieSizes.push(j - i + 1);
    i = j + 1;
  }
  return { r1, tieSizes };
}

/**
 * Exact null distribution of U for sizes m, n without ties: counts[u] = number of arrangements.
 * Built position by position: an x placed at pooled position i after j earlier x's exceeds i − j y's.
 */
export function exactUDistribution(m: number, n: number): Float64Array {
  const max = m * n;
  const dp: Float64Array[] = [];
  for (let j = 0; j <= m; j++) dp.push(new Float64Array(max + 1));
  (dp[0] as Float64Array)[0] = 1;
  for (let i = 0; i < m + n; i++) {
    for (let j = Math.min(i, m - 1); j >= 0; j--) {
      const shift = i - j;
      if (shift > n) continue;
      const from = dp[j] as Float64Array;
      const to = dp[j + 1] as Float64Array;
      for (let u = max - shift; u >= 0; u--) {
        const c = from[u] as number;
        if (c !== 0) to[u + shift] = (to[u + shift] as number) + c;
      }
    }
  }
  return dp[m] as Float64Array;
}

export function mannWhitneyTest(
  x: readonly number[],
  y: readonly number[],
  options: { exact?: boolean; correct?: boolean } = {},
): MannWhitneyResult {
  assertFiniteArray(x, 'before');
  assertFiniteArray(y, 'after');
  if (x.length === 0 || y.length === 0)
    throw new SpcInputError('the Mann–Whitney test needs two non-empty samples');
  const m = x.length;
  const n = y.length;
  const { r1, tieSizes } = rankSum(x, y);
  const u = r1 - (m * (m + 1)) / 2;
  const ties = tieSizes.length > 0;
  const exact = options.exact ?? (m < 50 && n < 50 && !ties);
  if (exact && ties) throw new SpcInputError('an exact Mann–Whitney p-value is not available with ties');
  if (exact) {
    const counts = exactUDistribution(m, n);
    let total = 0;
    for (const c of counts) total += c;
    let le = 0;
    for (let k = 0; k <= u; k++) le += counts[k] as number;
    let ge = 0;
    for (let k = u; k <= m * n; k++) ge += counts[k] as number;
    const pLess = le / total;
    const pGreater = ge / total;
    const p = Math.min(1, 2 * (u > (m * n) / 2 ? pGreater : pLess));
    return { u, uOther: m * n - u, p, pLess, pGreater, method: 'exact', z: null, ties };
  }
  const N = m + n;
  const tieTerm = tieSizes.reduce((s, t) => s + (t ** 3 - t), 0) / (N * (N - 1));
  const sigma = Math.sqrt(((m * n) / 12) * (N + 1 - tieTerm));
  if (!(sigma > 0)) throw new SpcInputError('the Mann–Whitney test is undefined: all values are tied');
  const d = u - (m * n) / 2;
  const correct = options.correct ?? true;
  const cc = (c: number) => (correct ? c : 0);
  const zTwo = (d - cc(Math.sign(d) * 0.5)) / sigma;
  const zLess = (d + cc(0.5)) / sigma;
  const zGreater = (d - cc(0.5)) / sigma;
  return {
    u,
    uOther: m * n - u,
    p: Math.min(1, 2 * Math.min(normalCdf(zTwo), 1 - normalCdf(zTwo))),
    pLess: normalCdf(zLess),
    pGreater: 1 - normalCdf(zGreater),
    method: 'normal',
    z: zTwo,
    ties,
  };
}

/** Hodges–Lehmann shift: the median of all pairwise differences xᵢ − yⱼ. */
export function hodgesLehmann(x: readonly number[], y: readonly number[]): number {
  assertFiniteArray(x, 'before');
  assertFiniteArray(y, 'after');
  if (x.length === 0 || y.length === 0)
    throw new SpcInputError('the Hodges–Lehmann shift needs two non-empty samples');
  const diffs = new Float64Array(x.length * y.length);
  let k = 0;
  for (const a of x) for (const b of y) diffs[k++] = a - b;
  return median(diffs);
}
