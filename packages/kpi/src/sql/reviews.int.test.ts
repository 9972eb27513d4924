import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnknownScopeError } from '../query.js';
import { ev, type KpiWarehouse, openKpiWarehouse, pt } from '../testing.js';

/**
 * Review KPIs (docs/methods.md §3.3) on a hand-computed event set, team alpha. W1 = week of 2024-05-06,
 * W2 = week of 2024-05-13.
 *
 * rv1 W1 05-06 10:00, code, wp1, 400 loc, prep 1, meeting 1, rework 2, duration 1; re-sent at 12:00 with
 *     defectsFound 5 (was 4): a re-sent review updates its fields, keeps its completion time.
 * rv2 W1 05-07, code, wp2, 200 loc, 0 defects, prep 0.5 only, duration 0.5.
 * rv3 W1 05-08, design, wp3, 10 pages, 2 defects, prep 2, meeting 1, rework 1, duration 2.
 * rv4 W2 05-14, code, no workProductId, 300 loc, 3 defects, no hours, no duration.
 * rv5 W2 05-15, code, wp1 again (a re-review), 100 loc, 1 defect, prep 0.5, meeting 0.5, duration 0.5.
 *
 * Later defects by originWorkProductId: x1 05-20 wp1 (charged to rv5, the latest earlier review of wp1);
 * x2 09-01 wp1 (beyond 90 days of rv5); x3 05-21 wp2 (duplicate: invalid); x4 05-03 wp3 (before rv3:
 * no earlier review); x5 06-01 wp3 (charged to rv3).
 */
let kw: KpiWarehouse;

const review = (reviewId: string, time: string, data: Record<string, unknown>) =>
  ev('review.completed', { reviewId, workProductType: 'code', sizeUnit: 'loc', ...data }, { time });
const later = (defectId: string, time: string, wp: string) =>
  ev(
    'defect.reported',
    { defectId, severity: 'major', detectionActivity: 'system_test', originWorkProductId: wp },
    { time },
  );

const rv1 = {
  workProductId: 'wp1',
  sizeReviewed: 400,
  preparationHours: 1,
  meetingHours: 1,
  reworkHours: 2,
  durationHours: 1,
};
const events = [
  review('rv1', '2024-05-06T10:00:00Z', { ...rv1, defectsFound: 4 }),
  review('rv1', '2024-05-06T12:00:00Z', { ...rv1, defectsFound: 5 }),
  review('rv2', '2024-05-07T00:00:00Z', {
    workProductId: 'wp2',
    sizeReviewed: 200,
    defectsFound: 0,
    preparationHours: 0.5,
    durationHours: 0.5,
  }),
  review('rv3', '2024-05-08T00:00:00Z', {
    workProductType: 'design',
    workProductId: 'wp3',
    sizeReviewed: 10,
    sizeUnit: 'pages',
    defectsFound: 2,
    preparationHours: 2,
    meetingHours: 1,
    reworkHours: 1,
    durationHours: 2,
  }),
  review('rv4', '2024-05-14T00:00:00Z', { sizeReviewed: 300, defectsFound: 3 }),
  review('rv5', '2024-05-15T00:00:00Z', {
    workProductId: 'wp1',
    sizeReviewed: 100,
    defectsFound: 1,
    preparationHours: 0.5,
    meetingHours: 0.5,
    durationHours: 0.5,
  }),
  later('x1', '2024-05-20T00:00:00Z', 'wp1'),
  later('x2', '2024-09-01T00:00:00Z', 'wp1'),
  later('x3', '2024-05-21T00:00:00Z', 'wp2'),
  ev('defect.resolved', { defectId: 'x3', resolution: 'duplicate' }, { time: '2024-05-22T00:00:00Z' }),
  later('x4', '2024-05-03T00:00:00Z', 'wp3'),
  later('x5', '2024-06-01T00:00:00Z', 'wp3'),
];

const points = (id: string, query: string) => kw.points(id, query);

beforeAll(async () => {
  kw = await openKpiWarehouse();
  expect((await kw.write([...events].reverse())).duplicates).toBe(0);
});
afterAll(async () => kw?.dispose());

describe('review KPIs', () => {
  it('review_rate: Σ size / Σ duration per size unit; reviews without a duration are left out', async () => {
    // loc W1: (400 + 200) / (1 + 0.5) = 400. W2: rv4 has no duration; rv5 100 / 0.5 = 200. pages W1: 10 / 2.
    expect(await points('review_rate', 'period=week')).toEqual([
      pt('2024-05-06', 400, 600, 1.5, 2),
      pt('2024-05-13', 200, 100, 0.5, 1),
    ]);
    expect(await points('review_rate', 'period=week&unit=pages')).toEqual([pt('2024-05-06', 5, 10, 2, 1)]);
    expect(await points('review_rate', 'period=week&unit=requirements')).toEqual([]);
  });

  it('review_defect_density: defects per KLOC for loc, per page for pages', async () => {
    // loc W1: (5 + 0) / 0.6 KLOC (rv1's re-sent count 5). W2: (3 + 1) / 0.4 = 10. pages W1: 2 / 10.
    const loc = await points('review_defect_density', 'period=week&unit=loc');
    expect(loc[0]).toMatchObject({ periodStart: '2024-05-06', numerator: 5, denominator: 0.6, n: 2 });
    expect(loc[0]?.value).toBeCloseTo(5 / 0.6, 10);
    expect(loc[1]).toEqual(pt('2024-05-13', 10, 4, 0.4, 2));
    expect(await points('review_defect_density', 'period=week&unit=pages')).toEqual([
      pt('2024-05-06', 0.2, 2, 10, 1),
    ]);
  });

  it('review_detection_rate: Σ defects / Σ (preparation + meeting) over reviews reporting either', async () => {
    // W1: (5 + 0 + 2) / (2 + 0.5 + 3) = 7 / 5.5. W2: rv4 reports no hours; rv5 1 / 1.
    const p = await points('review_detection_rate', 'period=week');
    expect(p[0]).toMatchObject({ periodStart: '2024-05-06', numerator: 7, denominator: 5.5, n: 3 });
    expect(p[0]?.value).toBeCloseTo(7 / 5.5, 12);
    expect(p[1]).toEqual(pt('2024-05-13', 1, 1, 1, 1));
  });

  it('review_cost_per_defect: Σ (preparation + meeting + rework) / Σ defects found', async () => {
    // W1: (4 + 0.5 + 4) / 7. W2: (0 + 1) / (3 + 1) = 0.25.
    const p = await points('review_cost_per_defect', 'period=week');
    expect(p[0]).toMatchObject({ periodStart: '2024-05-06', numerator: 8.5, denominator: 7, n: 3 });
    expect(p[0]?.value).toBeCloseTo(8.5 / 7, 12);
    expect(p[1]).toEqual(pt('2024-05-13', 0.25, 1, 4, 2));
  });

  it('review_effectiveness: found / (found + later valid defects of the work product), window from the review', async () => {
    // W1: rv1 5 found, 0 later (x1 belongs to the re-review rv5, x2 beyond); rv2 0, 0 (x3 invalid);
    //     rv3 2 found, 1 later (x5; x4 came before it) → 7 / 8. W2: rv5 1 found, 1 later (x1) → 1 / 2;
    //     rv4 has no work product and is left out.
    expect(await points('review_effectiveness', 'period=week&asOf=2024-09-01')).toEqual([
      pt('2024-05-06', 87.5, 7, 8, 3),
      pt('2024-05-13', 50, 1, 2, 1),
    ]);
    // Windows: W1's newest review (rv3, 05-08) closes 08-06; W2's (rv5, 05-15) 08-13.
    const mid = await points('review_effectiveness', 'period=week&asOf=2024-08-10');
    expect(mid.map((p) => p.provisional)).toEqual([false, true]);
  });

  it('a late defect of a reviewed work product recomputes the old review period', async () => {
    // x6 (05-25, wp2) arrives now: rv2 gets 1 later defect → W1 7 / 9.
    expect((await kw.write(later('x6', '2024-05-25T00:00:00Z', 'wp2'))).duplicates).toBe(0);
    const p = await points('review_effectiveness', 'period=week&asOf=2024-09-01&to=2024-05-06');
    expect(p[0]).toMatchObject({ numerator: 7, denominator: 9, n: 3 });
    expect(p[0]?.value).toBeCloseTo((7 / 9) * 100, 10);
    // No event names team beta: it is unknown, not empty (the API answers 404).
    await expect(points('review_effectiveness', 'period=week&team=beta')).rejects.toThrow(UnknownScopeError);
  });
});
