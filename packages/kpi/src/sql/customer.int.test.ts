import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ev, type KpiWarehouse, openKpiWarehouse, pt } from '../testing.js';

/**
 * Customer-satisfaction KPIs (docs/methods.md §2.3) on a hand-computed event set. Team alpha unless noted.
 * W1 = week of 2024-02-05, W2 = 2024-02-12, W3 = 2024-02-19.
 *
 * csat_1_5: W1 5, 4 (project p1), 3, 1 → 2 of 4 score 4–5; W2 4 → 1 of 1. W3 none.
 * nps_0_10: W1 10, 9, 8, 6, 0 → 2 promoters − 2 detractors = 0 of 5; W2 10, 7 → 1 − 0 of 2; W3 3 → −1 of 1.
 * Complaints: k1 in W1 and a second event for k1 in W2 (one complaint, counted at its first event);
 *             k2 in W2 in team beta.
 */
let kw: KpiWarehouse;

const survey = (scale: string, score: number, time: string, over: Record<string, unknown> = {}) =>
  ev('feedback.survey', { scale, score }, { time, ...over });
const csatEvents = [
  survey('csat_1_5', 5, '2024-02-05T10:00:00Z'),
  survey('csat_1_5', 4, '2024-02-06T10:00:00Z', { project: 'p1' }),
  survey('csat_1_5', 3, '2024-02-07T10:00:00Z'),
  survey('csat_1_5', 1, '2024-02-08T10:00:00Z'),
  survey('csat_1_5', 4, '2024-02-13T10:00:00Z'),
];
const events = [
  ...csatEvents,
  ...[10, 9, 8, 6, 0].map((s) => survey('nps_0_10', s, '2024-02-09T10:00:00Z')),
  ...[10, 7].map((s) => survey('nps_0_10', s, '2024-02-14T10:00:00Z')),
  survey('nps_0_10', 3, '2024-02-20T10:00:00Z'),
  ev('feedback.complaint', { complaintId: 'k1', severity: 'minor' }, { time: '2024-02-06T00:00:00Z' }),
  ev('feedback.complaint', { complaintId: 'k1', severity: 'major' }, { time: '2024-02-13T00:00:00Z' }),
  ev('feedback.complaint', { complaintId: 'k2' }, { time: '2024-02-14T00:00:00Z', team: 'beta' }),
];

const points = (id: string, query: string) => kw.points(id, query);

beforeAll(async () => {
  kw = await openKpiWarehouse();
  expect((await kw.write(events)).duplicates).toBe(0);
});
afterAll(async () => kw?.dispose());

describe('customer KPIs', () => {
  it('csat: responses scoring 4–5 / responses; weeks without a csat response are not listed', async () => {
    expect(await points('csat', 'period=week')).toEqual([
      pt('2024-02-05', 50, 2, 4, 4),
      pt('2024-02-12', 100, 1, 1, 1),
    ]);
    expect(await points('csat', 'period=week&team=alpha&project=p1')).toEqual([
      pt('2024-02-05', 100, 1, 1, 1),
    ]);
    expect(await points('csat', 'period=month')).toEqual([pt('2024-02-01', 60, 3, 5, 5)]);
  });

  it('nps: (promoters − detractors) / responses × 100', async () => {
    expect(await points('nps', 'period=week')).toEqual([
      pt('2024-02-05', 0, 0, 5, 5),
      pt('2024-02-12', 50, 1, 2, 2),
      pt('2024-02-19', -100, -1, 1, 1),
    ]);
    expect(await points('nps', 'period=week&team=beta')).toEqual([]);
  });

  it('complaints: one per complaintId at its first event', async () => {
    expect(await points('complaints', 'period=week')).toEqual([
      pt('2024-02-05', 1, 1, null, 1),
      pt('2024-02-12', 1, 1, null, 1),
    ]);
    expect(await points('complaints', 'period=week&team=beta')).toEqual([pt('2024-02-12', 1, 1, null, 1)]);
  });

  it('a duplicate raw survey row that slipped past the writer counts once', async () => {
    // The same (source, id) stored twice in events_raw: each response is folded by its key.
    await kw.insertRaw([csatEvents[3], csatEvents[3]]);
    expect(await points('csat', 'period=week&to=2024-02-05')).toEqual([pt('2024-02-05', 50, 2, 4, 4)]);
  });
});
