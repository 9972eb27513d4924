import {
  GRAINS,
  type Grain,
  installKpiViews,
  KPIS,
  type KpiDefinition,
  kpiViewName,
  kpiViewsOutOfStep,
  queryKpi,
} from '@shewhart/kpi';
import type { KpiWarehouse } from '@shewhart/kpi/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approx } from './support/approx.js';
import { DEMO_END, openDemoWarehouse } from './support/demo-warehouse.js';

/**
 * One definition per KPI: the parameterized view a dashboard reads (packages/kpi/src/views.ts) returns
 * the numbers `queryKpi` (the API) returns, for every KPI, several scopes, grains and bounds.
 */
let kw: KpiWarehouse;
let project: string;
const AS_OF = '2026-02-18T12:00:00.000Z';

beforeAll(async () => {
  kw = await openDemoWarehouse();
  const rs = await kw.client.query({
    query: `SELECT project FROM events_raw WHERE team = 'payments' AND project != '' GROUP BY project ORDER BY count() DESC LIMIT 1`,
    format: 'JSONEachRow',
  });
  project = ((await rs.json<{ project: string }>())[0] as { project: string }).project;
}, 300_000);
afterAll(() => kw?.dispose());

const sqlString = (s: string | undefined) => (s === undefined ? 'NULL' : `'${s}'`);

async function viewPoints(
  id: string,
  grain: Grain,
  q: { team?: string; project?: string; from?: string; to?: string; dim?: string },
) {
  const rs = await kw.client.query({
    query: `SELECT toString(period_start) AS period_start, value, numerator, denominator, n, provisional, p85, open
            FROM ${kpiViewName(id, grain)}(team = ${sqlString(q.team)}, project = ${sqlString(q.project)},
              from = ${q.from ? `toDateTime64('${q.from}', 3, 'UTC')` : 'NULL'},
              to = ${q.to ? `toDateTime64('${q.to}', 3, 'UTC')` : 'NULL'},
              now = toDateTime64('${AS_OF.replace('T', ' ').replace('Z', '')}', 3, 'UTC'), dim = '${q.dim ?? ''}')
            ORDER BY period_start`,
    format: 'JSONEachRow',
  });
  return rs.json<Record<string, unknown>>();
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const finite = (v: number | null) => (v === null || Number.isFinite(v) ? v : null);

const SCOPES: { name: string; grain: Grain; scope: () => Record<string, string> }[] = [
  { name: 'org by week', grain: 'week', scope: () => ({}) },
  { name: 'a team by month', grain: 'month', scope: () => ({ team: 'payments' }) },
  { name: 'a project by quarter', grain: 'quarter', scope: () => ({ team: 'payments', project }) },
  {
    name: 'a team by day within bounds',
    grain: 'day',
    scope: () => ({ team: 'mobile', from: '2025-11-01', to: '2026-01-31' }),
  },
];

describe('KPI views equal the API', () => {
  for (const s of SCOPES) {
    it(`every KPI, ${s.name}`, async () => {
      let compared = 0;
      for (const kpi of KPIS as readonly KpiDefinition[]) {
        const dims = kpi.dimension ? kpi.dimension.values : [undefined];
        for (const dim of dims) {
          const scope = s.scope();
          const api = await queryKpi(kw.states, kpi.id, {
            period: s.grain,
            ...scope,
            asOf: AS_OF,
            ...(kpi.dimension && dim ? { [kpi.dimension.name]: dim } : {}),
          });
          const rows = await viewPoints(kpi.id, s.grain, {
            ...scope,
            from: scope.from ? `${scope.from} 00:00:00` : undefined,
            to: scope.to ? `${scope.to} 00:00:00` : undefined,
            dim,
          });
          const fromView = rows.map((r) => ({
            periodStart: String(r.period_start),
            value: finite(num(r.value)),
            numerator: num(r.numerator),
            denominator: num(r.denominator),
            n: Number(r.n),
            provisional: Number(r.provisional) === 1,
            ...(kpi.extras?.includes('p85') ? { p85: finite(num(r.p85)) } : {}),
          }));
          expect(fromView, `${kpi.id} ${dim ?? ''}`).toEqual(approx(api.points));
          compared += rows.length;
        }
      }
      expect(compared).toBeGreaterThan(0);
    });
  }

  it('marks the periods not ended at `now` as open, and only those', async () => {
    const rows = await viewPoints('defect_arrivals', 'week', {});
    const open = rows.filter((r) => Number(r.open) === 1).map((r) => r.period_start);
    // AS_OF is Wednesday 2026-02-18: only the week of Monday 2026-02-16 is open; the demo ends 2026-03-02.
    expect(open).toEqual([
      '2026-02-16',
      ...rows.map((r) => String(r.period_start)).filter((p) => p > '2026-02-16'),
    ]);
    expect(DEMO_END.toISOString().slice(0, 10) > '2026-02-16').toBe(true);
  });
});

describe('KPI views stay in step with the catalogue', () => {
  it('installs one view per KPI and grain, and finds none out of step', async () => {
    const rs = await kw.client.query({
      query: `SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND engine = 'View' AND name LIKE 'kpi\\_%'`,
      format: 'JSONEachRow',
    });
    expect(Number((await rs.json<{ n: string }>())[0]?.n)).toBe(KPIS.length * GRAINS.length);
    expect(await kpiViewsOutOfStep(kw.client)).toEqual({ replaced: [], dropped: [] });
  });

  it('replaces a view whose SQL differs from the catalogue and drops one the catalogue lost', async () => {
    const name = kpiViewName('defect_arrivals', 'week');
    const [stamp] = await (
      await kw.client.query({
        query: `SELECT comment FROM system.tables WHERE database = currentDatabase() AND name = {name:String}`,
        query_params: { name },
        format: 'JSONEachRow',
      })
    ).json<{ comment: string }>();
    // An older release's definition under the current stamp's name: its text differs from the catalogue's.
    await kw.client.command({
      query: `CREATE OR REPLACE VIEW ${name} AS SELECT toDate('2020-01-01') AS period_start COMMENT 'kpi-view:0000000000000000'`,
    });
    await kw.client.command({
      query: `CREATE OR REPLACE VIEW kpi_retired_kpi_week AS SELECT 1 AS x COMMENT 'kpi-view:0000000000000000'`,
    });
    expect(await kpiViewsOutOfStep(kw.client)).toEqual({
      replaced: [name],
      dropped: ['kpi_retired_kpi_week'],
    });
    expect(await installKpiViews(kw.client)).toEqual({ replaced: [name], dropped: ['kpi_retired_kpi_week'] });
    expect(await kpiViewsOutOfStep(kw.client)).toEqual({ replaced: [], dropped: [] });
    const [after] = await (
      await kw.client.query({
        query: `SELECT comment FROM system.tables WHERE database = currentDatabase() AND name = {name:String}`,
        query_params: { name },
        format: 'JSONEachRow',
      })
    ).json<{ comment: string }>();
    expect(after).toEqual(stamp);
    expect(await viewPoints('defect_arrivals', 'week', {})).not.toHaveLength(0);
  });
});

describe('signals_current', () => {
  it('keeps the signals raised against the baseline of their own stage, each rule once per point', async () => {
    const rs = await kw.client.query({
      query: `SELECT rules FROM signals_current`,
      format: 'JSONEachRow',
    });
    const all = await rs.json<{ rules: string[] }>();
    expect(all.length).toBeGreaterThan(0);
    for (const r of all) expect(new Set(r.rules).size).toBe(r.rules.length);
    // The demo's process change gives shift-evidence signals (against the previous stage's limits) that
    // the view must leave out.
    const [shift] = await (
      await kw.client.query({
        query: `SELECT count() AS n FROM signals AS x FINAL INNER JOIN baseline_limits AS b ON x.baseline_id = b.baseline_id
                WHERE b.stage_from != x.stage_from`,
        format: 'JSONEachRow',
      })
    ).json<{ n: string }>();
    expect(Number(shift?.n)).toBeGreaterThan(0);
    const [own] = await (
      await kw.client.query({
        query: `SELECT count() AS n FROM (SELECT DISTINCT x.kpi, x.team, x.project, x.dim, x.grain, x.stage_from, x.period_start
                FROM signals AS x FINAL INNER JOIN baseline_limits AS b
                  ON x.baseline_id = b.baseline_id AND x.stage_from = b.stage_from)`,
        format: 'JSONEachRow',
      })
    ).json<{ n: string }>();
    expect(all.length).toBe(Number(own?.n));
  });
});
