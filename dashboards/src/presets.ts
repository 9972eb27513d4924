/**
 * Shared panel presets: every dashboard builds its panels from these, so units, colours, legends and the
 * data source are the same everywhere. Field names a preset styles are the columns its SQL returns (the
 * query tests check that every column a panel's overrides and transformations name is returned).
 */
import * as barchart from '@grafana/grafana-foundation-sdk/barchart';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as text from '@grafana/grafana-foundation-sdk/text';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { findKpi, type KpiId } from '@shewhart/kpi';
import { ClickHouseQuery, DATASOURCE, PROMETHEUS, promQuery } from './datasource.js';

/** Grafana unit of a KPI unit of the catalogue. */
export function grafanaUnit(kpiUnit: string): string {
  switch (kpiUnit) {
    case '%':
      return 'percent';
    case 'hours':
      return 'h';
    case 'days':
      return 'd';
    case 'count':
      return 'short';
    default:
      return 'none';
  }
}

export const kpiTitle = (id: KpiId) => findKpi(id)?.title ?? id;
export const kpiUnit = (id: KpiId) => grafanaUnit(findKpi(id)?.unit ?? '');

const thresholds = (steps: dashboard.Threshold[]) =>
  new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps);

const legend = () =>
  new common.VizLegendOptionsBuilder()
    .showLegend(true)
    .displayMode(common.LegendDisplayMode.List)
    .placement(common.LegendPlacement.Bottom);

/** A time series panel over raw SQL returning `time` and one column per series. */
export function timeSeries(
  title: string,
  sql: string,
  options: { unit?: string; description?: string } = {},
) {
  const p = new timeseries.PanelBuilder()
    .title(title)
    .datasource(DATASOURCE)
    .withTarget(new ClickHouseQuery(sql, 'timeseries'))
    .unit(options.unit ?? 'none')
    .lineWidth(2)
    .showPoints(common.VisibilityMode.Always)
    .pointSize(5)
    .spanNulls(false)
    .legend(legend())
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi));
  if (options.description) p.description(options.description);
  return p;
}

/** One KPI's series: closed periods, in the KPI's unit; `description` says what the KPI measures. */
export function kpiTimeSeries(id: KpiId, sql: string, title = kpiTitle(id)) {
  const kpi = findKpi(id);
  return timeSeries(title, sql, {
    unit: kpiUnit(id),
    description: kpi ? `${kpi.formula.text} (${kpi.formula.ref}; better: ${kpi.better})` : '',
  });
}

/**
 * A KPI tile of the latest closed period beside its objective: the SQL returns `value` (the KPI), `target`
 * (the objective's, NULL without one) and `status` (1 met, 0 missed, NULL without an objective or not
 * computable) which the tile colours: the value, what it is measured against, and the verdict.
 */
export function objectiveTile(id: KpiId, sql: string) {
  return new stat.PanelBuilder()
    .title(kpiTitle(id))
    .description(
      `Latest closed period, against the objective of this KPI, scope and period (objectives_current).`,
    )
    .datasource(DATASOURCE)
    .withTarget(new ClickHouseQuery(sql))
    .unit(kpiUnit(id))
    .decimals(1)
    .noValue('n/a')
    .reduceOptions(
      new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).fields('/^(value|target|status)$/'),
    )
    .colorMode(common.BigValueColorMode.Background)
    .graphMode(common.BigValueGraphMode.None)
    .textMode(common.BigValueTextMode.ValueAndName)
    .thresholds(thresholds([{ value: null as unknown as number, color: 'text' }]))
    .overrideByName('value', [{ id: 'displayName', value: kpiTitle(id) }])
    .overrideByName('target', [{ id: 'displayName', value: 'target' }])
    .overrideByName('status', [
      { id: 'displayName', value: 'objective' },
      { id: 'unit', value: 'none' },
      {
        id: 'mappings',
        value: [
          {
            type: 'value',
            options: { '1': { text: 'met', color: 'green' }, '0': { text: 'missed', color: 'red' } },
          },
          { type: 'special', options: { match: 'null', result: { text: 'no objective', color: 'gray' } } },
        ],
      },
    ]);
}

/** A single number (counts, ages) with optional warning/critical thresholds. */
export function singleStat(
  title: string,
  sql: string,
  options: { unit?: string; warn?: number; crit?: number; description?: string } = {},
) {
  const steps: dashboard.Threshold[] = [{ value: null as unknown as number, color: 'green' }];
  if (options.warn !== undefined) steps.push({ value: options.warn, color: 'orange' });
  if (options.crit !== undefined) steps.push({ value: options.crit, color: 'red' });
  const p = new stat.PanelBuilder()
    .title(title)
    .datasource(DATASOURCE)
    .withTarget(new ClickHouseQuery(sql))
    .unit(options.unit ?? 'short')
    .noValue('0')
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']))
    .colorMode(common.BigValueColorMode.Value)
    .graphMode(common.BigValueGraphMode.None)
    .thresholds(thresholds(steps));
  if (options.description) p.description(options.description);
  return p;
}

/**
 * A time series of PromQL queries on the provisioned Prometheus: one query per entry, each with Grafana's
 * legend format (`{{label}}`). For what the processes count but do not store (dead letters, consumer lag,
 * request rates).
 */
export function promTimeSeries(
  title: string,
  queries: { expr: string; legend: string }[],
  options: { unit?: string; description?: string; stacked?: boolean } = {},
) {
  const p = new timeseries.PanelBuilder()
    .title(title)
    .datasource(PROMETHEUS)
    .unit(options.unit ?? 'short')
    .lineWidth(2)
    .fillOpacity(options.stacked ? 30 : 0)
    .stacking(
      new common.StackingConfigBuilder().mode(
        options.stacked ? common.StackingMode.Normal : common.StackingMode.None,
      ),
    )
    .spanNulls(false)
    .legend(legend())
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi));
  queries.forEach((q, i) => {
    p.withTarget(promQuery(q.expr, q.legend).refId(String.fromCharCode(65 + i)));
  });
  if (options.description) p.description(options.description);
  return p;
}

/** A single number from a PromQL query (instant, the latest value), thresholds as `singleStat`. */
export function promStat(
  title: string,
  expr: string,
  options: { unit?: string; warn?: number; crit?: number; description?: string; legend?: string } = {},
) {
  const steps: dashboard.Threshold[] = [{ value: null as unknown as number, color: 'green' }];
  if (options.warn !== undefined) steps.push({ value: options.warn, color: 'orange' });
  if (options.crit !== undefined) steps.push({ value: options.crit, color: 'red' });
  const p = new stat.PanelBuilder()
    .title(title)
    .datasource(PROMETHEUS)
    .withTarget(promQuery(expr, options.legend).instant())
    .unit(options.unit ?? 'short')
    .noValue('no data')
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']))
    .colorMode(common.BigValueColorMode.Value)
    .graphMode(common.BigValueGraphMode.None)
    .thresholds(thresholds(steps));
  if (options.description) p.description(options.description);
  return p;
}

/**
 * A table over raw SQL; `columns` renames columns for display (the SQL's names stay the contract, and a
 * field override names the column as the SQL does: rename none it overrides), `hidden` columns are
 * returned for data links only.
 */
export function tablePanel(
  title: string,
  sql: string,
  options: { columns?: Record<string, string>; hidden?: string[] } = {},
) {
  const p = new table.PanelBuilder()
    .title(title)
    .datasource(DATASOURCE)
    .withTarget(new ClickHouseQuery(sql))
    .cellHeight(common.TableCellHeight.Sm)
    // The table's field config requires its cell options (Grafana's table panel schema).
    .cellOptions({ type: common.TableCellDisplayMode.Auto })
    .filterable(true);
  if (options.columns) {
    p.withTransformation({
      id: 'organize',
      options: { renameByName: options.columns, excludeByName: {}, indexByName: {} },
    });
  }
  // Hidden, not excluded: a data link reads the fields of the frame (`${__data.fields.x}`).
  for (const c of options.hidden ?? []) p.overrideByName(c, [{ id: 'custom.hidden', value: true }]);
  return p;
}

/** A bar chart over raw SQL with a string or time x axis (`xField`). */
export function barChart(
  title: string,
  sql: string,
  options: { unit?: string; xField: string; stacked?: boolean },
) {
  return new barchart.PanelBuilder()
    .title(title)
    .datasource(DATASOURCE)
    .withTarget(new ClickHouseQuery(sql))
    .unit(options.unit ?? 'short')
    .xField(options.xField)
    .stacking(options.stacked ? common.StackingMode.Normal : common.StackingMode.None)
    .showValue(common.VisibilityMode.Auto)
    .legend(legend());
}

/** A short note at the top of a dashboard: the question it answers and where its numbers come from. */
export function note(markdown: string, height = 3) {
  return new text.PanelBuilder()
    .title('')
    .mode(text.TextMode.Markdown)
    .content(markdown)
    .transparent(true)
    .height(height)
    .span(24);
}

/**
 * A link to a table row's control chart: the chart of the row's KPI, scope, grain and dimension. The row
 * returns `kpi`, `grain` and the variable values `team_var`, `project_var` (`All` for the organisation or
 * every project) and `dim_var` (`none` without a dimension).
 */
export const CONTROL_CHART_LINK = {
  title: 'Open its control chart',
  url: '/d/shewhart-control-chart/control-chart?var-kpi=${__data.fields.kpi}&var-team=${__data.fields.team_var}&var-project=${__data.fields.project_var}&var-grain=${__data.fields.grain}&var-dim=${__data.fields.dim_var}&${__url_time_range}',
};

/**
 * A dashboard with the conventions every one of ours follows: fixed uid, UTC, tags, refresh, and a menu of
 * the other Shewhart dashboards (by tag) that carries the team and project across.
 */
export function shewhartDashboard(uid: string, title: string, description: string) {
  return new dashboard.DashboardBuilder(title)
    .link(
      new dashboard.DashboardLinkBuilder('Shewhart dashboards')
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags(['shewhart'])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(false)
        .targetBlank(false)
        .icon('external link')
        .tooltip('The other Shewhart dashboards, same team and project'),
    )
    .uid(uid)
    .description(description)
    .tags(['shewhart'])
    .timezone('utc')
    .weekStart('monday')
    .refresh('1m')
    .time({ from: 'now-1y', to: 'now' })
    .editable()
    .tooltip(dashboard.DashboardCursorSync.Crosshair);
}
