import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ev, startTestRuntime } from './support/embedded.js';
import { eventually } from './support/wait.js';

let rt: Awaited<ReturnType<typeof startTestRuntime>>;
beforeAll(async () => {
  rt = await startTestRuntime({ SHEWHART_BASELINE_REFRESH_MS: '200' });
});
afterAll(async () => rt.dispose());

describe('baselines kept current as events arrive', () => {
  it('refreshes baselines and signals after new data, without anyone asking for a chart', async () => {
    // 12 weeks of defect arrivals for team beta: 5 a week, then 40 in the last week (a WE1 point).
    const events = [];
    for (let w = 0; w < 12; w++) {
      const count = w === 11 ? 40 : 5;
      for (let k = 0; k < count; k++) {
        const time = new Date(Date.UTC(2026, 0, 6 + 7 * w, 10, k)).toISOString();
        events.push(
          ev(
            'defect.reported',
            { defectId: `b${w}-${k}`, severity: 'minor', detectionActivity: 'unit_test' },
            { time, team: 'beta' },
          ),
        );
      }
    }
    expect((await rt.post(events)).status).toBe(202);
    type Baseline = { kpi: string; team: string; status: string; nPoints: number };
    const baselines = await eventually(
      'a baseline of beta refreshed in the background',
      async () => {
        const res = await fetch(`${rt.url}/v1/baselines?kpi=defect_arrivals&team=beta`);
        const found = ((await res.json()) as { baselines: Baseline[] }).baselines;
        return found.length > 0 ? found : undefined;
      },
      30_000,
      100,
    );
    // c chart: 11 weeks of 5 and one of 40 → provisional (12 points < 20).
    expect(baselines).toEqual([
      expect.objectContaining({ kpi: 'defect_arrivals', team: 'beta', status: 'provisional', nPoints: 12 }),
    ]);
    const signals = (await (await fetch(`${rt.url}/v1/signals?kpi=defect_arrivals&team=beta`)).json()) as {
      signals: { rule: string; periodStart: string }[];
    };
    expect(signals.signals).toContainEqual(
      expect.objectContaining({ rule: 'WE1', periodStart: '2026-03-23' }),
    );
  });
});
