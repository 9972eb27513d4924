import { str } from './common.js';

/**
 * Entity folds: the state of a deployment, incident or defect is the fold of its events in event-time
 * order (events.md). Folding by entity id also makes every KPI immune to a duplicated raw event.
 * Ties in event time are broken by the event id so results are deterministic.
 */

/** One row per deployment: first event time is the deployment time; the latest event sets the status. */
export const DEPLOYMENTS = `
  SELECT
    ${str('deploymentId')} AS deployment_id,
    min(time) AS deployed_at,
    argMax(${str('status')}, (time, id)) AS status,
    argMax(${str('environment')}, (time, id)) AS environment,
    max(JSONExtractBool(data, 'changeFailure')) AS change_failure,
    groupArrayArray(JSONExtractArrayRaw(data, 'changes')) AS changes,
    argMax(team, (time, id)) AS team,
    argMax(project, (time, id)) AS project
  FROM events_raw
  WHERE type = 'delivery.deployment'
  GROUP BY deployment_id`;

/** Deployments named by an incident's causedByDeploymentId: change failures whatever their own status. */
export const INCIDENT_CAUSED = `
  SELECT DISTINCT ${str('causedByDeploymentId')} AS deployment_id
  FROM events_raw
  WHERE type = 'delivery.incident.opened' AND ${str('causedByDeploymentId')} != ''`;

/** One row per incident: opened at its first opening, restored at its last resolution. */
export const INCIDENTS = `
  SELECT
    ${str('incidentId')} AS incident_id,
    minIf(time, type = 'delivery.incident.opened') AS opened_at,
    maxIf(time, type = 'delivery.incident.resolved') AS resolved_at,
    countIf(type = 'delivery.incident.opened') > 0 AS has_opened,
    countIf(type = 'delivery.incident.resolved') > 0 AS has_resolved,
    if(has_opened, argMaxIf(team, (time, id), type = 'delivery.incident.opened'), argMax(team, (time, id))) AS team,
    if(has_opened, argMaxIf(project, (time, id), type = 'delivery.incident.opened'), argMax(project, (time, id))) AS project
  FROM events_raw
  WHERE type IN ('delivery.incident.opened', 'delivery.incident.resolved')
  GROUP BY incident_id`;

/**
 * One row per defect. A defect is invalid when its latest resolution is duplicate/not_a_defect and it was
 * not reopened after it; the latest defect.reported (re-triage) sets its fields and scope.
 */
export const DEFECTS = `
  SELECT
    ${str('defectId')} AS defect_id,
    minIf(time, type = 'defect.reported') AS reported_at,
    countIf(type = 'defect.reported') > 0 AS has_report,
    argMaxIf(${str('resolution')}, (time, id), type = 'defect.resolved') AS last_resolution,
    maxIf(time, type = 'defect.resolved') AS last_resolved_at,
    maxIf(time, type = 'defect.reopened') AS last_reopened_at,
    NOT (last_resolution IN ('duplicate', 'not_a_defect') AND last_resolved_at > last_reopened_at) AS is_valid,
    argMaxIf(team, (time, id), type = 'defect.reported') AS team,
    argMaxIf(project, (time, id), type = 'defect.reported') AS project
  FROM events_raw
  WHERE type IN ('defect.reported', 'defect.resolved', 'defect.reopened')
  GROUP BY defect_id`;
