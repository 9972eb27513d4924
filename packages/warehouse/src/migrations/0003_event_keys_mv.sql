-- Why: keeps event_keys in step with events_raw inside the same INSERT, so a key is visible to the
-- duplicate check exactly when its event is stored.
CREATE MATERIALIZED VIEW IF NOT EXISTS event_keys_mv TO event_keys AS
SELECT source, id, type FROM events_raw
