import { type Grain, periodStart, SCOPE_FILTER } from './common.js';
import { complaints as complaintRows, surveys } from './folds.js';

/** Customer-satisfaction KPIs (domain.md §2.3), over feedback.* events by event time. */

/** CSAT = responses scoring 4–5 on csat_1_5 / csat_1_5 responses × 100. */
export function csat(grain: Grain): string {
  return `
    WITH surveys AS (${surveys(grain)})
    SELECT
      ${periodStart(grain, 'answered_at')} AS period_start,
      toFloat64(countIf(score >= 4)) AS numerator,
      toFloat64(count()) AS denominator,
      toUInt64(count()) AS n,
      if(denominator = 0, NULL, numerator / denominator * 100) AS value,
      0 AS provisional
    FROM surveys
    WHERE scale = 'csat_1_5' AND ${SCOPE_FILTER}
    GROUP BY period_start`;
}

/** NPS = (promoters 9–10 − detractors 0–6) / nps_0_10 responses × 100, in points (−100..100). */
export function nps(grain: Grain): string {
  return `
    WITH surveys AS (${surveys(grain)})
    SELECT
      ${periodStart(grain, 'answered_at')} AS period_start,
      toFloat64(countIf(score >= 9)) - toFloat64(countIf(score <= 6)) AS numerator,
      toFloat64(count()) AS denominator,
      toUInt64(count()) AS n,
      if(denominator = 0, NULL, numerator / denominator * 100) AS value,
      0 AS provisional
    FROM surveys
    WHERE scale = 'nps_0_10' AND ${SCOPE_FILTER}
    GROUP BY period_start`;
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
