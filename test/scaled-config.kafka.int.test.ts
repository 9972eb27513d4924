/**
 * The scaled deployment with a configuration file (SHEWHART_CONFIG), against the real broker: the
 * collector and the worker run as child processes (services/*\/src/main.ts), the worker on its own embedded
 * store, read back after a graceful stop (chdb allows one process per directory).
 * - The worker records the file's objectives in `objectives_current`, which the dashboards read.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus, TOPICS } from '../packages/bus/src/index.js';
import { eventually, kafkaBrokers, uniqueName } from './setup/kafka.js';
import { isReady, killAll, queryStore, type ServiceProcess, startService } from './support/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'shewhart-scaled-config-'));
const configFile = join(dir, 'shewhart.yaml');
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
