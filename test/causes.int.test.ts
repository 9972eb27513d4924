import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ev, startTestRuntime } from './support/embedded.js';

/**
 * Defect arrivals (c chart) for teams gamma and delta: 25 weeks of 5 defects from Monday 2026-01-05,
 * except week 6 (2026-02-09) with 30. Hand computation for gamma with the cause recorded: Phase I = the
 * first 20 weeks; week 6 is beyond the limits (c̄ = 125/20 = 6.25, UCL = 6.25 + 3·√6.25 = 13.75), has
 * a cause, so it leaves the baseline and the window grows to 21 weeks to keep 20 values: c̄ = 100/20 = 5.
 */
let rt: Awaited<ReturnType<typeof startTestRuntime>>;

beforeAll(async () => {
  rt = await startTestRuntime();
  const events = [];
  for (const team of ['gamma', 'delta']) {
    for (let w = 0; w < 25; w++) {
      const count = w === 5 ? 30 : 5;
      for (let k = 0; k < count; k++) {
        const time = new Date(Date.UTC(2026, 0, 6 + 7 * w, 9, k)).toISOString();
        events.push(
          ev(
            'defect.reported',
            { defectId: `${team}-${w}-${k}`, severity: 'minor', detectionActivity: 'unit_test' },
            { time, team },
          ),
        );
      }
    }
  }
  expect((await rt.post(events)).status).toBe(202);
});
afterAll(async () => rt.dispose());

const postCause = (body: Record<string, unknown>) =>
  fetch(`${rt.url}/v1/baselines/defect_arrivals/causes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('assignable causes', () => {
  it('takes a flagged Phase-I point out of a baseline that is not frozen yet', async () => {
    const res = await postCause({
      team: 'gamma',
      periodStart: '2026-02-11',
      causeCode: 'BULK-IMPORT',
      reference: 'CAR-17',
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as {
      cause: Record<string, unknown>;
      excluded: boolean;
      stage: Record<string, unknown>;
    };
    // Any day of the period names the period.
    expect(body.cause).toMatchObject({
      periodStart: '2026-02-09',
      causeCode: 'BULK-IMPORT',
      reference: 'CAR-17',
    });
    expect(body.excluded).toBe(true);
    expect(body.stage).toMatchObject({ status: 'firm', center: 5, frozen: false });
    const baselines = (await (
      await fetch(`${rt.url}/v1/baselines?kpi=defect_arrivals&team=gamma`)
    ).json()) as {
      baselines: { nPoints: number; excluded: string[] }[];
    };
    // The Phase-I window grows by one week for the excluded one, so 20 values still make it firm.
    expect(baselines.baselines).toEqual([
      expect.objectContaining({
        nPoints: 20,
        excluded: ['2026-02-09'],
        windowTo: '2026-05-25',
        status: 'firm',
      }),
    ]);
    const listed = (await (
      await fetch(`${rt.url}/v1/baselines/defect_arrivals/causes?team=gamma`)
    ).json()) as {
      causes: unknown[];
    };
    expect(listed.causes).toHaveLength(1);
  });

  it('leaves a frozen baseline as it is: only a recorded rebase decision re-establishes it', async () => {
    // Baselines are stored by a refresh; a chart GET only reads them.
    const refreshed = await fetch(`${rt.url}/v1/baselines/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grains: ['week'] }),
    });
    expect(refreshed.status).toBe(200);
    const chart = (await (await fetch(`${rt.url}/v1/kpis/defect_arrivals/chart?team=delta`)).json()) as {
      stages: { center: number; status: string }[];
    };
    expect(chart.stages[0]).toMatchObject({ status: 'firm', center: 6.25 });
    const res = await postCause({
      team: 'delta',
      periodStart: '2026-02-09',
      causeCode: 'BULK-IMPORT',
      reference: 'CAR-18',
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ excluded: false, stage: { center: 6.25, frozen: true } });
    const rebase = await fetch(`${rt.url}/v1/baselines/defect_arrivals/rebase`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ team: 'delta', reason: 'apply CAR-18: week 6 was a bulk import' }),
    });
    expect(rebase.status).toBe(201);
    expect(((await rebase.json()) as { stages: { center: number }[] }).stages[0]?.center).toBe(5);
  });

  it('requires the cause code and the NC/CAR reference', async () => {
    const res = await postCause({ team: 'gamma', periodStart: '2026-02-09', causeCode: 'X' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('reference');
  });
});
