-- Why: the idempotency key (source, id) must be checked before every insert, and events_raw is sorted
-- for KPI scans, not for key look-ups. This narrow table, fed by a materialized view in the same insert,
-- is sorted by the key so the check is a primary-key look-up whatever the size of the history.
CREATE TABLE IF NOT EXISTS event_keys
(
    source String,
    id     String,
    type   LowCardinality(String)
)
ENGINE = ReplacingMergeTree
ORDER BY (source, id)
