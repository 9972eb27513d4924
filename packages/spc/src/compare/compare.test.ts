import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exactUDistribution, hodgesLehmann, mannWhitneyTest } from './mann-whitney.js';
import { fisherExact, twoProportionTest, twoRateTest } from './proportions.js';
import { compareBeforeAfter } from './verdict.js';
import { welchTest } from './welch.js';

function printed(actual: number, expected: number, decimals: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(0.5 * 10 ** -decimals + 1e-12);
}
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe("Welch's t (docs/methods.md §6.1)", () => {
  it('R t.test(1:10, c(7:20, 200)): t −1.6329, df 14.165, p 0.1245, CI −47.242900 to 6.376233', () => {
    const r = welchTest(range(1, 10), [...range(7, 20), 200]);
    printed(r.t, -1.6329, 4);
    printed(r.df, 14.165, 3);
    printed(r.p, 0.1245, 4);
    printed(r.ci[0], -47.2429, 6);
    printed(r.ci[1], 6.376233, 6);
    expect(r.pLess + r.pGreater).toBeCloseTo(1, 12);
  });

  it('rejects samples that are too small or constant', () => {
    expect(() => welchTest([1], [1, 2])).toThrow(/at least 2 values/);
    expect(() => welchTest([1, 1], [2, 2])).toThrow(/constant/);
  });
});

describe('Mann–Whitney U (docs/methods.md §6.2)', () => {
  it('with ties: x = (1,5,9,24,56,21,3,7,21,4), y = (12,15,5,9,9,14,56,22,3,7,32,5) gives W 51.5, p 0.5966', () => {
    const x = [1, 5, 9, 24, 56, 21, 3, 7, 21, 4];
    const y = [12, 15, 5, 9, 9, 14, 56, 22, 3, 7, 32, 5];
    const r = mannWhitneyTest(x, y);
    expect(r.u).toBe(51.5);
    expect(r.method).toBe('normal');
    printed(r.p, 0.5966, 4);
    expect(r.uOther).toBe(120 - 51.5);
  });

  it('R ?wilcox.test, exact without ties: W 35, p (greater) 0.1272; normal without correction 0.1103', () => {
    const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
    const y = [1.15, 0.88, 0.9, 0.74, 1.21];
    const r = mannWhitneyTest(x, y);
    expect(r.u).toBe(35);
    expect(r.method).toBe('exact');
    printed(r.pGreater, 0.1272, 4);
    const approx = mannWhitneyTest(x, y, { exact: false, correct: false });
    printed(approx.pGreater, 0.1103, 4);
  });

  it('complete separation of 3 vs 4 values: exact two-sided p = 2/C(7,3)', () => {
    const r = mannWhitneyTest([1, 2, 3], [4, 5, 6, 7]);
    expect(r.u).toBe(0);
    expect(r.p).toBeCloseTo(2 / 35, 14);
  });

  it('the exact distribution is symmetric and sums to C(m+n, m)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), (m, n) => {
        const d = exactUDistribution(m, n);
        let total = 0;
        for (const c of d) total += c;
        let binom = 1;
        for (let k = 1; k <= m; k++) binom = (binom * (n + k)) / k;
        expect(total).toBeCloseTo(binom, 6);
        for (let u = 0; u <= m * n; u++) expect(d[u]).toBe(d[m * n - u]);
      }),
    );
  });

  it('Hodges–Lehmann is the median of pairwise differences and shift-equivariant', () => {
    expect(hodgesLehmann([1, 2, 3], [0])).toBe(2);
    expect(hodgesLehmann([10, 20], [1, 2])).toBe(13.5);
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -100, max: 100 }), { minLength: 1, maxLength: 15 }),
        fc.array(fc.integer({ min: -100, max: 100 }), { minLength: 1, maxLength: 15 }),
        fc.integer({ min: -50, max: 50 }),
        (x, y, c) => {
          expect(
            hodgesLehmann(
              x.map((v) => v + c),
              y,
            ),
          ).toBeCloseTo(hodgesLehmann(x, y) + c, 9);
        },
      ),
    );
  });
});

describe('proportions and rates (docs/methods.md §6.3)', () => {
  it('two proportions 21/100 vs 38/100: z² = X-squared 6.948, p 0.008392 (R prop.test, correct = FALSE)', () => {
    const r = twoProportionTest(21, 100, 38, 100);
    expect(r.method).toBe('z');
    printed((r.z as number) ** 2, 6.948, 3);
    printed(r.p, 0.008392, 6);
    expect(r.pLess).toBeCloseTo(r.p / 2, 12);
  });

  it("Fisher's exact test, R's TeaTasting: two-sided p 0.4857, greater 0.2429; used when expected counts < 5", () => {
    const r = fisherExact(3, 4, 1, 4);
    printed(r.p, 0.4857, 4);
    printed(r.pGreater, 0.2429, 4);
    expect(twoProportionTest(3, 4, 1, 4).method).toBe('fisher');
  });

  it('two Poisson rates, R poisson.test(c(11, 21), c(800, 3011)): p 0.07967, ratio 1.971488, expected 6.7174', () => {
    const r = twoRateTest(11, 800, 21, 3011);
    printed(r.p, 0.07967, 5);
    printed(r.rateRatio as number, 1.971488, 6);
    printed(r.expectedCount1, 6.7174, 4);
  });
});

describe('improvement verdict (docs/methods.md §6.4)', () => {
  const before = [30, 34, 29, 36, 31, 33, 35, 28, 32, 30, 34, 31];
  const after = [24, 22, 25, 23, 21, 24, 22, 23, 25, 22];

  it('improved when there is an SPC signal, p < α one-sided and a large enough effect', () => {
    const r = compareBeforeAfter(before, after, { direction: 'lower' });
    expect(r.verdict).toBe('improved');
    expect(r.evidence.spcSignal).toBe(true);
    expect(r.evidence.pOneSided as number).toBeLessThan(0.05);
    expect(r.hodgesLehmann).toBeGreaterThan(0);
    expect(r.mannWhitney.u).toBeGreaterThan(r.mannWhitney.uOther);
  });

  it('not improved in the wrong direction or below the minimum practical effect', () => {
    expect(compareBeforeAfter(before, after, { direction: 'higher' }).verdict).toBe('not-improved');
    expect(compareBeforeAfter(before, after, { direction: 'lower', minEffect: 50 }).verdict).toBe(
      'not-improved',
    );
  });

  it('insufficient data with fewer than 8 points after the change', () => {
    const r = compareBeforeAfter(before, after.slice(0, 7));
    expect(r.verdict).toBe('insufficient-data');
  });
});
