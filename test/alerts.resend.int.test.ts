import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import {
  Alerting,
  AlertsSection,
  BullDeliveryQueue,
  type Delivery,
  deliveriesQueue,
  listDeliveries,
  listDeliveryRetries,
  obliterateQueues,
  type Receiver,
  resolveAlerts,
  retryDeliveries,
  startReceiver,
  writeDeliveries,
  writeDeliveryRetries,
} from '@shewhart/alerts';
import { buildHttpApp } from '@shewhart/api';
import { MemoryBus, RedisLock } from '@shewhart/bus';
import { createLogger, loadConfig } from '@shewhart/config';
import { requeueOnly } from '@shewhart/runtime';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestRuntime } from './support/embedded.js';
import { eventually } from './support/wait.js';

/**
 * Re-sends that cannot strand a delivery, on the real components (chDB, Redis at 127.0.0.1:6379, a
 * local receiver checking signatures). A re-send whose hand-off to the queue fails answers 503 with
 * Retry-After and leaves the row pending; asking again re-queues it (a pending row is re-sent, not
 * refused), and the delivering processes resume pending rows on their own tick without a restart.
 * Concurrent re-sends of one delivery take turns: one re-send, one history row. A process waiting for
 * the evaluation lock stops waiting when it closes. A collector without alerts opens no queue, and a
 * queue on an unreachable Redis logs through the logger. A job re-added by a process that has not
 * loaded the routes backs off as the route the row carries says.
 */
// The API's metrics registry, from the API package's own dependency.
const { Registry } = createRequire(import.meta.resolve('@shewhart/api'))('prom-client') as {
  Registry: new () => Parameters<typeof buildHttpApp>[0]['registry'];
};
const REDIS = 'redis://127.0.0.1:6379';
const DEAD_REDIS = 'redis://127.0.0.1:1';
const SECRET = 'resend-test-secret';
process.env.SHEWHART_TEST_RESEND_SECRET = SECRET;
const PREFIX = `shewhart-test-resend-${randomBytes(4).toString('hex')}`;

let receiver: Receiver;
let rt: Awaited<ReturnType<typeof startTestRuntime>>;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  receiver = await startReceiver({ secret: SECRET });
  rt = await startTestRuntime({ SHEWHART_BASELINE_REFRESH_MS: '600000' });
});

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await obliterateQueues(REDIS, PREFIX);
  await rt?.dispose();
  await receiver?.close();
});

const alertsConfig = () =>
  resolveAlerts(
    AlertsSection.parse({
      routes: [
        {
          id: 'hook',
          type: 'webhook',
          url: `${receiver.url}/hooks/resend`,
          secretEnv: 'SHEWHART_TEST_RESEND_SECRET',
          retry: { attempts: 2, backoffMs: 20 },
        },
      ],
      rules: [],
    }),
  );

/** A delivery row of its own (a fresh id), as the evaluation stores one. */
function delivery(state: Delivery['state'], patch: Partial<Delivery> = {}): Delivery {
  const at = new Date().toISOString();
  const deliveryId = randomBytes(16).toString('hex');
  return {
    deliveryId,
    alertId: randomBytes(12).toString('hex'),
    transition: 'resolved',
    routeId: 'hook',
    state,
    attempts: state === 'failed' ? 2 : 0,
    retryAttempts: 2,
    backoffMs: 20,
    lastError: state === 'failed' ? 'HTTP 503 (after 2 attempts)' : '',
    lastStatus: state === 'failed' ? 503 : 0,
    body: JSON.stringify({ deliveryId, test: 'resend' }),
    createdAt: at,
    notBefore: at,
    updatedAt: at,
    ...patch,
  };
}

const row = async (id: string) => (await listDeliveries(rt.warehouse.client, { ids: [id] }))[0];
const received = (id: string) => receiver.messages.filter((m) => m.deliveryId === id).length;

it('a re-send the queue cannot take answers 503 with Retry-After; asked again, the pending row is re-queued', async () => {
  const client = rt.warehouse.client;
  const d = delivery('failed');
  await writeDeliveries(client, [d]);
  // A queue whose Redis is unreachable (a blip): the hand-off fails, through the API's one error map.
  const down = new BullDeliveryQueue(
    { client, config: alertsConfig() },
    { redisUrl: DEAD_REDIS, prefix: PREFIX, process: false },
  );
  closers.push(() => down.close());
  const app = buildHttpApp({
    bus: new MemoryBus(),
    logger: createLogger('silent', { pretty: false }),
    registry: new Registry(),
    auth: loadConfig({}).auth,
    maxBodyBytes: 1_000_000,
    requestTimeoutMs: 30_000,
    isReady: () => true,
    states: rt.storage.states,
    alertDeliveries: down,
  });
  closers.push(() => app.close());
  const res = await app.inject({
    method: 'POST',
    url: `/v1/alerts/deliveries/${d.deliveryId}/retry`,
    payload: { by: 'ops' },
  });
  expect(res.statusCode).toBe(503);
  expect(res.headers['retry-after']).toBeDefined();
  expect(res.json()).toMatchObject({ error: 'unavailable' });
  expect(res.json().message).toContain(d.deliveryId);
  // The row is pending (the re-send happened) and its history records it once.
  expect(await row(d.deliveryId)).toMatchObject({ state: 'pending', retries: 1, roundStart: 2 });
  expect((await listDeliveryRetries(client, d.deliveryId)).map((h) => [h.retry, h.by])).toEqual([[1, 'ops']]);

  // Redis is back: asking again re-queues the pending row (not 409) — one job, sent once.
  const up = new BullDeliveryQueue(
    { client, config: alertsConfig() },
    { redisUrl: REDIS, prefix: PREFIX, process: false },
  );
  closers.push(() => up.close());
  const again = await retryDeliveries({ client, queue: up }, { ids: [d.deliveryId] }, 'ops');
  expect(again).toMatchObject({ queue: 'bullmq', retried: [{ deliveryId: d.deliveryId, state: 'pending' }] });
  const job = await up.queue.getJob(d.deliveryId);
  expect(job?.data).toMatchObject({ deliveryId: d.deliveryId, backoffMs: 20 });
  // Still one re-send: the second ask only handed the row over again.
  expect(await row(d.deliveryId)).toMatchObject({ state: 'pending', retries: 1 });
  expect(await listDeliveryRetries(client, d.deliveryId)).toHaveLength(1);

  // Delivered (and cancelled) are final: 409.
  const done = delivery('delivered');
  await writeDeliveries(client, [done]);
  await expect(
    retryDeliveries({ client, queue: up }, { ids: [done.deliveryId] }, 'ops'),
  ).rejects.toMatchObject({ kind: 'conflict' });
});

it('the delivering processes resume pending rows on their tick: a stranded re-send is sent without a restart', async () => {
  const client = rt.warehouse.client;
  for (const queue of [
    { kind: 'inline' as const },
    { kind: 'bullmq' as const, redisUrl: REDIS, prefix: `${PREFIX}-w`, process: true },
  ]) {
    const alerting = await Alerting.start({
      client,
      states: rt.storage.states,
      config: alertsConfig(),
      evaluateEveryMs: 600_000,
      resumeEveryMs: 100,
      queue,
    });
    closers.push(() => alerting.close());
    if (queue.kind === 'bullmq') closers.push(() => obliterateQueues(REDIS, `${PREFIX}-w`));
    // Pending with no job anywhere (a re-send whose hand-off failed), written after the start's resume.
    const d = delivery('pending', { attempts: 2, roundStart: 2, retries: 1 });
    await writeDeliveries(client, [d]);
    await eventually(`${queue.kind}: the stranded row delivered`, async () =>
      (await row(d.deliveryId))?.state === 'delivered' ? true : undefined,
    );
    expect(received(d.deliveryId)).toBe(1);
    await alerting.close();
  }
});

it('concurrent re-sends of one delivery take turns: one re-send, one history row, never a delivered row flipped back', async () => {
  const client = rt.warehouse.client;
  const d = delivery('failed');
  await writeDeliveries(client, [d]);
  // Two clicks at once, each from a "process" of its own with its own Redis lock connection.
  const turns: string[] = [];
  const locks = [0, 1].map((i) => {
    const lock = new RedisLock({ url: REDIS, key: `${PREFIX}:alert-retries` });
    closers.push(() => lock.close());
    return {
      run: <T>(work: (held: () => void) => Promise<T>) =>
        lock.run(async (held) => {
          turns.push(`${i} in`);
          try {
            return await work(held);
          } finally {
            turns.push(`${i} out`);
          }
        }),
      close: () => lock.close(),
    };
  });
  const results = await Promise.all(
    locks.map((lock, i) => retryDeliveries({ client, lock }, { ids: [d.deliveryId] }, `click-${i}`)),
  );
  // One after the other, each reading the row inside its turn.
  expect(turns).toHaveLength(4);
  expect(turns[0]?.split(' ')[0]).toBe(turns[1]?.split(' ')[0]);
  expect(turns.filter((_t, k) => k % 2 === 1).every((t) => t.endsWith('out'))).toBe(true);
  expect(results.map((r) => r.retried.map((x) => x.retries))).toEqual([[1], [1]]);
  expect(await row(d.deliveryId)).toMatchObject({ state: 'pending', retries: 1 });
  expect(await listDeliveryRetries(client, d.deliveryId)).toHaveLength(1);

  // Delivered meanwhile: a re-send arriving late is refused and writes nothing.
  await writeDeliveries(client, [
    { ...d, state: 'delivered', attempts: 3, updatedAt: new Date().toISOString() },
  ]);
  await expect(retryDeliveries({ client }, { ids: [d.deliveryId] }, 'late')).rejects.toMatchObject({
    kind: 'conflict',
  });
  expect(await row(d.deliveryId)).toMatchObject({ state: 'delivered' });

  // The history is keyed by (delivery, re-send number): the same re-send written twice is one row.
  const [h] = await listDeliveryRetries(client, d.deliveryId);
  await writeDeliveryRetries(client, [h as NonNullable<typeof h>]);
  expect(await listDeliveryRetries(client, d.deliveryId)).toHaveLength(1);
});

it('close() of a process waiting for the evaluation lock returns without waiting its turn, and evaluates nothing', async () => {
  const key = `${PREFIX}:alerts`;
  const holder = new RedisLock({ url: REDIS, key });
  closers.push(() => holder.close());
  let release!: () => void;
  let holding!: () => void;
  const isHeld = new Promise<void>((r) => {
    holding = r;
  });
  const held = holder.run(
    () =>
      new Promise<void>((r) => {
        release = r;
        holding();
      }),
  );
  await isHeld;
  let evaluated = 0;
  let asked!: () => void;
  const asking = new Promise<void>((r) => {
    asked = r;
  });
  const waiterLock = new RedisLock({ url: REDIS, key, waitMs: 15 * 60_000 });
  const waiter = await Alerting.start({
    client: rt.warehouse.client,
    states: rt.storage.states,
    config: alertsConfig(),
    evaluateEveryMs: 600_000,
    queue: { kind: 'inline' },
    lock: {
      run: (work, signal) => {
        asked();
        return waiterLock.run((h) => {
          evaluated += 1;
          return work(h);
        }, signal);
      },
      close: () => waiterLock.close(),
    },
  });
  const evaluation = waiter.evaluateNow();
  // The waiter asked for the lock (and is in its wait loop, the holder keeping it).
  await asking;
  // The waiter is in the lock's wait loop; closing it must not wait for the holder (15 min here).
  await waiter.close();
  expect(await evaluation).toBeUndefined();
  expect(evaluated).toBe(0);
  release();
  await held;
}, 60_000);

it('a collector without alerts opens no queue; a queue on an unreachable Redis logs through the logger', async () => {
  const server = loadConfig({ CLICKHOUSE_URL: 'http://127.0.0.1:8123', REDIS_URL: DEAD_REDIS });
  expect(requeueOnly(server, rt.storage, { hasAlerts: false })).toBeUndefined();
  // What reaches the logger (the runtime's pino logger has this shape).
  const lines: string[] = [];
  const sink = {
    child: () => sink,
    info: () => undefined,
    warn: (_obj: object, msg?: string) => lines.push(msg ?? ''),
    error: (_obj: object, msg?: string) => lines.push(msg ?? ''),
  };
  const logger = sink as unknown as NonNullable<Parameters<typeof requeueOnly>[2]['logger']>;
  const queue = requeueOnly(server, rt.storage, { hasAlerts: true, logger });
  expect(queue?.kind).toBe('bullmq');
  closers.push(async () => queue?.close());
  await eventually('the queue error logged', async () =>
    lines.some((l) => l.includes('alert delivery queue error')) ? true : undefined,
  );
});

it('a job re-added by a process without the routes backs off as the route the row carries', async () => {
  const client = rt.warehouse.client;
  const d = delivery('failed', { backoffMs: 750, retryAttempts: 4 });
  await writeDeliveries(client, [d]);
  const queue = requeueOnly(
    loadConfig({
      CLICKHOUSE_URL: 'http://127.0.0.1:8123',
      REDIS_URL: REDIS,
      SHEWHART_QUEUE_PREFIX: `${PREFIX}-c`,
    }),
    rt.storage,
    {
      hasAlerts: true,
    },
  );
  closers.push(async () => queue?.close());
  closers.push(() => obliterateQueues(REDIS, `${PREFIX}-c`));
  expect(queue?.kind).toBe('bullmq');
  await retryDeliveries({ client, queue }, { ids: [d.deliveryId] }, 'ops');
  const inspect = deliveriesQueue({ redisUrl: REDIS, prefix: `${PREFIX}-c` });
  closers.push(() => inspect.close());
  const job = await inspect.queue.getJob(d.deliveryId);
  expect(job?.data).toMatchObject({ deliveryId: d.deliveryId, backoffMs: 750 });
  expect(job?.opts.attempts).toBe(5);
});
