import { type Grain, hoursBetween, periodDays, periodStart, SCOPE_FILTER } from './common.js';
import { changes, incidents, signedDeployments } from './folds.js';

/**
 * docs/methods.md §3.2: failed, rolled back, marked, or named by an incident / production deployments (not
 * cancelled). Counts are sign-weighted over the deployment states (see `signed`).
 */
export function changeFailureRate(grain: Grain): string {
  return `
    WITH deployments AS (${signedDeployments(grain)})
    SELECT
      ${periodStart(grain, 'deployed_at')} AS period_start,
      toFloat64(sumIf(sign, status != 'cancelled'
        AND (status IN ('failed', 'rolled_back') OR change_failure OR named_by_incident))) AS numerator,
      toFloat64(sumIf(sign, status != 'cancelled')) AS denominator,
      toUInt64(denominator) AS n,
      if(denominator = 0, NULL, numerator / denominator * 100) AS value,
      0 AS provisional
    FROM deployments
    WHERE environment = 'production' AND ${SCOPE_FILTER}
    GROUP BY period_start HAVING sum(sign) > 0`;
}

/** docs/methods.md §3.2 / docs/kpis.md: successful production deployments per day of the period. */
export function deploymentFrequency(grain: Grain): string {
  return `
    WITH deployments AS (${signedDeployments(grain)})
    SELECT
      ${periodStart(grain, 'deployed_at')} AS period_start,
      toFloat64(sumIf(sign, status = 'success')) AS numerator,
      toFloat64(any(${periodDays(grain, 'period_start')})) AS denominator,
      toUInt64(sum(sign)) AS n,
      if(denominator = 0, NULL, numerator / denominator) AS value,
      0 AS provisional
    FROM deployments
    WHERE environment = 'production' AND ${SCOPE_FILTER}
    GROUP BY period_start HAVING sum(sign) > 0`;
}

/**
 * docs/methods.md §3.2 (Four Keys): per change, first commit → its first successful production deployment
 * (the change state); non-positive lead times (automated pushes) are excluded; the period value is the
 * R-7 median. A change counts for the team (and project) of that first deployment.
 */
export function leadTimeForChanges(grain: Grain): string {
  return `
    WITH changes AS (${changes(grain)})
    SELECT
      ${periodStart(grain, 'first_deployed_at')} AS period_start,
      CAST(NULL AS Nullable(Float64)) AS numerator,
      CAST(NULL AS Nullable(Float64)) AS denominator,
      toUInt64(countIf(lead_h > 0)) AS n,
      if(n = 0, NULL, quantileExactInclusiveIf(0.5)(lead_h, lead_h > 0)) AS value,
      0 AS provisional
    FROM (SELECT *, ${hoursBetween('committed_at', 'first_deployed_at')} AS lead_h FROM changes WHERE committed_at IS NOT NULL)
    WHERE ${SCOPE_FILTER}
    GROUP BY period_start`;
}

/** docs/methods.md §3.2 (Four Keys): median opened → resolved, in hours, of incidents resolved in the period. */
export function timeToRestore(grain: Grain): string {
  return `
    WITH incidents AS (${incidents(grain)})
    SELECT
      ${periodStart(grain, 'resolved_at')} AS period_start,
      CAST(NULL AS Nullable(Float64)) AS numerator,
      CAST(NULL AS Nullable(Float64)) AS denominator,
      toUInt64(count()) AS n,
      quantileExactInclusive(0.5)(${hoursBetween('opened_at', 'resolved_at')}) AS value,
      0 AS provisional
    FROM incidents
    WHERE has_opened AND has_resolved AND resolved_at >= opened_at AND ${SCOPE_FILTER}
    GROUP BY period_start`;
}
