/**
 * The Control chart dashboard draws the same chart as the API: for a KPI and scope, its panel's SQL
 * (expanded as Grafana and the ClickHouse plugin expand it) returns, period by period, the centre line and
 * control limits of the chart document (`kpiChart`, GET /v1/kpis/:id/chart), on the demo with baselines
 * and signals stored by `refreshAll`. Covers the chart kinds whose limits are drawn differently: XmR of ln
 * values (constant limits, back-transformed), p (per point from the period's size, capped at 100 %), u
 * (per point from the exposure) and c (constant).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kpiChart, refreshAll } from '@shewhart/baselines';
import { findKpi, type KpiDefinition } from '@shewhart/kpi';
import type { KpiWarehouse } from '@shewhart/kpi/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_END, openDemoWarehouse } from '../../test/support/demo-warehouse.js';
import { GENERATED_DIR } from './build.js';
import { expandQuery } from './expand.js';
import { type DashboardJson, type PanelJson, panelsOf } from './validate.js';

const DAY = 86_400_000;
let kw: KpiWarehouse;

beforeAll(async () => {
  kw = await openDemoWarehouse();
}, 300_000);
afterAll(() => kw?.dispose());

const dashboardJson = JSON.parse(
  readFileSync(join(GENERATED_DIR, 'shewhart-control-chart.json'), 'utf8'),
) as DashboardJson;
const chartPanel = panelsOf(dashboardJson).find((p) => p.title?.startsWith('Control chart')) as PanelJson;

/** Equal within floating-point noise (SQL and JavaScript round differently in the last bits). */
const close = (a: number | null, b: number | null) =>
  a === null || b === null ? a === b : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/**
 * `stageWithoutLimits`: the demo records a process change for payments on 2025-10-13; by month the new
 * stage has too few points for limits, and its points must not be drawn with the old stage's limits.
 */
const cases = [
  { kpi: 'lead_time_for_changes', team: null, grain: 'week', stageWithoutLimits: false }, // XmR-ln
  { kpi: 'defect_resolution_time', team: 'payments', grain: 'month', stageWithoutLimits: true }, // XmR-ln
  { kpi: 'change_failure_rate', team: 'payments', grain: 'week', stageWithoutLimits: false }, // p, two stages
  { kpi: 'on_time_delivery', team: null, grain: 'week', stageWithoutLimits: false }, // p, UCL capped at 100 %
  { kpi: 'defect_escape_rate', team: null, grain: 'month', stageWithoutLimits: false }, // p
  { kpi: 'capa_effectiveness', team: null, grain: 'week', stageWithoutLimits: false }, // p, periods not plotted
  { kpi: 'defect_density', team: 'payments', grain: 'week', stageWithoutLimits: true }, // u, a dimension
  { kpi: 'deployment_frequency', team: null, grain: 'week', stageWithoutLimits: false }, // c with an exposure: u
  { kpi: 'defect_arrivals', team: 'platform', grain: 'week', stageWithoutLimits: false }, // c
] as const;

describe('the control chart panel agrees with the chart document', () => {
  it.each(cases)('$kpi, team $team, by $grain', async ({ kpi, team, grain, stageWithoutLimits }) => {
    const definition = findKpi(kpi) as KpiDefinition;
    const dim = definition.dimension?.default ?? null;
    // The dashboard's default range (a year), ending at the demo's end, in Grafana's whole seconds.
    const to = new Date(Math.floor(DEMO_END.getTime() / 1000) * 1000);
    const from = new Date(to.getTime() - 365 * DAY);
    const asOf = new Date();
    const sql = expandQuery(chartPanel.targets?.[0]?.rawSql as string, {
      from,
      to,
      intervalMs: 3_600_000,
      variables: {
        kpi: { value: kpi },
        team: team === null ? { value: '$__all', allValue: '*' } : { value: team },
        project: { value: '$__all', allValue: '*' },
        grain: { value: grain },
        dim: { value: dim ?? 'none' },
      },
    });
    const rs = await kw.client.query({ query: sql, format: 'JSONEachRow' });
    const panel = (await rs.json<Record<string, unknown>>()).map((r) => ({
      period: String(r.time).slice(0, 10),
      centre: num(r.centre),
      ucl: num(r.ucl),
      lcl: num(r.lcl),
    }));
    const doc = await kpiChart(kw.states, kpi, {
      period: grain,
      from: from.toISOString(),
      to: to.toISOString(),
      asOf: asOf.toISOString(),
      ...(team === null ? {} : { team }),
      ...(dim === null || !definition.dimension ? {} : { [definition.dimension.name]: dim }),
    });
    const api = new Map(doc.points.map((p) => [p.periodStart, p]));
    // The series has stored limits, so the comparison compares numbers, not only nulls.
    expect(doc.points.filter((p) => p.center !== null).length, 'points with limits').toBeGreaterThan(0);
    expect(
      doc.points.some((p) => p.center === null),
      'points without limits',
    ).toBe(stageWithoutLimits);
    expect(panel.length).toBeGreaterThan(0);
    const differences: string[] = [];
    for (const row of panel) {
      // A period the chart document cannot plot (no value, no denominator) has no limits on the panel.
      const point = api.get(row.period);
      const want = point
        ? { centre: point.center, ucl: point.ucl, lcl: point.lcl }
        : { centre: null, ucl: null, lcl: null };
      if (!close(row.centre, want.centre) || !close(row.ucl, want.ucl) || !close(row.lcl, want.lcl)) {
        differences.push(`${row.period}: panel ${JSON.stringify(row)} api ${JSON.stringify(want)}`);
      }
    }
    expect(differences).toEqual([]);
    // Every point of the chart document is on the panel.
    const shown = new Set(panel.map((r) => r.period));
    expect(doc.points.map((p) => p.periodStart).filter((p) => !shown.has(p))).toEqual([]);
  });
});

describe('the stored point limits', () => {
  it('a refresh with nothing new stores none again', async () => {
    const count = async () => {
      const rs = await kw.client.query({
        query: 'SELECT count() AS n FROM point_limits',
        format: 'JSONEachRow',
      });
      return Number((await rs.json<{ n: string }>())[0]?.n);
    };
    const before = await count();
    expect(before).toBeGreaterThan(0);
    await refreshAll(kw.states, { grains: ['week', 'month'] });
    expect(await count()).toBe(before);
  });
});
