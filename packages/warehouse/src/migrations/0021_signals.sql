-- Why: every special-cause signal (a rule firing on a point against the limits of its stage) is kept
-- with the KPI, scope, stage, rule and point, as evidence for CMMI QPM SP2.1 and input to alerts.
-- Re-evaluating the same point with the same baseline yields the same key, so refreshes never double it.
CREATE TABLE IF NOT EXISTS signals
(
    kpi          LowCardinality(String),
    team         String,
    project      String,
    dim          LowCardinality(String),
    grain        LowCardinality(String),
    stage_from   Date,
    rule         LowCardinality(String),
    period_start Date,
    baseline_id  String,
    value        Float64,
    z            Float64,
    detected_at  DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY (kpi, team, project, dim, grain, stage_from, rule, period_start, baseline_id)
