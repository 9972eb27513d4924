-- Why: keeps defect_events in step with events_raw inside the same INSERT, so a defect event is
-- visible to the KPI queries exactly when it is stored (late events included: they simply join the fold).
CREATE MATERIALIZED VIEW IF NOT EXISTS defect_events_mv TO defect_events AS
SELECT
    cityHash64(JSONExtractString(data, 'defectId')) AS defect_key,
    JSONExtractString(data, 'defectId') AS defect_id,
    type,
    time,
    source,
    id,
    team,
    project,
    JSONExtract(data, 'severity', 'Nullable(String)') AS severity,
    JSONExtract(data, 'detectionActivity', 'Nullable(String)') AS detection_activity,
    JSONExtract(data, 'introducedPhase', 'Nullable(String)') AS introduced_phase,
    JSONExtract(data, 'reportedBy', 'Nullable(String)') AS reported_by,
    JSONExtract(data, 'releaseFoundIn', 'Nullable(String)') AS release_found_in,
    JSONExtract(data, 'releaseIntroduced', 'Nullable(String)') AS release_introduced,
    JSONExtract(data, 'originWorkProductId', 'Nullable(String)') AS origin_work_product_id,
    JSONExtract(data, 'resolution', 'Nullable(String)') AS resolution
FROM events_raw
WHERE type IN ('defect.reported', 'defect.resolved', 'defect.reopened')
