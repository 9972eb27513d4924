import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime } from './support/embedded.js';

/**
 * What `GET /v1/kpis` answers about the request itself: statuses and the catalogue. The KPI values are
 * checked against the storage alone, next to their SQL (packages/kpi/src/**\/*.int.test.ts).
 */
let rt: Awaited<ReturnType<typeof startTestRuntime>>;

async function kpi(id: string, query: string) {
  const res = await fetch(`${rt.url}/v1/kpis/${id}?${query}`);
  return { status: res.status, body: (await res.json()) as unknown };
}

beforeAll(async () => {
  rt = await startTestRuntime();
});
afterAll(async () => rt?.dispose());

describe('GET /v1/kpis', () => {
  it('validates queries: unknown KPI 404, bad period or bounds 400, catalogue listed', async () => {
    expect((await kpi('nope', 'period=week')).status).toBe(404);
    const bad = await kpi('defect_arrivals', 'period=year');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('period');
    expect((await kpi('defect_arrivals', 'from=yesterday')).status).toBe(400);
    expect((await kpi('defect_arrivals', 'from=2024-02-01&to=2024-01-01')).status).toBe(400);
    const cat = (await (await fetch(`${rt.url}/v1/kpis`)).json()) as { kpis: { id: string }[] };
    expect(cat.kpis.map((k) => k.id)).toEqual(
      expect.arrayContaining([
        'change_failure_rate',
        'deployment_frequency',
        'lead_time_for_changes',
        'time_to_restore',
        'defect_arrivals',
      ]),
    );
  });

  it('refuses a value outside a KPI dimension with 400', async () => {
    expect((await kpi('phase_containment', 'phase=unknown')).status).toBe(400);
    expect((await kpi('productivity', 'unit=loc')).status).toBe(400);
  });
});
