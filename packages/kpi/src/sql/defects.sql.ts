import { backlogChanges, ESCAPE_WINDOW_DAYS, PHASES, validTimeline } from '../states/definitions.js';
import { type Grain, hoursBetween, medianWithP85, periodStart, SCOPE_FILTER } from './common.js';
import { defects, IN_TEAM, releaseQuality, teamDefects } from './folds.js';

/** Defect KPIs (docs/methods.md §3.1). Invalid defects (duplicate / not_a_defect) leave every one of them. */

const NOW = "{now:DateTime64(3, 'UTC')}";

export { ESCAPE_WINDOW_DAYS };

/** docs/methods.md §3.1: valid defects reported (detected) in the period. */
export function defectArrivals(grain: Grain): string {
  return `
    WITH defects AS (${teamDefects('reported_at', grain)})
    SELECT
      ${periodStart(grain, 'reported_at')} AS period_start,
      toFloat64(count()) AS numerator,
      CAST(NULL AS Nullable(Float64)) AS denominator,
      toUInt64(count()) AS n,
      toFloat64(count()) AS value,
      0 AS provisional
    FROM defects
    WHERE is_valid AND ${SCOPE_FILTER}
    GROUP BY period_start`;
}

/** docs/methods.md §2.3: valid defects with reportedBy = customer, by reported time. */
export function customerReportedDefects(grain: Grain): string {
  return `
    WITH defects AS (${teamDefects('reported_at', grain)})
    SELECT
      ${periodStart(grain, 'reported_at')} AS period_start,
      toFloat64(count()) AS numerator,
      CAST(NULL AS Nullable(Float64)) AS denominator,
      toUInt64(count()) AS n,
      toFloat64(count()) AS value,
      0 AS provisional
    FROM defects
    WHERE is_valid AND reporter = 'customer' AND ${SCOPE_FILTER}
    GROUP BY period_start`;
}

/**
 * Median (R-7) reported → resolved hours of the valid defects whose latest lifecycle event is a
 * resolution in the period (a reopened-and-re-resolved defect counts at its last resolution, from its
 * first report; one still open after a reopen is in no period). `p85` alongside.
 */
export function defectResolutionTime(grain: Grain): string {
  return `
    WITH defects AS (${teamDefects('resolved_at', grain)})
    SELECT
      ${periodStart(grain, 'resolved_at')} AS period_start,
      CAST(NULL AS Nullable(Float64)) AS numerator,
      CAST(NULL AS Nullable(Float64)) AS denominator,
      toUInt64(count()) AS n,
      ${medianWithP85('hours')},
      0 AS provisional
    FROM (SELECT *, ${hoursBetween('reported_at', 'resolved_at')} AS hours FROM defects)
    WHERE is_valid AND is_closed AND hours >= 0 AND ${SCOPE_FILTER}
    GROUP BY period_start`;
}

/** docs/methods.md §3.1: closed (valid) defects that were ever reopened / closed defects × 100, by closing time. */
export function reopenRate(grain: Grain): string {
  return `
    WITH defects AS (${teamDefects('resolved_at', grain)})
    SELECT
      ${periodStart(grain, 'resolved_at')} AS period_start,
      toFloat64(countIf(was_reopened)) AS numerator,
      toFloat64(count()) AS denominator,
      toUInt64(count()) AS n,
      if(denominator = 0, NULL, numerator / denominator * 100) AS value,
      0 AS provisional
    FROM defects
    WHERE is_valid AND is_closed AND ${SCOPE_FILTER}
    GROUP BY period_start`;
}

/**
 * The valid defects open at the end of each period: a level. Evaluated as of `{now}`: only lifecycle
 * events up to it count (validity included), so the value is reproducible. Each defect contributes its
 * open-state changes (+1 reported/reopened, −1 resolved) at their event times; a period is listed when a
 * lifecycle event of a valid defect in scope falls in it, and its value is the running sum through its end.
 * Scope is the defect's current team and project.
 *
 * The changes of every defect as of its latest event are summed per day by the state's aggregate
 * (`defect_backlog_days`); the few defects with events after `{now}` are corrected here: their final
 * changes out, their changes as of now in.
 */
export function defectBacklog(grain: Grain, byTeam = false): string {
  const late = `SELECT * FROM (${defects(IN_TEAM, `last_event_at > ${NOW}`)}) WHERE ${SCOPE_FILTER}`;
  const period = (col: string) => periodStart(grain, col);
  // Every team's series at once (refreshAll): the same sums per team, the running sum per team.
  const t = byTeam ? 'team AS scope_team, ' : '';
  const by = byTeam ? 'scope_team, ' : '';
  return `
    WITH late AS (${late}),
    deltas AS (
      SELECT ${t}${period("toDateTime(day, 'UTC')")} AS period_start, delta, events
      FROM defect_backlog_days WHERE ${SCOPE_FILTER}
      UNION ALL
      SELECT ${t}${period('c.1')}, -c.2, toInt64(-1)
      FROM late ARRAY JOIN ${backlogChanges('timeline')} AS c WHERE is_valid
      UNION ALL
      SELECT ${t}${period('c.1')}, c.2, toInt64(1)
      FROM (SELECT team, arrayFilter(e -> e.1 <= ${NOW}, timeline) AS tl FROM late)
      ARRAY JOIN ${backlogChanges('tl')} AS c WHERE ${validTimeline('tl')}
    )
    SELECT
      ${by}period_start,
      toFloat64(level) AS numerator,
      CAST(NULL AS Nullable(Float64)) AS denominator,
      toUInt64(level) AS n,
      toFloat64(level) AS value,
      0 AS provisional
    FROM (
      SELECT ${by}period_start, sum(delta) OVER (${byTeam ? 'PARTITION BY scope_team ' : ''}ORDER BY period_start
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS level
      FROM (SELECT ${by}period_start, sum(delta) AS delta FROM deltas GROUP BY ${by}period_start HAVING sum(events) > 0)
    )`;
}

/**
 * Shipped releases in scope with the valid defects charged to them, of any team (the release quality
 * state: D_pre, D_post and the PCE terms per introduced phase). `provisional`: the release is younger than
 * W at `{now}`. PCE reads the terms of the `{dim}` phase.
 */
function chargedReleases(grain: Grain): string {
  return `
    per_release AS (
      SELECT *,
        pce_num[indexOf(${PHASES}, {dim:String})] AS pce_num_p,
        pce_den[indexOf(${PHASES}, {dim:String})] AS pce_den_p,
        shipped_at + INTERVAL ${ESCAPE_WINDOW_DAYS} DAY > ${NOW} AS open_window
      FROM (${releaseQuality(grain)})
      WHERE ${SCOPE_FILTER}
    )`;
}

function perRelease(grain: Grain, select: string, where = 'true'): string {
  return `
    WITH ${chargedReleases(grain)}
    SELECT
      ${periodStart(grain, 'shipped_at')} AS period_start,
      ${select},
      max(open_window) AS provisional
    FROM per_release
    WHERE ${where}
    GROUP BY period_start`;
}

/** DER = Σ D_post / Σ (D_pre + D_post) × 100 over releases shipped in the period. */
export function defectEscapeRate(grain: Grain): string {
  return perRelease(
    grain,
    `toFloat64(sum(d_post)) AS numerator,
      toFloat64(sum(d_pre + d_post)) AS denominator,
      toUInt64(denominator) AS n,
      if(denominator = 0, NULL, numerator / denominator * 100) AS value`,
  );
}

/** DRE = Σ D_pre / Σ (D_pre + D_post) × 100 = 100 − DER. */
export function defectRemovalEfficiency(grain: Grain): string {
  return perRelease(
    grain,
    `toFloat64(sum(d_pre)) AS numerator,
      toFloat64(sum(d_pre + d_post)) AS denominator,
      toUInt64(denominator) AS n,
      if(denominator = 0, NULL, numerator / denominator * 100) AS value`,
  );
}

/** Σ (D_pre + D_post) / Σ sizeDelivered over releases sized in the `{dim}` unit shipped in the period. */
export function defectDensity(grain: Grain): string {
  return perRelease(
    grain,
    `toFloat64(sum(d_pre + d_post)) AS numerator,
      sum(size_delivered) AS denominator,
      toUInt64(count()) AS n,
      if(denominator = 0, NULL, numerator / denominator) AS value`,
    'size_unit = {dim:String} AND size_delivered IS NOT NULL',
  );
}

/**
 * PCE(p) = #(introduced in p AND detected by an activity of p) / #(introduced in p, detected up to W days
 * after the release) × 100, over the releases shipped in the period; p = `{dim}`.
 */
export function phaseContainment(grain: Grain): string {
  return perRelease(
    grain,
    `toFloat64(sum(pce_num_p)) AS numerator,
      toFloat64(sum(pce_den_p)) AS denominator,
      toUInt64(denominator) AS n,
      if(denominator = 0, NULL, numerator / denominator * 100) AS value`,
  );
}
