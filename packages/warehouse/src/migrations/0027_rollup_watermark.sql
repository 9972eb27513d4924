-- Why: how far the KPI entity states have been caught up: every event ingested after `watermark` is
-- re-folded by the next catch-up. Kept across restarts, so a restart does not rebuild the states.
CREATE TABLE IF NOT EXISTS rollup_watermark
(
    id         UInt8,
    watermark  DateTime64(3, 'UTC'),
    updated_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY id
