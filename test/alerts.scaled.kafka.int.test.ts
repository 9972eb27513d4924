/**
 * Alerts in the scaled deployment: the worker (services/worker, a child process) evaluates after the
 * events it stored and delivers through BullMQ on the real Redis — REDIS_URL set, so BullMQ is the
 * default — to a local receiver that checks every signature. Team alpha's shift raises both a
 * special-cause alert (WE1 on its change failure rate) and an objective alert (the week misses its
 * objective of at most 30 %); each arrives once, signed, however often the worker evaluates again. A
 * message the worker dead-letters is counted as refused for its source. Once the worker has stopped,
 * `shewhart alerts` lists both alerts with their evidence from its store.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  catalogueQueue,
  deliveriesQueue,
  type ListedAlert,
  obliterateQueues,
  type Receiver,
  startReceiver,
} from '@shewhart/alerts';
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
import { cfrShift, mondayWeeksAgo } from './support/shift.js';

const REDIS = 'redis://127.0.0.1:6379';
const SECRET = 'scaled-alerts-secret';
const QUEUES = `shewhart-test-${randomUUID().slice(0, 8)}`;
let receiver: Receiver;
let collector: ServiceProcess;
let worker: ServiceProcess;
let dir: string;
let env: Record<string, string>;

const DAY = 86_400_000;
const WEEK0 = mondayWeeksAgo(30);
const weekStart = (w: number) => new Date(WEEK0 + w * 7 * DAY).toISOString().slice(0, 10);

/** Firing messages as the receiver accepted them (repeats of a delivery id left out). */
const firing = () => receiver.messages.filter((m) => m.body?.status === 'firing' && !m.repeat);

beforeAll(async () => {
  receiver = await startReceiver({ secret: SECRET });
  dir = mkdtempSync(join(tmpdir(), 'shewhart-alerts-scaled-'));
  const file = join(dir, 'shewhart.yaml');
  writeFileSync(
    file,
    `version: 2
objectives:
  - id: alpha-cfr
    kpi: change_failure_rate
    scope: { team: alpha }
    direction: lower
    target: 30
    period: week
    owner: alpha-lead
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
    - id: objectives
      class: objective
      severity: critical
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

it('the worker delivers the special-cause and the objective alert through BullMQ, signed, once each', async () => {
  const events = cfrShift('scaled', WEEK0);
  expect((await postEvents(collector, events)).status).toBe(202);
  const [signal, objective] = await eventually(
    'the special-cause and the objective alert',
    () => {
      const s = firing().find((m) => m.body.class === 'signal');
      const o = firing().find((m) => m.body.class === 'objective');
      return s && o ? [s, o] : undefined;
    },
    90_000,
    100,
  );
  for (const msg of [signal, objective]) {
    // Signed with the route's key over the raw bytes, and the header's id is the body's.
    expect(msg.signatureOk).toBe(true);
    expect(msg.deliveryId).toBe(msg.body.id);
  }
  expect(signal.body).toMatchObject({
    class: 'signal',
    kpi: 'change_failure_rate',
    scope: { team: 'alpha' },
    rule: 'WE1',
    periodStart: weekStart(20),
    evidence: { kind: 'special_cause' },
  });
  expect(signal.body.value).toBeGreaterThan(signal.body.limits.ucl);
  expect(objective.body).toMatchObject({
    class: 'objective',
    severity: 'critical',
    kpi: 'change_failure_rate',
    scope: { team: 'alpha' },
    objective: expect.objectContaining({ id: 'alpha-cfr' }),
    periodStart: weekStart(20),
    value: 70,
    evidence: { kind: 'objective_missed' },
  });

  // The BullMQ jobs of both deliveries: job id = delivery id, completed.
  const { queue, close } = deliveriesQueue({ redisUrl: REDIS, prefix: QUEUES });
  try {
    for (const msg of [signal, objective]) {
      const job = await eventually(
        'the completed job',
        async () => {
          const j = await queue.getJob(msg.deliveryId);
          return j && (await j.isCompleted()) ? j : undefined;
        },
        10_000,
      );
      expect(job.id).toBe(msg.deliveryId);
    }
  } finally {
    await close();
  }

  // Once per episode: new events make the worker evaluate again (an evaluation job completes), and
  // nothing more is sent about either alert.
  const evaluations = catalogueQueue('evaluate', { redisUrl: REDIS, prefix: QUEUES });
  try {
    // Idle: nothing running or waiting (the schedule's next run is always there, delayed: not counted).
    const idle = async () => {
      const c = await evaluations.queue.getJobCounts('active', 'waiting', 'prioritized', 'completed');
      return (c.active ?? 0) + (c.waiting ?? 0) + (c.prioritized ?? 0) === 0 ? (c.completed ?? 0) : undefined;
    };
    const before = await eventually('the evaluation queue to be idle', idle, 60_000, 100);
    const more = Array.from({ length: 10 }, (_, k) =>
      ev(
        'delivery.deployment',
        { deploymentId: `gamma-${k}`, environment: 'production', status: 'success' },
        { time: new Date(WEEK0 + 20 * 7 * DAY + 3_600_000 + k).toISOString(), team: 'gamma' },
      ),
    );
    expect((await postEvents(collector, more)).status).toBe(202);
    await eventually(
      'another evaluation',
      async () => {
        const completed = await idle();
        return completed !== undefined && completed > before ? true : undefined;
      },
      90_000,
      100,
    );
  } finally {
    await evaluations.close();
  }
  expect(
    firing()
      .map((m) => m.body.class)
      .sort(),
  ).toEqual(['objective', 'signal']);
  expect(receiver.messages).toHaveLength(2);
}, 240_000);

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
  expect(deliveries).toEqual([{ state: 'delivered', n: 2 }]);
});

const run = promisify(execFile);

it('`shewhart alerts` lists both alerts with their evidence from the stopped worker’s store', async () => {
  const cli = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'packages/cli/src/main.ts', ...args], {
      cwd: join(import.meta.dirname, '..'),
      env: { ...process.env, LOG_LEVEL: 'error' },
      timeout: 60_000,
    });
  const { stdout } = await cli(
    'alerts',
    '--state',
    'firing',
    '--format',
    'json',
    '--data',
    join(dir, 'data'),
  );
  const { alerts } = JSON.parse(stdout) as { alerts: ListedAlert[] };
  const byClass = new Map(alerts.map((a) => [a.class, a]));
  expect([...byClass.keys()].sort()).toEqual(['objective', 'signal']);
  expect(byClass.get('signal')).toMatchObject({
    kind: 'special_cause',
    kpi: 'change_failure_rate',
    team: 'alpha',
    spcRule: 'WE1',
    periodStart: weekStart(20),
  });
  expect(byClass.get('signal')?.limits?.ucl).toBeGreaterThan(0);
  expect(byClass.get('signal')?.evidence).toMatchObject({
    points: [expect.objectContaining({ periodStart: weekStart(20) })],
  });
  expect(byClass.get('objective')).toMatchObject({
    kind: 'objective_missed',
    objectiveId: 'alpha-cfr',
    periodStart: weekStart(20),
    value: 70,
  });
  // Each alert's message is the one the receiver got.
  const sent = new Map(receiver.messages.map((m) => [m.body.alertId, m.body.class]));
  expect(sent).toEqual(new Map(alerts.map((a) => [a.alertId, a.class])));
  const table = await cli('alerts', 'deliveries', '--data', join(dir, 'data'));
  expect(table.stdout.match(/ delivered /g)).toHaveLength(2);
});
