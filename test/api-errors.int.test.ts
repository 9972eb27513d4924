/**
 * What a newcomer hit (issue: foundation, defects 1 and 9): `GET /v1/signals?since=…` answered 500, and an
 * unknown team, project or KPI answered "no data" instead of saying what is unknown. Every answer here
 * comes from the one error map: `{ error, message }` with one status per kind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ev, startTestRuntime } from './support/embedded.js';

let rt: Awaited<ReturnType<typeof startTestRuntime>>;
beforeAll(async () => {
  rt = await startTestRuntime();
  const res = await rt.post([
    ev('feedback.complaint', { complaintId: 'c1' }, { team: 'payments', project: 'api' }),
    ev(
      'feedback.complaint',
      { complaintId: 'c2' },
      { team: 'payments', project: 'api', time: '2024-02-07T10:00:00Z' },
    ),
  ]);
  expect(res.status).toBe(202);
});
afterAll(async () => rt.dispose());

const get = async (path: string) => {
  const res = await fetch(`${rt.url}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('signals since a date', () => {
  it('answers 200 for a valid date (the alias no longer shadows the column)', async () => {
    const r = await get('/v1/signals?since=2026-09-01');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ signals: [] });
  });

  it('answers 400 naming the field for a date that does not exist or is out of range', async () => {
    for (const since of ['2026-02-30', '9999-12-31', 'yesterday']) {
      const r = await get(`/v1/signals?since=${since}`);
      expect(r.status, since).toBe(400);
      expect(r.body.error).toBe('invalid');
      expect(String(r.body.message)).toContain('since');
    }
  });
});

describe('unknown names answer 404 and say what is unknown', () => {
  it('an unknown KPI', async () => {
    const r = await get('/v1/kpis/no_such_kpi?period=week');
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ error: 'not_found', message: expect.stringContaining('no_such_kpi') });
    expect((await get('/v1/kpis/no_such_kpi/chart')).status).toBe(404);
  });

  it('an unknown team or project, on series and charts', async () => {
    const team = await get('/v1/kpis/complaints?team=paymnets');
    expect(team.status).toBe(404);
    expect(String(team.body.message)).toContain('unknown team: paymnets');
    const project = await get('/v1/kpis/complaints?team=payments&project=nope');
    expect(project.status).toBe(404);
    expect(String(project.body.message)).toContain('unknown project: nope');
    expect((await get('/v1/kpis/complaints/chart?team=paymnets')).status).toBe(404);
  });

  it('an existing team with no data in the range stays an empty list', async () => {
    const r = await get('/v1/kpis/complaints?team=payments&from=2020-01-01&to=2020-12-31');
    expect(r.status).toBe(200);
    expect(r.body.points).toEqual([]);
    const data = await get('/v1/kpis/complaints?team=payments&project=api&period=month');
    expect(data.status).toBe(200);
    expect((data.body.points as unknown[]).length).toBe(2);
  });

  it('an unknown KPI or team on a decision (rebase, causes) is 404, not 500, and records nothing', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${rt.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const noKpi = await post('/v1/baselines/no_such_kpi/rebase', { reason: 'a new process' });
    expect(noKpi.status).toBe(404);
    const noTeam = await post('/v1/baselines/complaints/rebase', {
      reason: 'a new process',
      team: 'nobody',
    });
    expect(noTeam.status).toBe(404);
    expect(((await noTeam.json()) as { message: string }).message).toContain('unknown team: nobody');
    const cause = await post('/v1/baselines/complaints/causes', {
      team: 'nobody',
      periodStart: '2024-01-01',
      causeCode: 'x',
      reference: 'CAR-1',
    });
    expect(cause.status).toBe(404);
    const rs = await rt.warehouse.client.query({
      query: 'SELECT (SELECT count() FROM baseline_decisions) + (SELECT count() FROM assignable_causes) AS n',
      format: 'JSONEachRow',
    });
    expect(Number((await rs.json<{ n: string }>())[0]?.n)).toBe(0);
  });
});
