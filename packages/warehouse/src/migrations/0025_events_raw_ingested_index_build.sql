-- Why: builds the index of 0024 for the parts written before it existed (new parts get it on insert).
ALTER TABLE events_raw MATERIALIZE INDEX events_raw_ingested_at
