-- Why: alert_delivery_retries (0056) is a plain MergeTree keyed by time, so two re-sends racing, or a
-- re-send repeated after its history row was written, recorded the same re-send twice. The history now
-- lives here, one row per (delivery, re-send number): writing the same re-send again replaces it.
CREATE TABLE IF NOT EXISTS alert_delivery_resends
(
    delivery_id    String,
    retry          UInt16,
    retried_at     DateTime64(3, 'UTC'),
    retried_by     String,
    attempts       UInt16,
    last_status    UInt16,
    last_error     String
)
ENGINE = ReplacingMergeTree
ORDER BY (delivery_id, retry)
