import { describe, expect, it } from 'vitest';
import { analyzeChart, type ChartSpec } from './charts/engine.js';
import { normalCdf } from './dist.js';
import { createRng } from './models/montecarlo.js';
import { DEFAULT_RULES } from './rules.js';

/**
 * In-control false alarms of the default rule set (WE1 + WE4, docs/methods.md §5.7), by simulation:
 * 1,000 independent in-control series of 100 points per chart type, limits from the known parameters
 * (the published rates assume them), every point judged by the engine. The share of flagged points is
 * compared with its exact value.
 *
 * Exact per-point rate of independent points. WE1 flags a point beyond the limits, with probability
 * a = P(|z| > 3) (0.0026998 for a normal statistic: ARL₀ = 1/a = 370.4). WE4 flags point i ≥ 8 when
 * points i−7…i all lie above the centre line, or all below (each on its side with probabilities q₊, q₋);
 * its flags cluster (every point from the 8th of a run on), which is why the share of flagged points is
 * not 1/ARL₀ (ARL₀ ≈ 153 for WE1 + WE4, Champ & Woodall 1987). So, for i ≥ 8,
 *   r = P(WE1 or WE4 at i) = a + q₊'·q₊⁷ + q₋'·q₋⁷,  q±' = P(on that side and within the limits),
 * and a for i < 8; over 100 points the expected share is (7a + 93r)/100. For a normal statistic
 * q± = ½, q±' = ½ − Φ(−3): r = 0.0104912 and the share is 0.0099458.
 *
 * Tolerance. The share is a mean of N = 100,000 indicators; alone they would give a binomial standard
 * error √(r(1 − r)/N) ≈ 0.00032. WE4's flags come in clusters whose size K, once a run reaches 8, is
 * geometric (each next point continues the run with probability ½): E[K] = 2, E[K²] = 6, so the variance
 * is inflated by E[K²]/E[K] = 3 (the design effect of clustered counts). The tolerance is 4 standard
 * errors with that inflation, 4·√(3·r(1 − r)/N) — a correct engine falls outside it with probability
 * below 10⁻⁴, while a misread rule (a 7- or 9-point run, ≥ instead of >) moves the share by 50 % or more.
 * The generator is seeded, so the test is deterministic.
 *
 * The attribute charts use realistic sizes, with counts large enough for their statistic to be nearly
 * symmetric: a p chart of 200 items a period at p = 0.1, a u chart of 8–12 KLOC at 2 defects per KLOC,
 * a c chart at c̄ = 16 (NIST 6.3.3.1). Their exact rates come from the binomial and Poisson instead of
 * the normal; being discrete, they sit below the normal rate, and the share must also stay within the
 * published (normal) rate: the default rules raise no more false alarms on them than documented.
 */
const SERIES = 1_000;
const POINTS = 100;
const N = SERIES * POINTS;

/** Exact expected share of flagged points from the per-point probabilities (see above). */
function expectedShare(p: {
  beyond: number;
  above: number;
  below: number;
  aboveIn: number;
  belowIn: number;
}) {
  const r = p.beyond + p.aboveIn * p.above ** 7 + p.belowIn * p.below ** 7;
  return { share: (7 * p.beyond + (POINTS - 7) * r) / POINTS, r };
}

const tolerance = (r: number) => 4 * Math.sqrt((3 * r * (1 - r)) / N);

const NORMAL = expectedShare({
  beyond: 2 * normalCdf(-3),
  above: 0.5,
  below: 0.5,
  aboveIn: 0.5 - normalCdf(-3),
  belowIn: 0.5 - normalCdf(-3),
});

/** The share of points the default rules flag over the simulated series. */
function flaggedShare(seed: number, series: (rng: () => number) => ChartSpec): number {
  const rng = createRng(seed);
  let flagged = 0;
  for (let s = 0; s < SERIES; s++) {
    const result = analyzeChart({ ...series(rng), rules: DEFAULT_RULES });
    for (const p of result.points) if (p.rules.length > 0) flagged++;
  }
  return flagged / N;
}

/** Inversion sampler of a discrete distribution on 0..pmf.length−1. */
function sampler(pmf: readonly number[]): (u: number) => number {
  const cdf: number[] = [];
  let sum = 0;
  for (const p of pmf) {
    sum += p;
    cdf.push(sum);
  }
  return (u) => {
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (u < (cdf[mid] as number)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}

function poissonPmf(lambda: number): number[] {
  const out = [Math.exp(-lambda)];
  for (let k = 1; k <= lambda + 20 * Math.sqrt(lambda) + 20; k++)
    out.push(((out[k - 1] as number) * lambda) / k);
  return out;
}

function binomialPmf(n: number, p: number): number[] {
  const out = [(1 - p) ** n];
  for (let k = 1; k <= n; k++) out.push(((out[k - 1] as number) * (n - k + 1) * p) / (k * (1 - p)));
  return out;
}

/** Per-point probabilities of a count statistic x/size against centre c and 3σ limits (σ = sd/size). */
function countProbabilities(pmf: readonly number[], size: number, center: number, sd: number) {
  const ucl = center + (3 * sd) / size;
  const lcl = center - (3 * sd) / size;
  const out = { beyond: 0, above: 0, below: 0, aboveIn: 0, belowIn: 0 };
  pmf.forEach((p, k) => {
    const y = k / size;
    const out3 = y > ucl || y < lcl;
    if (out3) out.beyond += p;
    if (y > center) {
      out.above += p;
      if (!out3) out.aboveIn += p;
    }
    if (y < center) {
      out.below += p;
      if (!out3) out.belowIn += p;
    }
  });
  return out;
}

describe('in-control false alarms of the default rule set (WE1 + WE4)', () => {
  it('the exact normal rate is the one derived from the published WE1 rate', () => {
    expect(2 * normalCdf(-3)).toBeCloseTo(0.0026998, 7);
    expect(NORMAL.r).toBeCloseTo(0.0104912, 7);
    expect(NORMAL.share).toBeCloseTo(0.0099458, 7);
  });

  it('XmR on i.i.d. normal data flags its expected share of points', () => {
    const share = flaggedShare(1, (rng) => {
      const values: number[] = [];
      for (let i = 0; i < POINTS; i++) {
        const u = 1 - rng();
        values.push(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng()));
      }
      return { chart: 'xmr', values, center: 0, sigma: 1 };
    });
    expect(Math.abs(share - NORMAL.share)).toBeLessThanOrEqual(tolerance(NORMAL.r));
  });

  it('p chart (n = 200, p = 0.1) flags its exact binomial share, within the published rate', () => {
    const n = 200;
    const p = 0.1;
    const pmf = binomialPmf(n, p);
    const draw = sampler(pmf);
    const exact = expectedShare(countProbabilities(pmf, n, p, Math.sqrt(n * p * (1 - p))));
    const share = flaggedShare(2, (rng) => ({
      chart: 'p',
      counts: Array.from({ length: POINTS }, () => draw(rng())),
      sizes: Array(POINTS).fill(n),
      center: p,
      sigma: Math.sqrt(p * (1 - p)),
    }));
    expect(Math.abs(share - exact.share)).toBeLessThanOrEqual(tolerance(exact.r));
    expect(share).toBeLessThanOrEqual(NORMAL.share + tolerance(NORMAL.r));
  });

  it('u chart (8–12 KLOC, 2 defects per KLOC) flags its exact Poisson share, within the published rate', () => {
    const u = 2;
    const sizes = [8, 9, 10, 11, 12];
    const pmfs = sizes.map((n) => poissonPmf(n * u));
    const draws = pmfs.map(sampler);
    // Exposures are i.i.d. uniform over `sizes`: each probability is the average over them.
    const per = sizes.map((n, k) => countProbabilities(pmfs[k] as number[], n, u, Math.sqrt(n * u)));
    const mean = (f: (x: (typeof per)[number]) => number) => per.reduce((s, x) => s + f(x), 0) / per.length;
    const exact = expectedShare({
      beyond: mean((x) => x.beyond),
      above: mean((x) => x.above),
      below: mean((x) => x.below),
      aboveIn: mean((x) => x.aboveIn),
      belowIn: mean((x) => x.belowIn),
    });
    const share = flaggedShare(3, (rng) => {
      const counts: number[] = [];
      const exposure: number[] = [];
      for (let i = 0; i < POINTS; i++) {
        const k = Math.min(sizes.length - 1, Math.floor(rng() * sizes.length));
        exposure.push(sizes[k] as number);
        counts.push((draws[k] as (u: number) => number)(rng()));
      }
      return { chart: 'u', counts, sizes: exposure, center: u, sigma: Math.sqrt(u) };
    });
    expect(Math.abs(share - exact.share)).toBeLessThanOrEqual(tolerance(exact.r));
    expect(share).toBeLessThanOrEqual(NORMAL.share + tolerance(NORMAL.r));
  });

  it('c chart (c̄ = 16, NIST 6.3.3.1) flags its exact Poisson share, within the published rate', () => {
    const c = 16;
    const pmf = poissonPmf(c);
    const draw = sampler(pmf);
    const exact = expectedShare(countProbabilities(pmf, 1, c, Math.sqrt(c)));
    const share = flaggedShare(4, (rng) => ({
      chart: 'c',
      counts: Array.from({ length: POINTS }, () => draw(rng())),
      center: c,
      sigma: Math.sqrt(c),
    }));
    expect(Math.abs(share - exact.share)).toBeLessThanOrEqual(tolerance(exact.r));
    expect(share).toBeLessThanOrEqual(NORMAL.share + tolerance(NORMAL.r));
  });
});
