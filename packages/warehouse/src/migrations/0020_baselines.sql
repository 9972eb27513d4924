-- Why: process performance baselines (CMMI OPP SP1.4, docs/methods.md §5.9) must be kept as immutable
-- versions with their provenance (window, points used and excluded, constants, rule set), so that an
-- appraiser can see which limits were in force when a signal was raised. Rows are only ever inserted.
CREATE TABLE IF NOT EXISTS baselines
(
    baseline_id       String,
    kpi               LowCardinality(String),
    team              String,
    project           String,
    dim               LowCardinality(String),
    grain             LowCardinality(String),
    stage             UInt16,
    stage_from        Date,
    version           UInt32,
    chart             LowCardinality(String),
    transform         LowCardinality(String),
    center            Float64,
    sigma             Float64,
    center_display    Nullable(Float64),
    ucl_display       Nullable(Float64),
    lcl_display       Nullable(Float64),
    status            LowCardinality(String),
    n_points          UInt32,
    window_from       Date,
    window_to         Date,
    excluded          Array(Date),
    rule_set          Array(String),
    constants_version LowCardinality(String),
    formula_ref       String,
    formula_version   UInt16,
    reason            String,
    created_at        DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY (kpi, team, project, dim, grain, stage_from, version)
