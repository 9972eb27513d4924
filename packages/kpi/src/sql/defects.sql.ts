import { type Grain, hoursBetween, periodStart, SCOPE_FILTER, scopeFilter } from './common.js';
import { defects, detectionPhase, IN_TEAM, releases, teamDefects } from './folds.js';

/** Defect KPIs (domain.md §3.1). Invalid defects (duplicate / not_a_defect) leave every one of them. */

const NOW = "{now:DateTime64(3, 'UTC')}";
/** domain.md §3.1: W = 90 days after the release date. */
export const ESCAPE_WINDOW_DAYS = 90;

/** domain.md §3.1: valid defects reported (detected) in the period. */
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

/** domain.md §2.3: valid defects with reportedBy = customer, by reported time. */
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
 * Median reported → resolved hours of the valid defects whose latest lifecycle event is a
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
      quantileExactInclusive(0.5)(hours) AS value,
      quantileExactInclusive(0.85)(hours) AS p85,
      0 AS provisional
    FROM (SELECT *, ${hoursBetween('reported_at', 'resolved_at')} AS hours FROM defects)
    WHERE is_valid AND is_closed AND hours >= 0 AND ${SCOPE_FILTER}
    GROUP BY period_start`;
}

/** domain.md §3.1: closed (valid) defects that were ever reopened / closed defects × 100, by closing time. */
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
 * state changes (+1 reported/reopened, −1 resolved) at their event times; a period is listed when a
 * lifecycle event of a valid defect in scope falls in it, and its value is the running sum through its end.
 * Scope is the defect's current team and project.
 */
export function defectBacklog(grain: Grain): string {
  // The timeline holds the lifecycle events in (time, id) order, coded 0 resolved, 1 reopened, 2 reported,
  // with 1 beside a resolution that makes the defect invalid. The state after an event is that of the
  // latest resolution/reopen so far (a re-triage report changes nothing), open when there is none yet;
  // each event contributes state − previous state. Valid as of now: unless the latest resolution/reopen
  // up to now is an invalidating resolution.
  const last = 'arrayLastIndex(e -> e.3 != 2, arraySlice(tl, 1, i))';
  const latest = 'arrayLastIndex(e -> e.3 != 2, tl)';
  return `
    WITH defects AS (
      SELECT arrayMap(i -> (tl[i].1, st[i] - if(i = 1, 0, st[i - 1])), arrayEnumerate(tl)) AS changes
      FROM (
        SELECT *, arrayMap(i -> toInt64(if(${last} = 0, 1, tl[${last}].3)), arrayEnumerate(tl)) AS st
        FROM (SELECT *, arrayFilter(e -> e.1 <= ${NOW}, timeline) AS tl FROM (${defects(IN_TEAM)}))
        WHERE arrayExists(e -> e.3 = 2, tl) AND NOT (${latest} > 0 AND tl[${latest}].4 = 1) AND ${SCOPE_FILTER}
      )
    )
    SELECT
      period_start,
      toFloat64(level) AS numerator,
      CAST(NULL AS Nullable(Float64)) AS denominator,
      toUInt64(level) AS n,
      toFloat64(level) AS value,
      0 AS provisional
    FROM (
      SELECT period_start, sum(delta) OVER (ORDER BY period_start ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS level
      FROM (
        SELECT ${periodStart(grain, 'c.1')} AS period_start, sum(c.2) AS delta
        FROM defects ARRAY JOIN changes AS c
        GROUP BY period_start
      )
    )`;
}

/**
 * Valid defects charged to each shipped release in scope (its own team's defects or any other team's):
 * D_pre = reported no later than the shipping, D_post = escaped and reported within W days after it.
 * Per release also the phase counts for PCE. `provisional`: the release is younger than W at `{now}`.
 */
function chargedReleases(grain: Grain): string {
  const window = `d.reported_at <= r.shipped_at + INTERVAL ${ESCAPE_WINDOW_DAYS} DAY`;
  return `
    releases AS (${releases(grain)}),
    charged AS (
      SELECT
        d.release_id AS release_id,
        countIf(d.reported_at <= r.shipped_at) AS d_pre,
        countIf(d.escaped AND d.reported_at > r.shipped_at AND ${window}) AS d_post,
        countIf(d.phase = {dim:String} AND ${window}) AS pce_den,
        countIf(d.phase = {dim:String} AND ${detectionPhase('d.activity')} = {dim:String} AND ${window}) AS pce_num
      FROM (${defects('release_id IN (SELECT release_id FROM releases)')}) AS d
      INNER JOIN releases AS r ON d.release_id = r.release_id
      WHERE d.is_valid
      GROUP BY d.release_id
    ),
    per_release AS (
      SELECT r.*, c.d_pre AS d_pre, c.d_post AS d_post, c.pce_num AS pce_num, c.pce_den AS pce_den,
        r.shipped_at + INTERVAL ${ESCAPE_WINDOW_DAYS} DAY > ${NOW} AS open_window
      FROM releases AS r LEFT JOIN charged AS c ON c.release_id = r.release_id
      WHERE ${scopeFilter('r')}
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
    `toFloat64(sum(pce_num)) AS numerator,
      toFloat64(sum(pce_den)) AS denominator,
      toUInt64(denominator) AS n,
      if(denominator = 0, NULL, numerator / denominator * 100) AS value`,
  );
}
