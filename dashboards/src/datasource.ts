import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';

/**
 * The data sources the dashboards query, by the uids infra/grafana/provisioning/datasources/shewhart.yaml
 * provisions: the one place these uids are written. Dashboards name a data source by uid, never by name,
 * so a Grafana with another "ClickHouse" or "Prometheus" data source cannot capture them.
 *
 * ClickHouse (the official plugin) serves every panel over what the pipeline stores: KPIs, baselines,
 * signals, objectives, events, refusals.
 */
export const DATASOURCE: dashboard.DataSourceRef = {
  type: 'grafana-clickhouse-datasource',
  uid: 'shewhart-clickhouse',
};

/**
 * Prometheus (Grafana's core data source) serves what the processes count but never store: dead letters,
 * Kafka consumer lag, the collector's request and event rates (their /metrics, scraped by the Prometheus
 * of infra/compose).
 */
export const PROMETHEUS: dashboard.DataSourceRef = {
  type: 'prometheus',
  uid: 'shewhart-prometheus',
};

/** Every provisioned data source, by type: a panel's queries must name the one of their kind. */
export const DATASOURCES = [DATASOURCE, PROMETHEUS] as const;

/** The plugin's result formats (its `Format` enum). */
export const Format = { TimeSeries: 0, Table: 1 } as const;

export interface ClickHouseTarget extends cog.Dataquery {
  refId: string;
  datasource: dashboard.DataSourceRef;
  editorType: 'sql';
  queryType: 'table' | 'timeseries';
  format: (typeof Format)[keyof typeof Format];
  rawSql: string;
}

/**
 * A raw-SQL query of the ClickHouse plugin (the SDK has no builder for it): the fields its SQL editor
 * saves. Time series queries return `time` first (a DateTime) and one column per series.
 */
export class ClickHouseQuery implements cog.Builder<ClickHouseTarget> {
  private readonly target: ClickHouseTarget;

  constructor(rawSql: string, kind: 'table' | 'timeseries' = 'table') {
    this.target = {
      refId: 'A',
      datasource: DATASOURCE,
      editorType: 'sql',
      queryType: kind,
      format: kind === 'timeseries' ? Format.TimeSeries : Format.Table,
      rawSql: dedent(rawSql),
      _implementsDataqueryVariant() {},
    };
  }

  refId(refId: string): this {
    this.target.refId = refId;
    return this;
  }

  build(): ClickHouseTarget {
    return this.target;
  }
}

/** Strips the common indentation of a template literal, so the JSON shows readable SQL. */
export function dedent(sql: string): string {
  const lines = sql.replace(/^\n/, '').replace(/\s+$/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)?.[0].length ?? 0));
  return lines.map((l) => l.slice(indent)).join('\n');
}

/**
 * A PromQL query (range, code editor) on the provisioned Prometheus; `legend` is Grafana's legend format
 * (`{{label}}`).
 */
export function promQuery(expr: string, legend?: string): prometheus.DataqueryBuilder {
  const q = new prometheus.DataqueryBuilder()
    .refId('A')
    .datasource(PROMETHEUS)
    .expr(dedent(expr))
    .range()
    .editorMode(prometheus.QueryEditorMode.Code);
  if (legend) q.legendFormat(legend);
  return q;
}
