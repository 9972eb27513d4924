import { REVIEW_WINDOW_DAYS } from '../states/definitions.js';
import { type Grain, periodStart, SCOPE_FILTER, sumOf } from './common.js';
import { reviews, reviewYield } from './folds.js';

/** Review / inspection KPIs (docs/methods.md §3.3). Period key: the review's completion time. */

const NOW = "{now:DateTime64(3, 'UTC')}";

export { REVIEW_WINDOW_DAYS };

/** Hours of a review's checking effort; NULL when neither preparation nor meeting hours were reported. */
const CHECK_HOURS =
  'if(preparation_h IS NULL AND meeting_h IS NULL, NULL, ifNull(preparation_h, 0) + ifNull(meeting_h, 0))';

function reviewSeries(grain: Grain, select: string, where = 'true'): string {
  return `
    WITH reviews AS (${reviews(grain)})
    SELECT
      ${periodStart(grain, 'reviewed_at')} AS period_start,
      ${select},
      0 AS provisional
    FROM reviews
    WHERE ${SCOPE_FILTER} AND ${where}
    GROUP BY period_start`;
}

/** Σ size reviewed / Σ review duration hours, for reviews sized in `{dim}` that report a positive duration. */
export function reviewRate(grain: Grain): string {
  const ok = 'duration_h > 0 AND size_reviewed IS NOT NULL';
  return reviewSeries(
    grain,
    `${sumOf('size_reviewed', ok)} AS numerator,
      ${sumOf('duration_h', ok)} AS denominator,
      toUInt64(countIf(${ok})) AS n,
      if(denominator = 0, NULL, numerator / denominator) AS value`,
    'size_unit = {dim:String}',
  );
}

/** Σ defects found / Σ size reviewed, per KLOC for `loc`, per page or requirement otherwise (`{dim}`). */
export function reviewDefectDensity(grain: Grain): string {
  const per = "if({dim:String} = 'loc', 1000.0, 1.0)";
  return reviewSeries(
    grain,
    `toFloat64(sum(defects_found)) AS numerator,
      toFloat64(sum(size_reviewed)) / ${per} AS denominator,
      toUInt64(count()) AS n,
      if(denominator = 0, NULL, numerator / denominator) AS value`,
    'size_unit = {dim:String} AND size_reviewed IS NOT NULL',
  );
}

/** Σ defects found / Σ (preparation + meeting hours), over reviews reporting either. */
export function reviewDetectionRate(grain: Grain): string {
  const ok = `${CHECK_HOURS} IS NOT NULL`;
  return reviewSeries(
    grain,
    `${sumOf('defects_found', ok)} AS numerator,
      ${sumOf(CHECK_HOURS, ok)} AS denominator,
      toUInt64(countIf(${ok})) AS n,
      if(denominator = 0, NULL, numerator / denominator) AS value`,
  );
}

/** Σ (preparation + meeting + rework hours, missing = 0) / Σ defects found. */
export function reviewCostPerDefect(grain: Grain): string {
  return reviewSeries(
    grain,
    `toFloat64(sum(ifNull(preparation_h, 0) + ifNull(meeting_h, 0) + ifNull(rework_h, 0))) AS numerator,
      toFloat64(sum(defects_found)) AS denominator,
      toUInt64(count()) AS n,
      if(denominator = 0, NULL, numerator / denominator) AS value`,
  );
}

/**
 * Yield = Σ found in review / Σ (found in review + later valid defects whose originWorkProductId is the
 * reviewed work product) × 100, over reviews with a workProductId completed in the period (the review
 * yield state: a later defect is charged to the latest review of its work product before it was reported,
 * so re-reviews do not count it twice, and counts when reported within W = 90 days after that review;
 * review events carry no release, so the window is anchored on the review). Provisional until the newest
 * review of the period is W days old.
 */
export function reviewEffectiveness(grain: Grain): string {
  return `
    WITH reviews AS (${reviewYield(grain)})
    SELECT
      ${periodStart(grain, 'reviewed_at')} AS period_start,
      toFloat64(sum(defects_found)) AS numerator,
      toFloat64(sum(defects_found + later)) AS denominator,
      toUInt64(count()) AS n,
      if(denominator = 0, NULL, numerator / denominator * 100) AS value,
      max(reviewed_at + INTERVAL ${REVIEW_WINDOW_DAYS} DAY > ${NOW}) AS provisional
    FROM reviews
    WHERE ${SCOPE_FILTER}
    GROUP BY period_start`;
}
