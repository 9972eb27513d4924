-- Why: the delivery row keeps only its latest state, so a re-send would overwrite the failure it
-- answers. Each re-send is recorded here instead — who asked, when, and the failure as it stood
-- (attempts, last status, last error) — an append-only history beside the row.
CREATE TABLE IF NOT EXISTS alert_delivery_retries
(
    delivery_id    String,
    retried_at     DateTime64(3, 'UTC'),
    retried_by     String,
    attempts       UInt16,
    last_status    UInt16,
    last_error     String
)
ENGINE = MergeTree
ORDER BY (delivery_id, retried_at)
