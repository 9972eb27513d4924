import { randomBytes } from 'node:crypto';
import {
  Alerting,
  AlertsSection,
  type EvaluationLock,
  type EvaluationResult,
  listAlerts,
  listDeliveries,
  type Receiver,
  resolveAlerts,
  startReceiver,
} from '@shewhart/alerts';
import { RedisLock } from '@shewhart/bus';
import { loadConfig } from '@shewhart/config';
import { evaluationLock, requeueOnly } from '@shewhart/runtime';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestRuntime } from './support/embedded.js';
import { cfrShift, mondayWeeksAgo } from './support/shift.js';
import { eventually } from './support/wait.js';

/**
 * Alert evaluation across processes, serialized by the Redis lock (real Redis at 127.0.0.1:6379, real
 * chDB): two evaluators — two `Alerting`s, each with its own lock connection, as two workers sharing a
 * ClickHouse server have — are asked to evaluate the same shift at the same moment, twice each. They
 * take turns (one waits for the other), the episode's transition is recorded and sent once, and the
 * evaluations that come second find it stored and open nothing.
 */
const REDIS = 'redis://127.0.0.1:6379';
const SECRET = 'lock-test-secret';
process.env.SHEWHART_TEST_LOCK_SECRET = SECRET;
const KEY = `shewhart-test:alerts:${randomBytes(6).toString('hex')}`;

let receiver: Receiver;
let rt: Awaited<ReturnType<typeof startTestRuntime>>;
const evaluators: Alerting[] = [];

const WEEK0 = mondayWeeksAgo(30);

beforeAll(async () => {
  receiver = await startReceiver({ secret: SECRET });
  // The runtime evaluates nothing itself (no alerts section): only the two evaluators below do.
  rt = await startTestRuntime({ SHEWHART_BASELINE_REFRESH_MS: '600000' });
});

afterAll(async () => {
  for (const a of evaluators) await a.close();
  await rt?.dispose();
  await receiver?.close();
});

/** The lock of one evaluator, logging when it asks, enters and leaves (the real RedisLock inside). */
function loggedLock(name: string, log: string[]): EvaluationLock {
  const lock = new RedisLock({ url: REDIS, key: KEY });
  return {
    run: (work) => {
      log.push(`${name} asks`);
      return lock.run(async (held) => {
        log.push(`${name} in`);
        try {
          return await work(held);
        } finally {
          log.push(`${name} out`);
        }
      });
    },
    close: () => lock.close(),
  };
}

it('the lock is shared by the processes of one ClickHouse server, and absent on an embedded directory', () => {
  expect(evaluationLock(loadConfig({ SHEWHART_DATA_DIR: '/tmp/x' }))).toBeUndefined();
  const lock = evaluationLock(
    loadConfig({ CLICKHOUSE_URL: 'http://127.0.0.1:8123', CLICKHOUSE_DATABASE: 'plant', REDIS_URL: REDIS }),
  );
  expect(lock).toBeInstanceOf(RedisLock);
  void lock?.close();
});

it('a process without alerting re-queues re-sends through BullMQ only where the workers run it', async () => {
  const server = loadConfig({ CLICKHOUSE_URL: 'http://127.0.0.1:8123', REDIS_URL: REDIS });
  const queue = requeueOnly(server, rt.storage, { hasAlerts: true });
  expect(queue?.kind).toBe('bullmq');
  await queue?.close();
  // An embedded directory: the row waits, pending, for the next start (no queue to hand it to).
  expect(
    requeueOnly(loadConfig({ SHEWHART_DATA_DIR: rt.dataDir }), rt.storage, { hasAlerts: true }),
  ).toBeUndefined();
  expect(
    requeueOnly(
      loadConfig({ CLICKHOUSE_URL: 'http://127.0.0.1:8123', SHEWHART_ALERT_QUEUE: 'inline' }),
      rt.storage,
      { hasAlerts: true },
    ),
  ).toBeUndefined();
});

it('two evaluators take turns under the Redis lock: one transition, one delivery, sent once', async () => {
  const events = cfrShift('l', WEEK0);
  expect((await rt.post(events)).status).toBe(202);
  const refreshed = await fetch(`${rt.url}/v1/baselines/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  expect(refreshed.status).toBe(200);

  const config = resolveAlerts(
    AlertsSection.parse({
      routes: [
        {
          id: 'local',
          type: 'webhook',
          url: `${receiver.url}/hooks/quality`,
          secretEnv: 'SHEWHART_TEST_LOCK_SECRET',
          retry: { attempts: 3, backoffMs: 50 },
        },
      ],
      rules: [
        { id: 'cfr', class: 'signal', kpis: ['change_failure_rate'], scopes: ['team'], routes: ['local'] },
      ],
    }),
  );
  const log: string[] = [];
  for (const name of ['a', 'b']) {
    evaluators.push(
      await Alerting.start({
        client: rt.warehouse.client,
        states: rt.storage.states,
        config,
        evaluateEveryMs: 600_000,
        queue: { kind: 'inline' },
        lock: loggedLock(name, log),
      }),
    );
  }
  const [a, b] = evaluators as [Alerting, Alerting];
  const results = (await Promise.all([
    a.evaluateNow(),
    b.evaluateNow(),
    a.evaluateNow(),
    b.evaluateNow(),
  ])) as EvaluationResult[];

  // Never two inside at once, and both asked before the first left: the second waited for its turn.
  for (let i = 0; i < log.length; i++) {
    if (log[i]?.endsWith(' in')) expect(log[i + 1]).toBe(log[i]?.replace(' in', ' out'));
  }
  expect(log.filter((l) => l.endsWith(' in'))).toHaveLength(4);
  expect(log.indexOf('b asks')).toBeLessThan(log.indexOf('a out'));
  expect(log.indexOf('a asks')).toBeLessThan(log.indexOf('b out'));

  // One transition in all: whichever evaluated first opened the episode; the others found it stored.
  expect(results.map((r) => r.opened).reduce((s, n) => s + n, 0)).toBe(1);
  expect(results.map((r) => r.episodes)).toEqual([1, 1, 1, 1]);
  const alerts = await listAlerts(rt.warehouse.client);
  expect(alerts).toHaveLength(1);
  expect(alerts[0]).toMatchObject({ state: 'firing', kpi: 'change_failure_rate', team: 'alpha' });

  // One delivery row, delivered once, signed.
  const delivered = await eventually('the delivery', async () => {
    const rows = await listDeliveries(rt.warehouse.client);
    return rows.length === 1 && rows[0]?.state === 'delivered' ? rows : undefined;
  });
  expect(delivered[0]).toMatchObject({ transition: 'firing', attempts: 1 });
  for (const e of evaluators) await e.close();
  evaluators.length = 0;
  expect(receiver.messages).toHaveLength(1);
  expect(receiver.messages[0]).toMatchObject({
    deliveryId: delivered[0]?.deliveryId,
    signatureOk: true,
    repeat: false,
  });
});
