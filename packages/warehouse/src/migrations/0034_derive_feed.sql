-- Why: the derive step (derive.ts) writes all four derived tables with one INSERT into this table, whose
-- views (0035-0038) fan the rows out: one statement per flush instead of four (each chDB statement
-- costs ~20 ms). Null engine: nothing is kept here. `targets` says which derived tables a row is for
-- (bit 0 event_keys, 1 defect_events, 2 delivery_events, 3 quality_events): a flush sends its fresh
-- events to all, a repair only to the tables found missing them, so a repair never writes a row twice.
-- The views are not the commit point (the INSERT into events_raw is, before this one): a crash between
-- their parts leaves a difference that the next repair finds and fills.
CREATE TABLE IF NOT EXISTS derive_feed
(
    source  String,
    id      String,
    type    LowCardinality(String),
    time    DateTime64(3, 'UTC'),
    team    LowCardinality(String),
    project LowCardinality(String),
    data    String,
    targets UInt8
)
ENGINE = Null
