import { join } from 'node:path';
import { generateDemo, teamNames } from '@shewhart/cli/demo';
import { findKpi } from '@shewhart/kpi';
import { loadObjectivesFile, type ObjectiveReport } from '@shewhart/objectives';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime } from './support/embedded.js';

/**
 * The example objectives file the demo ships (`infra/config/shewhart.example.yaml`, issue 10 defect 7):
 * valid for the objectives loader, spread over the KPI families and the demo's teams, and plausible on
 * the demo's data — every objective is evaluable, and none is met (or missed) in every period, so
 * status, attainment, capability and the objective lines all have something to show. The demo's
 * default history (104 weeks, 4 teams, seed 42) ends on a fixed Monday so nothing depends on today.
 */
const FILE = join(import.meta.dirname, '..', 'infra', 'config', 'shewhart.example.yaml');
const END = new Date('2026-11-23T00:00:00Z');
const objectives = loadObjectivesFile(FILE);

const events = [...generateDemo({ weeks: 104, teams: 4, seed: 42, end: END })];
const changedAt = events.find((e) => e.type === 'process.changed')?.time as string;

let rt: Awaited<ReturnType<typeof startTestRuntime>>;
let reports: ObjectiveReport[];

beforeAll(async () => {
  rt = await startTestRuntime({ SHEWHART_CONFIG: FILE });
  for (let i = 0; i < events.length; i += 5_000)
    expect((await rt.post(events.slice(i, i + 5_000))).status).toBe(202);
  // Charts read stored baselines (a GET never refreshes): store them first.
  const refreshed = await fetch(`${rt.url}/v1/baselines/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grains: ['week'] }),
  });
  expect(refreshed.status).toBe(200);
  const res = await fetch(`${rt.url}/v1/objectives?to=${END.toISOString().slice(0, 10)}`);
  expect(res.status).toBe(200);
  const doc = (await res.json()) as { configured: boolean; objectives: ObjectiveReport[] };
  expect(doc.configured).toBe(true);
  reports = doc.objectives;
});
afterAll(async () => rt?.dispose());

describe('infra/config/shewhart.example.yaml', () => {
  it('is a valid objectives file covering every KPI family and the demo teams', () => {
    const families = new Set(
      objectives.map((o) => {
        const kpi = o.kpi;
        expect(findKpi(kpi), kpi).toBeDefined();
        if (kpi.startsWith('capa_')) return 'capa';
        if (kpi.startsWith('review_')) return 'reviews';
        if (['csat', 'nps', 'complaints', 'customer_reported_defects'].includes(kpi)) return 'customer';
        if (kpi.startsWith('defect_')) return 'defects';
        return 'delivery';
      }),
    );
    expect([...families].sort()).toEqual(['capa', 'customer', 'defects', 'delivery', 'reviews']);
    const teams = new Set(objectives.flatMap((o) => (o.scope === 'org' ? [] : [o.scope.team])));
    for (const team of teams) expect(teamNames(4)).toContain(team);
    expect(teams.size).toBeGreaterThanOrEqual(3);
    expect(objectives.some((o) => o.scope === 'org')).toBe(true);
    expect(objectives.some((o) => o.direction === 'range')).toBe(true);
    expect(objectives.filter((o) => o.spec).length).toBeGreaterThanOrEqual(3);
  });

  it('is plausible on the demo: every objective is evaluable, met in some periods and missed in others', () => {
    const summary = reports.map((r) => {
      const met = r.periods.filter((p) => p.status === 'met').length;
      const missed = r.periods.filter((p) => p.status === 'missed').length;
      return { id: r.objective.id, met, missed, latest: r.latest?.status };
    });
    for (const s of summary) {
      expect(s.met, s.id).toBeGreaterThan(0);
      expect(s.missed, s.id).toBeGreaterThan(0);
    }
  });

  it("shows payments' process change: its change failure objective goes from mostly missed to mostly met", () => {
    const cfr = reports.find((r) => r.objective.id === 'payments-change-failure-rate') as ObjectiveReport;
    const share = (ps: typeof cfr.periods) => ps.filter((p) => p.status === 'met').length / ps.length;
    const before = cfr.periods.filter((p) => p.periodStart < changedAt.slice(0, 10));
    const after = cfr.periods.filter((p) => p.periodStart > changedAt.slice(0, 10));
    expect(share(before)).toBeLessThan(0.5);
    expect(share(after)).toBeGreaterThan(0.5);
  });

  it('draws the objective on its chart and computes capability against its spec limits', async () => {
    const res = await fetch(
      `${rt.url}/v1/kpis/lead_time_for_changes/chart?period=week&team=payments&asOf=${END.toISOString()}`,
    );
    expect(res.status).toBe(200);
    const chart = (await res.json()) as {
      objective: { id: string } | null;
      capability: { reason: string | null; usl: number | null; cpk: number | null } | null;
    };
    expect(chart.objective?.id).toBe('payments-lead-time');
    expect(chart.capability).toMatchObject({ reason: null, usl: expect.any(Number) });
    expect(chart.capability?.cpk).toBeGreaterThan(0);
  });
});
