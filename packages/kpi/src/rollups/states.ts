/**
 * Entity states: the fold of each defect, release, deployment, incident, review, CAPA, survey response,
 * complaint and change, kept in a table of its own so KPI queries read one narrow row per entity instead
 * of folding millions of events at read time (see `catch-up.ts` for how they are kept current).
 *
 * The state of an entity is the fold of its events in event-time order (events.md), read from the typed
 * per-family tables (`defect_events`, `delivery_events`, `quality_events`, migrations 0004–0012). Every
 * aggregate is idempotent (min/max/argMax or "has any"), so a duplicated raw event changes nothing, and a
 * late event simply joins its entity's next fold. Ties in event time are broken by the event id.
 *
 * Each `fold(keys)` selects `entity_key` and then exactly the state's columns, in order, for the entities
 * whose key satisfies `keys` (a condition on the fold's source key column; `true` for a full build).
 */

export interface EntityState {
  /** Short name: the value of `rollup_touched.fold`. */
  readonly name: string;
  /** `<name>_state`. */
  readonly table: string;
  /** Columns after `entity_key`, with their ClickHouse types; every state has `team` and `project`. */
  readonly columns: readonly (readonly [string, string])[];
  /** The source column that `keys` is written against. */
  readonly key: string;
  fold(keys: string): string;
}

const DT = "DateTime64(3, 'UTC')";
const NDT = `Nullable(${DT})`;
const LC = 'LowCardinality(String)';
const NLC = 'LowCardinality(Nullable(String))';
const NF = 'Nullable(Float64)';
const SCOPE = [
  ['team', LC],
  ['project', LC],
] as const;

/** The latest value of a Nullable column among rows matching `cond`, by (time, id); NULL when none carries it. */
const latest = (col: string, cond: string) => `argMaxIf(${col}, (time, id), ${cond} AND ${col} IS NOT NULL)`;

const REPORTED = "type = 'defect.reported'";
const INVALID_RESOLUTION = "ifNull(resolution, '') IN ('duplicate', 'not_a_defect')";

/**
 * One row per defect with a `defect.reported` event. Reported at its first report; re-triage (a later
 * report) updates the fields it carries. Closed when its latest lifecycle event (resolved/reopened) is a
 * resolution, invalid when that resolution is duplicate/not_a_defect. `release_id`: `releaseFoundIn`, else
 * `releaseIntroduced` (domain.md §3.1). `timeline`: its lifecycle events (time, id, code 0 resolved /
 * 1 reopened / 2 reported, 1 when a resolution marks it invalid) in (time, id) order, so a backlog can be
 * evaluated as of any instant.
 */
export const DEFECT: EntityState = {
  name: 'defect',
  table: 'defect_state',
  key: 'defect_key',
  columns: [
    ['defect_id', 'String'],
    ['reported_at', DT],
    ['is_closed', 'Bool'],
    ['last_resolution', NLC],
    ['resolved_at', DT],
    ['was_reopened', 'Bool'],
    ['is_valid', 'Bool'],
    ['activity', NLC],
    ['phase', LC],
    ['reporter', LC],
    ['release_id', 'Nullable(String)'],
    ['origin_wp', 'Nullable(String)'],
    ['escaped', 'Bool'],
    ...SCOPE,
    ['timeline', `Array(Tuple(${DT}, String, Int8, UInt8))`],
  ],
  fold: (keys) => `
  SELECT
    defect_key,
    defect_id,
    minIf(time, ${REPORTED}) AS reported_at,
    argMaxIf(type, (time, id), type != 'defect.reported') = 'defect.resolved' AS is_closed,
    argMaxIf(resolution, (time, id), type = 'defect.resolved') AS last_resolution,
    maxIf(time, type = 'defect.resolved') AS resolved_at,
    countIf(type = 'defect.reopened') > 0 AS was_reopened,
    NOT (is_closed AND ifNull(last_resolution, '') IN ('duplicate', 'not_a_defect')) AS is_valid,
    ${latest('detection_activity', REPORTED)} AS activity,
    ifNull(${latest('introduced_phase', REPORTED)}, 'unknown') AS phase,
    ifNull(${latest('reported_by', REPORTED)}, 'internal') AS reporter,
    coalesce(${latest('release_found_in', REPORTED)}, ${latest('release_introduced', REPORTED)}) AS release_id,
    ${latest('origin_work_product_id', REPORTED)} AS origin_wp,
    ifNull(activity, '') IN ('production', 'customer') OR reporter = 'customer' AS escaped,
    argMaxIf(team, (time, id), ${REPORTED}) AS team,
    argMaxIf(project, (time, id), ${REPORTED}) AS project,
    arraySort(e -> (e.1, e.2), arrayDistinct(groupArray((time, id,
      toInt8(multiIf(type = 'defect.resolved', 0, type = 'defect.reopened', 1, 2)),
      toUInt8(type = 'defect.resolved' AND ${INVALID_RESOLUTION}))))) AS timeline
  FROM defect_events
  WHERE ${keys}
  GROUP BY defect_key, defect_id
  HAVING countIf(${REPORTED}) > 0`,
};

/**
 * One row per shipped release (a `delivery.release` event). Shipped at its first release event; the
 * baseline planned end is the `plannedEnd` of its earliest `delivery.release.planned` (by time, then id)
 * no later than the shipping, else the release event's own `plannedEnd` (events.md: later plans are
 * re-plans and never move the baseline). Planned start and effort come from that same baseline plan when
 * it carries them, else from the release event. Size, actual start and effort: the latest release event
 * carrying them. Scope: the latest release event.
 */
export const RELEASE: EntityState = {
  name: 'release',
  table: 'release_state',
  key: 'entity_key',
  columns: [
    ['release_id', 'String'],
    ['shipped_at', DT],
    ['baseline_end', NDT],
    ['planned_start', NDT],
    ['planned_effort_h', NF],
    ['actual_start', NDT],
    ['actual_effort_h', NF],
    ['size_delivered', NF],
    ['size_unit', NLC],
    ...SCOPE,
  ],
  fold: (keys) => {
    const shipped = "type = 'delivery.release'";
    return `
  SELECT
    entity_key, release_id, shipped_at,
    ifNull(plan.3, own_planned_end) AS baseline_end,
    coalesce(plan.4, own_planned_start) AS planned_start,
    coalesce(plan.5, own_planned_effort) AS planned_effort_h,
    actual_start, actual_effort_h, size_delivered, size_unit, team, project
  FROM (
    SELECT
      entity_key,
      entity_id AS release_id,
      minIf(time, ${shipped}) AS shipped_at,
      arrayFirst(p -> p.1 <= shipped_at,
        arraySort(groupArrayIf((time, id, planned_end, planned_start, planned_effort_h),
                               type = 'delivery.release.planned' AND planned_end IS NOT NULL))) AS plan,
      argMinIf(planned_end, (time, id), ${shipped} AND planned_end IS NOT NULL) AS own_planned_end,
      ${latest('planned_start', shipped)} AS own_planned_start,
      ${latest('planned_effort_h', shipped)} AS own_planned_effort,
      ${latest('actual_start', shipped)} AS actual_start,
      ${latest('actual_effort_h', shipped)} AS actual_effort_h,
      ${latest('size_delivered', shipped)} AS size_delivered,
      ${latest('size_unit', shipped)} AS size_unit,
      argMaxIf(team, (time, id), ${shipped}) AS team,
      argMaxIf(project, (time, id), ${shipped}) AS project
    FROM delivery_events
    WHERE kind = 'release' AND ${keys}
    GROUP BY entity_key, entity_id
    HAVING countIf(${shipped}) > 0
  )`;
  },
};

/** One row per deployment: its first event time is the deployment time; the latest event sets the status. */
export const DEPLOYMENT: EntityState = {
  name: 'deployment',
  table: 'deployment_state',
  key: 'entity_key',
  columns: [
    ['deployment_id', 'String'],
    ['deployed_at', DT],
    ['status', NLC],
    ['environment', NLC],
    ['change_failure', 'Bool'],
    ['change_ids', 'Array(String)'],
    ['change_committed_at', `Array(${NDT})`],
    ...SCOPE,
  ],
  fold: (keys) => `
  SELECT
    entity_key,
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
  WHERE kind = 'deployment' AND ${keys}
  GROUP BY entity_key, entity_id`,
};

/**
 * One row per incident: opened at its first opening, restored at its last resolution; scope of its
 * opening (of its latest event when no opening was received). `caused_deployments`: the deployments its
 * openings name (`causedByDeploymentId`), change failures whatever their own status (domain.md §3.2).
 */
export const INCIDENT: EntityState = {
  name: 'incident',
  table: 'incident_state',
  key: 'entity_key',
  columns: [
    ['incident_id', 'String'],
    ['opened_at', DT],
    ['resolved_at', DT],
    ['has_opened', 'Bool'],
    ['has_resolved', 'Bool'],
    ...SCOPE,
    ['caused_deployments', 'Array(String)'],
  ],
  fold: (keys) => {
    const opened = "type = 'delivery.incident.opened'";
    return `
  SELECT
    entity_key,
    entity_id AS incident_id,
    minIf(time, ${opened}) AS opened_at,
    maxIf(time, type = 'delivery.incident.resolved') AS resolved_at,
    countIf(${opened}) > 0 AS has_opened,
    countIf(type = 'delivery.incident.resolved') > 0 AS has_resolved,
    if(has_opened, argMaxIf(team, (time, id), ${opened}), argMax(team, (time, id))) AS team,
    if(has_opened, argMaxIf(project, (time, id), ${opened}), argMax(project, (time, id))) AS project,
    arraySort(groupUniqArrayIf(assumeNotNull(caused_by_deployment_id),
      ${opened} AND ifNull(caused_by_deployment_id, '') != '')) AS caused_deployments
  FROM delivery_events
  WHERE kind = 'incident' AND ${keys}
  GROUP BY entity_key, entity_id`;
  },
};

/**
 * One row per review (`reviewId`): completed at its first event; a re-sent review.completed updates the
 * fields it carries. Missing hours stay NULL (each KPI says how it treats them).
 */
export const REVIEW: EntityState = {
  name: 'review',
  table: 'review_state',
  key: 'entity_key',
  columns: [
    ['review_id', 'String'],
    ['reviewed_at', DT],
    ['work_product_id', 'Nullable(String)'],
    ['size_reviewed', NF],
    ['size_unit', NLC],
    ['defects_found', 'Float64'],
    ['preparation_h', NF],
    ['meeting_h', NF],
    ['rework_h', NF],
    ['duration_h', NF],
    ...SCOPE,
  ],
  fold: (keys) => `
  SELECT
    entity_key,
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
  WHERE kind = 'review' AND ${keys}
  GROUP BY entity_key, entity_id`,
};

/**
 * One row per corrective action with a `capa.opened`. Closed at its first `capa.closed` (a later one only
 * updates the effectiveness result); `checked_at` is the time of the latest closed event carrying an
 * effectiveness result, and `result` that result. Due date and recurrence key: the latest event carrying
 * them (opened or updated). Scope: the opening event.
 */
export const CAPA: EntityState = {
  name: 'capa',
  table: 'capa_state',
  key: 'entity_key',
  columns: [
    ['capa_id', 'String'],
    ['opened_at', DT],
    ['is_closed', 'Bool'],
    ['closed_at', DT],
    ['result', NLC],
    ['checked_at', DT],
    ['due_at', NDT],
    ['recurrence_key', 'Nullable(String)'],
    ...SCOPE,
  ],
  fold: (keys) => `
  SELECT
    entity_key,
    entity_id AS capa_id,
    minIf(time, type = 'capa.opened') AS opened_at,
    countIf(type = 'capa.closed') > 0 AS is_closed,
    minIf(time, type = 'capa.closed') AS closed_at,
    ${latest('effectiveness', "type = 'capa.closed'")} AS result,
    argMaxIf(time, (time, id), type = 'capa.closed' AND quality_events.effectiveness IS NOT NULL) AS checked_at,
    ${latest('due_at', "type IN ('capa.opened', 'capa.updated')")} AS due_at,
    ${latest('recurrence_key', "type IN ('capa.opened', 'capa.updated')")} AS recurrence_key,
    argMaxIf(team, (time, id), type = 'capa.opened') AS team,
    argMaxIf(project, (time, id), type = 'capa.opened') AS project
  FROM quality_events
  WHERE kind = 'capa' AND ${keys}
  GROUP BY entity_key, entity_id
  HAVING countIf(type = 'capa.opened') > 0`,
};

/** One row per survey response (entity = its (source, id) key, so a duplicated raw row counts once). */
export const SURVEY: EntityState = {
  name: 'survey',
  table: 'survey_state',
  key: 'entity_key',
  columns: [['answered_at', DT], ['scale', NLC], ['score', 'Nullable(Int32)'], ...SCOPE],
  fold: (keys) => `
  SELECT entity_key, min(time) AS answered_at, any(scale) AS scale, any(score) AS score,
    any(team) AS team, any(project) AS project
  FROM quality_events
  WHERE kind = 'survey' AND ${keys}
  GROUP BY entity_key, entity_id`,
};

/** One row per complaint (`complaintId`): received at its first event, scope of its latest. */
export const COMPLAINT: EntityState = {
  name: 'complaint',
  table: 'complaint_state',
  key: 'entity_key',
  columns: [['complaint_id', 'String'], ['received_at', DT], ...SCOPE],
  fold: (keys) => `
  SELECT entity_key, entity_id AS complaint_id, min(time) AS received_at,
    argMax(team, (time, id)) AS team, argMax(project, (time, id)) AS project
  FROM quality_events
  WHERE kind = 'complaint' AND ${keys}
  GROUP BY entity_key, entity_id`,
};

/**
 * One row per change shipped to production (domain.md §3.2, Four Keys): its first successful production
 * deployment, its earliest commit time, and the scope of that deployment. Folded from the live deployment
 * states, so it is refreshed after them.
 */
export const CHANGE: EntityState = {
  name: 'change',
  table: 'change_state',
  key: 'cityHash64(change_id)',
  columns: [['change_id', 'String'], ['first_deployed_at', DT], ['committed_at', NDT], ...SCOPE],
  fold: (keys) => `
  SELECT
    cityHash64(change_id) AS entity_key,
    change_id,
    min(deployed_at) AS first_deployed_at,
    min(committed) AS committed_at,
    argMin(team, deployed_at) AS team,
    argMin(project, deployed_at) AS project
  FROM (${live(DEPLOYMENT)})
  ARRAY JOIN change_ids AS change_id, change_committed_at AS committed
  WHERE environment = 'production' AND status = 'success' AND ${keys}
  GROUP BY change_id`,
};

/** In refresh order: a state folded from another comes after it. */
export const ENTITY_STATES: readonly EntityState[] = [
  DEFECT,
  RELEASE,
  DEPLOYMENT,
  INCIDENT,
  REVIEW,
  CAPA,
  SURVEY,
  COMPLAINT,
  CHANGE,
];

/**
 * The current rows of a state table: a row is live when it was written with sign +1 and no cancelling
 * row (sign −1, same entity and version) has been written since. The cancelled set is small (cancelling
 * rows and their originals collapse when parts merge), so this costs a hash lookup per row, not a FINAL.
 * `where` narrows the rows first (e.g. the team, which is the table's leading sort key).
 */
export function live(state: EntityState, where = 'true'): string {
  const t = state.table;
  return `SELECT * FROM ${t} WHERE sign = 1 AND ${where}
    AND (entity_key, version) NOT IN (SELECT entity_key, version FROM ${t} WHERE sign = -1)`;
}
