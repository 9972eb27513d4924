import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hostileRequests, sendRaw } from '../packages/bench/src/hostile-requests.js';
import { ev, startTestRuntime } from './support/embedded.js';

/**
 * Property: whatever an attacker sends to any route of the API — odd spellings and segments, odd query
 * parameters, wrong methods and content types, bodies that are not UTF-8 or not JSON, nested too deep,
 * too many events, hostile strings in any field — the answer is never a 5xx, always comes within the
 * request deadline, and a refused request stores nothing (docs/reliability.md, "How it is tested").
 * `pnpm bench hostile` sends 100,000 of the same requests to a real server.
 */
const DEADLINE_MS = 5_000;
/** Scheduling slack on a shared 2-core machine: an answer later than this is not an answer. */
const GRACE_MS = 5_000;
/** About a thousand requests in the suite, under a minute (fast-check prints the seed of a failing run to replay it). */
const RUNS = 800;

let rt: Awaited<ReturnType<typeof startTestRuntime>>;
beforeAll(async () => {
  rt = await startTestRuntime({
    SHEWHART_REQUEST_TIMEOUT_MS: String(DEADLINE_MS),
    // The background refresher would store baselines and signals between two requests on its own.
    SHEWHART_BASELINE_REFRESH_MS: String(24 * 3600 * 1000),
  });
  const seed = [
    ev('defect.reported', { defectId: 'd1', severity: 'major', detectionActivity: 'unit_test' }),
    ev('feedback.complaint', { complaintId: 'k1' }, { time: '2024-01-10T10:00:00Z' }),
    ev('delivery.deployment', {
      deploymentId: 'dep0',
      environment: 'production',
      status: 'success',
      changes: [{ changeId: 'c0', committedAt: '2024-01-02T10:00:00Z' }],
    }),
  ];
  expect((await rt.post(seed)).status).toBe(202);
});
afterAll(async () => rt.dispose());

const TABLES = ['events_raw', 'baseline_decisions', 'assignable_causes', 'baselines', 'signals'] as const;

async function counts(): Promise<Record<string, number>> {
  const rs = await rt.warehouse.client.query({
    query: `SELECT ${TABLES.map((t) => `(SELECT count() FROM ${t}) AS ${t}`).join(', ')}`,
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<Record<string, string>>();
  return Object.fromEntries(TABLES.map((t) => [t, Number(row?.[t])]));
}

it('answers every hostile request of every route with a status below 500, within the deadline, storing nothing it refuses', async () => {
  const routes = rt.app.routeList;
  expect(routes.length).toBeGreaterThan(10);
  const seen = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(hostileRequests(routes), async (req) => {
      const before = await counts();
      const res = await sendRaw(rt.url, req, DEADLINE_MS + GRACE_MS);
      seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
      const what = `${req.method} ${req.path.slice(0, 200)} → ${res.status} ${res.body.slice(0, 300)} ${res.error ?? ''}`;
      expect(res.status, what).toBeGreaterThanOrEqual(200);
      expect(res.status, what).toBeLessThan(500);
      if (res.status >= 400) expect(await counts(), what).toEqual(before);
    }),
    { numRuns: RUNS },
  );
  // The generator reaches the handlers, not only the router and the body parser.
  expect([...seen.keys()].filter((s) => s >= 200 && s < 300).length).toBeGreaterThan(0);
  expect(seen.get(400) ?? 0).toBeGreaterThan(0);
}, 300_000);
