import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalCdf } from '../dist.js';
import { longley, norris } from '../fixtures/nist.js';
import { createRng, monteCarlo, wilsonInterval } from './montecarlo.js';
import { multipleRegression, simpleRegression } from './regression.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('linear regression (docs/methods.md §7.1)', () => {
  it('NIST StRD Norris certified values', () => {
    const m = simpleRegression(norris.x, norris.y);
    const c = norris.certified;
    expect(rel(m.coefficients[0] as number, c.intercept)).toBeLessThan(1e-10);
    expect(rel(m.coefficients[1] as number, c.slope)).toBeLessThan(1e-12);
    expect(rel(m.standardErrors[0] as number, c.seIntercept)).toBeLessThan(1e-10);
    expect(rel(m.standardErrors[1] as number, c.seSlope)).toBeLessThan(1e-10);
    expect(rel(m.residualSd, c.residualSd)).toBeLessThan(1e-10);
    expect(rel(m.rSquared, c.rSquared)).toBeLessThan(1e-13);
  });

  it('NIST StRD Longley certified values (multiple regression, ill-conditioned)', () => {
    const y = longley.rows.map((r) => r[0] as number);
    const x = longley.rows.map((r) => r.slice(1));
    const m = multipleRegression(x, y);
    for (const [j, b] of longley.certified.coefficients.entries()) {
      expect(rel(m.coefficients[j] as number, b)).toBeLessThan(1e-8);
    }
    for (const [j, se] of longley.certified.standardErrors.entries()) {
      expect(rel(m.standardErrors[j] as number, se)).toBeLessThan(1e-8);
    }
    expect(rel(m.residualSd, longley.certified.residualSd)).toBeLessThan(1e-9);
    expect(rel(m.rSquared, longley.certified.rSquared)).toBeLessThan(1e-12);
  });

  it('multiple regression with one predictor equals the simple regression, intervals included', () => {
    const s = simpleRegression(norris.x, norris.y);
    const m = multipleRegression(
      norris.x.map((v) => [v]),
      norris.y,
    );
    expect(rel(m.coefficients[1] as number, s.slope)).toBeLessThan(1e-12);
    const a = s.predict(500, 0.9);
    const b = m.predict([500], 0.9);
    expect(rel(b.fit, a.fit)).toBeLessThan(1e-12);
    expect(rel(b.predictionInterval[1], a.predictionInterval[1])).toBeLessThan(1e-12);
    expect(rel(b.confidenceInterval[0], a.confidenceInterval[0])).toBeLessThan(1e-12);
  });

  it('prediction interval ŷ₀ ± t·s·√(1 + 1/n + (x₀−x̄)²/Sxx); P(Y₀ ≤ target) is ½ at ŷ₀', () => {
    const s = simpleRegression(norris.x, norris.y);
    const pred = s.predict(400);
    const half = (pred.predictionInterval[1] - pred.predictionInterval[0]) / 2;
    // t_{0.975, 34} = 2.032244509317718 (R qt(0.975, 34)).
    const expected = 2.032244509317718 * s.residualSd * Math.sqrt(1 + 1 / 36 + (400 - s.xMean) ** 2 / s.sxx);
    expect(rel(half, expected)).toBeLessThan(1e-12);
    expect(s.probabilityOfMeeting(400, pred.fit)).toBeCloseTo(0.5, 12);
    expect(s.probabilityOfMeeting(400, pred.predictionInterval[1])).toBeCloseTo(0.975, 10);
    expect(s.probabilityOfMeeting(400, pred.predictionInterval[1], 'higher')).toBeCloseTo(0.025, 10);
  });

  it('rejects constant x and collinear predictors', () => {
    expect(() => simpleRegression([1, 1, 1], [1, 2, 3])).toThrow(/no variation/);
    expect(() =>
      multipleRegression(
        [
          [1, 2],
          [2, 4],
          [3, 6],
          [4, 8],
        ],
        [1, 2, 3, 5],
      ),
    ).toThrow(/collinear/);
  });
});

describe('Monte Carlo (docs/methods.md §7.2)', () => {
  it('three normal phases N(10,2)+N(20,3)+N(15,2.5) ≤ 50 converge to Φ(5/√19.25) = 0.87277 ± 0.005', () => {
    const exact = normalCdf(5 / Math.sqrt(19.25));
    expect(exact).toBeCloseTo(0.87277, 5);
    const r = monteCarlo({
      inputs: {
        a: { kind: 'normal', mean: 10, sd: 2 },
        b: { kind: 'normal', mean: 20, sd: 3 },
        c: { kind: 'normal', mean: 15, sd: 2.5 },
      },
      model: (s) => (s.a as number) + (s.b as number) + (s.c as number),
      objective: { target: 50, direction: 'lower' },
      iterations: 100_000,
      seed: 42,
    });
    expect(Math.abs(r.pAttain - exact)).toBeLessThan(0.005);
    expect(r.wilson95[0]).toBeLessThan(r.pAttain);
    expect(r.wilson95[1]).toBeGreaterThan(r.pAttain);
    expect(Math.abs(r.p50 - 45)).toBeLessThan(0.1);
    expect(Math.abs(r.p95 - (45 + 1.6448536269514722 * Math.sqrt(19.25)))).toBeLessThan(0.15);
    expect(r.algorithm).toBe('xoshiro128**');
  });

  it('is reproducible for a seed and differs across seeds', () => {
    const config = {
      inputs: { x: { kind: 'triangular' as const, min: 1, mode: 2, max: 6 } },
      model: (s: Readonly<Record<string, number>>) => s.x as number,
      objective: { target: 3, direction: 'lower' as const },
      iterations: 2000,
    };
    expect(monteCarlo({ ...config, seed: 7 })).toEqual(monteCarlo({ ...config, seed: 7 }));
    expect(monteCarlo({ ...config, seed: 7 }).pAttain).not.toBe(monteCarlo({ ...config, seed: 8 }).pAttain);
  });

  it('uniforms are in [0, 1) and the bootstrap resamples whole historical rows', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), (seed) => {
        const rng = createRng(seed);
        for (let i = 0; i < 50; i++) {
          const u = rng();
          expect(u >= 0 && u < 1).toBe(true);
        }
      }),
    );
    const r = monteCarlo({
      joint: {
        columns: ['size', 'density'],
        rows: [
          [10, 1],
          [20, 2],
        ],
      },
      model: (s) => (s.size as number) * (s.density as number),
      objective: { target: 10, direction: 'lower' },
      iterations: 1000,
    });
    // Only 10·1 = 10 and 20·2 = 40 are possible when rows are sampled jointly (never 20 or 20·1).
    expect(r.mean).toBeCloseTo(10 * r.pAttain + 40 * (1 - r.pAttain), 9);
    expect(r.pAttain).toBeGreaterThan(0.4);
    expect(r.pAttain).toBeLessThan(0.6);
  });

  it('Wilson interval matches the closed form', () => {
    const [lo, hi] = wilsonInterval(87, 100);
    const p = 0.87;
    const z = 1.96;
    const c = (p + (z * z) / 200) / (1 + (z * z) / 100);
    const h = (z * Math.sqrt((p * (1 - p)) / 100 + (z * z) / 40000)) / (1 + (z * z) / 100);
    expect(lo).toBeCloseTo(c - h, 14);
    expect(hi).toBeCloseTo(c + h, 14);
  });
});
