import { type Grain, periodStart, SCOPE_FILTER } from './common.js';
import { DEFECTS } from './folds.js';

/** domain.md §3.1: valid defects reported (detected) in the period. */
export function defectArrivals(grain: Grain): string {
  return `
    WITH defects AS (${DEFECTS})
    SELECT
      ${periodStart(grain, 'reported_at')} AS period_start,
      toFloat64(count()) AS numerator,
      CAST(NULL AS Nullable(Float64)) AS denominator,
      toUInt64(count()) AS n,
      toFloat64(count()) AS value,
      0 AS provisional
    FROM defects
    WHERE has_report AND is_valid AND ${SCOPE_FILTER}
    GROUP BY period_start`;
}
