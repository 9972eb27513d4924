-- Why: derives quality_events from the derive feed (0034), bit 3 of `targets`, with the same expressions
-- as 0011_quality_events_mv (which it replaces).
-- A survey response's entity is concat(source, '\0', id), unchanged so that stored entities keep their
-- key (the catch-up's TOUCHED_KEYS in packages/kpi computes the same expression). It is unambiguous:
-- the contract refuses control characters in source, so the first NUL ends it; and of two events stored
-- before that rule whose keys would collide, only one was ever stored (the writer's key joined the
-- pair the same way).
CREATE MATERIALIZED VIEW IF NOT EXISTS quality_events_derive_mv TO quality_events AS
SELECT
    multiIf(type = 'review.completed', 'review', type LIKE 'capa.%', 'capa',
            type = 'feedback.survey', 'survey', 'complaint') AS kind,
    cityHash64(entity_id) AS entity_key,
    multiIf(kind = 'review', JSONExtractString(data, 'reviewId'),
            kind = 'capa', JSONExtractString(data, 'capaId'),
            kind = 'survey', concat(source, '\0', id),
            JSONExtractString(data, 'complaintId')) AS entity_id,
    type,
    time,
    source,
    id,
    team,
    project,
    JSONExtract(data, 'workProductType', 'Nullable(String)') AS work_product_type,
    JSONExtract(data, 'workProductId', 'Nullable(String)') AS work_product_id,
    JSONExtract(data, 'sizeReviewed', 'Nullable(Float64)') AS size_reviewed,
    JSONExtract(data, 'sizeUnit', 'Nullable(String)') AS size_unit,
    JSONExtract(data, 'defectsFound', 'Nullable(Float64)') AS defects_found,
    JSONExtract(data, 'preparationHours', 'Nullable(Float64)') AS preparation_h,
    JSONExtract(data, 'meetingHours', 'Nullable(Float64)') AS meeting_h,
    JSONExtract(data, 'reworkHours', 'Nullable(Float64)') AS rework_h,
    JSONExtract(data, 'durationHours', 'Nullable(Float64)') AS duration_h,
    JSONExtract(data, 'origin', 'Nullable(String)') AS origin,
    JSONExtract(data, 'recurrenceKey', 'Nullable(String)') AS recurrence_key,
    parseDateTime64BestEffortOrNull(JSONExtract(data, 'dueAt', 'Nullable(String)'), 3, 'UTC') AS due_at,
    JSONExtract(data, 'effectiveness', 'Nullable(String)') AS effectiveness,
    JSONExtract(data, 'scale', 'Nullable(String)') AS scale,
    JSONExtract(data, 'score', 'Nullable(Int32)') AS score
FROM derive_feed
WHERE bitTest(targets, 3) AND type IN ('review.completed', 'capa.opened', 'capa.updated', 'capa.closed',
               'feedback.survey', 'feedback.complaint')
