-- Why: the review, corrective-action (CAPA) and customer-feedback KPIs fold their entities at read time;
-- parsing JSON out of events_raw for millions of survey responses is far too slow for dashboard queries.
-- One typed row per review.completed, capa.* and feedback.* event, sorted by (kind, entity).
-- entity_id is the reviewId, capaId or complaintId; a survey response has no id of its own in the
-- contract, so its entity is the event's idempotency key (source, id). A duplicate raw row yields a row
-- with the same sort key: ReplacingMergeTree removes it at merge time and every query folds by entity.
CREATE TABLE IF NOT EXISTS quality_events
(
    kind               LowCardinality(String),
    entity_key         UInt64,
    entity_id          String,
    type               LowCardinality(String),
    time               DateTime64(3, 'UTC'),
    source             String,
    id                 String,
    team               LowCardinality(String),
    project            LowCardinality(String),
    work_product_type  LowCardinality(Nullable(String)),
    work_product_id    Nullable(String),
    size_reviewed      Nullable(Float64),
    size_unit          LowCardinality(Nullable(String)),
    defects_found      Nullable(Float64),
    preparation_h      Nullable(Float64),
    meeting_h          Nullable(Float64),
    rework_h           Nullable(Float64),
    duration_h         Nullable(Float64),
    origin             LowCardinality(Nullable(String)),
    recurrence_key     Nullable(String),
    due_at             Nullable(DateTime64(3, 'UTC')),
    effectiveness      LowCardinality(Nullable(String)),
    scale              LowCardinality(Nullable(String)),
    score              Nullable(Int32)
)
ENGINE = ReplacingMergeTree
ORDER BY (kind, entity_key, entity_id, time, source, id)
