import { generateDemo } from '@shewhart/cli/demo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KPIS } from '../catalogue.js';
import { queryKpi } from '../query.js';
import { type KpiWarehouse, openKpiWarehouse } from '../testing.js';

/**
 * Invariants of every KPI on a realistic demo history (3 teams, 30 weeks): the folds of a bounded query
 * read only the entities whose period key falls in its range, so a bounded series must equal the full
 * series cut to the same periods — for every KPI, grain, scope and range, including ranges whose bounds
 * fall inside a period. Plus the sums that tie KPIs together (DER + DRE = 100; teams add up to the org).
 */
let kw: KpiWarehouse;
const END = new Date('2024-07-01T00:00:00Z');
const AS_OF = '2024-07-01T00:00:00Z';

type Point = {
  periodStart: string;
  value: number | null;
  numerator: number | null;
  denominator: number | null;
};
async function series(id: string, query: Record<string, string | undefined>): Promise<Point[]> {
  const params = Object.entries({ asOf: AS_OF, ...query }).filter(
    (e): e is [string, string] => e[1] !== undefined,
  );
  return (await queryKpi(kw.states, id, Object.fromEntries(params))).points;
}

/** Same periods, counts and flags; sums of floats may differ in the last bits (aggregation order). */
function expectSameSeries(actual: Point[], expected: Point[], label: string): void {
  const shape = (ps: Point[]) => ps.map(({ value, numerator, denominator, ...rest }) => rest);
  expect(shape(actual), label).toEqual(shape(expected));
  actual.forEach((p, i) => {
    const e = expected[i] as Point;
    for (const k of ['value', 'numerator', 'denominator'] as const) {
      if (e[k] === null) expect(p[k], `${label} ${p.periodStart} ${k}`).toBeNull();
      else expect(p[k], `${label} ${p.periodStart} ${k}`).toBeCloseTo(e[k] as number, 9);
    }
  });
}

beforeAll(async () => {
  kw = await openKpiWarehouse();
  const events = [...generateDemo({ weeks: 30, teams: 3, seed: 11, end: END })];
  expect((await kw.write(events)).stored).toBe(events.length);
});
afterAll(async () => kw?.dispose());

const RANGES = [
  { from: '2024-02-07', to: '2024-03-20' }, // both bounds inside a week and a month
  { from: '2024-04-01T00:00:00Z' },
  { to: '2024-01-15' },
];

describe('bounded queries equal the full series cut to their periods', () => {
  for (const kpi of KPIS) {
    it(kpi.id, async () => {
      for (const period of ['week', 'month'] as const) {
        for (const scope of [{}, { team: 'mobile' }, { team: 'payments', project: 'payments-api' }]) {
          const full = await series(kpi.id, { period, ...scope });
          for (const range of RANGES) {
            const from = range.from
              ? Date.parse(range.from.length === 10 ? `${range.from}T00:00:00Z` : range.from)
              : -Infinity;
            const to = 'to' in range && range.to ? Date.parse(`${range.to}T00:00:00Z`) : Infinity;
            const expected = full.filter((p) => {
              const start = Date.parse(`${p.periodStart}T00:00:00Z`);
              return start >= from && start <= to;
            });
            const label = `${kpi.id} ${period} ${JSON.stringify(scope)} ${JSON.stringify(range)}`;
            expectSameSeries(await series(kpi.id, { period, ...scope, ...range }), expected, label);
          }
        }
      }
    });
  }
});

describe('KPIs that tie together', () => {
  it('defect escape rate + removal efficiency = 100 wherever defined', async () => {
    const der = await series('defect_escape_rate', { period: 'month' });
    const dre = await series('defect_removal_efficiency', { period: 'month' });
    expect(der.length).toBeGreaterThan(3);
    expect(dre.map((p) => p.periodStart)).toEqual(der.map((p) => p.periodStart));
    der.forEach((p, i) => {
      if (p.value === null) expect(dre[i]?.value).toBeNull();
      else expect(p.value + (dre[i]?.value as number)).toBeCloseTo(100, 9);
    });
  });

  it('count and ratio terms of the teams add up to the organisation', async () => {
    for (const id of [
      'defect_arrivals',
      'change_failure_rate',
      'csat',
      'on_time_delivery',
      'capa_on_time',
      'review_detection_rate',
    ]) {
      const org = await series(id, { period: 'month' });
      const teams = await Promise.all(
        ['payments', 'mobile', 'platform'].map((team) => series(id, { period: 'month', team })),
      );
      for (const p of org) {
        const same = teams.flatMap((t) => t.filter((q) => q.periodStart === p.periodStart));
        expect(
          same.reduce((s, q) => s + (q.numerator ?? 0), 0),
          `${id} ${p.periodStart}`,
        ).toBeCloseTo(p.numerator ?? 0, 9);
        expect(
          same.reduce((s, q) => s + (q.denominator ?? 0), 0),
          `${id} ${p.periodStart}`,
        ).toBeCloseTo(p.denominator ?? 0, 9);
      }
    }
  });
});
