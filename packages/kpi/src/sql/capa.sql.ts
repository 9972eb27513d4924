import { type Grain, medianWithP85, periodStart, SCOPE_FILTER } from './common.js';
import { capas } from './folds.js';

/** Corrective-action KPIs (docs/methods.md §2.6). */

const NOW = "{now:DateTime64(3, 'UTC')}";
/** docs/methods.md §2.6: recurrence window W (default 180 days). */
export const RECURRENCE_WINDOW_DAYS = 180;

const days = (from: string, to: string) => `dateDiff('millisecond', ${from}, ${to}) / 86400000.0`;

/** Median opened → closed days of the CAPAs closed in the period; `p85` alongside. */
export function capaClosureTime(grain: Grain): string {
  return `
    WITH capas AS (${capas()})
    SELECT
      ${periodStart(grain, 'closed_at')} AS period_start,
      CAST(NULL AS Nullable(Float64)) AS numerator,
      CAST(NULL AS Nullable(Float64)) AS denominator,
      toUInt64(count()) AS n,
      ${medianWithP85('d')},
      0 AS provisional
    FROM (SELECT *, ${days('opened_at', 'closed_at')} AS d FROM capas WHERE is_closed)
    WHERE d >= 0 AND ${SCOPE_FILTER}
    GROUP BY period_start`;
}

/** Closed no later than dueAt / CAPAs closed in the period that have a dueAt × 100. */
export function capaOnTime(grain: Grain): string {
  return `
    WITH capas AS (${capas()})
    SELECT
      ${periodStart(grain, 'closed_at')} AS period_start,
      toFloat64(countIf(closed_at <= due_at)) AS numerator,
      toFloat64(countIf(due_at IS NOT NULL)) AS denominator,
      toUInt64(denominator) AS n,
      if(denominator = 0, NULL, numerator / denominator * 100) AS value,
      0 AS provisional
    FROM capas
    WHERE is_closed AND ${SCOPE_FILTER}
    GROUP BY period_start`;
}

/**
 * effective / (effective + not_effective) × 100 over the effectiveness checks completed in the period
 * (the latest capa.closed carrying a result); pending checks are listed but left out of both terms.
 */
export function capaEffectiveness(grain: Grain): string {
  return `
    WITH capas AS (${capas()})
    SELECT
      ${periodStart(grain, 'checked_at')} AS period_start,
      toFloat64(countIf(result = 'effective')) AS numerator,
      toFloat64(countIf(result IN ('effective', 'not_effective'))) AS denominator,
      toUInt64(denominator) AS n,
      if(denominator = 0, NULL, numerator / denominator * 100) AS value,
      0 AS provisional
    FROM capas
    WHERE result IS NOT NULL AND ${SCOPE_FILTER}
    GROUP BY period_start`;
}

/**
 * docs/methods.md §2.6, W = 180 days: of the CAPAs closed in a period (with a recurrence key), the share that saw
 * at least one new CAPA of the same team and recurrence key opened within W days after the closure.
 * Cohort semantics: a period is listed only once every CAPA in it has its complete W-day window, i.e. when
 * period end + W ≤ `{now}` (so the latest listed cohort is the one closed in [now − W − P, now − W]).
 */
export function capaRecurrenceRate(grain: Grain): string {
  const unit = { day: 'DAY', week: 'WEEK', month: 'MONTH', quarter: 'QUARTER' }[grain];
  return `
    WITH capas AS (${capas()}),
    cohort AS (
      SELECT capa_id, closed_at, team, project, assumeNotNull(recurrence_key) AS rkey,
        ${periodStart(grain, 'closed_at')} AS period_start
      FROM capas
      WHERE is_closed AND recurrence_key IS NOT NULL AND ${SCOPE_FILTER}
        AND toDateTime64(period_start + INTERVAL 1 ${unit}, 3, 'UTC') + INTERVAL ${RECURRENCE_WINDOW_DAYS} DAY <= ${NOW}
    ),
    openings AS (
      SELECT capa_id, opened_at, team, assumeNotNull(recurrence_key) AS rkey FROM capas WHERE recurrence_key IS NOT NULL
    ),
    -- The first opening of the same team and key after each closure (ASOF: no pairwise join of a busy key).
    firsts AS (
      SELECT c.capa_id AS capa_id, c.closed_at AS closed_at, o.capa_id AS first_id, o.opened_at AS first_at
      FROM cohort AS c
      ASOF LEFT JOIN openings AS o ON o.team = c.team AND o.rkey = c.rkey AND o.opened_at > c.closed_at
    ),
    recurred AS (
      SELECT capa_id FROM firsts
      WHERE first_id != '' AND first_id != capa_id AND first_at <= closed_at + INTERVAL ${RECURRENCE_WINDOW_DAYS} DAY
      UNION DISTINCT
      -- A CAPA opened after its own closure may be that first opening: look further, pairwise, for those few.
      SELECT c.capa_id
      FROM cohort AS c
      INNER JOIN openings AS o ON o.team = c.team AND o.rkey = c.rkey
      WHERE c.capa_id IN (SELECT capa_id FROM firsts WHERE first_id = capa_id)
        AND o.capa_id != c.capa_id AND o.opened_at > c.closed_at
        AND o.opened_at <= c.closed_at + INTERVAL ${RECURRENCE_WINDOW_DAYS} DAY
    )
    SELECT
      period_start,
      toFloat64(countIf(capa_id IN (SELECT capa_id FROM recurred))) AS numerator,
      toFloat64(count()) AS denominator,
      toUInt64(count()) AS n,
      if(denominator = 0, NULL, numerator / denominator * 100) AS value,
      0 AS provisional
    FROM cohort
    GROUP BY period_start`;
}
