-- Why: which deployments carry each change (keys: cityHash64 of the changeId and of the deploymentId).
-- A catch-up of the change states (packages/kpi/src/rollups) re-folds a touched change from exactly
-- those deployments instead of unnesting every deployment's change list. A link never goes away (a
-- deployment's change list only grows); ReplacingMergeTree drops the repeats a re-fold writes.
CREATE TABLE IF NOT EXISTS change_links
(
    change_key     UInt64,
    deployment_key UInt64
)
ENGINE = ReplacingMergeTree
ORDER BY (change_key, deployment_key)
