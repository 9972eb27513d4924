import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import type { KpiId } from '@shewhart/kpi';
import { ClickHouseQuery, DATASOURCE } from '../datasource.js';
import { kpiTimeSeries, note, shewhartDashboard, tablePanel } from '../presets.js';
import { kpiSeriesSql } from '../sql.js';
import { grainVariable, projectVariable, teamVariable } from '../variables.js';

const CAPA: readonly KpiId[] = [
  'capa_closure_time',
  'capa_on_time',
  'capa_effectiveness',
  'capa_recurrence_rate',
];
const CUSTOMER: readonly KpiId[] = ['csat', 'nps', 'complaints'];

/** One objective's fields, read from `objectives_current` by id into hidden variables. */
const objectiveField = (name: string, column: string) =>
  new dashboard.QueryVariableBuilder(name)
    .datasource(DATASOURCE)
    .query(`SELECT ${column} FROM objectives_current WHERE id = '\${objective}'`)
    .hide(dashboard.VariableHide.HideVariable)
    .refresh(dashboard.VariableRefresh.OnDashboardLoad);

/**
 * An objective's status per period. The KPI view is named by the objective's KPI and period (hidden
 * variables); met follows packages/objectives/src/evaluate.ts `isMet`.
 */
export const OBJECTIVE_STATUS_SQL = `
  SELECT toDateTime(v.period_start, 'UTC') AS time,
    multiIf(v.value IS NULL, 'not evaluable',
            o.direction = 'higher' AND v.value >= o.target, 'met',
            o.direction = 'lower' AND v.value <= o.target, 'met',
            o.direction = 'range' AND v.value >= o.band_low AND v.value <= o.band_high, 'met',
            'missed') AS status
  FROM (SELECT period_start, value, 1 AS k
        FROM kpi_\${objective_kpi}_\${objective_period}(team = nullIf('\${objective_team}', ''), project = nullIf('\${objective_project}', ''),
          from = $__fromTime, to = $__toTime, now = now64(3), dim = '\${objective_dim}')
        WHERE open = 0) AS v
  INNER JOIN (SELECT *, 1 AS k FROM objectives_current WHERE id = '\${objective}') AS o ON v.k = o.k
  ORDER BY time`;

export function objectivesCapa() {
  const d = shewhartDashboard(
    'shewhart-objectives-capa',
    'Objectives and CAPA',
    'Are we reaching our quality objectives, do corrective actions work, and are customers satisfied?',
  )
    .withVariable(
      new dashboard.QueryVariableBuilder('objective')
        .label('Objective')
        .datasource(DATASOURCE)
        .query('SELECT id FROM objectives_current ORDER BY id')
        .refresh(dashboard.VariableRefresh.OnDashboardLoad),
    )
    .withVariable(objectiveField('objective_kpi', 'kpi'))
    .withVariable(objectiveField('objective_period', 'period'))
    .withVariable(objectiveField('objective_team', 'team'))
    .withVariable(objectiveField('objective_project', 'project'))
    .withVariable(objectiveField('objective_dim', 'dim'))
    .withVariable(teamVariable())
    .withVariable(projectVariable())
    .withVariable(grainVariable('month'))
    .withPanel(
      note(
        '**ISO 9001 6.2, 10.2 and 9.1.2.** The chosen objective period by period (met / missed / not evaluable), its KPI against the target; corrective actions (closure time with its 85th percentile, on time, effectiveness, recurrence) and customer satisfaction for the chosen team and period.',
      ),
    )
    .withPanel(
      new statetimeline.PanelBuilder()
        .title('Objective status per period: ${objective}')
        .datasource(DATASOURCE)
        .withTarget(new ClickHouseQuery(OBJECTIVE_STATUS_SQL))
        // The options Grafana's state timeline schema requires (its defaults, written out).
        .showValue(common.VisibilityMode.Auto)
        .rowHeight(0.9)
        .mergeValues(true)
        .legend(
          new common.VizLegendOptionsBuilder()
            .showLegend(true)
            .displayMode(common.LegendDisplayMode.List)
            .placement(common.LegendPlacement.Bottom),
        )
        .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Single))
        .mappings([
          {
            type: dashboard.MappingType.ValueToText,
            options: {
              met: { color: 'green', index: 0 },
              missed: { color: 'red', index: 1 },
              'not evaluable': { color: 'gray', index: 2 },
            },
          },
        ])
        .height(5)
        .span(24),
    )
    .withPanel(
      kpiTimeSeries(
        'capa_on_time',
        `
        SELECT toDateTime(v.period_start, 'UTC') AS time, v.value AS actual, o.target_value AS target
        FROM (SELECT period_start, value, 1 AS k
              FROM kpi_\${objective_kpi}_\${objective_period}(team = nullIf('\${objective_team}', ''), project = nullIf('\${objective_project}', ''),
                from = $__fromTime, to = $__toTime, now = now64(3), dim = '\${objective_dim}')
              WHERE open = 0) AS v
        INNER JOIN (SELECT *, 1 AS k FROM objectives_current WHERE id = '\${objective}') AS o ON v.k = o.k
        ORDER BY time`,
        'Objective KPI against its target: ${objective}',
      )
        .description('The KPI of the chosen objective, for its scope and period, with the target line.')
        .unit('none')
        .overrideByName('target', [
          { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
          { id: 'custom.showPoints', value: 'never' },
          { id: 'color', value: { mode: 'fixed', fixedColor: 'green' } },
        ])
        .height(8)
        .span(24),
    );
  d.withPanel(
    kpiTimeSeries(
      'capa_closure_time',
      `
      SELECT toDateTime(period_start, 'UTC') AS time, value AS median, p85
      FROM kpi_capa_closure_time_\${grain}(team = nullIf('\${team}', '*'), project = nullIf('\${project}', '*'),
        from = $__fromTime, to = $__toTime, now = now64(3), dim = '')
      WHERE open = 0 ORDER BY time`,
      'CAPA closure time (median and 85th percentile)',
    )
      .height(7)
      .span(12),
  );
  for (const id of CAPA.slice(1)) d.withPanel(kpiTimeSeries(id, kpiSeriesSql(id, id)).height(7).span(12));
  for (const id of CUSTOMER) d.withPanel(kpiTimeSeries(id, kpiSeriesSql(id, id)).height(7).span(8));
  d.withPanel(
    tablePanel(
      'Objectives in force',
      `
      SELECT id, title, kpi, if(team = '', 'organisation', team) AS scope, project, period, direction, target, band_low,
             band_high, lsl, usl, owner, due, baseline
      FROM objectives_current ORDER BY id`,
      { columns: { id: 'Objective', scope: 'Scope' } },
    )
      .height(8)
      .span(24),
  );
  return d;
}
