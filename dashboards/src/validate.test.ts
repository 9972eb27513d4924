import { describe, expect, it } from 'vitest';
import { generatedFiles } from './build.js';
import { buildDashboards } from './catalogue.js';
import { DATASOURCE, PROMETHEUS } from './datasource.js';
import { type DashboardJson, validateDashboard } from './validate.js';

const json = (d: unknown) => JSON.parse(JSON.stringify(d)) as DashboardJson;
const delivery = () => json(buildDashboards().find((d) => d.uid === 'shewhart-delivery'));

describe('validateDashboard', () => {
  it('accepts every dashboard of the set, each with a fixed uid', () => {
    const all = buildDashboards().map(json);
    expect(all.map((d) => d.uid)).toEqual([
      'shewhart-quality-overview',
      'shewhart-delivery',
      'shewhart-defects',
      'shewhart-reviews',
      'shewhart-control-chart',
      'shewhart-objectives-capa',
      'shewhart-pipeline-health',
    ]);
    for (const d of all) expect(validateDashboard(d)).toEqual([]);
  });

  it('refuses a variable no dashboard defines', () => {
    const d = delivery();
    const target = d.panels?.find((p) => p.targets?.length)?.targets?.[0] as { rawSql: string };
    target.rawSql = target.rawSql.replace("'${team}'", "'${squad}'");
    expect(validateDashboard(d)).toEqual([expect.stringContaining('undefined variable ${squad}')]);
  });

  it('refuses a data source other than the provisioned one', () => {
    const d = delivery();
    const panel = d.panels?.find((p) => p.targets?.length) as { datasource: object };
    panel.datasource = { type: DATASOURCE.type, uid: 'my-clickhouse' };
    expect(validateDashboard(d)).toEqual([
      expect.stringContaining(
        'uses data source {"type":"grafana-clickhouse-datasource","uid":"my-clickhouse"}',
      ),
    ]);
  });

  it('refuses a KPI the catalogue does not have, in a view, a literal or a variable option', () => {
    const d = delivery();
    const target = d.panels?.find((p) => p.targets?.length)?.targets?.[0] as { rawSql: string };
    target.rawSql = target.rawSql.replace(/kpi_deployment_frequency_/, 'kpi_deployment_frequence_');
    expect(validateDashboard(d)).toEqual([expect.stringContaining('unknown KPI deployment_frequence')]);
    const chart = json(buildDashboards().find((x) => x.uid === 'shewhart-control-chart'));
    chart.templating?.list?.find((v) => v.name === 'kpi')?.options?.push({ value: 'mean_time_to_happiness' });
    expect(validateDashboard(chart)).toEqual([
      expect.stringContaining('offers unknown KPI mean_time_to_happiness'),
    ]);
  });
});

describe('validateDashboard on Prometheus panels', () => {
  const pipeline = () => json(buildDashboards().find((d) => d.uid === 'shewhart-pipeline-health'));
  const promPanel = (d: DashboardJson, title: string) => {
    const p = d.panels?.find((x) => x.title === title);
    if (!p?.targets?.[0]) throw new Error(`no panel ${title}`);
    return p as typeof p & {
      targets: [{ expr?: string; legendFormat?: string; datasource?: object }];
    };
  };

  it('has panels on the provisioned Prometheus for dead letters, consumer lag and the collector rates', () => {
    const d = pipeline();
    const prom = (d.panels ?? []).filter((p) => p.datasource?.uid === PROMETHEUS.uid);
    const exprs = prom.flatMap((p) => (p.targets ?? []).map((t) => (t as { expr: string }).expr));
    expect(exprs.some((e) => e.includes('shewhart_worker_events_total{outcome="rejected"}'))).toBe(true);
    expect(exprs.some((e) => e.includes('shewhart_worker_consumer_lag'))).toBe(true);
    expect(exprs.some((e) => e.includes('shewhart_ingest_events_total'))).toBe(true);
    expect(validateDashboard(d)).toEqual([]);
  });

  it('refuses a Prometheus panel or query on another Prometheus than the provisioned one', () => {
    const d = pipeline();
    const p = promPanel(d, 'Consumer lag per partition');
    p.datasource = { type: 'prometheus', uid: 'my-prometheus' };
    expect(validateDashboard(d)).toEqual([
      expect.stringContaining(
        'uses data source {"type":"prometheus","uid":"my-prometheus"}, not shewhart-prometheus',
      ),
    ]);
    const e = pipeline();
    const q = promPanel(e, 'Consumer lag per partition');
    q.targets[0].datasource = DATASOURCE;
    expect(validateDashboard(e)).toEqual([
      expect.stringContaining(
        'query uses data source {"type":"grafana-clickhouse-datasource","uid":"shewhart-clickhouse"}, not shewhart-prometheus',
      ),
    ]);
  });

  it('refuses PromQL that does not parse, an undefined variable in it, and a legend label the query drops', () => {
    const d = pipeline();
    const p = promPanel(d, 'Consumer lag per partition');
    p.targets[0].expr = 'max by (group, topic, partition) (shewhart_worker_consumer_lag{topic="$topic"}';
    const problems = validateDashboard(d);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('undefined variable $topic'),
        expect.stringContaining('PromQL syntax error'),
      ]),
    );
    const e = pipeline();
    const q = promPanel(e, 'Consumer lag per partition');
    q.targets[0].expr = 'max by (group, topic) (shewhart_worker_consumer_lag)';
    expect(validateDashboard(e)).toEqual([
      expect.stringContaining('legend names {{partition}}, which the query aggregates away'),
    ]);
  });
});

describe('generated JSON', () => {
  it('is what the TypeScript dashboards build (pnpm dashboards:build --check in CI)', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { GENERATED_DIR } = await import('./build.js');
    for (const [file, text] of generatedFiles())
      expect(readFileSync(join(GENERATED_DIR, file), 'utf8')).toBe(text);
  });
});
