-- Why: docs/methods.md §5.9 rule 2 — a Phase-I point may leave a baseline only when an assignable cause is
-- recorded against it (cause code plus the NC/CAR that investigated it). The record is evidence in
-- itself (CMMI CAR SP2.3), so rows are only ever inserted.
CREATE TABLE IF NOT EXISTS assignable_causes
(
    cause_id     String,
    kpi          LowCardinality(String),
    team         String,
    project      String,
    dim          LowCardinality(String),
    grain        LowCardinality(String),
    period_start Date,
    cause_code   String,
    reference    String,
    note         String,
    recorded_by  String,
    recorded_at  DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY (kpi, team, project, dim, grain, period_start, recorded_at)
