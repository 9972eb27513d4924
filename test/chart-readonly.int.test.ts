import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ev, startTestRuntime } from './support/embedded.js';

/**
 * Defect arrivals of team kappa: 24 closed weeks of about 20 defects, then 3 reported so far in the
 * current, unfinished week (issue 10, defect 2: those 3 raised a WE1 signal). The background refresher
 * is held off, so only this file's explicit refresh stores anything.
 */
let rt: Awaited<ReturnType<typeof startTestRuntime>>;
const DAY = 86_400_000;
const now = new Date();
const monday = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
monday.setUTCDate(monday.getUTCDate() - ((monday.getUTCDay() + 6) % 7));
const current = monday.toISOString().slice(0, 10);
const weekly = [
  20, 22, 18, 21, 19, 24, 17, 20, 23, 18, 21, 20, 19, 22, 16, 20, 21, 18, 24, 19, 20, 22, 18, 21,
];

beforeAll(async () => {
  rt = await startTestRuntime({ SHEWHART_BASELINE_REFRESH_MS: '86400000' });
  const events = [];
  weekly.forEach((count, k) => {
    const start = monday.getTime() - (weekly.length - k) * 7 * DAY;
    for (let i = 0; i < count; i++) {
      const time = new Date(start + (i % 5) * DAY + 10 * 3_600_000).toISOString();
      events.push(
        ev(
          'defect.reported',
          { defectId: `w${k}-${i}`, severity: 'minor', detectionActivity: 'unit_test' },
          { team: 'kappa', time },
        ),
      );
    }
  });
  // The current week so far: between Monday 00:00 and now.
  const sofar = new Date(monday.getTime() + (now.getTime() - monday.getTime()) / 2).toISOString();
  for (let i = 0; i < 3; i++)
    events.push(
      ev(
        'defect.reported',
        { defectId: `now-${i}`, severity: 'minor', detectionActivity: 'unit_test' },
        { team: 'kappa', time: sofar },
      ),
    );
  expect((await rt.post(events)).status).toBe(202);
});
afterAll(async () => rt.dispose());

const rows = async () => {
  const rs = await rt.warehouse.client.query({
    query: 'SELECT (SELECT count() FROM baselines) AS baselines, (SELECT count() FROM signals) AS signals',
    format: 'JSONEachRow',
  });
  const [r] = await rs.json<{ baselines: string | number; signals: string | number }>();
  return { baselines: Number(r?.baselines), signals: Number(r?.signals) };
};

// biome-ignore lint/suspicious/noExplicitAny: test assertions walk the JSON document freely
const chart = async (): Promise<Record<string, any>> => {
  const res = await fetch(`${rt.url}/v1/kpis/defect_arrivals/chart?period=week&team=kappa`);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
};

describe('GET /v1/kpis/:id/chart reads, never writes', () => {
  it('serves the points of a series never refreshed, says no baseline is stored yet, and stores nothing', async () => {
    expect(await rows()).toEqual({ baselines: 0, signals: 0 });
    const doc = await chart();
    expect(await rows()).toEqual({ baselines: 0, signals: 0 });
    expect(doc.points).toHaveLength(weekly.length + 1);
    expect(doc.stale).toBe(true);
    expect(doc.pending.baselines).toBe(1);
    expect(doc.note).toMatch(/no baseline is stored for this series yet.*baseline refresh/);
    expect(doc.stages[0]).toMatchObject({ status: 'insufficient', baselineId: null, version: null });
    expect(doc.points.every((p: { rules: string[] }) => p.rules.length === 0)).toBe(true);
    expect(doc).toMatchObject({ title: 'Defect arrivals', unit: 'count', better: 'lower', chart: 'c' });
  });

  it('after a refresh, serves the stored baseline and stores nothing more on a GET', async () => {
    const res = await fetch(`${rt.url}/v1/baselines/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grains: ['week'] }),
    });
    expect(res.status).toBe(200);
    const stored = await rows();
    expect(stored.baselines).toBeGreaterThan(0);
    const doc = await chart();
    expect(await rows()).toEqual(stored);
    expect(doc).toMatchObject({ stale: false, pending: { baselines: 0, signals: 0 }, note: null });
    expect(doc.stages[0]).toMatchObject({ status: 'firm', version: 1, baselineId: expect.any(String) });
  });
});

describe('open periods (docs/methods.md §5.9 rule 7)', () => {
  it('lists the current week as open, never evaluated, and stores no signal for it', async () => {
    const doc = await chart();
    const last = doc.points.at(-1);
    expect(last).toMatchObject({ periodStart: current, value: 3, open: true, rules: [] });
    // Judged as a whole week, 3 defects would be far below the lower limit (c̄ = 20.15, LCL ≈ 6.7).
    expect(last.z).toBeLessThan(-3);
    expect(doc.points.slice(0, -1).every((p: { open: boolean }) => !p.open)).toBe(true);
    const signals = await fetch(`${rt.url}/v1/signals?kpi=defect_arrivals&team=kappa`);
    const body = (await signals.json()) as { signals: { periodStart: string }[] };
    expect(body.signals.filter((s) => s.periodStart === current)).toEqual([]);
    expect(doc.signals.filter((s: { periodStart: string }) => s.periodStart === current)).toEqual([]);
  });
});
