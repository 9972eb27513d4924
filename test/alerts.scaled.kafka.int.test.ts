/**
 * Alerts in the scaled deployment: the worker (services/worker, a child process) evaluates after the
 * events it stored and delivers through BullMQ on the real Redis — REDIS_URL set, so BullMQ is the
 * default — to a local receiver. A message the worker dead-letters is counted as refused for its source.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deliveriesQueue, obliterateQueues, type Receiver, startReceiver } from '@shewhart/alerts';
import { ev } from '@shewhart/kpi/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KafkaBus, TOPICS } from '../packages/bus/src/index.js';
import { eventually, kafkaBrokers, uniqueName } from './setup/kafka.js';
import {
  isReady,
  killAll,
  postEvents,
  queryStore,
  type ServiceProcess,
  scrape,
  startService,
} from './support/processes.js';

const REDIS = 'redis://127.0.0.1:6379';
const SECRET = 'scaled-alerts-secret';
const QUEUES = `shewhart-test-${randomUUID().slice(0, 8)}`;
let receiver: Receiver;
let collector: ServiceProcess;
let worker: ServiceProcess;
let dir: string;
let env: Record<string, string>;

const DAY = 86_400_000;
const now = new Date();
const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
const WEEK0 = today - ((new Date(today).getUTCDay() + 6) % 7) * DAY - 30 * 7 * DAY;

beforeAll(async () => {
  receiver = await startReceiver({ secret: SECRET });
  dir = mkdtempSync(join(tmpdir(), 'shewhart-alerts-scaled-'));
  const file = join(dir, 'shewhart.yaml');
  writeFileSync(
    file,
    `version: 2
alerts:
  routes:
    - id: local
      type: webhook
      url: ${receiver.url}/hooks/quality
      secretEnv: SHEWHART_TEST_SCALED_SECRET
      retry: { attempts: 5, backoffMs: 100 }
  rules:
    - id: cfr
      class: signal
      kpis: [change_failure_rate]
      scopes: [team]
      routes: [local]
`,
  );
  const prefix = `${uniqueName('t.alerts')}.`;
  env = {
    KAFKA_BROKERS: kafkaBrokers().join(','),
    SHEWHART_TOPIC_PREFIX: prefix,
    KAFKA_GROUP_ID: uniqueName('workers'),
    KAFKA_SESSION_TIMEOUT_MS: '6000',
  };
  collector = await startService('collector', env);
  worker = await startService('worker', {
    ...env,
    SHEWHART_DATA_DIR: join(dir, 'data'),
    SHEWHART_CONFIG: file,
    SHEWHART_TEST_SCALED_SECRET: SECRET,
    REDIS_URL: REDIS,
    SHEWHART_QUEUE_PREFIX: QUEUES,
    SHEWHART_BASELINE_REFRESH_MS: '300',
    SHEWHART_ALERT_EVALUATE_MS: '600000',
  });
  await eventually('collector ready', async () => ((await isReady(collector)) ? true : undefined), 30_000);
  await eventually('worker ready', async () => ((await isReady(worker)) ? true : undefined), 60_000);
});

afterAll(async () => {
  await killAll();
  await receiver?.close();
  await obliterateQueues(REDIS, QUEUES);
  rmSync(dir, { recursive: true, force: true });
});

it('the worker evaluates after storing events and delivers the alert through BullMQ, signed', async () => {
  const events = [];
  for (let w = 0; w < 21; w++) {
    for (let k = 0; k < 10; k++) {
      events.push(
        ev(
          'delivery.deployment',
          {
            deploymentId: `scaled-${w}-${k}`,
            environment: 'production',
            status: k < (w === 20 ? 7 : 2) ? 'failed' : 'success',
          },
          { time: new Date(WEEK0 + (w * 7 + (k % 5)) * DAY + 3_600_000).toISOString(), team: 'alpha' },
        ),
      );
    }
  }
  expect((await postEvents(collector, events)).status).toBe(202);
  const msg = await eventually(
    'the firing message',
    () => receiver.messages.find((m) => m.body?.status === 'firing'),
    90_000,
    100,
  );
  expect(msg.signatureOk).toBe(true);
  expect(msg.body).toMatchObject({
    class: 'signal',
    kpi: 'change_failure_rate',
    scope: { team: 'alpha' },
    rule: 'WE1',
  });
  expect(msg.deliveryId).toBe(msg.body.id);
  // The BullMQ job of the delivery: job id = delivery id, completed.
  const { queue, close } = deliveriesQueue({ redisUrl: REDIS, prefix: QUEUES });
  try {
    const job = await eventually(
      'the completed job',
      async () => {
        const j = await queue.getJob(msg.deliveryId);
        return j && (await j.isCompleted()) ? j : undefined;
      },
      10_000,
    );
    expect(job.id).toBe(msg.deliveryId);
  } finally {
    await close();
  }
});

it('a message the worker dead-letters is counted as refused for its source; SIGTERM drains alerting too', async () => {
  const bus = new KafkaBus({
    brokers: env.KAFKA_BROKERS?.split(',') ?? [],
    logger: { ...console, debug: () => {}, info: () => {} },
  });
  try {
    await bus.publish(`${env.SHEWHART_TOPIC_PREFIX}${TOPICS.events}`, [
      {
        key: 'alpha',
        // Valid JSON naming its source, but not a valid event: the worker dead-letters it at once.
        value: Buffer.from(JSON.stringify({ source: 'broken/source', team: 'alpha', type: 'nope' })),
        headers: {},
      },
    ]);
  } finally {
    await bus.close();
  }
  // The dead letter's refusal is recorded before its offset commits, so once the worker counts it as
  // rejected the row is stored.
  await eventually(
    'the dead letter',
    async () =>
      (await scrape(worker.url)).get('shewhart_worker_events_total{outcome="rejected"}') ? true : undefined,
    30_000,
    100,
  );
  expect(await worker.stop()).toBe(0);
  const [rejections, deliveries] = await queryStore<Record<string, string | number>>(
    join(dir, 'data'),
    'SELECT source, team, sum(rejected) AS n, any(reason) AS reason FROM ingest_rejections GROUP BY source, team',
    'SELECT state, count() AS n FROM alert_deliveries FINAL GROUP BY state',
  );
  expect(rejections).toEqual([expect.objectContaining({ source: 'broken/source', team: 'alpha', n: 1 })]);
  expect(rejections?.[0]?.reason).toMatch(/^dead-lettered: /);
  expect(deliveries).toEqual([{ state: 'delivered', n: 1 }]);
});
