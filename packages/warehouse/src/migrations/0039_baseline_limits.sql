-- Why: dashboards (Grafana over ClickHouse) draw the centre line and control limits of every stage. A
-- baseline is stored as immutable versions (0020); this view is the version in force per stage: the
-- highest version of each (series, stage_from). Centre and limits are in display units (the KPI's unit);
-- ucl/lcl are NULL where they vary per point (p and u charts: computed per point from `center`, the
-- chart statistic, and the point's denominator). `stage_to` is the next stage's start (exclusive), NULL
-- for the latest stage.
CREATE VIEW IF NOT EXISTS baseline_limits AS
SELECT
    kpi, team, project, dim, grain, stage, stage_from,
    leadInFrame(toNullable(stage_from)) OVER (PARTITION BY kpi, team, project, dim, grain ORDER BY stage_from
        ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING) AS stage_to,
    last_version AS version, baseline_id, chart, transform, center, sigma,
    center_display, ucl_display, lcl_display, status, n_points, window_from, window_to, rule_set, created_at
FROM
(
    SELECT
        kpi, team, project, dim, grain, stage_from,
        argMax(stage, version) AS stage,
        max(version) AS last_version,
        argMax(baseline_id, version) AS baseline_id,
        argMax(chart, version) AS chart,
        argMax(transform, version) AS transform,
        argMax(center, version) AS center,
        argMax(sigma, version) AS sigma,
        argMax(center_display, version) AS center_display,
        argMax(ucl_display, version) AS ucl_display,
        argMax(lcl_display, version) AS lcl_display,
        argMax(status, version) AS status,
        argMax(n_points, version) AS n_points,
        argMax(window_from, version) AS window_from,
        argMax(window_to, version) AS window_to,
        argMax(rule_set, version) AS rule_set,
        argMax(created_at, version) AS created_at
    FROM baselines
    GROUP BY kpi, team, project, dim, grain, stage_from
)
