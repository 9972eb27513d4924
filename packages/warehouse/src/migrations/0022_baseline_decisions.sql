-- Why: a baseline is re-established only by a recorded decision (docs/methods.md §5.9 rule 5), never
-- silently. Each decision names the series, the period from which the new baseline starts, who decided
-- and why; the decision log itself is management-review evidence (ISO 9001 9.3.3).
CREATE TABLE IF NOT EXISTS baseline_decisions
(
    decision_id    String,
    kpi            LowCardinality(String),
    team           String,
    project        String,
    dim            LowCardinality(String),
    grain          LowCardinality(String),
    effective_from Date,
    reason         String,
    decided_by     String,
    decided_at     DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY (kpi, team, project, dim, grain, decided_at)
