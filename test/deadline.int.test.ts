import { StorageUnavailableError, withStatementDeadline } from '@shewhart/warehouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ev, startTestRuntime } from './support/embedded.js';
import { eventually } from './support/wait.js';

/**
 * Bounded cost per request (docs/reliability.md, "Request limits"): every statement a request runs carries
 * the time left before the request deadline as `max_execution_time`, in the embedded engine too; a read
 * that waits past the deadline is answered 503 with Retry-After and runs nothing afterwards; the embedded
 * engine refuses work beyond its memory ceiling instead of growing the process.
 */
let rt: Awaited<ReturnType<typeof startTestRuntime>>;
const CEILING = 768 * 1024 * 1024;
beforeAll(async () => {
  rt = await startTestRuntime({
    SHEWHART_REQUEST_TIMEOUT_MS: '600',
    SHEWHART_MAX_MEMORY_BYTES: String(CEILING),
  });
  expect(
    (
      await rt.post([
        ev('defect.reported', { defectId: 'd1', severity: 'major', detectionActivity: 'unit_test' }),
      ])
    ).status,
  ).toBe(202);
});
afterAll(async () => rt.dispose());

const SLOW = 'SELECT count() AS c FROM numbers(100000000000) WHERE sipHash64(number) = 1';

async function setting(name: string): Promise<number> {
  const rs = await rt.warehouse.client.query({
    query: 'SELECT toFloat64(getSetting({name:String})) AS v',
    query_params: { name },
    format: 'JSONEachRow',
  });
  return Number((await rs.json<{ v: number }>())[0]?.v);
}

describe('statement deadline', () => {
  it('stops a statement in the embedded engine when the request deadline passes', async () => {
    const signal = new AbortController().signal;
    const run = withStatementDeadline({ at: Date.now() + 300, signal }, () =>
      rt.warehouse.client.query({ query: SLOW, format: 'JSONEachRow' }),
    );
    // TIMEOUT_EXCEEDED (159) from the engine itself: it stopped the statement.
    await expect(run).rejects.toMatchObject({ code: '159' });
  });

  it('does not leak a request deadline into later statements of the shared session', async () => {
    const signal = new AbortController().signal;
    const within = await withStatementDeadline({ at: Date.now() + 5_000, signal }, () =>
      setting('max_execution_time'),
    );
    expect(within).toBeGreaterThan(0);
    expect(within).toBeLessThanOrEqual(5);
    expect(await setting('max_execution_time')).toBe(0);
  });

  it('never starts a statement after the deadline', async () => {
    const aborted = new AbortController();
    aborted.abort();
    await expect(
      withStatementDeadline({ at: Date.now() - 1, signal: aborted.signal }, () =>
        rt.warehouse.client.command({ query: 'CREATE TABLE never_created (a UInt8) ENGINE = Memory' }),
      ),
    ).rejects.toBeInstanceOf(StorageUnavailableError);
    const rs = await rt.warehouse.client.query({
      query: "SELECT count() AS n FROM system.tables WHERE name = 'never_created'",
      format: 'JSONEachRow',
    });
    expect(Number((await rs.json<{ n: string }>())[0]?.n)).toBe(0);
  });

  it('answers a read that waits past the deadline 503 with Retry-After, and serves it once the wait is over', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    // What a long catch-up does to reads: holds the states' exclusive section.
    const section = rt.storage.states.exclusive(() => held);
    try {
      const res = await fetch(`${rt.url}/v1/kpis/defect_arrivals`);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await res.json()).toMatchObject({ error: 'timeout' });
    } finally {
      release();
      await section;
    }
    // Served again once nothing holds the states (a read on a busy machine may still need a retry:
    // 600 ms is this test's deadline, not a production one).
    const status = await eventually('a 200 once the states are free', async () => {
      const res = await fetch(`${rt.url}/v1/kpis/defect_arrivals`);
      return res.status === 200 ? res.status : undefined;
    });
    expect(status).toBe(200);
  });
});

describe('decisions and refreshes under the deadline', () => {
  /** Holds the states' exclusive section (what a long refresh or catch-up does) while `work` runs. */
  async function whileHeld<T>(work: () => Promise<T>): Promise<T> {
    let release: () => void = () => {};
    const section = rt.storage.states.exclusive(
      () =>
        new Promise<void>((r) => {
          release = r;
        }),
    );
    try {
      return await work();
    } finally {
      release();
      await section;
    }
  }
  const decisions = async () => {
    const rs = await rt.warehouse.client.query({
      query: 'SELECT count() AS n FROM baseline_decisions',
      format: 'JSONEachRow',
    });
    return Number((await rs.json<{ n: string }>())[0]?.n);
  };

  it('answers a decision that cannot start by the deadline 503, and never records it', async () => {
    const res = await whileHeld(() =>
      fetch(`${rt.url}/v1/baselines/defect_arrivals/rebase`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ team: 'alpha', reason: 'process change', from: '2024-01-01' }),
      }),
    );
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    // The refused decision reached the section after the hold; the next section runs after it.
    await rt.storage.states.exclusive(async () => {});
    expect(await decisions()).toBe(0);
  });

  it('answers a refresh that outlasts the deadline 202 (still running), and finishes it', async () => {
    const res = await whileHeld(() =>
      fetch(`${rt.url}/v1/baselines/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      }),
    );
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ status: 'running' });
    const done = await fetch(`${rt.url}/v1/baselines/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect([200, 202]).toContain(done.status);
  });
});

describe('memory ceiling of the embedded engine', () => {
  it('is the configured max_server_memory_usage', async () => {
    const rs = await rt.warehouse.client.query({
      query: "SELECT value FROM system.server_settings WHERE name = 'max_server_memory_usage'",
      format: 'JSONEachRow',
    });
    expect(Number((await rs.json<{ value: string }>())[0]?.value)).toBe(CEILING);
  });

  it('refuses a statement that would take the process beyond it (MEMORY_LIMIT_EXCEEDED)', async () => {
    await expect(
      rt.warehouse.client.query({
        query: 'SELECT length(groupArray(number)) AS n FROM numbers(400000000)',
        format: 'JSONEachRow',
      }),
    ).rejects.toMatchObject({ code: '241' });
    // and the engine goes on serving
    expect(await setting('max_execution_time')).toBe(0);
  });
});
