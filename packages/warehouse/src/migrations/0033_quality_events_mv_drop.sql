-- Why: quality_events_mv wrote quality_events inside every INSERT into events_raw, as a separate part
-- committed after the event's own: a SIGKILL between the two left acknowledged events out of
-- quality_events for good, or let a retry store an event twice (issue 11). The derive step (derive.ts)
-- writes quality_events from now on, after the insert into events_raw, repairably; events stored
-- before are checked by the first repair.
DROP VIEW IF EXISTS quality_events_mv
