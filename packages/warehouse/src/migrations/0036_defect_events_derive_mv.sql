-- Why: derives defect_events from the derive feed (0034), bit 1 of `targets`, with the same expressions
-- as 0005_defect_events_mv (which it replaces).
CREATE MATERIALIZED VIEW IF NOT EXISTS defect_events_derive_mv TO defect_events AS
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
FROM derive_feed
WHERE bitTest(targets, 1) AND type IN ('defect.reported', 'defect.resolved', 'defect.reopened')
