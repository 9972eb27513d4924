-- Why: every valid event of contract v1 is kept as received, so any KPI can be recomputed from the
-- source of truth (ISO 9001 9.1.1 "valid results", late events recompute their periods).
-- Sorted by type first: every KPI query reads one or a few event types. ReplacingMergeTree on
-- (type, source, id) is the storage-level safety net for the idempotency key; the writer checks
-- event_keys before inserting so duplicates are normally never written at all.
CREATE TABLE IF NOT EXISTS events_raw
(
    source      String,
    id          String,
    type        LowCardinality(String),
    time        DateTime64(3, 'UTC'),
    team        LowCardinality(String),
    project     LowCardinality(String) DEFAULT '',
    specversion LowCardinality(String) DEFAULT '1.0',
    data        String CODEC(ZSTD(3)),
    extra       String DEFAULT '{}' CODEC(ZSTD(3)),
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY (type, source, id)
