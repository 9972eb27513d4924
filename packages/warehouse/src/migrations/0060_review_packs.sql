-- Why: the quarterly management-review pack (ISO 9001 9.3) is retained evidence: each generation of a
-- pack is kept as it was generated (its JSON, which every other format is rendered from), with when, how
-- (schedule, API, CLI) and the exact command, so an auditor sees what the review saw. Rows are only inserted.
CREATE TABLE IF NOT EXISTS review_packs
(
    pack_id      String,
    quarter      LowCardinality(String),
    team         String,
    generated_at DateTime64(3, 'UTC'),
    trigger      LowCardinality(String),
    command      String,
    body         String CODEC(ZSTD(3))
)
ENGINE = MergeTree
ORDER BY (pack_id, generated_at)
