-- Why: the entities one catch-up of the KPI entity states re-folds (fold = the state's name, key = the
-- entity key of its typed table). Scratch space of a single catch-up: truncated at the start of each.
CREATE TABLE IF NOT EXISTS rollup_touched
(
    fold LowCardinality(String),
    key  UInt64
)
ENGINE = MergeTree
ORDER BY (fold, key)
