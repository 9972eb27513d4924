import type { KpiId } from '@shewhart/kpi';
import { barChart, kpiTimeSeries, note, shewhartDashboard, tablePanel } from '../presets.js';
import { kpiSeriesSql, kpiView } from '../sql.js';
import { ALL, grainVariable, projectVariable, teamVariable } from '../variables.js';

const TRENDS: readonly KpiId[] = [
  'defect_arrivals',
  'defect_backlog',
  'defect_escape_rate',
  'defect_removal_efficiency',
  'reopen_rate',
  'defect_resolution_time',
];

export function defects() {
  const d = shewhartDashboard(
    'shewhart-defects',
    'Defects and containment',
    'Where are defects introduced, where are they caught, and how many reach customers?',
  )
    .withVariable(teamVariable())
    .withVariable(projectVariable())
    .withVariable(grainVariable('month'))
    .withPanel(
      note(
        '**Where are defects introduced and where are they caught?** Arrivals and backlog, escapes and removal efficiency (docs/methods.md §3.1), the phase containment matrix, density per size unit and the root-cause Pareto of the valid defects reported in the range.',
      ),
    );
  for (const id of TRENDS) d.withPanel(kpiTimeSeries(id, kpiSeriesSql(id, id)).height(7).span(12));
  d.withPanel(
    tablePanel(
      'Phase containment (introduced phase × period, % caught in the phase)',
      `
      SELECT toDateTime(period_start, 'UTC') AS period,
        ${['requirements', 'design', 'code', 'test']
          .map((p) => `maxIf(value, phase = '${p}') AS ${p}`)
          .join(',\n        ')}
      FROM (
        ${['requirements', 'design', 'code', 'test']
          .map(
            (p) =>
              `SELECT '${p}' AS phase, period_start, value FROM ${kpiView('phase_containment', { dim: p })} WHERE open = 0`,
          )
          .join('\n        UNION ALL ')}
      )
      GROUP BY period ORDER BY period DESC`,
      { columns: { period: 'Period' } },
    )
      .unit('percent')
      .decimals(1)
      .height(8)
      .span(12),
  );
  d.withPanel(
    kpiTimeSeries(
      'defect_density',
      `
      SELECT toDateTime(period_start, 'UTC') AS time, value AS "defects per KLOC"
      FROM ${kpiView('defect_density', { dim: 'kloc' })}
      WHERE open = 0 ORDER BY time`,
      'Defect density (per KLOC delivered)',
    )
      .height(8)
      .span(12),
  );
  d.withPanel(
    barChart(
      'Root causes of valid defects reported in the range (Pareto)',
      `
      SELECT cause, defects,
        round(100 * sum(defects) OVER (ORDER BY defects DESC, cause ROWS UNBOUNDED PRECEDING) / sum(defects) OVER (), 1)
          AS cumulative_percent
      FROM (
        SELECT if(ifNull(r.cause, '') = '', 'unknown', r.cause) AS cause, count() AS defects
        FROM (
          SELECT defect_id FROM defect_state
          WHERE sign = 1 AND is_valid AND $__timeFilter(reported_at)
            AND ('\${team}' = '${ALL}' OR team = '\${team}') AND ('\${project}' = '${ALL}' OR project = '\${project}')
            AND (entity_key, version) NOT IN (SELECT entity_key, version FROM defect_state WHERE sign = -1)
        ) AS d
        LEFT JOIN (
          SELECT JSONExtractString(data, 'defectId') AS defect_id,
            argMaxIf(JSONExtractString(data, 'rootCauseCategory'), time, JSONExtractString(data, 'rootCauseCategory') != '') AS cause
          FROM events_raw WHERE type IN ('defect.reported', 'defect.resolved')
          GROUP BY defect_id
        ) AS r ON d.defect_id = r.defect_id
        GROUP BY cause
      )
      ORDER BY defects DESC, cause`,
      { xField: 'cause' },
    )
      .height(8)
      .span(24),
  );
  return d;
}
