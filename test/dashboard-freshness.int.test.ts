/**
 * From event to panel on the embedded default: the runtime installs the KPI views at start (openStorage),
 * records the objectives of its configuration file, and a panel's SQL (the defects dashboard's arrivals
 * panel, expanded as the ClickHouse plugin does) shows an event once the entity states have caught up
 * (a second after the stored batch). Prints the measured delay; asserts only that it arrives (polled
 * under a deadline).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GENERATED_DIR } from '../dashboards/src/build.js';
import { expandQuery } from '../dashboards/src/expand.js';
import { type DashboardJson, panelsOf } from '../dashboards/src/validate.js';
import { EXAMPLE_CONFIG } from './support/demo-warehouse.js';
import { ev, startTestRuntime } from './support/embedded.js';

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

it('shows a stored event in a panel within seconds, and the objectives in force', async () => {
  const objectives = await rt.warehouse.client.query({
    query: 'SELECT count() AS n FROM objectives_current',
    format: 'JSONEachRow',
  });
  expect(Number((await objectives.json<{ n: string }>())[0]?.n)).toBeGreaterThan(0);
  const delays: number[] = [];
  for (let i = 1; i <= 8; i++) {
    const sent = performance.now();
    const res = await rt.post(
      ev(
        'defect.reported',
        { defectId: `fresh-${i}`, severity: 'minor', detectionActivity: 'system_test' },
        { team: 'freshness', time: new Date().toISOString() },
      ),
    );
    expect(res.status).toBe(202);
    const deadline = Date.now() + 30_000;
    while ((await arrivalsShown()) < i) {
      if (Date.now() > deadline) throw new Error(`event ${i} not on the panel after 30 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
    delays.push(performance.now() - sent);
  }
  delays.sort((a, b) => a - b);
  console.log(
    `event → panel on the embedded default: median ${Math.round(delays[4] as number)} ms, max ${Math.round(delays.at(-1) as number)} ms (8 events)`,
  );
});
