-- Why: derives event_keys from the derive feed (0034), bit 0 of `targets`.
CREATE MATERIALIZED VIEW IF NOT EXISTS event_keys_derive_mv TO event_keys AS
SELECT source, id, type FROM derive_feed
WHERE bitTest(targets, 0)
