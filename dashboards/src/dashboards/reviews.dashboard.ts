import * as common from '@grafana/grafana-foundation-sdk/common';
import * as xychart from '@grafana/grafana-foundation-sdk/xychart';
import type { KpiId } from '@shewhart/kpi';
import { ClickHouseQuery, DATASOURCE } from '../datasource.js';
import { kpiTimeSeries, note, shewhartDashboard } from '../presets.js';
import { kpiSeriesSql, kpiView } from '../sql.js';
import { grainVariable, projectVariable, teamVariable } from '../variables.js';

const TRENDS: readonly KpiId[] = ['review_detection_rate', 'review_effectiveness', 'review_cost_per_defect'];

export function reviews() {
  const d = shewhartDashboard(
    'shewhart-reviews',
    'Reviews and inspections',
    'Do our reviews go slowly enough to find defects, and what does a defect found in review cost?',
  )
    .withVariable(teamVariable())
    .withVariable(projectVariable())
    .withVariable(grainVariable('week'))
    .withPanel(
      note(
        '**Do reviews go slowly enough to find defects?** Review rate against review defect density, per period (LOC reviews): the CMMI subprocess pair, where a rate above the band usually comes with a falling density (docs/methods.md §3.3). Then detection rate, effectiveness (provisional for 90 days) and cost per defect.',
      ),
    );
  d.withPanel(
    new xychart.PanelBuilder()
      .title('Review rate against review defect density (LOC per hour × defects per KLOC)')
      .datasource(DATASOURCE)
      .withTarget(
        new ClickHouseQuery(`
          SELECT r.value AS review_rate, dd.value AS defect_density
          FROM (SELECT period_start, value FROM ${kpiView('review_rate', { dim: 'loc' })} WHERE open = 0) AS r
          INNER JOIN (SELECT period_start, value FROM ${kpiView('review_defect_density', { dim: 'loc' })} WHERE open = 0) AS dd
            ON r.period_start = dd.period_start
          WHERE r.value IS NOT NULL AND dd.value IS NOT NULL
          ORDER BY r.period_start`),
      )
      .mapping(xychart.SeriesMapping.Manual)
      .series([
        new xychart.XYSeriesConfigBuilder()
          .name({ fixed: 'periods' })
          .x({ matcher: { id: 'byName', options: 'review_rate' } })
          .y({ matcher: { id: 'byName', options: 'defect_density' } }),
      ])
      .legend(new common.VizLegendOptionsBuilder().showLegend(false))
      .height(10)
      .span(12),
  );
  d.withPanel(
    kpiTimeSeries(
      'review_rate',
      `
      SELECT toDateTime(r.period_start, 'UTC') AS time, r.value AS "LOC per hour", dd.value AS "defects per KLOC"
      FROM (SELECT period_start, value FROM ${kpiView('review_rate', { dim: 'loc' })} WHERE open = 0) AS r
      LEFT JOIN (SELECT period_start, value FROM ${kpiView('review_defect_density', { dim: 'loc' })} WHERE open = 0) AS dd
        ON r.period_start = dd.period_start
      ORDER BY time`,
      'Review rate and defect density over time',
    )
      .overrideByName('defects per KLOC', [{ id: 'custom.axisPlacement', value: 'right' }])
      .height(10)
      .span(12),
  );
  for (const id of TRENDS) d.withPanel(kpiTimeSeries(id, kpiSeriesSql(id, id)).height(7).span(8));
  return d;
}
