-- Why: defect events stored before 0005 existed never passed through the view. Copies them once.
-- Rows the view already wrote since 0005 are copied again; that is harmless (ReplacingMergeTree on the
-- same key, and every query folds by defect), whereas copying first and creating the view second
-- could miss events stored in between.
INSERT INTO defect_events
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
