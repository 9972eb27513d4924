import { type Grain, periodStart, SCOPE_FILTER } from './common.js';
import { complaints as complaintRows, signedSurveys } from './folds.js';

/**
 * Customer-satisfaction KPIs (docs/methods.md §2.3), over feedback.* events by event time. Response counts are
 * sign-weighted over the survey states (see `signed`).
 */

/** CSAT = responses scoring 4–5 on csat_1_5 / csat_1_5 responses × 100. */
export function csat(grain: Grain): string {
  return `
    WITH surveys AS (${signedSurveys(grain)})
    SELECT
      ${periodStart(grain, 'answered_at')} AS period_start,
      toFloat64(sumIf(sign, score >= 4)) AS numerator,
      toFloat64(sum(sign)) AS denominator,
      toUInt64(denominator) AS n,
      if(denominator = 0, NULL, numerator / denominator * 100) AS value,
      0 AS provisional
    FROM surveys
    WHERE scale = 'csat_1_5' AND ${SCOPE_FILTER}
    GROUP BY period_start HAVING sum(sign) > 0`;
}

/** NPS = (promoters 9–10 − detractors 0–6) / nps_0_10 responses × 100, in points (−100..100). */
export function nps(grain: Grain): string {
  return `
    WITH surveys AS (${signedSurveys(grain)})
    SELECT
      ${periodStart(grain, 'answered_at')} AS period_start,
      toFloat64(sumIf(sign, score >= 9)) - toFloat64(sumIf(sign, score <= 6)) AS numerator,
      toFloat64(sum(sign)) AS denominator,
      toUInt64(denominator) AS n,
      if(denominator = 0, NULL, numerator / denominator * 100) AS value,
      0 AS provisional
    FROM surveys
    WHERE scale = 'nps_0_10' AND ${SCOPE_FILTER}
    GROUP BY period_start HAVING sum(sign) > 0`;
}

/** Complaints received in the period (one per complaintId, at its first event). */
export function complaints(grain: Grain): string {
  return `
    WITH complaints AS (${complaintRows(grain)})
    SELECT
      ${periodStart(grain, 'received_at')} AS period_start,
      toFloat64(count()) AS numerator,
      CAST(NULL AS Nullable(Float64)) AS denominator,
      toUInt64(count()) AS n,
      toFloat64(count()) AS value,
      0 AS provisional
    FROM complaints
    WHERE ${SCOPE_FILTER}
    GROUP BY period_start`;
}
