import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ev, type KpiWarehouse, openKpiWarehouse, pt } from '../testing.js';

/**
 * Corrective-action KPIs (docs/methods.md §2.6) on a hand-computed event set. Team alpha unless noted.
 *
 * c1 opened 01-01 00:00, due 01-20, key k1; closed 01-11 00:00 (10 d, on time), effective.
 * c2 opened 01-02, due 01-05, key k3; closed 01-12 00:00 (10 d, late), pending; a later capa.closed on
 *    03-01 records not_effective (the check completes then; the closure stays 01-12).
 * c3 opened 01-03, no due date, key k2; capa.updated 01-04 sets due 02-01; closed 01-13 12:00 (10.5 d,
 *    on time), no effectiveness result.
 * c4 opened 01-04, due 01-31, no key; closed 02-05 00:00 (32 d, late), effective.
 * c5 opened 05-01, key k1: a recurrence of c1 (within 180 days after 01-11).
 * c6 opened 03-01 in team beta, key k2: another team, not a recurrence of c3.
 * c7 opened 08-01, key k2: more than 180 days after c3's closure (window ends 07-11 12:00).
 * c8 opened 06-03, closed 06-04 (1 d), pending, no due date, no key.
 */
let kw: KpiWarehouse;

const opened = (
  capaId: string,
  time: string,
  data: Record<string, unknown> = {},
  over: Record<string, unknown> = {},
) => ev('capa.opened', { capaId, origin: 'escaped_defect', ...data }, { time, ...over });
const closed = (capaId: string, time: string, effectiveness?: string) =>
  ev('capa.closed', { capaId, ...(effectiveness ? { effectiveness } : {}) }, { time });
const t = (day: string, hh = '00') => `2024-${day}T${hh}:00:00Z`;

const events = [
  opened('c1', t('01-01'), { dueAt: t('01-20'), recurrenceKey: 'k1' }),
  closed('c1', t('01-11'), 'effective'),
  opened('c2', t('01-02'), { dueAt: t('01-05'), recurrenceKey: 'k3' }),
  closed('c2', t('01-12'), 'pending'),
  closed('c2', t('03-01'), 'not_effective'),
  opened('c3', t('01-03'), { recurrenceKey: 'k2' }),
  ev('capa.updated', { capaId: 'c3', dueAt: t('02-01') }, { time: t('01-04') }),
  closed('c3', t('01-13', '12')),
  opened('c4', t('01-04'), { dueAt: t('01-31') }),
  closed('c4', t('02-05'), 'effective'),
  opened('c5', t('05-01'), { recurrenceKey: 'k1' }),
  opened('c6', t('03-01'), { recurrenceKey: 'k2' }, { team: 'beta' }),
  opened('c7', t('08-01'), { recurrenceKey: 'k2' }),
  opened('c8', t('06-03')),
  closed('c8', t('06-04'), 'pending'),
];

const points = (id: string, query: string) => kw.points(id, query);

beforeAll(async () => {
  kw = await openKpiWarehouse();
  expect((await kw.write([...events].reverse())).duplicates).toBe(0);
});
afterAll(async () => kw?.dispose());

describe('CAPA KPIs', () => {
  it('capa_closure_time: R-7 median and P85 of opened → first closure, in days', async () => {
    // Week 01-08: c1 10, c2 10, c3 10.5 → median 10, P85 = 10 + 0.7 × 0.5 = 10.35. Week 02-05: c4 32.
    // Week 06-03: c8 1. c2's second capa.closed (03-01) is not a closure.
    expect(await points('capa_closure_time', 'period=week')).toEqual([
      { ...pt('2024-01-08', 10, null, null, 3), p85: expect.closeTo(10.35, 10) },
      { ...pt('2024-02-05', 32, null, null, 1), p85: 32 },
      { ...pt('2024-06-03', 1, null, null, 1), p85: 1 },
    ]);
  });

  it('capa_on_time: closed by the latest dueAt / closed with a due date', async () => {
    // Week 01-08: c1 yes, c2 no, c3 yes (due set by capa.updated) → 2/3. 02-05: c4 late → 0/1.
    // 06-03: c8 has no due date → listed, empty denominator → null.
    const p = await points('capa_on_time', 'period=week');
    expect(p[0]).toMatchObject({ periodStart: '2024-01-08', numerator: 2, denominator: 3, n: 3 });
    expect(p[0]?.value).toBeCloseTo((2 / 3) * 100, 10);
    expect(p.slice(1)).toEqual([pt('2024-02-05', 0, 0, 1, 1), pt('2024-06-03', null, 0, 0, 0)]);
  });

  it('capa_effectiveness: effective / decided checks, by the time the check completed; pending left out', async () => {
    // 01-08: c1 effective → 1/1. 02-05: c4 → 1/1. 02-26: c2 not_effective (03-01) → 0/1.
    // 06-03: c8 pending only → listed, null. c3 has no result.
    expect(await points('capa_effectiveness', 'period=week')).toEqual([
      pt('2024-01-08', 100, 1, 1, 1),
      pt('2024-02-05', 100, 1, 1, 1),
      pt('2024-02-26', 0, 0, 1, 1),
      pt('2024-06-03', null, 0, 0, 0),
    ]);
  });

  it('capa_recurrence_rate: complete 180-day cohorts only, same team and recurrence key', async () => {
    // January cohort (keys): c1 k1, c2 k3, c3 k2 (c4 has no key). c1 recurred (c5); c3's k2 reappears only
    // in team beta (c6) or too late (c7) → 1/3. January ends 02-01 00:00; + 180 d = 07-30 00:00.
    expect(await points('capa_recurrence_rate', 'period=month&asOf=2024-07-29T23:59:59Z')).toEqual([]);
    const p = await points('capa_recurrence_rate', 'period=month&asOf=2024-07-30');
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({
      periodStart: '2024-01-01',
      numerator: 1,
      denominator: 3,
      n: 3,
      provisional: false,
    });
    expect(p[0]?.value).toBeCloseTo(100 / 3, 10);
    // February's only closure (c4) has no key: no cohort, not listed. beta closed nothing.
    expect(
      (await points('capa_recurrence_rate', 'period=month&asOf=2025-06-01')).map((x) => x.periodStart),
    ).toEqual(['2024-01-01']);
    expect(await points('capa_recurrence_rate', 'period=month&team=beta&asOf=2025-06-01')).toEqual([]);
  });

  it('a late CAPA opening lands in its old cohort', async () => {
    // c9 (alpha, k3) opened 03-01, posted now: c2 recurred → January 2/3.
    expect((await kw.write(opened('c9', t('03-01'), { recurrenceKey: 'k3' }))).duplicates).toBe(0);
    const p = await points('capa_recurrence_rate', 'period=month&asOf=2025-06-01');
    expect(p[0]).toMatchObject({ numerator: 2, denominator: 3 });
  });

  it('a CAPA whose opening was recorded after its closure still sees a later recurrence', async () => {
    // c10 (k9) closed 01-10 but opened 01-20 (inconsistent source data): the first k9 opening after its
    // closure is c10 itself; c11 (k9, 01-25) is the recurrence. January: c1, c2, c10 of 4 → 3/4.
    const inconsistent = [
      closed('c10', t('01-10')),
      opened('c10', t('01-20'), { recurrenceKey: 'k9' }),
      opened('c11', t('01-25'), { recurrenceKey: 'k9' }),
    ];
    expect((await kw.write(inconsistent)).duplicates).toBe(0);
    const p = await points('capa_recurrence_rate', 'period=month&asOf=2025-06-01');
    expect(p[0]).toMatchObject({ periodStart: '2024-01-01', numerator: 3, denominator: 4 });
  });
});
