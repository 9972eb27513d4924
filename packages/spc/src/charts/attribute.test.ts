import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SpcInputError } from '../errors.js';
import { orangejuice } from '../fixtures/qcc.js';
import { analyzeChart } from './engine.js';

/**
 * Limits of an attribute chart stay inside the range its statistic can take (docs/methods.md §5.5):
 * p in [0, 1], np in [0, n], c and u at or above 0 — qcc's `limits.p` / `limits.np` clamp the same way.
 */
describe('attribute limits are clamped to the range of the statistic', () => {
  it('leaves limits that are already inside [0, 1] alone (qcc orangejuice / NIST 6.3.3.2)', () => {
    const sizes = orangejuice.D.slice(0, 30).map(() => orangejuice.size);
    const r = analyzeChart({ chart: 'p', counts: orangejuice.D.slice(0, 30), sizes });
    expect(r.center as number).toBeCloseTo(0.2313333, 7);
    expect(r.ucl as number).toBeCloseTo(0.4102391, 7);
    expect(r.lcl as number).toBeCloseTo(0.05242755, 8);
    for (const p of r.points) {
      expect(p.uclUnclamped).toBe(p.ucl);
      expect(p.lclUnclamped).toBe(p.lcl);
    }
  });

  it('p chart with small subgroups: UCL = min(1, p̄ + 3σᵢ), LCL = max(0, p̄ − 3σᵢ)', () => {
    // Sizes 2..6 as in a team's weekly change failures: p̄ = 10/30, σᵢ = √(p̄(1 − p̄)/nᵢ).
    const counts = [1, 0, 2, 1, 0, 1, 2, 0, 1, 2];
    const sizes = [2, 3, 4, 2, 3, 2, 6, 2, 4, 2];
    const r = analyzeChart({ chart: 'p', counts, sizes });
    const pbar = 10 / 30;
    r.points.forEach((p, i) => {
      const s = Math.sqrt((pbar * (1 - pbar)) / (sizes[i] as number));
      expect(p.uclUnclamped).toBeCloseTo(pbar + 3 * s, 12);
      expect(p.ucl).toBe(Math.min(1, pbar + 3 * s));
      expect(p.lcl).toBe(Math.max(0, pbar - 3 * s));
    });
    // n = 2: p̄ + 3σ = 1/3 + 3·(1/3) = 1.333, shown as 100 % instead of 133 %.
    expect(r.points[0]?.uclUnclamped).toBeCloseTo(4 / 3, 12);
    expect(r.points[0]?.ucl).toBe(1);
    expect(r.points[0]?.lcl).toBe(0);
    expect(Math.max(...(r.ucl as number[]))).toBe(1);
  });

  it('np chart: limits clamped to [0, n]', () => {
    const counts = [1, 0, 1, 1, 0, 2, 1, 0, 1, 1];
    const r = analyzeChart({ chart: 'np', counts, sizes: counts.map(() => 2) });
    // p̄ = 0.4, n·p̄ = 0.8, 3√(n·p̄(1 − p̄)) = 2.078: raw limits −1.278 and 2.878.
    expect(r.center).toBeCloseTo(0.8, 12);
    expect(r.points[0]?.uclUnclamped).toBeCloseTo(0.8 + 3 * Math.sqrt(2 * 0.4 * 0.6), 12);
    expect(r.ucl).toBe(2);
    expect(r.lcl).toBe(0);
  });

  it('Laney p′: the widened limits are clamped too', () => {
    const counts = [3, 30, 5, 45, 2, 38, 6, 41, 4, 35];
    const sizes = counts.map(() => 50);
    const r = analyzeChart({ chart: 'p-prime', counts, sizes });
    expect(r.stages[0]?.details.sigmaZ).toBeGreaterThan(3);
    expect(r.points[0]?.uclUnclamped).toBeGreaterThan(1);
    expect(r.ucl).toBe(1);
    expect(r.lcl).toBe(0);
  });

  it('c and u keep LCL ≥ 0 and an unbounded UCL', () => {
    const r = analyzeChart({ chart: 'c', counts: [0, 1, 0, 2, 1, 0, 1, 3, 0, 1] });
    expect(r.lcl).toBe(0);
    expect(r.ucl).toBeCloseTo(0.9 + 3 * Math.sqrt(0.9), 12);
  });

  const sized = fc
    .array(fc.tuple(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 1, noNaN: true })), {
      minLength: 8,
      maxLength: 40,
    })
    .map((rows) => ({
      sizes: rows.map(([n]) => n),
      counts: rows.map(([n, f]) => Math.round(n * f)),
    }));

  it('property: p limits always lie in [0, 1], np limits in [0, n], for any data', () => {
    fc.assert(
      fc.property(sized, fc.constantFrom('p', 'p-prime'), ({ counts, sizes }, chart) => {
        let r: ReturnType<typeof analyzeChart>;
        try {
          r = analyzeChart({ chart, counts, sizes });
        } catch (e) {
          // p̄ = 0 or 1, or σ_z = 0: no limits at all, said in words.
          if (e instanceof SpcInputError) return;
          throw e;
        }
        for (const p of r.points) {
          expect(p.lcl).toBeGreaterThanOrEqual(0);
          expect(p.ucl).toBeLessThanOrEqual(1);
          expect(p.lcl).toBeLessThanOrEqual(p.center);
          expect(p.ucl).toBeGreaterThanOrEqual(p.center);
        }
      }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 8, maxLength: 40 }),
        (n, fractions) => {
          const counts = fractions.map((f) => Math.round(n * f));
          let r: ReturnType<typeof analyzeChart>;
          try {
            r = analyzeChart({ chart: 'np', counts, sizes: counts.map(() => n) });
          } catch (e) {
            if (e instanceof SpcInputError) return;
            throw e;
          }
          for (const p of r.points) {
            expect(p.lcl).toBeGreaterThanOrEqual(0);
            expect(p.ucl).toBeLessThanOrEqual(n);
          }
        },
      ),
    );
  });
});
