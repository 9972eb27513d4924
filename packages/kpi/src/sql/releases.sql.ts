import { type Grain, periodStart, SCOPE_FILTER, sumOf } from './common.js';
import { releases } from './folds.js';

/**
 * Release-based delivery KPIs (docs/methods.md §3.2). Period key: the release's shipping time. Every period with
 * a shipped release in scope is listed; a KPI whose inputs are missing on every release of the period
 * (e.g. no planned effort) shows `null`, never 0.
 */
const seconds = (from: string, to: string) => `dateDiff('millisecond', ${from}, ${to}) / 1000.0`;

function releaseSeries(grain: Grain, select: string, where = 'true'): string {
  return `
    WITH releases AS (${releases(grain)})
    SELECT
      ${periodStart(grain, 'shipped_at')} AS period_start,
      ${select},
      0 AS provisional
    FROM releases
    WHERE ${SCOPE_FILTER} AND ${where}
    GROUP BY period_start`;
}

/** Shipped no later than the baseline (first committed) planned end, grace 0 / releases shipped × 100. */
export function onTimeDelivery(grain: Grain): string {
  return releaseSeries(
    grain,
    `toFloat64(countIf(shipped_at <= baseline_end)) AS numerator,
      toFloat64(countIf(baseline_end IS NOT NULL)) AS denominator,
      toUInt64(denominator) AS n,
      if(denominator = 0, NULL, numerator / denominator * 100) AS value`,
  );
}

/** Mean over releases of (shipped − baseline planned end) in days (86,400 s; positive = late). */
export function scheduleSlippage(grain: Grain): string {
  return releaseSeries(
    grain,
    `${sumOf(`${seconds('baseline_end', 'shipped_at')} / 86400`, 'baseline_end IS NOT NULL')} AS numerator,
      toFloat64(countIf(baseline_end IS NOT NULL)) AS denominator,
      toUInt64(denominator) AS n,
      if(denominator = 0, NULL, numerator / denominator) AS value`,
  );
}

/**
 * SV% = Σ(actual duration − planned duration) / Σ planned duration × 100 over releases with a planned
 * start, an actual start and a positive planned duration; planned duration = baseline end − planned
 * start, actual = shipped − actual start. A ratio of sums (docs/kpis.md), not a mean of per-release ratios.
 */
export function scheduleVariance(grain: Grain): string {
  const planned = seconds('planned_start', 'baseline_end');
  const actual = seconds('actual_start', 'shipped_at');
  const ok = `planned_start IS NOT NULL AND actual_start IS NOT NULL AND ${planned} > 0`;
  return releaseSeries(
    grain,
    `${sumOf(`${actual} - ${planned}`, ok)} / 3600 AS numerator,
      ${sumOf(planned, ok)} / 3600 AS denominator,
      toUInt64(countIf(${ok})) AS n,
      if(denominator = 0, NULL, numerator / denominator * 100) AS value`,
  );
}

/** EV% = Σ(actual − planned effort hours) / Σ planned effort hours × 100 over releases carrying both. */
export function effortVariance(grain: Grain): string {
  const ok = 'planned_effort_h > 0 AND actual_effort_h IS NOT NULL';
  return releaseSeries(
    grain,
    `${sumOf(`actual_effort_h - planned_effort_h`, ok)} AS numerator,
      ${sumOf('planned_effort_h', ok)} AS denominator,
      toUInt64(countIf(${ok})) AS n,
      if(denominator = 0, NULL, numerator / denominator * 100) AS value`,
  );
}

/** Σ size delivered / Σ actual effort hours, for releases sized in the `{dim}` unit. */
export function productivity(grain: Grain): string {
  const ok = 'size_delivered IS NOT NULL AND actual_effort_h > 0';
  return releaseSeries(
    grain,
    `${sumOf('size_delivered', ok)} AS numerator,
      ${sumOf('actual_effort_h', ok)} AS denominator,
      toUInt64(countIf(${ok})) AS n,
      if(denominator = 0, NULL, numerator / denominator) AS value`,
    'size_unit = {dim:String}',
  );
}
