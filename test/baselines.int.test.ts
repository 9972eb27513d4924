import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ev, startTestRuntime } from './support/embedded.js';

/**
 * Team alpha deploys 10 times a week to production for 30 weeks (Mondays from 2026-01-05). For the
 * first 20 weeks 2 of 10 fail (20 %); a process change is recorded on Monday 2026-05-25 (week 21), after
 * which none fail. Hand computation: stage 1 p̄ = 40/200 = 0.2, firm at 20 points; stage 2 p̄ = 0, so
 * its own limits would have zero width: no baseline yet, said in a note. Against stage 1's limits, stage 2 sits below the centre line for 10 weeks:
 * a WE4 run from its 8th point (2026-07-13) on.
 */
let rt: Awaited<ReturnType<typeof startTestRuntime>>;
const WEEK0 = Date.UTC(2026, 0, 5);
const day = (week: number, d = 1) =>
  new Date(WEEK0 + (week * 7 + d) * 86_400_000 + 12 * 3_600_000).toISOString();

beforeAll(async () => {
  const dir = (await import('node:fs')).mkdtempSync(
    join((await import('node:os')).tmpdir(), 'shewhart-obj-'),
  );
  const file = join(dir, 'objectives.yaml');
  writeFileSync(
    file,
    `objectives:
  - id: alpha-cfr
    kpi: change_failure_rate
    scope: { team: alpha }
    direction: lower
    target: 10
    spec: { usl: 25 }
    period: week
    owner: Quality lead
    due: 2026-12-31
`,
  );
  rt = await startTestRuntime({ SHEWHART_CONFIG: file });
  const events = [];
  for (let w = 0; w < 30; w++) {
    for (let k = 0; k < 10; k++) {
      const failed = w < 20 && k < 2;
      events.push(
        ev(
          'delivery.deployment',
          { deploymentId: `w${w}-${k}`, environment: 'production', status: failed ? 'failed' : 'success' },
          { time: day(w, k % 5) },
        ),
      );
    }
  }
  events.push(
    ev(
      'process.changed',
      { changeId: 'pc-1', kpi: 'change_failure_rate', description: 'canary releases' },
      { time: '2026-05-25T00:00:00Z' },
    ),
  );
  expect((await rt.post(events)).status).toBe(202);
  await refresh();
});
afterAll(async () => rt.dispose());

/** Stores baselines and signals now (a chart GET only reads them). */
async function refresh(): Promise<void> {
  const res = await fetch(`${rt.url}/v1/baselines/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grains: ['week'] }),
  });
  expect(res.status).toBe(200);
}

const get = async (path: string) => {
  const res = await fetch(`${rt.url}${path}`);
  // biome-ignore lint/suspicious/noExplicitAny: test assertions walk the JSON document freely
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

describe('baselines, stages and signals', () => {
  it('charts the series in two stages with frozen and provisional limits, and the shift as a signal', async () => {
    const { status, body } = await get('/v1/kpis/change_failure_rate/chart?period=week&team=alpha');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      kpi: 'change_failure_rate',
      scope: { team: 'alpha', project: null },
      period: 'week',
      chart: 'p',
      rules: ['WE1', 'WE4'],
    });
    expect(body.stages).toHaveLength(2);
    expect(body.stages[0]).toMatchObject({
      from: '2026-01-05',
      to: '2026-05-18',
      status: 'firm',
      center: 20,
      lcl: 0,
    });
    // 3σ with n = 10: 0.2 + 3·√(0.2·0.8/10) = 0.5794733…
    expect(body.stages[0].ucl).toBeCloseTo(100 * (0.2 + 3 * Math.sqrt(0.016)), 10);
    expect(body.stages[1]).toMatchObject({
      from: '2026-05-25',
      to: '2026-07-27',
      status: 'insufficient',
      center: 0,
      ucl: null,
    });
    expect(body.stages[1].note).toMatch(/zero width/);
    expect(body.stages[0].baselineId).toEqual(expect.any(String));
    expect(body.stages[1].evidence.signals.map((s: { periodStart: string }) => s.periodStart)).toEqual([
      '2026-07-13',
      '2026-07-20',
      '2026-07-27',
    ]);
    expect(body.points).toHaveLength(30);
    expect(body.points[27]).toMatchObject({ periodStart: '2026-07-13', againstPrevious: ['WE4'], stage: 1 });
    expect(body.objective).toMatchObject({ id: 'alpha-cfr', target: 10 });
  });

  it('stores each baseline version once and records the signals against the baseline in force', async () => {
    await refresh(); // a second refresh changes nothing
    const { body } = await get('/v1/baselines?kpi=change_failure_rate&team=alpha');
    expect(
      body.baselines.map((b: Record<string, unknown>) => [b.stageFrom, b.version, b.status, b.nPoints]),
    ).toEqual([['2026-01-05', 1, 'firm', 20]]);
    expect(body.baselines[0]).toMatchObject({
      ruleSet: ['WE1', 'WE4'],
      windowFrom: '2026-01-05',
      windowTo: '2026-05-18',
      reason: 'initial baseline',
    });
    const signals = await get('/v1/signals?kpi=change_failure_rate&team=alpha');
    const we4 = signals.body.signals.filter((s: { rule: string }) => s.rule === 'WE4');
    expect(we4.map((s: { periodStart: string }) => s.periodStart).sort()).toEqual([
      '2026-07-13',
      '2026-07-20',
      '2026-07-27',
    ]);
    expect(we4[0].baselineId).toBe(body.baselines[0].baselineId);
  });

  it('keeps a firm baseline frozen when late data arrive, until a recorded decision re-establishes it', async () => {
    const late = [0, 1, 2, 3, 4].map((k) =>
      ev(
        'delivery.deployment',
        { deploymentId: `late-${k}`, environment: 'production', status: 'failed' },
        { time: day(3, 2) },
      ),
    );
    expect((await rt.post(late)).status).toBe(202);
    await refresh();
    const frozen = await get('/v1/kpis/change_failure_rate/chart?period=week&team=alpha');
    expect(frozen.body.stages[0].center).toBe(20);

    const refused = await fetch(`${rt.url}/v1/baselines/change_failure_rate/rebase`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ team: 'alpha' }),
    });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('reason');

    const res = await fetch(`${rt.url}/v1/baselines/change_failure_rate/rebase`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        team: 'alpha',
        from: '2026-01-05',
        reason: 'late deployment records of week 4 imported',
        decidedBy: 'qa',
      }),
    });
    expect(res.status).toBe(201);
    const rebased = (await res.json()) as {
      decision: { effectiveFrom: string };
      stages: { center: number }[];
    };
    expect(rebased.decision.effectiveFrom).toBe('2026-01-05');
    // 45 failures of 205 deployments in stage 1 now.
    expect(rebased.stages[0]?.center).toBeCloseTo((45 / 205) * 100, 10);
    const { body } = await get('/v1/baselines?kpi=change_failure_rate&team=alpha');
    const stage1 = body.baselines.filter((b: { stageFrom: string }) => b.stageFrom === '2026-01-05');
    expect(stage1.map((b: { version: number }) => b.version)).toEqual([1, 2]);
    expect(stage1[1].reason).toMatch(/^decision .*: late deployment records/);
  });
});

describe('objectives', () => {
  it('evaluates each period: missed at 20 %, met at 0 %', async () => {
    const { body } = await get('/v1/objectives?from=2026-05-11&to=2026-06-01');
    expect(body.configured).toBe(true);
    const report = body.objectives[0];
    expect(report.objective.id).toBe('alpha-cfr');
    expect(
      report.periods.map((p: Record<string, unknown>) => [p.periodStart, p.actual, p.status, p.attainment]),
    ).toEqual([
      ['2026-05-11', 20, 'missed', 0.5],
      ['2026-05-18', 20, 'missed', 0.5],
      ['2026-05-25', 0, 'met', 1],
      ['2026-06-01', 0, 'met', 1],
    ]);
  });

  it('serves objective_attainment as a KPI', async () => {
    const { body } = await get(
      '/v1/kpis/objective_attainment?period=week&team=alpha&from=2026-05-18&to=2026-05-25',
    );
    expect(body).toEqual({
      kpi: 'objective_attainment',
      period: 'week',
      points: [
        { periodStart: '2026-05-18', value: 0, numerator: 0, denominator: 1, n: 1, provisional: false },
        { periodStart: '2026-05-25', value: 100, numerator: 1, denominator: 1, n: 1, provisional: false },
      ],
    });
    const catalogue = await get('/v1/kpis');
    expect(catalogue.body.kpis.map((k: { id: string }) => k.id)).toContain('objective_attainment');
  });
});
