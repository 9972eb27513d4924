import type { KpiId } from '@shewhart/kpi';
import { CONTROL_CHART_LINK, note, objectiveTile, shewhartDashboard, tablePanel } from '../presets.js';
import { kpiView } from '../sql.js';
import { ALL, grainVariable, teamVariable } from '../variables.js';

/** The headline KPIs, one tile each. */
const TILES: readonly KpiId[] = [
  'on_time_delivery',
  'change_failure_rate',
  'lead_time_for_changes',
  'defect_escape_rate',
  'defect_removal_efficiency',
  'review_effectiveness',
  'capa_on_time',
  'csat',
];

/**
 * The latest closed period of a KPI for the scope, and whether it met the objective of the same KPI,
 * scope and period (the rule of packages/objectives/src/evaluate.ts `isMet`: ≥ target for higher, ≤ for
 * lower, inside the band for range).
 */
export function objectiveTileSql(id: KpiId): string {
  return `
    SELECT v.value AS value, o.target_value AS target,
      multiIf(o.direction = '' OR v.value IS NULL, NULL,
              o.direction = 'higher', toUInt8(v.value >= o.target),
              o.direction = 'lower', toUInt8(v.value <= o.target),
              toUInt8(v.value >= o.band_low AND v.value <= o.band_high)) AS status
    FROM (SELECT value, 1 AS k FROM ${kpiView(id, { scope: `team = nullIf('\${team}', '${ALL}'), project = NULL` })}
          WHERE open = 0 ORDER BY period_start DESC LIMIT 1) AS v
    LEFT JOIN (SELECT *, 1 AS k FROM objectives_current
               WHERE kpi = '${id}' AND team = if('\${team}' = '${ALL}', '', '\${team}') AND project = ''
                 AND dim = '' AND period = '\${grain}' LIMIT 1) AS o ON v.k = o.k`;
}

/** Alerts exist once the alerts migration does (the panel is added by the build when it lands). */
export function qualityOverview(options: { alerts: boolean }) {
  const d = shewhartDashboard(
    'shewhart-quality-overview',
    'Quality overview',
    'Are we meeting our quality objectives, and is any process signalling a special cause?',
  )
    .withVariable(teamVariable())
    .withVariable(grainVariable('month', ['week', 'month', 'quarter']))
    .withPanel(
      note(
        '**Are we meeting our quality objectives?** Each tile is the latest *closed* period of a KPI for the chosen team (All = the organisation) beside the target of the objective of the same KPI, scope and period from the configuration file, coloured met or missed. Signals are special causes found by the run rules against the baselines in force (docs/methods.md §5).',
      ),
    );
  for (const id of TILES) d.withPanel(objectiveTile(id, objectiveTileSql(id)).height(5).span(6));
  d.withPanel(
    tablePanel(
      'Signals of the current stage',
      `
      SELECT toDateTime(s.period_start, 'UTC') AS period, s.kpi AS kpi, if(s.team = '', 'organisation', s.team) AS scope,
             s.project AS project, s.grain AS grain, arrayStringConcat(s.rules, ', ') AS rules, s.value AS value,
             round(s.z, 2) AS z,
             if(s.team = '', 'All', s.team) AS team_var, if(s.project = '', 'All', s.project) AS project_var,
             if(s.dim = '', 'none', s.dim) AS dim_var
      FROM signals_current AS s
      WHERE ('\${team}' = '${ALL}' OR s.team = '\${team}')
        AND s.stage_from = (SELECT max(b.stage_from) FROM baseline_limits AS b
                            WHERE b.kpi = s.kpi AND b.team = s.team AND b.project = s.project
                              AND b.dim = s.dim AND b.grain = s.grain)
        AND $__timeFilter(s.period_start)
      ORDER BY period DESC, kpi
      LIMIT 200`,
      {
        // `kpi` keeps its name: its override carries the link.
        columns: { period: 'Period', scope: 'Scope', rules: 'Rules', z: 'z' },
        hidden: ['team_var', 'project_var', 'dim_var'],
      },
    )
      .description('Click a KPI to open its control chart for the same scope, period and range.')
      .overrideByName('kpi', [{ id: 'links', value: [CONTROL_CHART_LINK] }])
      .height(9)
      .span(alertsSpan(options)),
  );
  if (options.alerts) {
    d.withPanel(
      tablePanel(
        'Firing alerts',
        `
        SELECT started_at, severity, title, kpi, if(team = '', 'organisation', team) AS scope, project, grain,
               chart_path, if(team = '', 'All', team) AS team_var, if(project = '', 'All', project) AS project_var,
               if(dim = '', 'none', dim) AS dim_var
        FROM alerts FINAL
        WHERE state = 'firing' AND ('\${team}' = '${ALL}' OR team = '\${team}')
        ORDER BY started_at DESC
        LIMIT 100`,
        {
          columns: { started_at: 'Since', severity: 'Severity', title: 'Alert', scope: 'Scope' },
          hidden: ['team_var', 'project_var', 'dim_var'],
        },
      )
        .description(
          'Alerts firing now (signal, objective and data-quality classes). Click the KPI of a signal or objective alert to open its control chart.',
        )
        .overrideByName('kpi', [{ id: 'links', value: [CONTROL_CHART_LINK] }])
        .height(9)
        .span(12),
    );
  }
  d.withPanel(
    tablePanel(
      'Objectives in force',
      `
      SELECT id, title, kpi, if(team = '', 'organisation', team) AS scope, project, period, direction,
             target_value AS target, owner, due
      FROM objectives_current
      WHERE '\${team}' = '${ALL}' OR team = '\${team}'
      ORDER BY kpi, id`,
      { columns: { id: 'Objective', title: 'Title', scope: 'Scope', target: 'Target', owner: 'Owner' } },
    )
      .height(8)
      .span(24),
  );
  return d;
}

const alertsSpan = (options: { alerts: boolean }) => (options.alerts ? 12 : 24);
