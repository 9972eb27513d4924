import { describe, expect, it } from 'vitest';
import { changedPointLimits, type PointLimits } from './point-limits.js';

const point = (periodStart: string, ucl: number | null, extra: Partial<PointLimits> = {}): PointLimits => ({
  periodStart,
  charted: true,
  stage: 0,
  stageFrom: '2025-01-06',
  center: ucl === null ? null : ucl / 2,
  ucl,
  lcl: ucl === null ? null : 0,
  ...extra,
});
const byPeriod = (points: PointLimits[]) => new Map(points.map((p) => [p.periodStart, p]));

describe('changedPointLimits', () => {
  it('stores every point when nothing is stored', () => {
    const current = [point('2025-01-06', 10), point('2025-01-13', 12)];
    expect(changedPointLimits(current, undefined)).toEqual(current);
  });

  it('stores only the points whose limits or stage moved', () => {
    const stored = byPeriod([point('2025-01-06', 10), point('2025-01-13', 12), point('2025-01-20', 12)]);
    const current = [
      point('2025-01-06', 10 + 1e-15), // floating-point noise: unchanged
      point('2025-01-13', 11), // the period's size changed
      point('2025-01-20', 12, { stage: 1, stageFrom: '2025-01-20' }), // a process change starts a stage here
    ];
    expect(changedPointLimits(current, stored).map((p) => p.periodStart)).toEqual([
      '2025-01-13',
      '2025-01-20',
    ]);
  });

  it('stores a point that lost its limits, and marks a period no longer charted', () => {
    const stored = byPeriod([point('2025-01-06', 10), point('2025-01-13', 12)]);
    const current = [point('2025-01-06', null)];
    expect(changedPointLimits(current, stored)).toEqual([
      point('2025-01-06', null),
      { ...point('2025-01-13', null), charted: false },
    ]);
    // Once marked, it is not marked again.
    const after = byPeriod([point('2025-01-06', null), { ...point('2025-01-13', null), charted: false }]);
    expect(changedPointLimits(current, after)).toEqual([]);
  });
});
