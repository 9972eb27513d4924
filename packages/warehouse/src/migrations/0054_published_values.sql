-- Why: "late data changed a published value" (docs/methods.md §8) needs the value each closed period had
-- when it was last evaluated. One row per series and period, the latest observation wins.
CREATE TABLE IF NOT EXISTS published_values
(
    kpi          LowCardinality(String),
    team         String,
    project      String,
    dim          LowCardinality(String),
    grain        LowCardinality(String),
    period_start Date,
    value        Nullable(Float64),
    observed_at  DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(observed_at)
ORDER BY (kpi, team, project, dim, grain, period_start)
