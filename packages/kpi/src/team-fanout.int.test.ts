import { generateDemo } from '@shewhart/cli/demo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KPIS, type KpiDefinition } from './catalogue.js';
import { queryKpi } from './query.js';
import { byTeamSql, queryByTeam } from './team-fanout.js';
import { type KpiWarehouse, openKpiWarehouse } from './testing.js';

/**
 * The refresh of every baseline queries each KPI once for all teams (byTeamSql). This checks, on a
 * realistic history, that the fanned-out query returns exactly what one query per team returns — for
 * every KPI in the catalogue and every period grain used by the refresh.
 */
let kw: KpiWarehouse;
const asOf = '2026-01-05T00:00:00Z';
const teams = ['payments', 'mobile', 'platform'];

beforeAll(async () => {
  kw = await openKpiWarehouse();
  const events = [...generateDemo({ weeks: 40, teams: 3, seed: 11, end: new Date(asOf) })];
  expect((await kw.write(events)).stored).toBe(events.length);
});
afterAll(async () => kw?.dispose());

function rounded(points: object[]): object[] {
  return points.map((p) =>
    Object.fromEntries(
      Object.entries(p).map(([k, v]) => [
        k,
        typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(12)) : v,
      ]),
    ),
  );
}

describe('one query for every team', () => {
  it.each(KPIS.map((k) => [k.id, k] as [string, KpiDefinition]))(
    '%s: fanned out = per team',
    async (_id, kpi) => {
      for (const grain of ['week', 'month'] as const) {
        const dim = kpi.dimension?.default;
        const byTeam = await queryByTeam(kw.states, kpi, grain, { dim, asOf: new Date(asOf) });
        if (!kpi.byTeamSql && byTeamSql(kpi.sql(grain)) === undefined) {
          expect(byTeam).toBeUndefined(); // the refresh falls back to one query per team
          continue;
        }
        for (const team of teams) {
          const single = await queryKpi(kw.states, kpi.id, {
            period: grain,
            team,
            asOf,
            ...(kpi.dimension && dim ? { [kpi.dimension.name]: dim } : {}),
          });
          // Sums of hours may be added in another order: equal to 1e-12 relative, not bit for bit.
          expect(rounded(byTeam?.get(team) ?? []), `${kpi.id} ${grain} ${team}`).toEqual(
            rounded(single.points),
          );
        }
      }
    },
  );
});
