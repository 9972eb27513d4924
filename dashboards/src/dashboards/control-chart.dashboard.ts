import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { KPIS } from '@shewhart/kpi';
import { ClickHouseQuery, DATASOURCE, dedent } from '../datasource.js';
import { note, shewhartDashboard, tablePanel, timeSeries } from '../presets.js';
import { ALL, grainVariable, kpiVariable, projectVariable, teamVariable } from '../variables.js';

/** `none` for KPIs without a dimension; else a unit or phase (a KPI view returns nothing for a wrong one). */
const dimVariable = () => {
  const values = ['none', ...new Set(KPIS.flatMap((k) => ('dimension' in k ? [...k.dimension.values] : [])))];
  return new dashboard.CustomVariableBuilder('dim')
    .label('Unit / phase')
    .values(values.join(','))
    .options(values.map((v) => ({ text: v, value: v, selected: v === 'none' })))
    .current({ text: 'none', value: 'none', selected: true });
};

const DIM = `if('\${dim}' = 'none', '', '\${dim}')`;
/** The series key as `baselines`/`signals` store it: the organisation is team '', all projects project ''. */
const SERIES = `kpi = '\${kpi}' AND team = if('\${team}' = '${ALL}', '', '\${team}')
    AND project = if('\${project}' = '${ALL}', '', '\${project}') AND dim = ${DIM} AND grain = '\${grain}'`;

/**
 * Centre line and control limits per point as the chart document draws them (GET /v1/kpis/:id/chart):
 * each baseline refresh stores the limits it charted every point against (`point_limits`), so the panel
 * reads them instead of recomputing the SPC engine's per-point limits in SQL (p and u limits vary with each
 * period's size and are capped to the statistic's range; a stage without a baseline has none; a period the
 * chart cannot plot is not on it). Values are the KPI view's, live; a period newer than the last refresh
 * shows its limits after the next one (seconds on the embedded default).
 */
export const CONTROL_CHART_SQL = `
  SELECT toDateTime(p.period_start, 'UTC') AS time,
    if(p.open = 0, p.value, NULL) AS value,
    if(p.open = 1, p.value, NULL) AS open_period,
    l.center AS centre, l.ucl AS ucl, l.lcl AS lcl,
    if(s.rules = '', NULL, p.value) AS signal,
    o.target_value AS objective, o.lsl AS lsl, o.usl AS usl
  FROM (SELECT *, 1 AS k FROM kpi_\${kpi}_\${grain}(team = nullIf('\${team}', '${ALL}'), project = nullIf('\${project}', '${ALL}'),
          from = $__fromTime, to = $__toTime, now = now64(3), dim = ${DIM})) AS p
  LEFT JOIN (SELECT period_start, center, ucl, lcl FROM point_limits FINAL WHERE ${SERIES} AND charted = 1) AS l
    ON p.period_start = l.period_start
  LEFT JOIN (SELECT period_start, arrayStringConcat(rules, ',') AS rules FROM signals_current WHERE ${SERIES}) AS s
    ON p.period_start = s.period_start
  LEFT JOIN (SELECT *, 1 AS k FROM objectives_current
             WHERE kpi = '\${kpi}' AND team = if('\${team}' = '${ALL}', '', '\${team}')
               AND project = if('\${project}' = '${ALL}', '', '\${project}') AND dim = ${DIM} AND period = '\${grain}'
             LIMIT 1) AS o
    ON p.k = o.k
  ORDER BY time`;

/** Stage boundaries of the charted points, with the status of the stage's baseline (none: no limits yet). */
const STAGES_SQL = `
  SELECT toDateTime(st.stage_from, 'UTC') AS time,
    concat('stage ', toString(st.stage + 1), ' from ', toString(st.stage_from), ': ',
           if(b.status = '', 'no limits yet', concat(b.status, ' limits, ', toString(b.n_points), ' points'))) AS text
  FROM (SELECT DISTINCT stage, stage_from FROM point_limits FINAL WHERE ${SERIES} AND charted = 1) AS st
  LEFT JOIN (SELECT stage_from, status, n_points FROM baseline_limits WHERE ${SERIES}) AS b
    ON st.stage_from = b.stage_from
  ORDER BY time`;

const line = (color: string, dash = false): dashboard.DynamicConfigValue[] => [
  { id: 'color', value: { mode: 'fixed', fixedColor: color } },
  { id: 'custom.showPoints', value: 'never' },
  { id: 'custom.lineWidth', value: 1 },
  ...(dash ? [{ id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } }] : []),
];

export function controlChart() {
  return shewhartDashboard(
    'shewhart-control-chart',
    'Control chart',
    'Is this process stable, and did the last change shift it?',
  )
    .withVariable(kpiVariable('change_failure_rate'))
    .withVariable(teamVariable())
    .withVariable(projectVariable())
    .withVariable(grainVariable('week', ['week', 'month']))
    .withVariable(dimVariable())
    .annotation(
      new dashboard.AnnotationQueryBuilder()
        .name('Stages')
        .datasource(DATASOURCE)
        .enable(true)
        .iconColor('purple')
        .target({
          build: () =>
            new ClickHouseQuery(STAGES_SQL).refId('Anno').build() as unknown as dashboard.AnnotationTarget,
        }),
    )
    .withPanel(
      note(
        "**Is this process stable?** The KPI per period on its control chart (docs/methods.md §5): centre line and limits of the baseline in force per stage (p and u limits vary with each period's size), stage boundaries at recorded process changes (purple markers), signals in red, the open period hollow and never judged, and the objective and specification limits in green. Baselines are refreshed for the default series (weekly; organisation and each team).",
      ),
    )
    .withPanel(
      timeSeries('Control chart: ${kpi}', CONTROL_CHART_SQL)
        .overrideByName('value', [{ id: 'color', value: { mode: 'fixed', fixedColor: 'blue' } }])
        .overrideByName('open_period', [
          { id: 'color', value: { mode: 'fixed', fixedColor: 'blue' } },
          { id: 'custom.fillOpacity', value: 0 },
          { id: 'custom.pointSize', value: 9 },
          { id: 'displayName', value: 'open period (partial, not judged)' },
        ])
        .overrideByName('centre', [...line('text'), { id: 'custom.lineInterpolation', value: 'stepAfter' }])
        .overrideByName('ucl', [...line('red', true), { id: 'custom.lineInterpolation', value: 'stepAfter' }])
        .overrideByName('lcl', [...line('red', true), { id: 'custom.lineInterpolation', value: 'stepAfter' }])
        .overrideByName('signal', [
          { id: 'color', value: { mode: 'fixed', fixedColor: 'red' } },
          { id: 'custom.pointSize', value: 12 },
          { id: 'custom.lineWidth', value: 0 },
          { id: 'displayName', value: 'signal' },
        ])
        .overrideByName('objective', line('green', true))
        .overrideByName('lsl', line('orange', true))
        .overrideByName('usl', line('orange', true))
        .legend(
          new common.VizLegendOptionsBuilder()
            .showLegend(true)
            .displayMode(common.LegendDisplayMode.Table)
            .placement(common.LegendPlacement.Right),
        )
        .height(14)
        .span(24),
    )
    .withPanel(
      tablePanel(
        'Signals of this series',
        `
        SELECT toDateTime(period_start, 'UTC') AS period, stage_from, arrayStringConcat(rules, ', ') AS rules, value, round(z, 2) AS z
        FROM signals_current WHERE ${dedent(SERIES)} AND $__timeFilter(period_start)
        ORDER BY period DESC`,
        { columns: { period: 'Period', stage_from: 'Stage from', rules: 'Rules' } },
      )
        .height(7)
        .span(12),
    )
    .withPanel(
      tablePanel(
        'Baselines in force',
        `
        SELECT stage, stage_from, stage_to, status, chart, transform, center_display AS centre, ucl_display AS ucl,
               lcl_display AS lcl, n_points, window_from, window_to, version
        FROM baseline_limits WHERE ${dedent(SERIES)} ORDER BY stage_from`,
        { columns: { stage_from: 'From', stage_to: 'To' } },
      )
        .height(7)
        .span(12),
    );
}
