import { describe, expect, it } from 'vitest';
import { generatedFiles } from './build.js';
import { buildDashboards } from './catalogue.js';
import { DATASOURCE } from './datasource.js';
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

describe('generated JSON', () => {
  it('is what the TypeScript dashboards build (pnpm dashboards:build --check in CI)', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { GENERATED_DIR } = await import('./build.js');
    for (const [file, text] of generatedFiles())
      expect(readFileSync(join(GENERATED_DIR, file), 'utf8')).toBe(text);
  });
});
