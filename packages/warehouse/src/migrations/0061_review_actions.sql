-- Why: the outputs of a management review (ISO 9001 9.3.3: improvement opportunities, changes to the QMS,
-- resource needs) are decisions and actions with an owner, a due date and a status, recorded against the
-- review's pack; their status is input (a) of the next review. Every change is a new revision row, so the
-- history of an action is kept; the latest revision is its state.
CREATE TABLE IF NOT EXISTS review_actions
(
    action_id   String,
    revision    UInt32,
    pack_id     String,
    quarter     LowCardinality(String),
    team        String,
    kind        LowCardinality(String),
    title       String,
    owner       String,
    due         Nullable(Date),
    status      LowCardinality(String),
    note        String,
    recorded_by String,
    recorded_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY (action_id, revision)
