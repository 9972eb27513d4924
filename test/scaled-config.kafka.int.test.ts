/**
 * The scaled deployment with a configuration file (SHEWHART_CONFIG), against the real broker: the
 * collector and the worker run as child processes (services/*\/src/main.ts), the worker on its own embedded
 * store, read back after a graceful stop (chdb allows one process per directory).
 * - The worker records the file's objectives in `objectives_current`, which the dashboards read.
 * - A signed GitHub delivery to the collector reaches the store through Kafka and the worker; a
 *   redelivery stores nothing new; a forged one is refused with 401 and never published.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signHub } from '@shewhart/connectors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus, TOPICS } from '../packages/bus/src/index.js';
import { eventually, kafkaBrokers, uniqueName } from './setup/kafka.js';
import {
  handledBy,
  isReady,
  killAll,
  queryStore,
  type ServiceProcess,
  scrape,
  startService,
} from './support/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'shewhart-scaled-config-'));
const configFile = join(dir, 'shewhart.yaml');
const GITHUB_SECRET = 'gh-scaled-webhook-secret';
let brokers: string;
let prefix: string;
let groupId: string;

const kafkaEnv = () => ({
  KAFKA_BROKERS: brokers,
  SHEWHART_TOPIC_PREFIX: prefix,
  KAFKA_GROUP_ID: groupId,
  // The broker's minimum: a member that leaves without a word is replaced after 6 s, not 30.
  KAFKA_SESSION_TIMEOUT_MS: '6000',
  SHEWHART_CONFIG: configFile,
});
async function startWorker(dataDir: string): Promise<ServiceProcess> {
  const worker = await startService('worker', { ...kafkaEnv(), SHEWHART_DATA_DIR: dataDir });
  await eventually('worker ready', async () => ((await isReady(worker)) ? true : undefined), 30_000, 100);
  return worker;
}

beforeAll(() => {
  brokers = kafkaBrokers().join(',');
  prefix = `${uniqueName('t.scaled-config')}.`;
  groupId = uniqueName('workers');
  writeFileSync(
    configFile,
    `version: 2
objectives:
  - id: payments-lead-time
    title: Payments changes reach production within a day
    kpi: lead_time_for_changes
    scope: { team: payments }
    direction: lower
    target: 24
    spec: { usl: 48 }
    period: week
    owner: payments-engineering-lead
  - id: org-review-defect-density
    kpi: review_defect_density
    scope: org
    direction: range
    band: { low: 5, high: 15 }
    period: month
    owner: head-of-quality
sources:
  defaultTeam: unassigned
  github:
    secretEnv: TEST_GITHUB_SECRET
    repositories: { "acme/payments-api": { team: payments, project: api } }
    defectLabels: [bug]
    severityLabels: { "sev:critical": critical, "sev:major": major, "sev:minor": minor }
`,
  );
});

afterAll(async () => {
  await killAll();
  const bus = new KafkaBus({
    brokers: brokers.split(','),
    logger: { ...console, debug: () => {}, info: () => {} },
  });
  await bus
    .deleteTopics([`${prefix}${TOPICS.events}`, `${prefix}${TOPICS.deadLetters}`])
    .catch(() => undefined);
  await bus.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('scaled deployment with a configuration file', () => {
  it("the worker records the file's objectives for the dashboards (objectives_current)", async () => {
    const dataDir = join(dir, 'objectives-worker');
    const worker = await startWorker(dataDir);
    expect(await worker.stop()).toBe(0);
    const [rows] = await queryStore<Record<string, unknown>>(
      dataDir,
      `SELECT id, kpi, team, project, dim, period, direction, target, target_value, usl, owner
       FROM objectives_current ORDER BY id`,
    );
    expect(rows).toEqual([
      {
        id: 'org-review-defect-density',
        kpi: 'review_defect_density',
        team: '',
        project: '',
        dim: 'loc', // the KPI's default unit: the series the objective is evaluated on
        period: 'month',
        direction: 'range',
        target: null,
        target_value: 10,
        usl: null,
        owner: 'head-of-quality',
      },
      {
        id: 'payments-lead-time',
        kpi: 'lead_time_for_changes',
        team: 'payments',
        project: '',
        dim: '',
        period: 'week',
        direction: 'lower',
        target: 24,
        target_value: 24,
        usl: 48,
        owner: 'payments-engineering-lead',
      },
    ]);
  });
});

const fixture = (name: string) =>
  readFileSync(new URL(`../packages/connectors/src/fixtures/${name}.json`, import.meta.url), 'utf8');

describe('scaled collector with webhooks', () => {
  it('a signed GitHub delivery is stored through Kafka and the worker; a redelivery stores nothing new; a forged one is refused', async () => {
    // The secret is only in the collector's environment; the file names the variable.
    const collector = await startService('collector', { ...kafkaEnv(), TEST_GITHUB_SECRET: GITHUB_SECRET });
    await eventually(
      'collector ready',
      async () => ((await isReady(collector)) ? true : undefined),
      30_000,
      100,
    );
    const dataDir = join(dir, 'webhook-worker');
    const worker = await startWorker(dataDir);
    const deliver = (body: string, signature: string | undefined) =>
      fetch(`${collector.url}/v1/webhooks/github`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'issues',
          'x-github-delivery': crypto.randomUUID(),
          ...(signature ? { 'x-hub-signature-256': signature } : {}),
        },
        body,
      });

    // Forged first: had it been published, the worker would handle it before the signed ones (same
    // repository, same team, same partition).
    const closed = fixture('github-issues-closed');
    expect((await deliver(closed, signHub('not-the-secret', closed))).status).toBe(401);
    expect((await deliver(closed, undefined)).status).toBe(401);
    expect((await deliver(closed, signHub(GITHUB_SECRET, `${closed} `))).status).toBe(401);

    const opened = fixture('github-issues-opened');
    for (let delivery = 0; delivery < 2; delivery++) {
      const res = await deliver(opened, signHub(GITHUB_SECRET, opened));
      // 202 once the broker acknowledged; duplicates are found by the worker, not the collector.
      expect(res.status).toBe(202);
      expect(await res.json()).toMatchObject({ accepted: 1 });
    }
    await eventually('worker handled both deliveries', async () =>
      (await handledBy(worker)) >= 2 ? true : undefined,
    );
    const metrics = await scrape(worker.url);
    expect(metrics.get('shewhart_worker_events_total{outcome="stored"}')).toBe(1);
    expect(metrics.get('shewhart_worker_events_total{outcome="duplicate"}')).toBe(1);
    const collectorMetrics = await scrape(collector.url);
    expect(collectorMetrics.get('shewhart_webhook_deliveries_total{tool="github",outcome="accepted"}')).toBe(
      2,
    );
    expect(
      collectorMetrics.get('shewhart_webhook_deliveries_total{tool="github",outcome="unauthorized"}'),
    ).toBe(3);
    expect(await worker.stop()).toBe(0);
    expect(await collector.stop()).toBe(0);

    const [events, raw] = await queryStore<Record<string, unknown>>(
      dataDir,
      `SELECT source, id, type, team, project, JSONExtractString(data, 'severity') AS severity
       FROM events_raw FINAL ORDER BY source, id`,
      'SELECT count() AS n FROM events_raw',
    );
    expect(events).toEqual([
      {
        source: 'github/acme/payments-api',
        id: 'issue-2154318842-opened',
        type: 'defect.reported',
        team: 'payments',
        project: 'api',
        severity: 'critical',
      },
    ]);
    expect(raw).toEqual([{ n: 1 }]);
  });
});
