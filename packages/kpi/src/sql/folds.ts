/**
 * Entity folds: the state of a defect, release, deployment, incident, review, CAPA or survey response is
 * the fold of its events in event-time order (events.md), read from the typed per-family tables
 * (`defect_events`, `delivery_events`, `quality_events`, migrations 0004–0012). Folding by entity id makes
 * every KPI immune to a duplicated raw event (every aggregate below is idempotent: min/max/argMax or a
 * boolean "has any"), and a late event simply joins its entity's fold, so the periods it touches are
 * recomputed by construction. Ties in event time are broken by the event id so results are deterministic.
 *
 * A fold takes a row prefilter. Scoped queries pass `inTeam(...)`: the keys of entities that have an event
 * of the team, a superset of the entities whose folded scope is the team (the exact `SCOPE_FILTER` is
 * applied after the fold), so a team query reads only that team's entities.
 */

import type { Grain } from './common.js';

const TEAM = '{team:Nullable(String)}';
const FROM = "{from:Nullable(DateTime64(3, 'UTC'))}";
const TO = "{to:Nullable(DateTime64(3, 'UTC'))}";
const UNIT: Record<Grain, string> = { day: 'DAY', week: 'WEEK', month: 'MONTH', quarter: 'QUARTER' };

/**
 * Row prefilter: all events of the entities that have an event matching `cond` in the queried team
 * (every row when the query is org-wide). `cond` is a constant SQL condition on the same table.
 */
export function inTeam(table: string, key: string, cond: string): string {
  return `(${TEAM} IS NULL OR ${key} IN (SELECT ${key} FROM ${table} WHERE team = ${TEAM} AND ${cond}))`;
}

/**
 * Row prefilter for a bounded query: all events of the entities that have an event matching `cond` (the
 * event whose time is the KPI's period key) between `from` and the end of the period starting at `to`.
 * A listed period starts in [from, to], so its entities' key times lie in [from, to + 1 period): a
 * superset, made exact by the outer period bounds. A dashboard's range then folds only its own entities.
 */
export function inRange(table: string, key: string, cond: string, grain: Grain): string {
  return `((${FROM} IS NULL AND ${TO} IS NULL) OR ${key} IN (SELECT ${key} FROM ${table} WHERE ${cond}
    AND (${FROM} IS NULL OR time >= ${FROM}) AND (${TO} IS NULL OR time < ${TO} + INTERVAL 1 ${UNIT[grain]})))`;
}

/** Rows in [from, to + 1 period): for entities made of a single event. */
export function rowsInRange(grain: Grain): string {
  return `(${FROM} IS NULL OR time >= ${FROM}) AND (${TO} IS NULL OR time < ${TO} + INTERVAL 1 ${UNIT[grain]})`;
}

/** The latest value of a Nullable column among rows matching `cond`, by (time, id); NULL when none carries it. */
const latest = (col: string, cond: string) => `argMaxIf(${col}, (time, id), ${cond} AND ${col} IS NOT NULL)`;

/**
 * One row per defect with a `defect.reported` event. Its reported time is the first report; re-triage
 * (a later report) updates the fields it carries. The defect is closed when its latest lifecycle event
 * (resolved/reopened) is a resolution, and invalid when that resolution is duplicate/not_a_defect.
 * `release_id` is the release it is charged to: `releaseFoundIn`, else `releaseIntroduced` (domain.md §3.1
 * D_pre/D_post are about the release a defect was found in — before it shipped, or in the field after).
 */
export function defectFold(prefilter = 'true', extraColumns = ''): string {
  const rep = "type = 'defect.reported'";
  return `
  SELECT
    defect_id,
    minIf(time, ${rep}) AS reported_at,
    countIf(${rep}) > 0 AS has_report,
    argMaxIf(type, (time, id), type != 'defect.reported') = 'defect.resolved' AS is_closed,
    argMaxIf(resolution, (time, id), type = 'defect.resolved') AS last_resolution,
    maxIf(time, type = 'defect.resolved') AS resolved_at,
    countIf(type = 'defect.reopened') > 0 AS was_reopened,
    NOT (is_closed AND ifNull(last_resolution, '') IN ('duplicate', 'not_a_defect')) AS is_valid,
    ${latest('detection_activity', rep)} AS activity,
    ifNull(${latest('introduced_phase', rep)}, 'unknown') AS phase,
    ifNull(${latest('reported_by', rep)}, 'internal') AS reporter,
    coalesce(${latest('release_found_in', rep)}, ${latest('release_introduced', rep)}) AS release_id,
    ${latest('origin_work_product_id', rep)} AS origin_wp,
    ifNull(activity, '') IN ('production', 'customer') OR reporter = 'customer' AS escaped,
    argMaxIf(team, (time, id), ${rep}) AS team,
    argMaxIf(project, (time, id), ${rep}) AS project
    ${extraColumns}
  FROM defect_events
  WHERE ${prefilter}
  GROUP BY defect_key, defect_id
  HAVING has_report`;
}

/** Phase of a detection activity column (domain.md §3.1). */
export const detectionPhase = (activity: string) => `multiIf(
    ${activity} = 'requirements_review', 'requirements',
    ${activity} = 'design_review', 'design',
    ${activity} IN ('code_review', 'unit_test'), 'code',
    ${activity} IN ('integration_test', 'system_test', 'acceptance_test'), 'test',
    'post-release')`;

/**
 * One row per shipped release (a `delivery.release` event). Shipped at its first release event; the
 * baseline planned end is the `plannedEnd` of its earliest `delivery.release.planned` (by time, then id)
 * no later than the shipping, else the release event's own `plannedEnd` (events.md: later plans are
 * re-plans and never move the baseline). Planned start and effort come from that same baseline plan when
 * it carries them, else from the release event. Size, actual start and effort: the latest release event
 * carrying them. Scope: the latest release event.
 */
export function releaseFold(grain?: Grain): string {
  const shipped = "type = 'delivery.release'";
  return `
  SELECT
    release_id,
    shipped_at,
    ifNull(plan.3, own_planned_end) AS baseline_end,
    coalesce(plan.4, own_planned_start) AS planned_start,
    coalesce(plan.5, own_planned_effort) AS planned_effort_h,
    actual_start,
    actual_effort_h,
    size_delivered,
    size_unit,
    team,
    project
  FROM (
    SELECT
      entity_id AS release_id,
      minIf(time, type = 'delivery.release') AS shipped_at,
      arrayFirst(p -> p.1 <= shipped_at,
        arraySort(groupArrayIf((time, id, planned_end, planned_start, planned_effort_h),
                               type = 'delivery.release.planned' AND planned_end IS NOT NULL))) AS plan,
      argMinIf(planned_end, (time, id), type = 'delivery.release' AND planned_end IS NOT NULL) AS own_planned_end,
      ${latest('planned_start', "type = 'delivery.release'")} AS own_planned_start,
      ${latest('planned_effort_h', "type = 'delivery.release'")} AS own_planned_effort,
      ${latest('actual_start', "type = 'delivery.release'")} AS actual_start,
      ${latest('actual_effort_h', "type = 'delivery.release'")} AS actual_effort_h,
      ${latest('size_delivered', "type = 'delivery.release'")} AS size_delivered,
      ${latest('size_unit', "type = 'delivery.release'")} AS size_unit,
      argMaxIf(team, (time, id), type = 'delivery.release') AS team,
      argMaxIf(project, (time, id), type = 'delivery.release') AS project,
      countIf(type = 'delivery.release') > 0 AS shipped
    FROM delivery_events
    WHERE kind = 'release' AND ${inTeam('delivery_events', 'entity_key', shipped)}
      AND ${grain ? inRange('delivery_events', 'entity_key', shipped, grain) : 'true'}
    GROUP BY entity_key, entity_id
    HAVING shipped
  )`;
}

/**
 * Prefilter of the defects charged to the releases a query reads (releases of the team shipped in the
 * range): the release-based defect KPIs count defects of any team charged to a release in scope.
 */
export function defectsOfReleases(grain: Grain): string {
  const ids = `SELECT DISTINCT entity_id FROM delivery_events
      WHERE kind = 'release' AND type = 'delivery.release' AND (${TEAM} IS NULL OR team = ${TEAM})
        AND ${rowsInRange(grain)}`;
  return `((${TEAM} IS NULL AND ${FROM} IS NULL AND ${TO} IS NULL) OR defect_key IN (
      SELECT defect_key FROM defect_events
      WHERE type = 'defect.reported' AND (release_found_in IN (${ids}) OR release_introduced IN (${ids}))))`;
}

/**
 * One row per deployment: first event time is the deployment time; the latest event sets the status.
 * With a grain, only deployments with an event in the query's range (their first event is the key).
 */
export const deploymentFold = (grain?: Grain) => `
  SELECT
    entity_id AS deployment_id,
    min(time) AS deployed_at,
    argMax(status, (time, id)) AS status,
    argMax(environment, (time, id)) AS environment,
    ifNull(max(change_failure), false) AS change_failure,
    groupArrayArray(change_ids) AS change_ids,
    groupArrayArray(change_committed_at) AS change_committed_at,
    argMax(team, (time, id)) AS team,
    argMax(project, (time, id)) AS project
  FROM delivery_events
  WHERE kind = 'deployment' AND ${inTeam('delivery_events', 'entity_key', "kind = 'deployment'")}
    AND ${grain ? inRange('delivery_events', 'entity_key', "kind = 'deployment'", grain) : 'true'}
  GROUP BY entity_key, entity_id`;

/** Deployments named by an incident's causedByDeploymentId: change failures whatever their own status. */
export const INCIDENT_CAUSED = `
  SELECT DISTINCT assumeNotNull(caused_by_deployment_id) AS deployment_id
  FROM delivery_events
  WHERE kind = 'incident' AND type = 'delivery.incident.opened' AND ifNull(caused_by_deployment_id, '') != ''`;

/** One row per incident: opened at its first opening, restored at its last resolution (the range key). */
export const incidentFold = (grain?: Grain) => `
  SELECT
    entity_id AS incident_id,
    minIf(time, type = 'delivery.incident.opened') AS opened_at,
    maxIf(time, type = 'delivery.incident.resolved') AS resolved_at,
    countIf(type = 'delivery.incident.opened') > 0 AS has_opened,
    countIf(type = 'delivery.incident.resolved') > 0 AS has_resolved,
    if(has_opened, argMaxIf(team, (time, id), type = 'delivery.incident.opened'), argMax(team, (time, id))) AS team,
    if(has_opened, argMaxIf(project, (time, id), type = 'delivery.incident.opened'), argMax(project, (time, id))) AS project
  FROM delivery_events
  WHERE kind = 'incident' AND ${inTeam('delivery_events', 'entity_key', "kind = 'incident'")}
    AND ${grain ? inRange('delivery_events', 'entity_key', "type = 'delivery.incident.resolved'", grain) : 'true'}
  GROUP BY entity_key, entity_id`;

/**
 * One row per review (`reviewId`): completed at its first event; a re-sent review.completed updates the
 * fields it carries. Missing hours stay NULL (each KPI says how it treats them).
 */
export const reviewFold = (prefilter: string) => `
  SELECT
    entity_id AS review_id,
    min(time) AS reviewed_at,
    ${latest('work_product_id', 'true')} AS work_product_id,
    ${latest('size_reviewed', 'true')} AS size_reviewed,
    ${latest('size_unit', 'true')} AS size_unit,
    ifNull(${latest('defects_found', 'true')}, 0) AS defects_found,
    ${latest('preparation_h', 'true')} AS preparation_h,
    ${latest('meeting_h', 'true')} AS meeting_h,
    ${latest('rework_h', 'true')} AS rework_h,
    ${latest('duration_h', 'true')} AS duration_h,
    argMax(team, (time, id)) AS team,
    argMax(project, (time, id)) AS project
  FROM quality_events
  WHERE kind = 'review' AND ${prefilter}
  GROUP BY entity_key, entity_id`;

/** The reviews of the query's team (and range, with a grain). */
export const reviewsInScope = (grain?: Grain) =>
  `${inTeam('quality_events', 'entity_key', "kind = 'review'")} AND ${grain ? inRange('quality_events', 'entity_key', "kind = 'review'", grain) : 'true'}`;

/**
 * One row per corrective action with a `capa.opened`. Closed at its first `capa.closed` (a later one only
 * updates the effectiveness result); `checked_at` is the time of the latest closed event carrying an
 * effectiveness result, and `result` that result. Due date and recurrence key: the latest event
 * carrying them (opened or updated). Scope: the opening event.
 */
export const capaFold = (grain?: Grain) => `
  SELECT
    entity_id AS capa_id,
    minIf(time, type = 'capa.opened') AS opened_at,
    countIf(type = 'capa.opened') > 0 AS has_opened,
    countIf(type = 'capa.closed') > 0 AS is_closed,
    minIf(time, type = 'capa.closed') AS closed_at,
    ${latest('effectiveness', "type = 'capa.closed'")} AS result,
    argMaxIf(time, (time, id), type = 'capa.closed' AND quality_events.effectiveness IS NOT NULL) AS checked_at,
    ${latest('due_at', "type IN ('capa.opened', 'capa.updated')")} AS due_at,
    ${latest('recurrence_key', "type IN ('capa.opened', 'capa.updated')")} AS recurrence_key,
    argMaxIf(team, (time, id), type = 'capa.opened') AS team,
    argMaxIf(project, (time, id), type = 'capa.opened') AS project
  FROM quality_events
  WHERE kind = 'capa' AND ${inTeam('quality_events', 'entity_key', "kind = 'capa'")}
    AND ${grain ? inRange('quality_events', 'entity_key', "type = 'capa.closed'", grain) : 'true'}
  GROUP BY entity_key, entity_id
  HAVING has_opened`;

/** One row per survey response (entity = its (source, id) key, so a duplicated raw row counts once). */
export const surveyFold = (grain: Grain) => `
  SELECT
    entity_id,
    min(time) AS answered_at,
    any(scale) AS scale,
    any(score) AS score,
    any(team) AS team,
    any(project) AS project
  FROM quality_events
  WHERE kind = 'survey' AND (${TEAM} IS NULL OR quality_events.team = ${TEAM}) AND ${rowsInRange(grain)}
  GROUP BY entity_key, entity_id`;

/** One row per complaint (`complaintId`): received at its first event, scope of its latest. */
export const complaintFold = (grain: Grain) => `
  SELECT
    entity_id AS complaint_id,
    min(time) AS received_at,
    argMax(team, (time, id)) AS team,
    argMax(project, (time, id)) AS project
  FROM quality_events
  WHERE kind = 'complaint' AND ${inTeam('quality_events', 'entity_key', "kind = 'complaint'")}
    AND ${inRange('quality_events', 'entity_key', "kind = 'complaint'", grain)}
  GROUP BY entity_key, entity_id`;
