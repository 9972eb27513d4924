-- Why: the derived tables (event_keys, defect_events, delivery_events, quality_events) are no longer
-- written inside the INSERT into events_raw (a crash between the parts of that one statement lost or
-- doubled events, issue 11) but by a separate, idempotent derive step (packages/warehouse/src/derive.ts).
-- This watermark records how far a repair has verified them: every event of events_raw ingested at or
-- before `watermark` has its derived rows, so a repair after a crash re-checks only what came later.
CREATE TABLE IF NOT EXISTS derive_watermark
(
    id         UInt8,
    watermark  DateTime64(3, 'UTC'),
    updated_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY id
