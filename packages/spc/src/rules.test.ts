import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeChart } from './charts/engine.js';
import { evaluateRuleSegment, primaryRule, type RuleName, resolveRules } from './rules.js';

/** 1-based hits of one rule on z (y = z for the trend rules), as qcc's test-rules.R builds them. */
function hits(rule: RuleName, z: number[]): number[] {
  return (evaluateRuleSegment(z, z, [rule]).get(rule) ?? []).map((i) => i + 1);
}

describe('run rules: qcc tests/testthat/test-rules.R examples (centre 0, σ 1)', () => {
  it('WE1–WE4', () => {
    expect(hits('WE1', [0, 3.2, -3.5, 2.9])).toEqual([2, 3]);
    expect(hits('WE2', [0, 2.5, 1.0, 2.6, 0])).toEqual([4]);
    expect(hits('WE3', [0, 1.2, 1.3, 0.2, 1.4, 1.5])).toEqual([6]);
    expect(hits('WE4', [-1, -1, -1, -1, -1, -1, -1, -1, 1])).toEqual([8]);
  });

  it('overlapping rules all report, the reason label is the lowest rule number', () => {
    const z = [2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 3.2];
    expect(hits('WE4', z)).toEqual([8]);
    expect(hits('WE3', z)).toEqual([5, 6, 7, 8]);
    expect(hits('WE2', z)).toEqual([3, 4, 5, 6, 7, 8]);
    expect(hits('WE1', z)).toEqual([8]);
    expect(primaryRule(['WE4', 'WE3', 'WE2', 'WE1'])).toBe('WE1');
    expect(primaryRule(['WE4', 'WE3', 'WE2'])).toBe('WE2');
  });

  it('NELSON1–NELSON8', () => {
    expect(hits('NELSON1', [0, 3.2, -3.4, 3])).toEqual([2, 3]);
    expect(hits('NELSON2', [...Array(10).fill(0.5), -0.5, ...Array(9).fill(-0.5)])).toEqual([9, 10, 19, 20]);
    expect(hits('NELSON3', [1, 2, 3, 4, 5, 6, 7, 7, 6, 5, 4, 3, 2, 1])).toEqual([6, 7, 13, 14]);
    expect(hits('NELSON4', [1, 3, 2, 4, 3, 5, 4, 6, 5, 7, 6, 8, 7, 9, 8])).toEqual([14, 15]);
    expect(hits('NELSON5', [0, 2.3, 0.4, 2.2, -2.4, -0.2, -2.5])).toEqual([4, 7]);
    expect(hits('NELSON6', [1.2, 1.3, 0.2, 1.4, 1.5, -1.2, -1.3, -0.1, -1.4, -1.5])).toEqual([5, 10]);
    expect(hits('NELSON7', [...Array(16).fill(0.3), 1.2])).toEqual([15, 16]);
    expect(hits('NELSON8', [1.2, -1.3, 1.1, -1.4, 1.5, -1.2, 1.3, -1.1, 0.2])).toEqual([8]);
    expect(hits('NELSON8', Array(8).fill(1.2))).toEqual([]);
  });
});

describe('run rules: exact window semantics (docs/methods.md §5.7)', () => {
  it('windows must be complete: 2-of-3 cannot fire at point 2', () => {
    expect(hits('WE2', [2.5, 2.5])).toEqual([]);
    expect(hits('WE2', [2.5, 2.5, 0])).toEqual([]);
    expect(hits('WE2', [2.5, 2.5, 2.1])).toEqual([3]);
  });

  it('the current point must itself be beyond, and on the same side as the other', () => {
    expect(hits('WE2', [2.5, 2.5, 1.9])).toEqual([]);
    expect(hits('WE2', [2.5, -2.5, 2.5])).toEqual([3]);
    expect(hits('WE2', [-2.5, 0, 2.5])).toEqual([]);
  });

  it('inequalities are strict: z exactly 3, 2 or 1 does not count', () => {
    expect(hits('WE1', [3, -3])).toEqual([]);
    expect(hits('WE2', [2, 2, 2])).toEqual([]);
    expect(hits('WE3', [1, 1, 1, 1, 1])).toEqual([]);
    expect(hits('NELSON7', Array(15).fill(1))).toHaveLength(1); // |z| ≤ 1 is Zone C
    expect(hits('NELSON8', [1, -1.5, 1.5, -1.5, 1.5, -1.5, 1.5, -1.5])).toEqual([]);
  });

  it('z = 0 breaks a run and ties break a trend', () => {
    expect(hits('WE4', [1, 1, 1, 1, 0, 1, 1, 1, 1])).toEqual([]);
    expect(hits('NELSON2', [...Array(9).fill(-0.1), 0, -0.1])).toEqual([9]);
    expect(hits('NELSON3', [1, 2, 3, 3, 4, 5, 6])).toEqual([]);
    expect(hits('NELSON4', [1, 3, 2, 4, 3, 5, 5, 6, 5, 7, 6, 8, 7, 9, 8])).toEqual([]);
  });

  it('every point from the 8th (WE4) / 9th (NELSON2) of a run is flagged', () => {
    expect(hits('WE4', Array(10).fill(0.5))).toEqual([8, 9, 10]);
    expect(hits('NELSON2', Array(10).fill(-0.5))).toEqual([9, 10]);
  });

  it('resolves named sets, lists and rejects unknown names', () => {
    expect(resolveRules(undefined)).toEqual(['WE1', 'WE4']);
    expect(resolveRules('western-electric')).toEqual(['WE1', 'WE2', 'WE3', 'WE4']);
    expect(resolveRules('nelson')).toHaveLength(8);
    expect(resolveRules('we4, nelson1')).toEqual(['WE4', 'NELSON1']);
    expect(() => resolveRules('WE9')).toThrow(/unknown rule "WE9"/);
  });
});

describe('run rules on charts: phases and stages', () => {
  const base = [10, 12, 9, 11, 10, 13, 8, 11, 9, 12, 10, 11];

  it('runs continue across the Phase-I/Phase-II boundary', () => {
    // Known centre 10: the run above the centre starts at point 9 (Phase I) and its 8th point is 16.
    const values = [9, 11, 9, 11, 9, 11, 11, 9, 10.5, 10.5, 10.5, 10.5, 10.5, 10.5, 10.5, 10.5];
    const r = analyzeChart({ chart: 'xmr', values, phase1: 12, center: 10, sigma: 1 });
    expect(r.violations).toEqual([{ rule: 'WE4', indices: [16] }]);
    expect(r.points[11]?.phase).toBe(1);
    expect(r.points[15]?.phase).toBe(2);
  });

  it('runs reset at a stage boundary, and each stage has its own limits', () => {
    const stage1 = [...base];
    const stage2 = [20, 21, 19, 22, 20, 21, 19, 20, 22, 21];
    const values = [...stage1.slice(0, 4), 10.5, 10.5, 10.5, 10.5, 10.5, 10.5, 10.5, 10.5, ...stage2];
    const withStage = analyzeChart({ chart: 'xmr', values, stages: [13], center: undefined });
    expect(withStage.stages).toHaveLength(2);
    expect(withStage.stages[1]?.start).toBe(13);
    expect(Array.isArray(withStage.center)).toBe(true);
    const c2 = withStage.stages[1]?.center as number;
    expect(c2).toBeCloseTo(20.5, 12);
    expect(withStage.points[12]?.stage).toBe(2);
    // Without the stage the high second half would make a WE4 run that crosses point 12→13.
    const noStage = analyzeChart({ chart: 'xmr', values, rules: ['WE4'] });
    expect(noStage.violations[0]?.indices.length).toBeGreaterThan(0);
    const staged = analyzeChart({ chart: 'xmr', values, rules: ['WE4'], stages: [13] });
    for (const v of staged.violations) for (const i of v.indices) expect(i === 12 || i === 13).toBe(false);
  });
});

describe('run rules: properties', () => {
  const series = fc.array(
    fc.integer({ min: -10_000, max: 10_000 }).map((i) => i / 10),
    { minLength: 20, maxLength: 60 },
  );
  const nonDegenerate = series.filter((xs) => new Set(xs).size > 2);

  it('violations are invariant to a positive affine transform of the data', () => {
    fc.assert(
      fc.property(
        nonDegenerate,
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        fc.double({ min: -1e3, max: 1e3, noNaN: true }),
        (xs, a, b) => {
          const r1 = analyzeChart({ chart: 'xmr', values: xs, rules: 'nelson', minBaseline: 2 });
          const r2 = analyzeChart({
            chart: 'xmr',
            values: xs.map((x) => a * x + b),
            rules: 'nelson',
            minBaseline: 2,
          });
          // Rounding can move a z sitting exactly on a zone boundary; compare only clear-cut series.
          const boundary = r1.points.some((p) =>
            [0, 1, 2, 3].some((k) => Math.abs(Math.abs(p.z) - k) < 1e-9),
          );
          if (!boundary) expect(r2.violations).toEqual(r1.violations);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('limits are symmetric about the centre for variables charts', () => {
    fc.assert(
      fc.property(nonDegenerate, (xs) => {
        const r = analyzeChart({ chart: 'xmr', values: xs, minBaseline: 2 });
        const c = r.center as number;
        expect((r.ucl as number) - c).toBeCloseTo(c - (r.lcl as number), 9);
      }),
    );
  });

  it('every reported index is 1-based, inside the series and the point lists its rule', () => {
    fc.assert(
      fc.property(nonDegenerate, (xs) => {
        const r = analyzeChart({
          chart: 'xmr',
          values: xs,
          rules: [...resolveRules('nelson'), ...resolveRules('western-electric')],
          minBaseline: 2,
        });
        for (const v of r.violations) {
          for (const i of v.indices) {
            expect(i).toBeGreaterThanOrEqual(1);
            expect(i).toBeLessThanOrEqual(xs.length);
            expect(r.points[i - 1]?.rules).toContain(v.rule);
          }
        }
      }),
    );
  });
});
