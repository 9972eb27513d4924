import { RedisLock } from '@shewhart/bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ev, startTestRuntime } from './support/embedded.js';

/**
 * Processes sharing a ClickHouse server catch the KPI states up under a Redis lock. When that lock cannot
 * be taken, a KPI query must say "retry later" (503), not fail as an internal error or read stale data.
 */
let rt: Awaited<ReturnType<typeof startTestRuntime>>;

beforeAll(async () => {
  rt = await startTestRuntime();
  const res = await rt.post([
    ev('defect.reported', { defectId: 'D1', severity: 'minor', detectionActivity: 'system_test' }),
  ]);
  expect(res.status, await res.text()).toBe(202);
});

afterAll(async () => {
  await rt?.dispose();
});

describe('KPI queries while the shared lock is unreachable', () => {
  it('answer 503 with Retry-After, and serve again once the lock can be taken', async () => {
    const unreachable = new RedisLock({
      url: 'redis://127.0.0.1:1',
      key: 'shewhart-test:unreachable',
      waitMs: 300,
    });
    const rollups = rt.storage.states;
    try {
      rollups.useLock(unreachable);
      const res = await fetch(`${rt.url}/v1/kpis/defect_arrivals?period=week`);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(await res.json()).toMatchObject({ error: 'unavailable' });
    } finally {
      rollups.useLock({ run: (work) => work(() => undefined) });
      await unreachable.close();
    }
    const res = await fetch(`${rt.url}/v1/kpis/defect_arrivals?period=week`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { points: unknown[] }).points).toEqual([
      expect.objectContaining({ periodStart: '2024-01-01', value: 1 }),
    ]);
  });
});
