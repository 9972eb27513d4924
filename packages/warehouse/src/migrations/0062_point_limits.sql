-- Why: a dashboard's control chart must draw the very centre line and limits the chart document serves
-- (GET /v1/kpis/:id/chart). Recomputing them in SQL from the stored baselines was a second definition that
-- drifted (p limits above 100 %, a new stage without limits drawn with the old stage's, limits on periods
-- the chart cannot plot). Each baseline refresh stores here, per series and period, the centre and limits
-- (display units) it evaluated the point against; `charted` = 0 marks a period no longer on the chart.
-- One row per series and period, the latest refresh wins.
CREATE TABLE IF NOT EXISTS point_limits
(
    kpi          LowCardinality(String),
    team         String,
    project      String,
    dim          LowCardinality(String),
    grain        LowCardinality(String),
    period_start Date,
    charted      UInt8,
    stage        UInt16,
    stage_from   Date,
    center       Nullable(Float64),
    ucl          Nullable(Float64),
    lcl          Nullable(Float64),
    refreshed_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(refreshed_at)
ORDER BY (kpi, team, project, dim, grain, period_start)
