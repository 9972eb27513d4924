import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryKpi } from '../query.js';
import { ev, type KpiWarehouse, openKpiWarehouse } from '../testing.js';

/**
 * A small hand-computed event set. Each expected value below is worked out by hand in the comments,
 * from the formulas of docs/methods.md §3.1–§3.2 and docs/kpis.md.
 */
let kw: KpiWarehouse;

const dep = (id: string, time: string, data: Record<string, unknown>, over: Record<string, unknown> = {}) =>
  ev(
    'delivery.deployment',
    { deploymentId: id, environment: 'production', status: 'success', ...data },
    { time, ...over },
  );
const change = (changeId: string, committedAt: string) => ({ changeId, committedAt });

const events = [
  // Week of Mon 2024-01-01, team alpha.
  dep('d1', '2024-01-02T10:00:00Z', {
    changes: [change('c1', '2024-01-01T10:00:00Z'), change('c2', '2024-01-02T04:00:00Z')],
  }),
  dep('d2', '2024-01-03T12:00:00Z', { status: 'failed', changes: [change('c3', '2024-01-03T00:00:00Z')] }),
  dep('d3', '2024-01-04T00:00:00Z', {
    changeFailure: true,
    changes: [change('c3', '2024-01-03T00:00:00Z'), change('c4', '2024-01-04T01:00:00Z')],
  }),
  dep('d4', '2024-01-05T00:00:00Z', { changes: [change('c5', '2024-01-04T12:00:00Z')] }),
  dep('d5', '2024-01-06T00:00:00Z', { status: 'cancelled' }),
  dep('d6', '2024-01-06T00:00:00Z', { environment: 'staging', status: 'failed' }),
  dep('d7', '2024-01-06T00:00:00Z', { changes: [change('c6', '2024-01-05T00:00:00Z')] }),
  dep('d7', '2024-01-06T05:00:00Z', { status: 'rolled_back' }), // later event of d7: rolled back
  // Week of Mon 2024-01-08, team beta.
  dep('d8', '2024-01-09T00:00:00Z', { changes: [change('c7', '2024-01-08T00:00:00Z')] }, { team: 'beta' }),
  // Incidents (team alpha).
  ev(
    'delivery.incident.opened',
    { incidentId: 'i1', causedByDeploymentId: 'd4' },
    { time: '2024-01-05T06:00:00Z' },
  ),
  ev('delivery.incident.resolved', { incidentId: 'i1' }, { time: '2024-01-05T09:00:00Z' }),
  ev('delivery.incident.opened', { incidentId: 'i2' }, { time: '2024-01-07T22:00:00Z' }),
  ev('delivery.incident.resolved', { incidentId: 'i2' }, { time: '2024-01-08T02:00:00Z' }),
  ev('delivery.incident.opened', { incidentId: 'i3' }, { time: '2024-01-09T00:00:00Z' }),
  ev('delivery.incident.resolved', { incidentId: 'i3' }, { time: '2024-01-09T10:00:00Z' }),
  ev('delivery.incident.opened', { incidentId: 'i4' }, { time: '2024-01-09T00:00:00Z' }),
  // Defects.
  ...defect('f1', '2024-01-02T00:00:00Z'),
  ...defect('f2', '2024-01-02T00:00:00Z', [
    ['defect.resolved', '2024-01-03T00:00:00Z', { resolution: 'duplicate' }],
  ]),
  ...defect('f3', '2024-01-03T00:00:00Z', [
    ['defect.resolved', '2024-01-04T00:00:00Z', { resolution: 'not_a_defect' }],
    ['defect.reopened', '2024-01-05T00:00:00Z', {}],
  ]),
  ...defect('f4', '2024-01-04T00:00:00Z', [
    ['defect.resolved', '2024-01-05T00:00:00Z', { resolution: 'fixed' }],
  ]),
  ...defect('f5', '2024-01-09T00:00:00Z', [], { project: 'p1' }),
  ...defect('f6', '2024-01-09T00:00:00Z', [], { team: 'beta' }),
];

function defect(
  id: string,
  time: string,
  later: [string, string, Record<string, unknown>][] = [],
  over: Record<string, unknown> = {},
) {
  return [
    ev(
      'defect.reported',
      { defectId: id, severity: 'minor', detectionActivity: 'system_test' },
      { time, ...over },
    ),
    ...later.map(([type, t, data]) => ev(type, { defectId: id, ...data }, { time: t, ...over })),
  ];
}

async function kpi(id: string, query: string) {
  return { body: await queryKpi(kw.states, id, Object.fromEntries(new URLSearchParams(query))) };
}

beforeAll(async () => {
  kw = await openKpiWarehouse();
  // Stored in reverse order: folds go by event time, not by arrival.
  expect((await kw.write([...events].reverse())).duplicates).toBe(0);
});
afterAll(async () => kw?.dispose());

describe('KPIs on a hand-computed event set', () => {
  it('change_failure_rate: week 1 has 5 counted deployments (d5 cancelled, d6 staging) and 4 failures', async () => {
    // d2 failed, d3 marked changeFailure, d4 named by incident i1, d7 rolled back by its later event.
    const { body } = await kpi('change_failure_rate', 'period=week');
    expect(body).toEqual({
      kpi: 'change_failure_rate',
      period: 'week',
      points: [
        { periodStart: '2024-01-01', value: 80, numerator: 4, denominator: 5, n: 5, provisional: false },
        { periodStart: '2024-01-08', value: 0, numerator: 0, denominator: 1, n: 1, provisional: false },
      ],
    });
    const month = await kpi('change_failure_rate', 'period=month');
    expect(month.body.points).toHaveLength(1);
    expect(month.body.points[0]).toMatchObject({ periodStart: '2024-01-01', numerator: 4, denominator: 6 });
    expect(month.body.points[0]?.value).toBeCloseTo((4 / 6) * 100, 12);
  });

  it('deployment_frequency: successful production deployments per day of the period', async () => {
    // Week 1: d1, d3, d4 succeeded (d7 was rolled back) → 3/7; six production deployments in all.
    const { body } = await kpi('deployment_frequency', 'period=week&team=alpha');
    expect(body.points).toEqual([
      { periodStart: '2024-01-01', value: 3 / 7, numerator: 3, denominator: 7, n: 6, provisional: false },
    ]);
    const month = await kpi('deployment_frequency', 'period=month');
    expect(month.body.points).toEqual([
      { periodStart: '2024-01-01', value: 4 / 31, numerator: 4, denominator: 31, n: 7, provisional: false },
    ]);
    const day = await kpi('deployment_frequency', 'period=day&from=2024-01-02&to=2024-01-02');
    expect(day.body.points).toEqual([
      { periodStart: '2024-01-02', value: 1, numerator: 1, denominator: 1, n: 1, provisional: false },
    ]);
  });

  it('lead_time_for_changes: R-7 median per change, first successful deployment, non-positive excluded', async () => {
    // c1 24 h (d1), c2 6 h (d1), c3 24 h (first success is d3; d2 failed), c4 −1 h excluded, c5 12 h;
    // c6 only in rolled-back d7. Week 1 median of [6, 12, 24, 24] = 18. Week 2: c7 24 h.
    const { body } = await kpi('lead_time_for_changes', 'period=week');
    expect(body.points).toEqual([
      { periodStart: '2024-01-01', value: 18, numerator: null, denominator: null, n: 4, provisional: false },
      { periodStart: '2024-01-08', value: 24, numerator: null, denominator: null, n: 1, provisional: false },
    ]);
  });

  it('time_to_restore: median opened → resolved of incidents resolved in the period', async () => {
    // Week 1: i1 3 h. Week 2: i2 4 h (opened in week 1, resolved in week 2) and i3 10 h → 7. i4 is open.
    const { body } = await kpi('time_to_restore', 'period=week');
    expect(body.points).toEqual([
      { periodStart: '2024-01-01', value: 3, numerator: null, denominator: null, n: 1, provisional: false },
      { periodStart: '2024-01-08', value: 7, numerator: null, denominator: null, n: 2, provisional: false },
    ]);
  });

  it('defect_arrivals: valid defects only, by scope', async () => {
    // f2 is a duplicate (invalid); f3 was not_a_defect but reopened after, so valid again.
    expect((await kpi('defect_arrivals', 'period=week')).body.points).toEqual([
      { periodStart: '2024-01-01', value: 3, numerator: 3, denominator: null, n: 3, provisional: false },
      { periodStart: '2024-01-08', value: 2, numerator: 2, denominator: null, n: 2, provisional: false },
    ]);
    expect((await kpi('defect_arrivals', 'period=week&team=alpha&project=p1')).body.points).toEqual([
      { periodStart: '2024-01-08', value: 1, numerator: 1, denominator: null, n: 1, provisional: false },
    ]);
    expect((await kpi('defect_arrivals', 'period=week&team=beta')).body.points).toEqual([
      { periodStart: '2024-01-08', value: 1, numerator: 1, denominator: null, n: 1, provisional: false },
    ]);
    expect((await kpi('defect_arrivals', 'period=week&from=2024-01-02')).body.points).toEqual([
      { periodStart: '2024-01-08', value: 2, numerator: 2, denominator: null, n: 2, provisional: false },
    ]);
  });

  it('a late event lands in its old period and recomputes it', async () => {
    const late = ev(
      'defect.resolved',
      { defectId: 'f1', resolution: 'not_a_defect' },
      { time: '2024-01-20T00:00:00Z' },
    );
    expect((await kw.write(late)).duplicates).toBe(0);
    expect((await kpi('defect_arrivals', 'period=week&to=2024-01-07')).body.points).toEqual([
      { periodStart: '2024-01-01', value: 2, numerator: 2, denominator: null, n: 2, provisional: false },
    ]);
  });
});
