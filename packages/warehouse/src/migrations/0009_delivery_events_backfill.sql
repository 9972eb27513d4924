-- Why: delivery events stored before 0008 existed never passed through the view. Copies them once;
-- rows the view already wrote are copied again, which is harmless (same sort key in a
-- ReplacingMergeTree, and every query folds by entity), whereas copying before creating the view
-- could miss events stored in between.
INSERT INTO delivery_events
SELECT
    multiIf(type IN ('delivery.release', 'delivery.release.planned'), 'release',
            type = 'delivery.deployment', 'deployment', 'incident') AS kind,
    cityHash64(entity_id) AS entity_key,
    multiIf(kind = 'release', JSONExtractString(data, 'releaseId'),
            kind = 'deployment', JSONExtractString(data, 'deploymentId'),
            JSONExtractString(data, 'incidentId')) AS entity_id,
    type,
    time,
    source,
    id,
    team,
    project,
    parseDateTime64BestEffortOrNull(JSONExtract(data, 'plannedStart', 'Nullable(String)'), 3, 'UTC') AS planned_start,
    parseDateTime64BestEffortOrNull(JSONExtract(data, 'plannedEnd', 'Nullable(String)'), 3, 'UTC') AS planned_end,
    parseDateTime64BestEffortOrNull(JSONExtract(data, 'actualStart', 'Nullable(String)'), 3, 'UTC') AS actual_start,
    JSONExtract(data, 'plannedEffortHours', 'Nullable(Float64)') AS planned_effort_h,
    JSONExtract(data, 'actualEffortHours', 'Nullable(Float64)') AS actual_effort_h,
    JSONExtract(data, 'sizeDelivered', 'Nullable(Float64)') AS size_delivered,
    JSONExtract(data, 'sizeUnit', 'Nullable(String)') AS size_unit,
    JSONExtract(data, 'environment', 'Nullable(String)') AS environment,
    JSONExtract(data, 'status', 'Nullable(String)') AS status,
    JSONExtract(data, 'changeFailure', 'Nullable(Bool)') AS change_failure,
    arrayMap(c -> JSONExtractString(c, 'changeId'), JSONExtractArrayRaw(data, 'changes')) AS change_ids,
    arrayMap(c -> parseDateTime64BestEffortOrNull(JSONExtractString(c, 'committedAt'), 3, 'UTC'),
             JSONExtractArrayRaw(data, 'changes')) AS change_committed_at,
    JSONExtract(data, 'causedByDeploymentId', 'Nullable(String)') AS caused_by_deployment_id
FROM events_raw
WHERE type IN ('delivery.release.planned', 'delivery.release', 'delivery.deployment',
               'delivery.incident.opened', 'delivery.incident.resolved')
