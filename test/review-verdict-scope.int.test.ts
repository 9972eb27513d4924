import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ev, startTestRuntime } from './support/embedded.js';
import { eventually } from './support/wait.js';

/**
 * The improvement verdicts of a `kpi: "*"` process change are judged on the objectives in the change's
 * scope, each in (and labelled with) its own scope: a change in one project is never judged on another
 * project's objective, nor labelled with its project when judged on the team-wide series.
 */
const CONFIG = 'test/fixtures/verdict-scope-objectives.yaml';
let rt: Awaited<ReturnType<typeof startTestRuntime>>;

interface Verdict {
  changeId: string;
  kpi: string;
  scope: string;
  grain: string;
  minEffect: number;
}

const change = (changeId: string, project: string | undefined, time: string) =>
  ev(
    'process.changed',
    { changeId, kpi: '*', description: `change ${changeId}` },
    { team: 'payments', time, ...(project ? { project } : {}) },
  );
const defect = (team: string, project: string | undefined) =>
  ev(
    'defect.reported',
    { defectId: `d-${team}-${project ?? 'all'}`, severity: 'major', detectionActivity: 'unit_test' },
    { team, time: '2026-07-06T10:00:00Z', ...(project ? { project } : {}) },
  );

beforeAll(async () => {
  rt = await startTestRuntime({ SHEWHART_CONFIG: CONFIG });
  // Every scope of the objectives is named by an event (a chart of a scope no event names is none).
  const events = [
    defect('payments', undefined),
    defect('payments', 'web'),
    defect('payments', 'api'),
    defect('platform', undefined),
    change('pc-api', 'api', '2026-08-03T10:00:00Z'),
    change('pc-team', undefined, '2026-08-10T10:00:00Z'),
  ];
  expect((await rt.post(events)).status).toBe(202);
  await eventually('the events stored', async () => {
    const rs = await rt.storage.states.client.query({
      query: 'SELECT count() AS n FROM events_raw',
      format: 'JSONEachRow',
    });
    return Number((await rs.json<{ n: string }>())[0]?.n) === events.length ? true : undefined;
  });
}, 120_000);
afterAll(async () => {
  await rt?.dispose();
});

describe('improvement verdicts of a change to every KPI', () => {
  let verdicts: Verdict[];
  beforeAll(async () => {
    const res = await fetch(`${rt.url}/v1/reports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ quarter: '2026-Q3' }),
    });
    expect(res.status).toBe(201);
    const pack = (await res.json()) as {
      sections: { blocks: { kind: string; id?: string; rows?: Verdict[] }[] }[];
    };
    const table = pack.sections.flatMap((s) => s.blocks).find((b) => b.id === 'improvement-verdicts');
    verdicts = table?.rows ?? [];
  }, 300_000);

  const of = (changeId: string) =>
    verdicts
      .filter((v) => v.changeId === changeId)
      .map((v) => [v.kpi, v.scope, v.grain, v.minEffect])
      .sort();

  it("judges a project's change on its project's and its team's objectives, in their own scopes", () => {
    expect(of('pc-api')).toEqual([
      ['change_failure_rate', 'payments', 'month', 5],
      ['lead_time_for_changes', 'payments/api', 'week', 8],
    ]);
  });

  it("judges a team's change on every objective of the team, each labelled with its scope", () => {
    expect(of('pc-team')).toEqual([
      ['change_failure_rate', 'payments', 'month', 5],
      ['defect_arrivals', 'payments/web', 'week', 2],
      ['lead_time_for_changes', 'payments/api', 'week', 8],
    ]);
  });
});
