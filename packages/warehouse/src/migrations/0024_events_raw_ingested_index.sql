-- Why: the KPI entity states are kept current by re-folding only the entities with events stored since
-- the last catch-up (packages/kpi/src/rollups). A minmax index on the insert time lets that look-up skip
-- every granule written before the watermark instead of scanning the whole table.
ALTER TABLE events_raw ADD INDEX IF NOT EXISTS events_raw_ingested_at ingested_at TYPE minmax GRANULARITY 1
