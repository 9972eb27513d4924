-- Why: the defect KPIs fold every defect's events at read time (validity, re-triage, reopen), and
-- parsing JSON out of events_raw for millions of defects is far too slow for dashboard queries. This
-- narrow table holds one typed row per defect.* event, sorted by defect so a fold reads it in key order.
-- A duplicate raw row yields a row with the same sort key: ReplacingMergeTree removes it
-- at merge time and every query folds by defect anyway, so a slipped-in duplicate never counts twice.
-- Optional fields are Nullable: a later defect.reported updates only the fields it carries.
CREATE TABLE IF NOT EXISTS defect_events
(
    defect_key             UInt64,
    defect_id              String,
    type                   LowCardinality(String),
    time                   DateTime64(3, 'UTC'),
    source                 String,
    id                     String,
    team                   LowCardinality(String),
    project                LowCardinality(String),
    severity               LowCardinality(Nullable(String)),
    detection_activity     LowCardinality(Nullable(String)),
    introduced_phase       LowCardinality(Nullable(String)),
    reported_by            LowCardinality(Nullable(String)),
    release_found_in       Nullable(String),
    release_introduced     Nullable(String),
    origin_work_product_id Nullable(String),
    resolution             LowCardinality(Nullable(String))
)
ENGINE = ReplacingMergeTree
ORDER BY (defect_key, defect_id, time, source, id)
