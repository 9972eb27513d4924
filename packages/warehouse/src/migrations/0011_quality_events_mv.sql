-- Why: keeps quality_events in step with events_raw inside the same INSERT, so a review, CAPA or
-- feedback event is visible to the KPI queries exactly when it is stored.
CREATE MATERIALIZED VIEW IF NOT EXISTS quality_events_mv TO quality_events AS
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
FROM events_raw
WHERE type IN ('review.completed', 'capa.opened', 'capa.updated', 'capa.closed',
               'feedback.survey', 'feedback.complaint')
