-- Why: quality objectives (ISO 9001 6.2) are configuration, read from the configuration file at start.
-- Dashboards read ClickHouse only, so the process that loads the file records the objectives it runs with
-- here, one set per load (`loaded_at`); `objectives_current` (0042) is the latest set. Earlier sets stay
-- as the history of what the organisation aimed at, and when.
CREATE TABLE IF NOT EXISTS objective_definitions
(
    loaded_at   DateTime64(3, 'UTC'),
    id          String,
    title       String,
    kpi         LowCardinality(String),
    team        String,
    project     String,
    dim         LowCardinality(String),
    period      LowCardinality(String),
    direction   LowCardinality(String),
    target      Nullable(Float64),
    band_low    Nullable(Float64),
    band_high   Nullable(Float64),
    lsl         Nullable(Float64),
    usl         Nullable(Float64),
    owner       String,
    due         Nullable(Date),
    baseline    Nullable(Float64)
)
ENGINE = MergeTree
ORDER BY (loaded_at, id)
