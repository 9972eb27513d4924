/**
 * From event to panel on the embedded default: the runtime installs the KPI views at start (openStorage),
 * records the objectives of its configuration file, and a panel's SQL (the defects dashboard's arrivals
 * panel, expanded as the ClickHouse plugin does) shows an event once the entity states have caught up
 * (a second after the stored batch). Asserts that it arrives (polled under a deadline); how fast is
 * measured by `pnpm bench freshness` (docs/benchmarks.md).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GENERATED_DIR } from '../dashboards/src/build.js';
import { expandQuery } from '../dashboards/src/expand.js';
import { type DashboardJson, panelsOf } from '../dashboards/src/validate.js';
import { EXAMPLE_CONFIG } from './support/demo-warehouse.js';
import { ev, startTestRuntime } from './support/embedded.js';
import { eventually } from './support/wait.js';

let rt: Awaited<ReturnType<typeof startTestRuntime>>;
beforeAll(async () => {
  rt = await startTestRuntime({ SHEWHART_CONFIG: EXAMPLE_CONFIG });
});
afterAll(() => rt?.dispose());

const defects = JSON.parse(
  readFileSync(join(GENERATED_DIR, 'shewhart-defects.json'), 'utf8'),
) as DashboardJson;
const panelSql = panelsOf(defects).find((p) => p.targets?.[0]?.rawSql?.includes('kpi_defect_arrivals_'))
  ?.targets?.[0]?.rawSql as string;

async function arrivalsShown(): Promise<number> {
  const now = new Date();
  const sql = expandQuery(panelSql.replace('WHERE open = 0', 'WHERE 1'), {
    from: new Date(now.getTime() - 7 * 86_400_000),
    to: now,
    intervalMs: 3_600_000,
    variables: {
      team: { value: 'freshness' },
      project: { value: '$__all', allValue: '*' },
      grain: { value: 'day' },
    },
  });
  // On a new data directory the state tables appear with the first catch-up, a moment after start.
  const rs = await rt.warehouse.client.query({ query: sql, format: 'JSONEachRow' }).catch((error: Error) => {
    if (/UNKNOWN_TABLE|Unknown table/.test(error.message)) return undefined;
    throw error;
  });
  if (!rs) return 0;
  return (await rs.json<Record<string, unknown>>()).reduce(
    (sum, r) => sum + Number(r.defect_arrivals ?? 0),
    0,
  );
}

it('shows each stored event in a panel, and the objectives in force', async () => {
  const objectives = await rt.warehouse.client.query({
    query: 'SELECT count() AS n FROM objectives_current',
    format: 'JSONEachRow',
  });
  expect(Number((await objectives.json<{ n: string }>())[0]?.n)).toBeGreaterThan(0);
  for (let i = 1; i <= 8; i++) {
    const res = await rt.post(
      ev(
        'defect.reported',
        { defectId: `fresh-${i}`, severity: 'minor', detectionActivity: 'system_test' },
        { team: 'freshness', time: new Date().toISOString() },
      ),
    );
    expect(res.status).toBe(202);
    await eventually(
      `event ${i} on the panel`,
      async () => ((await arrivalsShown()) >= i ? true : undefined),
      30_000,
    );
  }
});
