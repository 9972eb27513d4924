-- Why: the delivery KPIs (on-time delivery, slippage, variances, productivity, the DORA keys) fold
-- releases, their planning events, deployments and incidents at read time; parsing JSON out of events_raw
-- for millions of deployments is far too slow for dashboard queries. One typed row per delivery.* event,
-- sorted by (kind, entity) so a fold reads one entity's events together.
-- entity_id is the releaseId, deploymentId or incidentId. A duplicate raw row yields a row with the same
-- sort key: ReplacingMergeTree removes it at merge time and every query folds by entity anyway.
CREATE TABLE IF NOT EXISTS delivery_events
(
    kind                    LowCardinality(String),
    entity_key              UInt64,
    entity_id               String,
    type                    LowCardinality(String),
    time                    DateTime64(3, 'UTC'),
    source                  String,
    id                      String,
    team                    LowCardinality(String),
    project                 LowCardinality(String),
    planned_start           Nullable(DateTime64(3, 'UTC')),
    planned_end             Nullable(DateTime64(3, 'UTC')),
    actual_start            Nullable(DateTime64(3, 'UTC')),
    planned_effort_h        Nullable(Float64),
    actual_effort_h         Nullable(Float64),
    size_delivered          Nullable(Float64),
    size_unit               LowCardinality(Nullable(String)),
    environment             LowCardinality(Nullable(String)),
    status                  LowCardinality(Nullable(String)),
    change_failure          Nullable(Bool),
    change_ids              Array(String),
    change_committed_at     Array(Nullable(DateTime64(3, 'UTC'))),
    caused_by_deployment_id Nullable(String)
)
ENGINE = ReplacingMergeTree
ORDER BY (kind, entity_key, entity_id, time, source, id)
