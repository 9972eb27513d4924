-- Why: event_keys_mv wrote event_keys inside every INSERT into events_raw, as a separate part
-- committed after the event's own: a SIGKILL between the two left acknowledged events out of
-- event_keys for good, or let a retry store an event twice (issue 11). The derive step (derive.ts)
-- writes event_keys from now on, after the insert into events_raw, repairably; events stored before
-- are checked by the first repair.
DROP VIEW IF EXISTS event_keys_mv
