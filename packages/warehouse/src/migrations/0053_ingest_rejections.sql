-- Why: a data-quality alert needs the share of a source's events that were refused (docs/methods.md §8).
-- Refused events are never stored, so the ingest path records one row per refused batch and source.
CREATE TABLE IF NOT EXISTS ingest_rejections
(
    source   String,
    team     String,
    rejected UInt32,
    reason   String,
    at       DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY (source, at)
TTL toDateTime(at) + INTERVAL 90 DAY
