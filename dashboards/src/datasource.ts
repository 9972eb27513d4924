import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';

/**
 * The one data source every panel queries: the official ClickHouse plugin, provisioned with this uid
 * (infra/grafana/provisioning/datasources/shewhart.yaml). Dashboards name it by uid, never by name, so a
 * Grafana with another "ClickHouse" data source cannot capture them.
 */
export const DATASOURCE: dashboard.DataSourceRef = {
  type: 'grafana-clickhouse-datasource',
  uid: 'shewhart-clickhouse',
};

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
