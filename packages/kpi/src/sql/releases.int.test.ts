import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidKpiQueryError } from '../query.js';
import { ev, type KpiWarehouse, openKpiWarehouse, pt } from '../testing.js';

/**
 * Release KPIs (docs/methods.md §3.2) and change failures named by late incidents, on a hand-computed event
 * set. Weeks (ISO, Monday): W1 = 2024-03-04, W2 = 2024-03-11, W3 = 2024-03-18.
 *
 * R1 (alpha, p1): first plan at 02-01 commits plannedEnd 03-05 00:00 (plannedStart 02-05, effort 100 h);
 *   a re-plan at 02-20 moves it to 03-10 and the release event says 03-10 too — the baseline stays 03-05.
 *   Shipped 03-06 12:00 (W1): 1.5 days late. actualStart 02-06, actual effort 120 h, 10 kloc.
 *   Planned duration 03-05 − 02-05 = 29 d = 696 h; actual 03-06 12:00 − 02-06 = 29.5 d = 708 h.
 * R2 (alpha): two plans at the same instant 02-10: id `plan-b` says 03-08, id `plan-a` says 03-07 → the
 *   smaller id wins, baseline 03-07 00:00. A plan dated after the shipping (03-09, says 03-01) is ignored.
 *   Shipped exactly 03-07 00:00 (W1): on time (≤), slippage 0. No plannedStart anywhere → no SV.
 *   Effort from the release event: planned 50 h, actual 40 h. 30 story points.
 * R3 (alpha, p2): no plan event; own plannedEnd 03-13 00:00; shipped 03-12 00:00 (W2): 1 day early.
 *   plannedStart 03-01, actualStart 03-02: planned 12 d = 288 h, actual 10 d = 240 h. 5 kloc, no effort.
 * R4 (beta): plan at 03-01 says 03-20 00:00; own plannedEnd 03-25 ignored; shipped 03-21 06:00 (W3):
 *   1.25 days late; no plannedStart, no effort, no size.
 */
let kw: KpiWarehouse;

const planned = (
  releaseId: string,
  time: string,
  data: Record<string, unknown>,
  over: Record<string, unknown> = {},
) => ev('delivery.release.planned', { releaseId, ...data }, { time, ...over });
const release = (
  releaseId: string,
  time: string,
  data: Record<string, unknown>,
  over: Record<string, unknown> = {},
) => ev('delivery.release', { releaseId, ...data }, { time, ...over });

const events = [
  planned('R1', '2024-02-01T00:00:00Z', {
    plannedEnd: '2024-03-05T00:00:00Z',
    plannedStart: '2024-02-05T00:00:00Z',
    plannedEffortHours: 100,
  }),
  planned('R1', '2024-02-20T00:00:00Z', { plannedEnd: '2024-03-10T00:00:00Z' }),
  release(
    'R1',
    '2024-03-06T12:00:00Z',
    {
      plannedEnd: '2024-03-10T00:00:00Z',
      plannedStart: '2024-02-05T00:00:00Z',
      actualStart: '2024-02-06T00:00:00Z',
      actualEffortHours: 120,
      sizeDelivered: 10,
      sizeUnit: 'kloc',
    },
    { project: 'p1' },
  ),
  planned('R2', '2024-02-10T00:00:00Z', { plannedEnd: '2024-03-08T00:00:00Z' }, { id: 'plan-b' }),
  planned('R2', '2024-02-10T00:00:00Z', { plannedEnd: '2024-03-07T00:00:00Z' }, { id: 'plan-a' }),
  planned('R2', '2024-03-09T00:00:00Z', { plannedEnd: '2024-03-01T00:00:00Z' }),
  release('R2', '2024-03-07T00:00:00Z', {
    plannedEnd: '2024-03-07T00:00:00Z',
    plannedEffortHours: 50,
    actualEffortHours: 40,
    sizeDelivered: 30,
    sizeUnit: 'story_points',
  }),
  release(
    'R3',
    '2024-03-12T00:00:00Z',
    {
      plannedEnd: '2024-03-13T00:00:00Z',
      plannedStart: '2024-03-01T00:00:00Z',
      actualStart: '2024-03-02T00:00:00Z',
      sizeDelivered: 5,
      sizeUnit: 'kloc',
    },
    { project: 'p2' },
  ),
  planned('R4', '2024-03-01T00:00:00Z', { plannedEnd: '2024-03-20T00:00:00Z' }, { team: 'beta' }),
  release('R4', '2024-03-21T06:00:00Z', { plannedEnd: '2024-03-25T00:00:00Z' }, { team: 'beta' }),
];

const points = (id: string, query: string) => kw.points(id, query);

beforeAll(async () => {
  // No catch-up lag: each catch-up re-reads only the events stored since the previous one, so an event
  // that changes another entity (an incident naming a deployment) must re-fold that entity by itself.
  kw = await openKpiWarehouse({ lagMs: 0 });
  // Posted newest first: baselines go by event time (then id), never by arrival order.
  expect((await kw.write([...events].reverse())).duplicates).toBe(0);
});
afterAll(async () => kw?.dispose());

describe('release KPIs', () => {
  it('on_time_delivery: the first committed plannedEnd is the baseline; re-plans never move it', async () => {
    // W1: R1 late (03-06 12:00 > 03-05), R2 on time (03-07 ≤ 03-07) → 1/2. W2: R3 on time → 1/1.
    // W3: R4 late → 0/1 = 0 (a listed period with an empty numerator is 0, not null).
    expect(await points('on_time_delivery', 'period=week')).toEqual([
      pt('2024-03-04', 50, 1, 2, 2),
      pt('2024-03-11', 100, 1, 1, 1),
      pt('2024-03-18', 0, 0, 1, 1),
    ]);
    // Project scope: only R1.
    expect(await points('on_time_delivery', 'period=week&team=alpha&project=p1')).toEqual([
      pt('2024-03-04', 0, 0, 1, 1),
    ]);
    // Team scope: beta has only R4. Month: all four in March → 2/4.
    expect(await points('on_time_delivery', 'period=week&team=beta')).toEqual([pt('2024-03-18', 0, 0, 1, 1)]);
    expect(await points('on_time_delivery', 'period=month')).toEqual([pt('2024-03-01', 50, 2, 4, 4)]);
  });

  it('schedule_slippage: mean of shipped − baseline in days', async () => {
    // W1: (1.5 + 0) / 2 = 0.75. W2: −1. W3: 1.25.
    expect(await points('schedule_slippage', 'period=week')).toEqual([
      pt('2024-03-04', 0.75, 1.5, 2, 2),
      pt('2024-03-11', -1, -1, 1, 1),
      pt('2024-03-18', 1.25, 1.25, 1, 1),
    ]);
  });

  it('schedule_variance: Σ(actual − planned duration) / Σ planned duration, null without inputs', async () => {
    // W1: R1 only (R2 has no plannedStart): (708 − 696) / 696 h. W2: R3 (240 − 288) / 288.
    // W3: R4 has no plannedStart → listed (a release shipped) with an empty denominator → null.
    const p = await points('schedule_variance', 'period=week');
    expect(p).toHaveLength(3);
    expect(p[0]).toMatchObject({ periodStart: '2024-03-04', numerator: 12, denominator: 696, n: 1 });
    expect(p[0]?.value).toBeCloseTo((12 / 696) * 100, 10);
    expect(p[1]).toMatchObject({ periodStart: '2024-03-11', numerator: -48, denominator: 288, n: 1 });
    expect(p[1]?.value).toBeCloseTo((-48 / 288) * 100, 10);
    expect(p[2]).toEqual(pt('2024-03-18', null, 0, 0, 0));
  });

  it('effort_variance: Σ(actual − planned) / Σ planned effort; planned effort from the baseline plan', async () => {
    // W1: R1 (120 − 100, plan's effort) + R2 (40 − 50, release's own) = 10 / 150. W2, W3: no effort → null.
    const p = await points('effort_variance', 'period=week');
    expect(p[0]).toMatchObject({ periodStart: '2024-03-04', numerator: 10, denominator: 150, n: 2 });
    expect(p[0]?.value).toBeCloseTo((10 / 150) * 100, 10);
    expect(p.slice(1)).toEqual([pt('2024-03-11', null, 0, 0, 0), pt('2024-03-18', null, 0, 0, 0)]);
  });

  it('productivity: size / actual effort, one series per size unit', async () => {
    // kloc: W1 R1 10 / 120; W2 R3 is kloc but has no effort → listed, null. story_points: W1 R2 30 / 40.
    const kloc = await points('productivity', 'period=week&unit=kloc');
    expect(kloc[0]).toMatchObject({ periodStart: '2024-03-04', numerator: 10, denominator: 120, n: 1 });
    expect(kloc[0]?.value).toBeCloseTo(10 / 120, 12);
    expect(kloc[1]).toEqual(pt('2024-03-11', null, 0, 0, 0));
    expect(kloc).toHaveLength(2);
    expect(await points('productivity', 'period=week&unit=story_points')).toEqual([
      pt('2024-03-04', 0.75, 30, 40, 1),
    ]);
    expect(await points('productivity', 'period=week&unit=function_points')).toEqual([]);
    // An unknown unit is refused (the API answers 400: test/kpi.int.test.ts).
    await expect(points('productivity', 'period=week&unit=loc')).rejects.toThrow(InvalidKpiQueryError);
  });

  it('a late plan dated before the shipping becomes the baseline and recomputes the old period', async () => {
    // R3 gets a plan dated 02-15 saying 03-11: now R3 (shipped 03-12) is 1 day late; its planned start still
    // comes from the release event: planned 03-11 − 03-01 = 10 d = 240 h = actual → SV 0.
    expect(
      (await kw.write(planned('R3', '2024-02-15T00:00:00Z', { plannedEnd: '2024-03-11T00:00:00Z' })))
        .duplicates,
    ).toBe(0);
    expect(await points('on_time_delivery', 'period=week&from=2024-03-11&to=2024-03-11')).toEqual([
      pt('2024-03-11', 0, 0, 1, 1),
    ]);
    expect(await points('schedule_slippage', 'period=week&from=2024-03-11&to=2024-03-11')).toEqual([
      pt('2024-03-11', 1, 1, 1, 1),
    ]);
    expect(await points('schedule_variance', 'period=week&from=2024-03-11&to=2024-03-11')).toEqual([
      pt('2024-03-11', 0, 0, 240, 1),
    ]);
  });
});

const dep = (id: string, time: string) =>
  ev(
    'delivery.deployment',
    { deploymentId: id, environment: 'production', status: 'success' },
    { time, team: 'gamma' },
  );
const g1 = dep('g1', '2024-04-02T00:00:00Z');
const g2 = dep('g2', '2024-04-03T00:00:00Z');

describe('change failures named later', () => {
  it('an incident posted later names an old deployment: its period flips to a failure', async () => {
    // Team gamma, week of 2024-04-01: g1 and g2 succeed → 0/2. An incident opened 04-09 (next week)
    // names g1 → g1 is a change failure → 1/2 = 50 % in its own (old) week.
    expect((await kw.write([g1, g2])).duplicates).toBe(0);
    expect(await points('change_failure_rate', 'period=week&team=gamma')).toEqual([
      pt('2024-04-01', 0, 0, 2, 2),
    ]);
    const incident = ev(
      'delivery.incident.opened',
      { incidentId: 'gi1', causedByDeploymentId: 'g1' },
      { time: '2024-04-09T00:00:00Z', team: 'gamma' },
    );
    expect((await kw.write(incident)).duplicates).toBe(0);
    expect(await points('change_failure_rate', 'period=week&team=gamma')).toEqual([
      pt('2024-04-01', 50, 1, 2, 2),
    ]);
  });

  it('a duplicate raw row that slipped past the writer changes nothing', async () => {
    // Insert the g2 deployment event and R1's release event again, same (source, id), straight into
    // events_raw (the writer would refuse them): every KPI folds by entity, so nothing counts twice.
    await kw.insertRaw([g2, events[2], events[2]]);
    expect(await points('change_failure_rate', 'period=week&team=gamma')).toEqual([
      pt('2024-04-01', 50, 1, 2, 2),
    ]);
    expect(await points('on_time_delivery', 'period=week&to=2024-03-04')).toEqual([
      pt('2024-03-04', 50, 1, 2, 2),
    ]);
  });
});
