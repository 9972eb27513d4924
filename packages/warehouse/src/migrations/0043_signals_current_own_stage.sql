-- Why: 0040 kept every signal whose baseline is in force, but a stage's points are also judged against the
-- previous stage's limits (shift evidence, docs/methods.md §5.9), and those signals name the previous
-- stage's baseline: a point then showed the same rule twice, once against limits it is not charted with.
-- A dashboard marks the signals of the point's own stage: the baseline in force for the signal's stage.
CREATE OR REPLACE VIEW signals_current AS
SELECT
    s.kpi AS kpi, s.team AS team, s.project AS project, s.dim AS dim, s.grain AS grain,
    s.stage_from AS stage_from, s.period_start AS period_start,
    arraySort(groupUniqArray(s.rule)) AS rules, any(s.value) AS value, any(s.z) AS z, min(s.detected_at) AS detected_at
FROM signals AS s FINAL
INNER JOIN baseline_limits AS b
    ON s.baseline_id = b.baseline_id AND s.stage_from = b.stage_from
GROUP BY kpi, team, project, dim, grain, stage_from, period_start
