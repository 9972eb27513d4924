-- Why: a re-sent delivery whose BullMQ job Redis no longer holds is added anew by whichever process
-- takes the re-send — a collector or a command that has not loaded the routes. The row carries its
-- route's retry policy (the backoff, ms; 0 on rows from before this column: the catalogue default), so
-- the job it gets backs off as the route says, whoever adds it.
ALTER TABLE alert_deliveries
    ADD COLUMN IF NOT EXISTS retry_attempts UInt16 DEFAULT 0 AFTER retries,
    ADD COLUMN IF NOT EXISTS backoff_ms UInt32 DEFAULT 0 AFTER retry_attempts
