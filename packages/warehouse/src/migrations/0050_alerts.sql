-- Why: automated alerts (docs/methods.md §8) are records, not log lines: one row per episode of a
-- configured rule, with its lifecycle (firing → resolved), its evidence (points, limits, rule, objective)
-- and a link to the chart. `alert_id` is derived from what is watched and where the episode started, so
-- evaluating the same data again rewrites the same row; the latest version wins.
CREATE TABLE IF NOT EXISTS alerts
(
    alert_id     String,
    fingerprint  String,
    class        LowCardinality(String),
    kind         LowCardinality(String),
    rule_id      LowCardinality(String),
    severity     LowCardinality(String),
    kpi          LowCardinality(String),
    team         String,
    project      String,
    dim          LowCardinality(String),
    grain        LowCardinality(String),
    objective_id String,
    source       String,
    period_start Nullable(Date),
    state        LowCardinality(String),
    title        String,
    value        Nullable(Float64),
    limits       String,
    spc_rule     LowCardinality(String),
    evidence     String CODEC(ZSTD(3)),
    chart_path   String,
    routes       Array(String),
    started_at   DateTime64(3, 'UTC'),
    resolved_at  Nullable(DateTime64(3, 'UTC')),
    resolution   String,
    version      UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY alert_id
