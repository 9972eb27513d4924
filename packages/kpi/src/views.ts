/**
 * KPI values readable by SQL: one ClickHouse parameterized view per KPI and grain, generated from the
 * catalogue, so that a Grafana panel (which talks to ClickHouse, not to our HTTP API) computes a KPI with
 * the very SQL `queryKpi` runs. The view's SELECT is the KPI's `sql(grain)` wrapped exactly as `queryKpi`
 * wraps it (the same `PERIOD_BOUNDS`), plus the columns a dashboard needs beside the point.
 *
 * Why a view per grain and not a `{grain}` parameter: the SQL differs per grain, and a view that unions
 * the four grains behind `WHERE {grain:String} = '…'` still plans and runs every branch — 3–4× the cost of
 * the one grain on the demo data (chDB 26.7). A panel names the grain in the view: `kpi_<id>_${grain}`.
 *
 * Parameters (all required by the view; pass NULL for "no bound"):
 *   team, project: Nullable(String) — NULL is the organisation (or every project of the team);
 *   from, to: Nullable(DateTime64(3, 'UTC')) — a period is listed when its start lies within them;
 *   now: DateTime64(3, 'UTC') — evaluation time (provisional windows, open periods), e.g. now64(3);
 *   dim: String — the KPI's dimension value (`unit`, `phase`), '' for KPIs without one.
 * Columns: period_start Date, period_end Date (exclusive), numerator, denominator, n, value, provisional,
 *   p85 (NULL for KPIs without that extra), open (1 while the period has not ended at `now`).
 *
 * The views are not migrations: migrations are append-only history, while a view must follow the
 * catalogue's SQL release by release. `installKpiViews` (run by `openStorage` after the migrations)
 * replaces every view whose stamp (a hash of its SELECT) differs from the catalogue's, and drops views of
 * KPIs or grains that no longer exist. The views read the entity state tables, which a catch-up creates;
 * ClickHouse resolves a view's tables when it is queried, so the order does not matter.
 */
import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { KPIS, type KpiDefinition } from './catalogue.js';
import { GRAINS, type Grain, PERIOD_BOUNDS } from './sql/common.js';

/** The view of one KPI at one grain. Ids and grains are closed lists: the name is never user input. */
export const kpiViewName = (id: string, grain: Grain) => `kpi_${id}_${grain}`;

const STAMP = 'kpi-view:';
const UNIT = { day: 'DAY', week: 'WEEK', month: 'MONTH', quarter: 'QUARTER' } as const;

/** The SELECT of a KPI's view: `queryKpi`'s query (minus its ORDER BY), with the dashboard's columns. */
export function kpiViewSelect(kpi: KpiDefinition, grain: Grain): string {
  const p85 = kpi.extras?.includes('p85') ? 'p85' : 'CAST(NULL AS Nullable(Float64))';
  return `SELECT period_start, period_start + INTERVAL 1 ${UNIT[grain]} AS period_end,
  numerator, denominator, n, value, provisional, ${p85} AS p85,
  toUInt8(toDateTime64(period_end, 3, 'UTC') > {now:DateTime64(3, 'UTC')}) AS open
FROM (${kpi.sql(grain)})
WHERE ${PERIOD_BOUNDS}`;
}

export interface KpiView {
  name: string;
  kpi: string;
  grain: Grain;
  select: string;
  /** `kpi-view:<hash of select>`, stored as the view's comment. */
  stamp: string;
}

/** Every KPI view the catalogue defines. */
export function kpiViews(): KpiView[] {
  return KPIS.flatMap((kpi) =>
    GRAINS.map((grain) => {
      const select = kpiViewSelect(kpi, grain);
      const hash = createHash('sha256').update(select).digest('hex').slice(0, 16);
      return { name: kpiViewName(kpi.id, grain), kpi: kpi.id, grain, select, stamp: `${STAMP}${hash}` };
    }),
  );
}

export interface KpiViewsReport {
  /** Views created or replaced because they were missing or their stamp differed. */
  replaced: string[];
  /** Views of a KPI or grain the catalogue no longer has. */
  dropped: string[];
}

/** Stored KPI views (those carrying our stamp) by name, with their stamp. */
async function storedViews(client: ClickHouseClient): Promise<Map<string, string>> {
  const rs = await client.query({
    query: `SELECT name, comment FROM system.tables
            WHERE database = currentDatabase() AND engine = 'View' AND startsWith(comment, {stamp:String})`,
    query_params: { stamp: STAMP },
    format: 'JSONEachRow',
  });
  return new Map((await rs.json<{ name: string; comment: string }>()).map((r) => [r.name, r.comment]));
}

/** What `installKpiViews` would change: the views out of step with the catalogue. */
export async function kpiViewsOutOfStep(client: ClickHouseClient): Promise<KpiViewsReport> {
  const stored = await storedViews(client);
  const views = kpiViews();
  const names = new Set(views.map((v) => v.name));
  return {
    replaced: views.filter((v) => stored.get(v.name) !== v.stamp).map((v) => v.name),
    dropped: [...stored.keys()].filter((n) => !names.has(n)).sort(),
  };
}

/**
 * Brings the KPI views in step with the catalogue. Idempotent; two processes racing write the same
 * definitions (CREATE OR REPLACE is atomic per view).
 */
export async function installKpiViews(client: ClickHouseClient): Promise<KpiViewsReport> {
  const report = await kpiViewsOutOfStep(client);
  const byName = new Map(kpiViews().map((v) => [v.name, v]));
  for (const name of report.replaced) {
    const v = byName.get(name) as KpiView;
    await client.command({ query: `CREATE OR REPLACE VIEW ${v.name} AS ${v.select} COMMENT '${v.stamp}'` });
  }
  for (const name of report.dropped) await client.command({ query: `DROP VIEW IF EXISTS ${name}` });
  return report;
}
