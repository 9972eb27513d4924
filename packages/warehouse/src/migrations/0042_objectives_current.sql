-- Why: the objectives in force are the set of the latest load (0041); dashboards read this view.
-- `target_value` is the line an objective draws: its target, or the middle of its band.
CREATE VIEW IF NOT EXISTS objectives_current AS
SELECT *, if(direction = 'range', (band_low + band_high) / 2, target) AS target_value
FROM objective_definitions
WHERE loaded_at = (SELECT max(loaded_at) FROM objective_definitions)
