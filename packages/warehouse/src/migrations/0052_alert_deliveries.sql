-- Why: delivery is at-least-once and never silently dropped. Each (alert transition, route) is a row
-- written before any attempt, keyed by its derived delivery id (the receiver's idempotency key), so a
-- restart resumes what was pending and an exhausted delivery stays visible as failed. The exact body is
-- kept, so every attempt sends the same bytes and the same signature.
CREATE TABLE IF NOT EXISTS alert_deliveries
(
    delivery_id String,
    alert_id    String,
    transition  LowCardinality(String),
    route_id    LowCardinality(String),
    state       LowCardinality(String),
    attempts    UInt16,
    last_error  String,
    last_status UInt16,
    body        String CODEC(ZSTD(3)),
    created_at  DateTime64(3, 'UTC'),
    not_before  DateTime64(3, 'UTC'),
    updated_at  DateTime64(3, 'UTC'),
    version     UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY delivery_id
