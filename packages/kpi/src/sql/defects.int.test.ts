import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidKpiQueryError } from '../query.js';
import { ev, type KpiWarehouse, openKpiWarehouse, pt } from '../testing.js';

/**
 * Defect KPIs (docs/methods.md §3.1, §2.3) on a hand-computed event set. Team alpha unless noted.
 *
 * Releases: RA (alpha) shipped 2024-01-10 00:00 (week 01-08), 2 kloc; its 90-day window ends 04-09 00:00.
 *           RB (alpha, p1) shipped 2024-03-06 00:00 (week 03-04), 100 function points.
 *
 * Defects (reported → later events), charged release, activity → phase, introduced phase:
 *  a1  01-02 00:00 → fixed 01-03 00:00              RA  system_test → test   code
 *  a2  01-03 00:00 → fixed 01-04, reopened 01-05,   RA  code_review → code   code
 *                    fixed 01-12 00:00 (week 01-08)
 *  a3  01-04 00:00, open; re-triaged 01-08 from     RA  unit_test → code     design → code
 *      design to code
 *  a4  01-05 00:00 → duplicate 01-06 (invalid)      RA  design_review        design
 *  a5  02-01 00:00 → fixed 02-03 00:00              RA  production (escaped) code
 *  a6  05-01 00:00 open, reportedBy customer        RA  customer (escaped)   requirements — after the window
 *  a7  01-20 00:00 open                             RA  system_test → test   test — after release, not escaped
 *  a8  01-25 00:00 open, reportedBy customer        RA* integration_test     unknown — escaped by reporter
 *      (*only releaseIntroduced = RA: charged by the fallback)
 *  a9  01-03 00:00 → not_a_defect 01-04, reopened   RA  system_test → test   code — valid again
 *      01-06 00:00, open
 *  a10 01-01 00:00 → wont_fix 01-01 06:00 (6 h)     —   system_test          code
 *  a11 01-01 00:00 → cannot_reproduce 01-04 (72 h)  —   system_test          code
 *  b1  01-06 00:00 open, team beta                  RA  code_review → code   code
 *  r1  03-01 00:00 open                             RB  acceptance_test      requirements
 *  r2  03-10 00:00 open, reportedBy customer        RB  customer (escaped)   requirements
 *
 * RA: valid = all but a4. D_pre (reported ≤ 01-10) = a1 a2 a3 a9 b1 = 5; D_post (escaped, in (01-10, 04-09])
 *     = a5 a8 = 2 (a6 is after the window, a7 is not escaped). DER 2/7, DRE 5/7, density 7 / 2 kloc.
 *     PCE(code): introduced code, detected ≤ 04-09 = a1 a2 a3 a5 a9 b1 = 6; detected by code activities
 *     (code_review, unit_test) = a2 a3 b1 = 3 → 50 %. PCE(design): none left (a3 re-triaged, a4 invalid)
 *     → null. PCE(test): a7 → 1/1. a8 (unknown) never counts.
 * RB: D_pre = r1, D_post = r2 → DER 1/2; density 2 / 100 FP.
 */
let kw: KpiWarehouse;

type Later = [type: string, time: string, data?: Record<string, unknown>];
function defect(
  id: string,
  time: string,
  data: Record<string, unknown>,
  later: Later[] = [],
  over: Record<string, unknown> = {},
) {
  return [
    ev('defect.reported', { defectId: id, severity: 'minor', ...data }, { time, ...over }),
    ...later.map(([type, t, d]) => ev(type, { defectId: id, ...d }, { time: t, ...over })),
  ];
}
const fixed = (t: string): Later => ['defect.resolved', t, { resolution: 'fixed' }];
const release = (
  releaseId: string,
  time: string,
  data: Record<string, unknown>,
  over: Record<string, unknown> = {},
) => ev('delivery.release', { releaseId, plannedEnd: time, ...data }, { time, ...over });
const d = (day: string, hh = '00') => `2024-${day}T${hh}:00:00Z`;
const RA = { releaseFoundIn: 'RA' };

const events = [
  release('RA', d('01-10'), { sizeDelivered: 2, sizeUnit: 'kloc' }),
  release('RB', d('03-06'), { sizeDelivered: 100, sizeUnit: 'function_points' }, { project: 'p1' }),
  ...defect('a1', d('01-02'), { ...RA, detectionActivity: 'system_test', introducedPhase: 'code' }, [
    fixed(d('01-03')),
  ]),
  ...defect('a2', d('01-03'), { ...RA, detectionActivity: 'code_review', introducedPhase: 'code' }, [
    fixed(d('01-04')),
    ['defect.reopened', d('01-05')],
    fixed(d('01-12')),
  ]),
  ...defect('a3', d('01-04'), { ...RA, detectionActivity: 'unit_test', introducedPhase: 'design' }, [
    [
      'defect.reported',
      d('01-08'),
      { ...RA, severity: 'minor', detectionActivity: 'unit_test', introducedPhase: 'code' },
    ],
  ]),
  ...defect('a4', d('01-05'), { ...RA, detectionActivity: 'design_review', introducedPhase: 'design' }, [
    ['defect.resolved', d('01-06'), { resolution: 'duplicate' }],
  ]),
  ...defect('a5', d('02-01'), { ...RA, detectionActivity: 'production', introducedPhase: 'code' }, [
    fixed(d('02-03')),
  ]),
  ...defect('a6', d('05-01'), {
    ...RA,
    detectionActivity: 'customer',
    reportedBy: 'customer',
    introducedPhase: 'requirements',
  }),
  ...defect('a7', d('01-20'), { ...RA, detectionActivity: 'system_test', introducedPhase: 'test' }),
  ...defect('a8', d('01-25'), {
    releaseIntroduced: 'RA',
    detectionActivity: 'integration_test',
    reportedBy: 'customer',
  }),
  ...defect('a9', d('01-03'), { ...RA, detectionActivity: 'system_test', introducedPhase: 'code' }, [
    ['defect.resolved', d('01-04'), { resolution: 'not_a_defect' }],
    ['defect.reopened', d('01-06')],
  ]),
  ...defect('a10', d('01-01'), { detectionActivity: 'system_test', introducedPhase: 'code' }, [
    ['defect.resolved', d('01-01', '06'), { resolution: 'wont_fix' }],
  ]),
  ...defect('a11', d('01-01'), { detectionActivity: 'system_test', introducedPhase: 'code' }, [
    ['defect.resolved', d('01-04'), { resolution: 'cannot_reproduce' }],
  ]),
  ...defect('b1', d('01-06'), { ...RA, detectionActivity: 'code_review', introducedPhase: 'code' }, [], {
    team: 'beta',
  }),
  ...defect(
    'r1',
    d('03-01'),
    { releaseFoundIn: 'RB', detectionActivity: 'acceptance_test', introducedPhase: 'requirements' },
    [],
    {
      project: 'p1',
    },
  ),
  ...defect(
    'r2',
    d('03-10'),
    {
      releaseFoundIn: 'RB',
      detectionActivity: 'customer',
      reportedBy: 'customer',
      introducedPhase: 'requirements',
    },
    [],
    {
      project: 'p1',
    },
  ),
];

const points = (id: string, query: string) => kw.points(id, query);
const count = (periodStart: string, c: number) => pt(periodStart, c, c, null, c);

beforeAll(async () => {
  kw = await openKpiWarehouse();
  // Posted newest first: every fold goes by event time, not by arrival.
  expect((await kw.write([...events].reverse())).duplicates).toBe(0);
});
afterAll(async () => kw?.dispose());

describe('release-based defect KPIs', () => {
  const AFTER = 'asOf=2024-07-01'; // both releases are more than 90 days old

  it('defect_escape_rate and defect_removal_efficiency: D_post and D_pre of the releases of the period', async () => {
    const der = await points('defect_escape_rate', `period=week&${AFTER}`);
    expect(der).toHaveLength(2);
    expect(der[0]).toMatchObject({
      periodStart: '2024-01-08',
      numerator: 2,
      denominator: 7,
      n: 7,
      provisional: false,
    });
    expect(der[0]?.value).toBeCloseTo((2 / 7) * 100, 10);
    expect(der[1]).toEqual(pt('2024-03-04', 50, 1, 2, 2));
    const dre = await points('defect_removal_efficiency', `period=week&${AFTER}`);
    expect(dre[0]?.value).toBeCloseTo((5 / 7) * 100, 10);
    expect(dre[0]).toMatchObject({ numerator: 5, denominator: 7 });
    expect((dre[0]?.value as number) + (der[0]?.value as number)).toBeCloseTo(100, 10);
  });

  it('a release window is provisional until the release is 90 days old at asOf', async () => {
    // RA's window ends 04-09 00:00. At 04-08 both releases are provisional; at 04-10 only RB (ends 06-04).
    // Values do not depend on asOf.
    const early = await points('defect_escape_rate', 'period=week&asOf=2024-04-08');
    expect(early.map((p) => p.provisional)).toEqual([true, true]);
    const later = await points('defect_escape_rate', 'period=week&asOf=2024-04-10');
    expect(later.map((p) => p.provisional)).toEqual([false, true]);
    expect(later.map((p) => p.numerator)).toEqual([2, 1]);
    // Quarter Q1 holds both releases: provisional while any one is.
    expect(await points('defect_escape_rate', 'period=quarter&asOf=2024-04-10')).toEqual([
      pt('2024-01-01', (3 / 9) * 100, 3, 9, 9, true),
    ]);
  });

  it('defect_density: one series per size unit', async () => {
    expect(await points('defect_density', `period=week&unit=kloc&${AFTER}`)).toEqual([
      pt('2024-01-08', 3.5, 7, 2, 1),
    ]);
    expect(await points('defect_density', `period=week&unit=function_points&${AFTER}`)).toEqual([
      pt('2024-03-04', 0.02, 2, 100, 1),
    ]);
    expect(await points('defect_density', `period=week&unit=story_points&${AFTER}`)).toEqual([]);
  });

  it('phase_containment: per introduced phase; re-triage moves a defect, unknown never counts', async () => {
    expect((await points('phase_containment', `period=week&phase=code&${AFTER}`))[0]).toEqual(
      pt('2024-01-08', 50, 3, 6, 6),
    );
    // design: a3 moved to code, a4 invalid → the release is listed with an empty denominator.
    expect((await points('phase_containment', `period=week&phase=design&${AFTER}`))[0]).toEqual(
      pt('2024-01-08', null, 0, 0, 0),
    );
    expect((await points('phase_containment', `period=week&phase=test&${AFTER}`))[0]).toEqual(
      pt('2024-01-08', 100, 1, 1, 1),
    );
    // requirements: RA none (a6 after the window); RB: r1 acceptance_test (test) and r2 customer → 0/2.
    expect(await points('phase_containment', `period=week&phase=requirements&${AFTER}`)).toEqual([
      pt('2024-01-08', null, 0, 0, 0),
      pt('2024-03-04', 0, 0, 2, 2),
    ]);
    // The default phase is code; an unknown phase is refused.
    expect((await points('phase_containment', `period=week&${AFTER}`))[0]).toMatchObject({
      numerator: 3,
      denominator: 6,
    });
    // (The API answers 400 for it: test/kpi.int.test.ts.)
    await expect(points('phase_containment', 'phase=unknown')).rejects.toThrow(InvalidKpiQueryError);
  });

  it('scope is the release’s: a team query counts other teams’ defects charged to its release', async () => {
    // alpha: RA with b1 (beta) included → 2/7; project p1: RB only; beta has no release → nothing.
    expect(
      (await points('defect_escape_rate', `period=week&team=alpha&${AFTER}`)).map((p) => p.denominator),
    ).toEqual([7, 2]);
    expect(await points('defect_escape_rate', `period=week&team=alpha&project=p1&${AFTER}`)).toEqual([
      pt('2024-03-04', 50, 1, 2, 2),
    ]);
    expect(await points('defect_escape_rate', `period=week&team=beta&${AFTER}`)).toEqual([]);
  });
});

describe('defect flow KPIs', () => {
  it('defect_arrivals: valid defects by first report; invalid ones leave', async () => {
    // Week 01-01: a1 a2 a3 a9 a10 a11 b1 = 7 (a4 duplicate). 01-15: a7. 01-22: a8. 01-29: a5.
    expect(await points('defect_arrivals', 'period=week&to=2024-01-31')).toEqual([
      count('2024-01-01', 7),
      count('2024-01-15', 1),
      count('2024-01-22', 1),
      count('2024-01-29', 1),
    ]);
    expect(await points('defect_arrivals', 'period=week&team=beta')).toEqual([count('2024-01-01', 1)]);
  });

  it('customer_reported_defects: valid defects with reportedBy = customer', async () => {
    // a8 (week 01-22), r2 (03-04), a6 (04-29); a5 was found in production by monitoring, not a customer.
    expect(await points('customer_reported_defects', 'period=week')).toEqual([
      count('2024-01-22', 1),
      count('2024-03-04', 1),
      count('2024-04-29', 1),
    ]);
    expect(await points('customer_reported_defects', 'period=week&team=alpha&project=p1')).toEqual([
      count('2024-03-04', 1),
    ]);
  });

  it('defect_resolution_time: R-7 median and P85 of reported → last resolution, by closing period', async () => {
    // Week 01-01: a10 6 h, a1 24 h, a11 72 h → median 24; P85 = 24 + 0.7 × (72 − 24) = 57.6.
    // Week 01-08: a2 01-03 → 01-12 = 216 h (reopened, counted once at its last resolution).
    // Week 01-29: a5 48 h. a4 (duplicate) and a9 (reopened after not_a_defect, open) are in no period.
    expect(await points('defect_resolution_time', 'period=week')).toEqual([
      { ...pt('2024-01-01', 24, null, null, 3), p85: expect.closeTo(57.6, 10) },
      { ...pt('2024-01-08', 216, null, null, 1), p85: 216 },
      { ...pt('2024-01-29', 48, null, null, 1), p85: 48 },
    ]);
  });

  it('reopen_rate: closed defects ever reopened / closed, by closing period', async () => {
    expect(await points('reopen_rate', 'period=week')).toEqual([
      pt('2024-01-01', 0, 0, 3, 3),
      pt('2024-01-08', 100, 1, 1, 1),
      pt('2024-01-29', 0, 0, 1, 1),
    ]);
  });

  it('defect_backlog: the level of open valid defects at the end of each period', async () => {
    // Net changes per week: 01-01: a2 (+1 −1 +1) a3 +1 a9 (+1 −1 +1) b1 +1, a1 a10 a11 opened and closed
    // → 4. 01-08: a2 −1 (a3's re-triage changes nothing) → 3. 01-15: a7 → 4. 01-22: a8 → 5.
    // 01-29: a5 opened and closed → 5. 02-26: r1 → 6. 03-04: r2 → 7. 04-29: a6 → 8.
    const level = (periodStart: string, l: number) => pt(periodStart, l, l, null, l);
    expect(await points('defect_backlog', 'period=week&asOf=2024-12-31')).toEqual([
      level('2024-01-01', 4),
      level('2024-01-08', 3),
      level('2024-01-15', 4),
      level('2024-01-22', 5),
      level('2024-01-29', 5),
      level('2024-02-26', 6),
      level('2024-03-04', 7),
      level('2024-04-29', 8),
    ]);
    // As of 01-05 12:00 only earlier events count: a2 open (reopened 01-05), a3 open, a4 open and still
    // valid (its duplicate resolution is on 01-06), a9 resolved not_a_defect (invalid then) → 3.
    expect(await points('defect_backlog', 'period=week&asOf=2024-01-05T12:00:00Z')).toEqual([
      level('2024-01-01', 3),
    ]);
    // beta: b1 alone; month grain: January ends at 5.
    expect(await points('defect_backlog', 'period=week&team=beta&asOf=2024-12-31')).toEqual([
      level('2024-01-01', 1),
    ]);
    expect((await points('defect_backlog', 'period=month&asOf=2024-12-31'))[0]).toEqual(
      level('2024-01-01', 5),
    );
  });

  it('a late invalidating resolution recomputes the old periods of every defect KPI', async () => {
    // b1 is resolved as duplicate on 01-07 (posted now): it leaves arrivals (week 01-01: 7 → 6), the
    // backlog (01-01: 4 → 3, and every later level −1) and RA's D_pre (5 → 4: DER 2/6).
    const late = ev(
      'defect.resolved',
      { defectId: 'b1', resolution: 'duplicate' },
      { time: d('01-07'), team: 'beta' },
    );
    expect((await kw.write(late)).duplicates).toBe(0);
    expect((await points('defect_arrivals', 'period=week&to=2024-01-01'))[0]).toEqual(count('2024-01-01', 6));
    const backlog = await points('defect_backlog', 'period=week&asOf=2024-12-31&to=2024-01-08');
    expect(backlog.map((p) => p.value)).toEqual([3, 2]);
    const der = await points('defect_escape_rate', 'period=week&asOf=2024-06-01&to=2024-01-08');
    expect(der[0]).toMatchObject({ numerator: 2, denominator: 6 });
    expect(der[0]?.value).toBeCloseTo((2 / 6) * 100, 10);
  });
});
