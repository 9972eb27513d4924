-- Why: dashboards mark special-cause signals on control charts and list the open ones. `signals` keeps
-- every signal raised against every baseline version (evidence); this view keeps those raised against the
-- version in force for their stage (baseline_limits), one row per point with all the rules that fired.
CREATE VIEW IF NOT EXISTS signals_current AS
SELECT
    s.kpi AS kpi, s.team AS team, s.project AS project, s.dim AS dim, s.grain AS grain,
    s.stage_from AS stage_from, s.period_start AS period_start,
    groupArray(s.rule) AS rules, any(s.value) AS value, any(s.z) AS z, min(s.detected_at) AS detected_at
FROM (SELECT DISTINCT kpi, team, project, dim, grain, stage_from, rule, period_start, baseline_id, value, z,
             detected_at FROM signals FINAL) AS s
INNER JOIN baseline_limits AS b
    ON s.baseline_id = b.baseline_id
GROUP BY kpi, team, project, dim, grain, stage_from, period_start
