/**
 * Entity states: the fold of each defect, release, deployment, incident, review, CAPA, survey response,
 * complaint and change, kept in a table of its own so KPI queries read one narrow row per entity instead
 * of folding millions of events at read time (`catch-up.ts` keeps them current, `tables.ts` creates and
 * stamps their tables, `touched.ts` finds the entities a catch-up re-folds).
 *
 * The state of an entity is the fold of its events in event-time order (docs/events.md), read from the typed
 * per-family tables (`defect_events`, `delivery_events`, `quality_events`, migrations 0004–0012). Every
 * aggregate is idempotent (min/max/argMax or "has any"), so a duplicated raw event changes nothing, and a
 * late event simply joins its entity's next fold. Ties in event time are broken by the event id.
 *
 * Each `fold(keys)` selects `entity_key` and then exactly the state's columns, in order, for the entities
 * whose key satisfies `keys` (a condition on the fold's source key column; `true` for a full build).
 */

import type { EventType } from '@shewhart/events';
import { PHASE } from '../catalogue/define.js';

export interface EntityState {
  /**
   * The events folded into this state (none for a state folded from other states): their types, and the
   * entity's id in an `events_raw` row (an SQL expression over its columns), whose `cityHash64` is the
   * entity's key in the typed table the fold reads. A catch-up re-folds the entities of the events stored
   * since the previous one (`touched.ts`); an event type belongs to one state.
   */
  readonly events?: { readonly types: readonly EventType[]; readonly id: string };
  /**
   * Statements run before the fold: on a full build (`build`) or a catch-up (`apply`). They keep the
   * look-up tables a fold relies on (e.g. `change_links`) in step.
   */
  prepare?(mode: 'build' | 'apply'): string[];
  /**
   * Statements that add keys to `rollup_touched` (the table of touched entities; its name predates the
   * name "entity states", and migrations are append-only) beyond the state's own events: for a state folded from
   * other states, from the entities touched in the sources (before and after); for one whose fold also
   * reads other entities' events (a deployment named by an incident), from those events. Run before any
   * state is caught up.
   */
  touches?: readonly string[];
  /**
   * Aggregate tables kept by a materialized view on the state table: every row written to the state
   * (sign +1, and the cancelling copy with sign −1) adds its sign-weighted contribution, so the sums
   * follow every change of an entity exactly. Rebuilt with the state.
   */
  aggregates?: readonly StateAggregate[];
  /** States it is folded from: when one of them is rebuilt, so is this. */
  from?: readonly EntityState[];
  /** Short name: the value of `rollup_touched.fold`. */
  readonly name: string;
  /** `<name>_state`. */
  readonly table: string;
  /** Columns after `entity_key`, with their ClickHouse types; every state has `team` and `project`. */
  readonly columns: readonly (readonly [string, string])[];
  /**
   * The year of the entity's main period key: a dashboard's range (the last quarter, say) reads only its
   * partitions. A cancelling row copies the row it cancels, so both always share a partition.
   */
  partition: string;
  /** The source column that `keys` is written against. */
  readonly key: string;
  fold(keys: string): string;
}

/** docs/methods.md §3.1: W = 90 days after the release date. */
export const ESCAPE_WINDOW_DAYS = 90;
/** Observation window of review effectiveness, counted from the review (see REVIEW_YIELD). */
export const REVIEW_WINDOW_DAYS = 90;

export interface StateAggregate {
  table: string;
  /** Column definitions. */
  columns: string;
  /** Table engine and sort key. */
  engine: string;
  /** The view's SELECT over the state table (it sees each inserted block). */
  select: string;
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

/** Team and project of the entity's latest event. */
const LATEST_SCOPE = 'argMax(team, (time, id)) AS team, argMax(project, (time, id)) AS project';

const REPORTED = "type = 'defect.reported'";
const TOUCHED = (fold: string) => `(SELECT key FROM rollup_touched WHERE fold = '${fold}')`;
const INVALID_RESOLUTION = "ifNull(resolution, '') IN ('duplicate', 'not_a_defect')";

/**
 * One row per defect with a `defect.reported` event. Reported at its first report; re-triage (a later
 * report) updates the fields it carries. Closed when its latest lifecycle event (resolved/reopened) is a
 * resolution, invalid when that resolution is duplicate/not_a_defect. `release_id`: `releaseFoundIn`, else
 * `releaseIntroduced` (docs/methods.md §3.1). `timeline`: its lifecycle events (time, id, code 0 resolved /
 * 1 reopened / 2 reported, 1 when a resolution marks it invalid) in (time, id) order, so a backlog can be
 * evaluated as of any instant.
 */
export const DEFECT: EntityState = {
  events: {
    types: ['defect.reported', 'defect.resolved', 'defect.reopened'],
    id: "JSONExtractString(data, 'defectId')",
  },
  name: 'defect',
  partition: "toYear(reported_at, 'UTC')",
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
    ['last_event_at', DT],
  ],
  aggregates: [
    {
      // defect_backlog: the open-state changes of the valid defects per team, project and day.
      table: 'defect_backlog_days',
      columns: `team ${LC}, project ${LC}, day Date, delta Int64, events Int64`,
      engine: 'SummingMergeTree ORDER BY (team, project, day)',
      select: `
        SELECT team, project, toDate(c.1, 'UTC') AS day, sum(c.2 * sign) AS delta, sum(toInt64(sign)) AS events
        FROM (SELECT team, project, sign, ${backlogChanges('timeline')} AS changes FROM defect_state WHERE is_valid)
        ARRAY JOIN changes AS c
        GROUP BY team, project, day`,
    },
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
      toUInt8(type = 'defect.resolved' AND ${INVALID_RESOLUTION}))))) AS timeline,
    max(time) AS last_event_at
  FROM defect_events
  WHERE ${keys}
  GROUP BY defect_key, defect_id
  HAVING countIf(${REPORTED}) > 0`,
};

/**
 * The backlog changes of a defect timeline `tl` (an identifier; see DEFECT): per lifecycle event its time
 * and the change of the open state it makes (+1 reported or reopened, −1 resolved, 0 a re-triage). The
 * state after an event is that of the latest resolution/reopen so far, open when there is none yet.
 */
export function backlogChanges(tl: string): string {
  const state = (i: string) =>
    `toInt64(if(arrayLastIndex(e -> e.3 != 2, arraySlice(${tl}, 1, ${i})) = 0, 1,
      ${tl}[arrayLastIndex(e -> e.3 != 2, arraySlice(${tl}, 1, ${i}))].3))`;
  return `arrayMap(i -> (${tl}[i].1, ${state('i')} - if(i = 1, 0, ${state('i - 1')})), arrayEnumerate(${tl}))`;
}

/** A defect whose timeline `tl` has a report and whose latest resolution/reopen does not make it invalid. */
export function validTimeline(tl: string): string {
  const latest = `arrayLastIndex(e -> e.3 != 2, ${tl})`;
  return `(arrayExists(e -> e.3 = 2, ${tl}) AND NOT (${latest} > 0 AND ${tl}[${latest}].4 = 1))`;
}

/**
 * One row per shipped release (a `delivery.release` event). Shipped at its first release event; the
 * baseline planned end is the `plannedEnd` of its earliest `delivery.release.planned` (by time, then id)
 * no later than the shipping, else the release event's own `plannedEnd` (docs/events.md: later plans are
 * re-plans and never move the baseline). Planned start and effort come from that same baseline plan when
 * it carries them, else from the release event. Size, actual start and effort: the latest release event
 * carrying them. Scope: the latest release event.
 */
export const RELEASE: EntityState = {
  events: {
    types: ['delivery.release.planned', 'delivery.release'],
    id: "JSONExtractString(data, 'releaseId')",
  },
  name: 'release',
  partition: "toYear(shipped_at, 'UTC')",
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

/** The deployment ids that incident openings name as their cause (`causedByDeploymentId`). */
const INCIDENT_NAMED = (incidents: string) => `
  SELECT cityHash64(assumeNotNull(caused_by_deployment_id)) FROM delivery_events
  WHERE kind = 'incident' AND type = 'delivery.incident.opened' AND ifNull(caused_by_deployment_id, '') != ''
    AND ${incidents}`;

/**
 * One row per deployment: its first event time is the deployment time; the latest event sets the status.
 * `named_by_incident`: an incident's opening names it as its cause, which makes it a change failure
 * whatever its own status (docs/methods.md §3.2). Incident events are immutable and only add names, so an
 * incident event re-folds just the deployments it names.
 */
export const DEPLOYMENT: EntityState = {
  events: { types: ['delivery.deployment'], id: "JSONExtractString(data, 'deploymentId')" },
  name: 'deployment',
  partition: "toYear(deployed_at, 'UTC')",
  table: 'deployment_state',
  key: 'entity_key',
  touches: [
    `INSERT INTO rollup_touched (fold, key)
     SELECT DISTINCT 'deployment', * FROM (${INCIDENT_NAMED(`entity_key IN ${TOUCHED('incident')}`)})`,
  ],
  columns: [
    ['deployment_id', 'String'],
    ['deployed_at', DT],
    ['status', NLC],
    ['environment', NLC],
    ['change_failure', 'Bool'],
    ['named_by_incident', 'Bool'],
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
    entity_key IN (${INCIDENT_NAMED('true')}) AS named_by_incident,
    groupArrayArray(change_ids) AS change_ids,
    groupArrayArray(change_committed_at) AS change_committed_at,
    ${LATEST_SCOPE}
  FROM delivery_events
  WHERE kind = 'deployment' AND ${keys}
  GROUP BY entity_key, entity_id`,
};

/**
 * One row per incident: opened at its first opening, restored at its last resolution; scope of its
 * opening (of its latest event when no opening was received). `caused_deployment_keys`: the entity keys
 * of the deployments its openings name (`causedByDeploymentId`); change failure rate reads the same
 * names from the deployment state (`named_by_incident`).
 */
export const INCIDENT: EntityState = {
  events: {
    types: ['delivery.incident.opened', 'delivery.incident.resolved'],
    id: "JSONExtractString(data, 'incidentId')",
  },
  name: 'incident',
  partition: "toYear(resolved_at, 'UTC')",
  table: 'incident_state',
  key: 'entity_key',
  columns: [
    ['incident_id', 'String'],
    ['opened_at', DT],
    ['resolved_at', DT],
    ['has_opened', 'Bool'],
    ['has_resolved', 'Bool'],
    ...SCOPE,
    ['caused_deployment_keys', 'Array(UInt64)'],
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
    arraySort(groupUniqArrayIf(cityHash64(assumeNotNull(caused_by_deployment_id)),
      ${opened} AND ifNull(caused_by_deployment_id, '') != '')) AS caused_deployment_keys
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
  events: { types: ['review.completed'], id: "JSONExtractString(data, 'reviewId')" },
  name: 'review',
  partition: "toYear(reviewed_at, 'UTC')",
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
    ${LATEST_SCOPE}
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
  events: { types: ['capa.opened', 'capa.updated', 'capa.closed'], id: "JSONExtractString(data, 'capaId')" },
  name: 'capa',
  partition: "toYear(opened_at, 'UTC')",
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
  events: { types: ['feedback.survey'], id: "concat(source, '\\0', id)" },
  name: 'survey',
  partition: "toYear(answered_at, 'UTC')",
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
  events: { types: ['feedback.complaint'], id: "JSONExtractString(data, 'complaintId')" },
  name: 'complaint',
  partition: "toYear(received_at, 'UTC')",
  table: 'complaint_state',
  key: 'entity_key',
  columns: [['complaint_id', 'String'], ['received_at', DT], ...SCOPE],
  fold: (keys) => `
  SELECT entity_key, entity_id AS complaint_id, min(time) AS received_at,
    ${LATEST_SCOPE}
  FROM quality_events
  WHERE kind = 'complaint' AND ${keys}
  GROUP BY entity_key, entity_id`,
};

/** The deployments (entity keys) that carry each change: how a catch-up finds a touched change's deployments. */
const LINKS_OF = (deployments: string) => `
  INSERT INTO change_links (change_key, deployment_key)
  SELECT DISTINCT cityHash64(arrayJoin(change_ids)), entity_key
  FROM delivery_events WHERE kind = 'deployment' AND ${deployments}`;

/**
 * One row per change shipped to production (docs/methods.md §3.2, Four Keys): its first successful production
 * deployment, its earliest commit time, and the scope of that deployment. Folded from the live deployment
 * states (all of them on a build; on a catch-up only those carrying a touched change, via `change_links`),
 * so it is refreshed after them.
 */
export const CHANGE: EntityState = {
  name: 'change',
  partition: "toYear(first_deployed_at, 'UTC')",
  table: 'change_state',
  key: 'change_key',
  columns: [['change_id', 'String'], ['first_deployed_at', DT], ['committed_at', NDT], ...SCOPE],
  touches: [
    // The changes of the deployments touched in this catch-up (a deployment's change list only grows).
    `INSERT INTO rollup_touched (fold, key)
     SELECT DISTINCT 'change', cityHash64(arrayJoin(change_ids))
     FROM delivery_events WHERE kind = 'deployment' AND entity_key IN ${TOUCHED('deployment')}`,
  ],
  from: [DEPLOYMENT],
  prepare: (mode) =>
    mode === 'build'
      ? ['TRUNCATE TABLE change_links', LINKS_OF('true')]
      : [LINKS_OF("entity_key IN (SELECT key FROM rollup_touched WHERE fold = 'deployment')")],
  fold: (keys) => {
    const carriers =
      keys === 'true' ? 'true' : `entity_key IN (SELECT deployment_key FROM change_links WHERE ${keys})`;
    return `
  SELECT
    cityHash64(change_id) AS change_key,
    change_id,
    min(deployed_at) AS first_deployed_at,
    min(committed) AS committed_at,
    argMin(team, deployed_at) AS team,
    argMin(project, deployed_at) AS project
  FROM (${live(DEPLOYMENT, carriers)})
  ARRAY JOIN change_ids AS change_id, change_committed_at AS committed
  WHERE environment = 'production' AND status = 'success' AND ${keys}
  GROUP BY change_id`;
  },
};

/** Phase of a detection activity column (docs/methods.md §3.1). */
export const detectionPhase = (activity: string) => `multiIf(
    ${activity} = 'requirements_review', 'requirements',
    ${activity} = 'design_review', 'design',
    ${activity} IN ('code_review', 'unit_test'), 'code',
    ${activity} IN ('integration_test', 'system_test', 'acceptance_test'), 'test',
    'post-release')`;

/**
 * One row per review of a work product (docs/methods.md §3.3 review effectiveness): what it found, and `later`,
 * the valid defects whose originWorkProductId is the reviewed work product, charged to the latest review
 * of that work product before the defect was reported (so re-reviews do not count it twice), reported
 * within W = 90 days after that review. Folded from the review and defect states: a catch-up re-folds
 * every review of a work product that a touched review or defect names (before or after the change).
 */
export const REVIEW_YIELD: EntityState = {
  name: 'review_yield',
  partition: "toYear(reviewed_at, 'UTC')",
  table: 'review_yield_state',
  key: 'entity_key',
  columns: [
    ['review_id', 'String'],
    ['reviewed_at', DT],
    ['defects_found', 'Float64'],
    ['later', 'UInt64'],
    ...SCOPE,
  ],
  touches: [
    `INSERT INTO rollup_touched (fold, key)
     SELECT DISTINCT 'wp', cityHash64(wp) FROM (
       SELECT assumeNotNull(work_product_id) AS wp FROM review_state
       WHERE entity_key IN ${TOUCHED('review')} AND work_product_id IS NOT NULL
       UNION ALL
       SELECT assumeNotNull(work_product_id) FROM quality_events
       WHERE kind = 'review' AND entity_key IN ${TOUCHED('review')} AND work_product_id IS NOT NULL
       UNION ALL
       SELECT assumeNotNull(origin_wp) FROM defect_state
       WHERE entity_key IN ${TOUCHED('defect')} AND origin_wp IS NOT NULL
       UNION ALL
       SELECT assumeNotNull(origin_work_product_id) FROM defect_events
       WHERE defect_key IN ${TOUCHED('defect')} AND origin_work_product_id IS NOT NULL)`,
    `INSERT INTO rollup_touched (fold, key)
     SELECT DISTINCT 'review_yield', k FROM (
       SELECT entity_key AS k FROM quality_events
       WHERE kind = 'review' AND cityHash64(work_product_id) IN ${TOUCHED('wp')}
       UNION ALL
       SELECT key FROM rollup_touched WHERE fold = 'review')`,
  ],
  from: [REVIEW, DEFECT],
  fold: (keys) => `
  WITH rv AS (${live(REVIEW, `work_product_id IS NOT NULL AND ${keys}`)}),
  escaped AS (
    SELECT r.entity_key AS review_key, count() AS later
    FROM (
      SELECT assumeNotNull(origin_wp) AS wp, reported_at
      FROM (${live(DEFECT, 'origin_wp IN (SELECT work_product_id FROM rv)')})
      WHERE is_valid
    ) AS d
    ASOF INNER JOIN (
      SELECT entity_key, assumeNotNull(work_product_id) AS wp, reviewed_at
      FROM (${live(REVIEW, 'work_product_id IN (SELECT work_product_id FROM rv)')})
    ) AS r ON d.wp = r.wp AND d.reported_at > r.reviewed_at
    WHERE d.reported_at <= r.reviewed_at + INTERVAL ${REVIEW_WINDOW_DAYS} DAY
    GROUP BY r.entity_key
  )
  SELECT rv.entity_key, rv.review_id, rv.reviewed_at, rv.defects_found, e.later, rv.team, rv.project
  FROM rv LEFT JOIN escaped AS e ON e.review_key = rv.entity_key`,
};

/** The introduced phases as an SQL array literal (constants of the catalogue, in PHASE order). */
export const PHASES = `[${PHASE.values.map((p) => `'${p}'`).join(', ')}]`;

/**
 * One row per shipped release with the valid defects charged to it (docs/methods.md §3.1), of any team:
 * D_pre = reported no later than the shipping, D_post = escaped and reported within W days after it, and
 * per introduced phase (PHASE order) the defects detected up to W days after the release (`pce_den`) and
 * those among them detected by an activity of that phase (`pce_num`). Folded from the release and defect
 * states: a catch-up re-folds the touched releases and every release a touched defect is or was charged to.
 */
export const RELEASE_QUALITY: EntityState = {
  name: 'release_quality',
  partition: "toYear(shipped_at, 'UTC')",
  table: 'release_quality_state',
  key: 'entity_key',
  columns: [
    ['release_id', 'String'],
    ['shipped_at', DT],
    ['size_delivered', NF],
    ['size_unit', NLC],
    ...SCOPE,
    ['d_pre', 'UInt64'],
    ['d_post', 'UInt64'],
    ['pce_num', 'Array(UInt64)'],
    ['pce_den', 'Array(UInt64)'],
  ],
  touches: [
    `INSERT INTO rollup_touched (fold, key)
     SELECT DISTINCT 'release_quality', k FROM (
       SELECT key AS k FROM rollup_touched WHERE fold = 'release'
       UNION ALL
       SELECT cityHash64(assumeNotNull(release_id)) FROM defect_state
       WHERE entity_key IN ${TOUCHED('defect')} AND release_id IS NOT NULL
       UNION ALL
       SELECT cityHash64(assumeNotNull(r)) FROM defect_events
       ARRAY JOIN [release_found_in, release_introduced] AS r
       WHERE defect_key IN ${TOUCHED('defect')} AND r IS NOT NULL)`,
  ],
  from: [RELEASE, DEFECT],
  fold: (keys) => {
    const window = `d.reported_at <= r.shipped_at + INTERVAL ${ESCAPE_WINDOW_DAYS} DAY`;
    return `
  WITH releases AS (${live(RELEASE, keys)}),
  charged AS (
    SELECT
      d.release_id AS release_id,
      countIf(d.reported_at <= r.shipped_at) AS d_pre,
      countIf(d.escaped AND d.reported_at > r.shipped_at AND ${window}) AS d_post,
      sumForEach(arrayMap(p -> toUInt64(d.phase = p AND ${detectionPhase('d.activity')} = p AND ${window}), ${PHASES})) AS pce_num,
      sumForEach(arrayMap(p -> toUInt64(d.phase = p AND ${window}), ${PHASES})) AS pce_den
    FROM (${live(DEFECT, 'release_id IN (SELECT release_id FROM releases)')}) AS d
    INNER JOIN releases AS r ON d.release_id = r.release_id
    WHERE d.is_valid
    GROUP BY d.release_id
  )
  SELECT r.entity_key, r.release_id, r.shipped_at, r.size_delivered, r.size_unit, r.team, r.project,
    c.d_pre, c.d_post,
    if(empty(c.pce_num), arrayResize([toUInt64(0)], ${PHASE.values.length}), c.pce_num),
    if(empty(c.pce_den), arrayResize([toUInt64(0)], ${PHASE.values.length}), c.pce_den)
  FROM releases AS r LEFT JOIN charged AS c ON c.release_id = r.release_id`;
  },
};

/**
 * The generation of the state definitions, stored with each state table's definition hash. Bump it with
 * every change to a state's columns, partition, fold or aggregates (`generation.test.ts` fails until
 * then): in a rolling upgrade the new release rebuilds the tables, and a process of an older release
 * that meets a newer generation stops writing to them instead of rebuilding them back.
 */
export const STATES_GENERATION = 2;

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
  REVIEW_YIELD,
  RELEASE_QUALITY,
];

/**
 * The current rows of a state table: a row is live when it was written with sign +1 and no cancelling
 * row (sign −1, same entity and version) has been written since. The cancelled set is small (cancelling
 * rows and their originals collapse when parts merge), so this costs a hash lookup per row, not a FINAL.
 * `where` narrows the rows (e.g. the team, which is the table's leading sort key).
 */
export function live(state: EntityState, where = 'true', prewhere?: string): string {
  const t = state.table;
  // A selective condition (a time range) goes first, as PREWHERE: the cancelled-row check then only
  // looks at the rows it keeps.
  return `SELECT * FROM ${t} ${prewhere ? `PREWHERE ${prewhere} ` : ''}WHERE sign = 1 AND ${where}
    AND (entity_key, version) NOT IN (SELECT entity_key, version FROM ${t} WHERE sign = -1)`;
}

/**
 * Every row of a state table with its sign, for sign-weighted sums: a count is `sum(sign)`, a sum
 * `sum(x * sign)`. A cancelled row and its cancelling copy add up to nothing, so these read the live state
 * without the live-row check of `live()` (a third of a large scan). Only for sums and counts, and the
 * query must not list a group whose `sum(sign)` is 0; medians, extremes and joins read `live()`.
 */
export function signed(state: EntityState, where = 'true', prewhere?: string): string {
  return `SELECT * FROM ${state.table} ${prewhere ? `PREWHERE ${prewhere} ` : ''}WHERE ${where}`;
}
