-- Why: acknowledging an alert (who, when, with what note) is a decision kept beside the alert, never
-- written into its row: an evaluation that rewrites the alert at the same moment cannot lose it.
CREATE TABLE IF NOT EXISTS alert_acks
(
    alert_id String,
    acked_by String,
    note     String,
    acked_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY (alert_id, acked_at)
