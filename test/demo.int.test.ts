import { generateDemo } from '@shewhart/cli/demo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime } from './support/embedded.js';

/**
 * What `start --demo` promises a newcomer (README): the charts show the demo's planted effects. The
 * `payments` team's process change (a `process.changed` event, 60 % of the way through the history)
 * starts a new stage of its change failure rate, and the improvement shows as signals against the
 * limits of the stage before (the new stage's evidence); the `mobile` team's defect arrivals, which double in the last twelve
 * weeks, raise signals there. The demo's default history (104 weeks, 4 teams, seed 42), ending on a
 * fixed Monday so the test never depends on the day it runs.
 */
let rt: Awaited<ReturnType<typeof startTestRuntime>>;
const END = new Date('2026-11-23T00:00:00Z');
const events = [...generateDemo({ weeks: 104, teams: 4, seed: 42, end: END })];
const change = events.find((e) => e.type === 'process.changed');

beforeAll(async () => {
  rt = await startTestRuntime();
  for (let i = 0; i < events.length; i += 5_000)
    expect((await rt.post(events.slice(i, i + 5_000))).status).toBe(202);
  // Baselines and signals are stored by a refresh (the chart only reads them); the demo's weeks have ended.
  const res = await fetch(`${rt.url}/v1/baselines/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grains: ['week'] }),
  });
  expect(res.status).toBe(200);
});
afterAll(async () => rt.dispose());

interface Chart {
  stages: {
    from: string;
    to: string | null;
    center: number | null;
    status: string;
    evidence: { againstStage: number; signals: { periodStart: string; rules: string[] }[] } | null;
  }[];
  points: { periodStart: string; value: number | null; rules: string[] }[];
}

async function chart(kpi: string, team: string): Promise<Chart> {
  const res = await fetch(
    `${rt.url}/v1/kpis/${kpi}/chart?period=week&team=${team}&asOf=${END.toISOString()}`,
  );
  expect(res.status).toBe(200);
  return (await res.json()) as Chart;
}

describe('the demo', () => {
  it("starts a new stage at the payments team's process change and signals its improvement", async () => {
    expect(change?.team).toBe('payments');
    const c = await chart('change_failure_rate', 'payments');
    // The change is recorded on Monday 2026-02-02 at 01:00: that week began before it, so the new
    // stage starts with the first whole week after it (docs/methods.md §5.9: points after the change).
    expect(change?.time).toBe('2026-02-02T01:00:00.000Z');
    const week = '2026-02-09';
    expect(c.stages.map((s) => s.from)).toContain(week);
    const before = c.stages.find((s) => s.to !== null && s.to < week);
    const after = c.stages.find((s) => s.from === week);
    expect(before?.center).toBeGreaterThan(0);
    expect(after?.center ?? 0).toBeLessThan(before?.center as number);
    // The shift is the new stage's evidence: signals of its points against the old stage's frozen limits.
    expect(after?.evidence?.againstStage).toBe(c.stages.indexOf(before as Chart['stages'][number]));
    const signals = after?.evidence?.signals ?? [];
    expect(signals.length).toBeGreaterThan(0);
    for (const sig of signals) {
      expect(sig.periodStart >= week).toBe(true);
      expect(sig.rules.length).toBeGreaterThan(0);
    }
  });

  it("signals the mobile team's rising defect arrivals in the last twelve weeks", async () => {
    const c = await chart('defect_arrivals', 'mobile');
    const last12 = new Date(END.getTime() - 12 * 7 * 86_400_000).toISOString().slice(0, 10);
    const early = c.points.filter((p) => p.periodStart < last12 && p.rules.length > 0);
    const late = c.points.filter((p) => p.periodStart >= last12 && p.rules.length > 0);
    expect(late.length).toBeGreaterThan(0);
    expect(late.length).toBeGreaterThan(early.length / 8);
  });
});
