import type { ClickHouseClient } from '@clickhouse/client';
import type { SeriesEvaluation } from './evaluate.js';
import { type SeriesKey, seriesId } from './store.js';

/**
 * The centre line and control limits one period of a series is charted against, in display units, as a
 * refresh evaluated it (table `point_limits`). A dashboard reads them rather than recomputing limits in SQL,
 * so the chart a panel draws and the chart document (`kpiChart`) have one definition: the SPC engine's
 * (per-point limits of p and u charts from each period's size, capped to the statistic's range; a stage
 * without a baseline has none; a period the chart cannot plot is not on it).
 */
export interface PointLimits {
  periodStart: string;
  /** False: the period is not on the chart (any more): no value, no denominator, ln of ≤ 0. */
  charted: boolean;
  stage: number;
  stageFrom: string;
  center: number | null;
  ucl: number | null;
  lcl: number | null;
}

/** The limits of every charted point of an evaluation. */
export function pointLimitsOf(evaluation: SeriesEvaluation): PointLimits[] {
  return evaluation.points.map((p) => ({
    periodStart: p.periodStart,
    charted: true,
    stage: p.stage,
    stageFrom: evaluation.stages[p.stage]?.from ?? p.periodStart,
    center: p.center,
    ucl: p.ucl,
    lcl: p.lcl,
  }));
}

const same = (a: number | null, b: number | null) =>
  a === null || b === null ? a === b : Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a), Math.abs(b));

/**
 * The rows a refresh stores: the points whose stage or limits differ from what is stored, and a
 * `charted: false` row for a stored period that is no longer on the chart. Storing only changes keeps a
 * refresh's writes to the periods that moved (usually the open one), not the whole history every time.
 */
export function changedPointLimits(
  current: readonly PointLimits[],
  stored: ReadonlyMap<string, PointLimits> | undefined,
): PointLimits[] {
  const out: PointLimits[] = [];
  const seen = new Set<string>();
  for (const p of current) {
    seen.add(p.periodStart);
    const s = stored?.get(p.periodStart);
    const unchanged =
      s?.charted &&
      s.stage === p.stage &&
      s.stageFrom === p.stageFrom &&
      same(s.center, p.center) &&
      same(s.ucl, p.ucl) &&
      same(s.lcl, p.lcl);
    if (!unchanged) out.push(p);
  }
  for (const [period, s] of stored ?? []) {
    if (s.charted && !seen.has(period)) {
      out.push({ ...s, charted: false, center: null, ucl: null, lcl: null });
    }
  }
  return out;
}

interface PointLimitsRow {
  kpi: string;
  team: string;
  project: string;
  dim: string;
  grain: SeriesKey['grain'];
  period_start: string;
  charted: number;
  stage: number;
  stage_from: string;
  center: number | null;
  ucl: number | null;
  lcl: number | null;
}

const COLUMNS = `kpi, team, project, dim, grain, toString(period_start) AS period_start, charted, stage,
  toString(stage_from) AS stage_from, center, ucl, lcl`;

/** The stored limits of every series of a KPI at a grain, by series id, then by period start. */
export function allPointLimits(
  client: ClickHouseClient,
  kpi: string,
  grain: string,
): Promise<Map<string, Map<string, PointLimits>>> {
  return load(client, 'kpi = {kpi:String} AND grain = {grain:String}', { kpi, grain });
}

/** The stored limits of one series, by period start. */
export async function seriesPointLimits(
  client: ClickHouseClient,
  key: SeriesKey,
): Promise<Map<string, PointLimits>> {
  const where = `kpi = {kpi:String} AND team = {team:String} AND project = {project:String}
    AND dim = {dim:String} AND grain = {grain:String}`;
  const by = await load(client, where, { ...key });
  return by.get(seriesId(key)) ?? new Map();
}

async function load(
  client: ClickHouseClient,
  where: string,
  params: Record<string, string>,
): Promise<Map<string, Map<string, PointLimits>>> {
  const rs = await client.query({
    // Filtered in a subquery: the outer toString(...) AS period_start would shadow the column.
    query: `SELECT ${COLUMNS} FROM (SELECT * FROM point_limits FINAL WHERE ${where})`,
    query_params: params,
    format: 'JSONEachRow',
  });
  const by = new Map<string, Map<string, PointLimits>>();
  for (const r of await rs.json<PointLimitsRow>()) {
    const id = seriesId(r);
    const points = by.get(id) ?? new Map<string, PointLimits>();
    points.set(r.period_start, {
      periodStart: r.period_start,
      charted: r.charted === 1,
      stage: r.stage,
      stageFrom: r.stage_from,
      center: r.center,
      ucl: r.ucl,
      lcl: r.lcl,
    });
    by.set(id, points);
  }
  return by;
}

/** Stores limits of many series in one insert. */
export async function insertPointLimits(
  client: ClickHouseClient,
  batch: readonly { key: SeriesKey; points: readonly PointLimits[] }[],
): Promise<void> {
  const refreshedAt = new Date().toISOString().replace('T', ' ').replace('Z', '');
  const values = batch.flatMap(({ key, points }) =>
    points.map((p) => ({
      kpi: key.kpi,
      team: key.team,
      project: key.project,
      dim: key.dim,
      grain: key.grain,
      period_start: p.periodStart,
      charted: p.charted ? 1 : 0,
      stage: p.stage,
      stage_from: p.stageFrom,
      center: p.center,
      ucl: p.ucl,
      lcl: p.lcl,
      refreshed_at: refreshedAt,
    })),
  );
  if (values.length === 0) return;
  await client.insert({ table: 'point_limits', values, format: 'JSONEachRow' });
}
