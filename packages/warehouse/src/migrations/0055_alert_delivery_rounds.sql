-- Why: a delivery that exhausted its attempts can be re-sent once its receiver is fixed (`shewhart alerts
-- deliveries retry`, POST /v1/alerts/deliveries/:id/retry). `attempts` stays the count of every attempt
-- ever made; `round_start` is that count when the latest re-send began, so the route's retry budget
-- applies to each round afresh, and `retries` counts the re-sends.
ALTER TABLE alert_deliveries
    ADD COLUMN IF NOT EXISTS round_start UInt16 DEFAULT 0 AFTER attempts,
    ADD COLUMN IF NOT EXISTS retries UInt16 DEFAULT 0 AFTER round_start
