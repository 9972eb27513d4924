import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { controlChart } from './dashboards/control-chart.dashboard.js';
import { defects } from './dashboards/defects.dashboard.js';
import { delivery } from './dashboards/delivery.dashboard.js';
import { objectivesCapa } from './dashboards/objectives-capa.dashboard.js';
import { pipelineHealth } from './dashboards/pipeline-health.dashboard.js';
import { qualityOverview } from './dashboards/quality-overview.dashboard.js';
import { reviews } from './dashboards/reviews.dashboard.js';

const MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), '../../packages/warehouse/src/migrations');

/**
 * Whether a migration creates `table`: panels over tables other work adds (alerts, refused events) join
 * the dashboards in the build after their migration lands, and the stale-JSON check asks for that build.
 */
export function migrationCreates(table: string, dir = MIGRATIONS): boolean {
  const create = new RegExp(`CREATE\\s+TABLE\\s+IF\\s+NOT\\s+EXISTS\\s+${table}\\s*\\(`, 'i');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .some((f) => create.test(readFileSync(join(dir, f), 'utf8')));
}

/** Every dashboard, built: one file per dashboard under `dashboards/`, the uid fixed in each. */
export function buildDashboards(
  tables = { alerts: migrationCreates('alerts'), rejections: migrationCreates('ingest_rejections') },
): dashboard.Dashboard[] {
  return [
    qualityOverview({ alerts: tables.alerts }),
    delivery(),
    defects(),
    reviews(),
    controlChart(),
    objectivesCapa(),
    pipelineHealth({ rejections: tables.rejections }),
  ].map((d) => d.build());
}
