import {
  Alerting,
  type AlertingOptions,
  type AlertsConfig,
  BullDeliveryQueue,
  type DeliveryQueue,
  recordRejections,
} from '@shewhart/alerts';
import { RedisLock, sharedLock } from '@shewhart/bus';
import type { AppConfig } from '@shewhart/config';
import type { ObjectiveService } from '@shewhart/objectives';
import type { Logger } from 'pino';
import type { Storage } from './storage.js';

/**
 * Where alert deliveries run. `SHEWHART_ALERT_QUEUE` decides when set. Otherwise the embedded default
 * runs them in its own process (no Redis needed), and the scaled worker uses BullMQ whenever the
 * deployment has a Redis — `REDIS_URL` given, or `CLICKHOUSE_URL` (a shared server needs Redis for its
 * lock anyway). A scaled worker on its own embedded directory without `REDIS_URL` (development) runs
 * them in process, like `shewhart start`.
 */
export function alertQueueFor(
  config: AppConfig,
  deployment: 'embedded' | 'scaled',
): AlertingOptions['queue'] {
  const kind =
    config.alerts.queue ??
    (deployment === 'scaled' && (config.redis.configured || config.storage.url !== undefined)
      ? 'bullmq'
      : 'inline');
  return kind === 'bullmq'
    ? { kind, redisUrl: config.redis.url, prefix: config.alerts.queuePrefix, process: true }
    : { kind };
}

/**
 * The lock every process evaluating the alerts of one ClickHouse server takes around an evaluation
 * (`shewhart:<database>:alerts` in Redis), or none with an embedded directory (one process per
 * directory). Evaluation ids are derived from the data, but two evaluations interleaved could still
 * write a transition twice — the second re-writing as pending a delivery the first already sent — so
 * evaluations take turns. A process waits for its turn (the one waiting may have been asked for after
 * newer data arrived), for as long as a slow evaluation of a large warehouse takes.
 */
export function evaluationLock(config: AppConfig): RedisLock | undefined {
  if (!config.storage.url) return undefined;
  return new RedisLock({
    url: config.redis.url,
    key: `shewhart:${config.storage.database}:alerts`,
    waitMs: 15 * 60_000,
  });
}

/**
 * The lock re-sends of alert deliveries take turns under (`shewhart:<database>:alert-retries`) when the
 * processes share a ClickHouse server; none on an embedded directory (one process, whose re-sends take
 * turns in process).
 */
export function retryLock(config: AppConfig): RedisLock | undefined {
  return sharedLock(config, 'alert-retries');
}

/**
 * Where a process that runs no alerting (a collector, a CLI command) hands re-sent deliveries: BullMQ
 * when the deployment delivers through it and shares a ClickHouse server, adding jobs only (the workers
 * run them); otherwise none — the row is pending in ClickHouse, and the next start of a runtime that
 * delivers alerts resumes it. `hasAlerts`: the configuration file has an `alerts` section (without one
 * there is nothing to re-send, and no Redis connection is opened).
 */
export function requeueOnly(
  config: AppConfig,
  storage: Storage,
  options: { hasAlerts: boolean; logger?: Logger },
): DeliveryQueue | undefined {
  if (!options.hasAlerts) return undefined;
  const queue = alertQueueFor(config, config.storage.url ? 'scaled' : 'embedded');
  if (queue.kind !== 'bullmq' || !config.storage.url) return undefined;
  const lock = retryLock(config);
  return new BullDeliveryQueue(
    // No routes here: a job Redis still holds keeps its options, and a missing one is added with the
    // route's retry policy the row carries.
    { client: storage.warehouse.client, config: { routes: new Map(), rules: [] } },
    {
      redisUrl: queue.redisUrl,
      prefix: queue.prefix,
      process: false,
      ...(options.logger ? { logger: options.logger.child({ component: 'alerts' }) } : {}),
      ...(lock ? { retryLock: lock } : {}),
    },
  );
}

/**
 * Starts alert evaluation and delivery for a runtime (the configuration file has an `alerts` section):
 * pending deliveries resumed, the schedule started (a BullMQ job scheduler reconciled at boot, or a
 * timer), the processors running in this process. `refresh` (the scaled worker) refreshes baselines and
 * signals before each evaluation; the embedded default's refresher calls `afterRefresh()` instead.
 */
export async function startAlerting(options: {
  config: AppConfig;
  alerts: AlertsConfig;
  storage: Storage;
  objectives?: ObjectiveService;
  logger: Logger;
  deployment: 'embedded' | 'scaled';
  refresh?: () => Promise<unknown>;
}): Promise<Alerting> {
  const { config, storage } = options;
  const queue = alertQueueFor(config, options.deployment);
  const logger = options.logger.child({ component: 'alerts' });
  const lock = evaluationLock(config);
  const resends = retryLock(config);
  const alerting = await Alerting.start({
    client: storage.warehouse.client,
    states: storage.states,
    config: options.alerts,
    objectives: options.objectives,
    publicUrl: config.alerts.publicUrl,
    logger,
    evaluateEveryMs: config.alerts.evaluateEveryMs,
    queue,
    ...(options.refresh ? { refresh: options.refresh } : {}),
    ...(lock ? { lock } : {}),
    ...(resends ? { retryLock: resends } : {}),
  });
  logger.info(
    { queue: queue.kind, evaluateEveryMs: config.alerts.evaluateEveryMs, rules: options.alerts.rules.length },
    'alerting started',
  );
  return alerting;
}

/**
 * Records refused events for the data-quality alert on a source's refused share, without ever failing
 * the path that refused them (the refusal is already that message's outcome; the row only counts it).
 */
export function rejectionRecorder(storage: Storage, logger: Logger) {
  return (rows: Parameters<typeof recordRejections>[1]): Promise<void> =>
    recordRejections(storage.warehouse.client, rows).catch((error: unknown) =>
      logger.warn({ err: error }, 'could not record refused events'),
    );
}

/**
 * The refusal row of a message the scaled worker dead-letters (not JSON, not a valid event, or refused
 * by storage): one refused event of the source and team it names, `?` where it names none.
 */
export function deadLetterRejection(value: Buffer, key: string | null, reason: string) {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const e = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const text = (v: unknown, fallback: string) => (typeof v === 'string' && v.length > 0 ? v : fallback);
  return {
    source: text(e.source, '?'),
    team: text(e.team, text(key, '?')),
    rejected: 1,
    reason: `dead-lettered: ${reason}`,
  };
}
