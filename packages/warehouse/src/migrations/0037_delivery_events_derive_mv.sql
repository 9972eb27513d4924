-- Why: derives delivery_events from the derive feed (0034), bit 2 of `targets`, with the same expressions
-- as 0008_delivery_events_mv (which it replaces).
CREATE MATERIALIZED VIEW IF NOT EXISTS delivery_events_derive_mv TO delivery_events AS
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
FROM derive_feed
WHERE bitTest(targets, 2) AND type IN ('delivery.release.planned', 'delivery.release', 'delivery.deployment',
               'delivery.incident.opened', 'delivery.incident.resolved')
