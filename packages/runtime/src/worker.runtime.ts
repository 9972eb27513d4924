import { ALERTS_SECTION, type Alerting, resolveAlerts } from '@shewhart/alerts';
import { refreshAll } from '@shewhart/baselines';
import {
  type BatchHandler,
  KafkaBus,
  type Subscription,
  TOPICS,
  topicCatalogue,
  untilAvailable,
} from '@shewhart/bus';
import { type AppConfig, ConfigError, DebouncedTask, loadConfigFile } from '@shewhart/config';
import {
  createEventsHandler,
  type DeadLetterSink,
  deadLetterPublisher,
  ingestMetrics,
} from '@shewhart/ingest';
import { backgroundCatchUp } from '@shewhart/kpi';
import { OBJECTIVES_SECTION, ObjectiveService, recordObjectives } from '@shewhart/objectives';
import { PackScheduler, refreshObjectiveSeries, startPackJobs } from '@shewhart/report';
import { EventStore } from '@shewhart/warehouse';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { deadLetterRejection, rejectionRecorder, startAlerting } from './alerts.runtime.js';
import { registerConsumerLag } from './consumer-lag.js';
import { startHealthServer } from './health.server.js';
import { orderedShutdown } from './shutdown.js';
import { openStorage, type Storage } from './storage.js';

export interface WorkerRuntime {
  /** Base URL of /healthz, /readyz and /metrics. */
  url: string;
  isReady(): boolean;
  /** Ordered shutdown under a deadline: not ready → stop the consumer → flush → close clients. */
  shutdown(): Promise<void>;
}

/** Topic names of the scaled deployment: the catalogue's, behind the configured prefix. */
export function scaledTopics(prefix: string, partitions: number) {
  return {
    events: `${prefix}${TOPICS.events}`,
    deadLetters: `${prefix}${TOPICS.deadLetters}`,
    catalogue: topicCatalogue(partitions).map((t) => ({ ...t, name: `${prefix}${t.name}` })),
  };
}

/**
 * The scaled worker: one member of the consumer group on the events topic, storing into ClickHouse
 * (`CLICKHOUSE_URL`) or the embedded engine under `SHEWHART_DATA_DIR` (one worker per directory).
 * `signal` aborts a start-up that is still waiting for the broker.
 */
export async function startWorker(options: {
  config: AppConfig;
  logger: Logger;
  signal?: AbortSignal;
  /** Called once the health server listens, before storage and broker are up (/readyz tells the rest). */
  onListening?: (url: string) => void;
}): Promise<WorkerRuntime> {
  const { config, logger } = options;
  const kafka = config.kafka;
  if (!kafka) throw new ConfigError('KAFKA_BROKERS is required by the worker (host:port[,host:port])');
  const topics = scaledTopics(kafka.topicPrefix, kafka.partitions);
  // Alerts run in the worker (docs/alerts.md, "Where it runs"): the file is read once, and a broken one
  // stops start-up with file, line and field before anything is opened.
  const file = config.objectivesFile
    ? loadConfigFile(config.objectivesFile, { objectives: OBJECTIVES_SECTION, alerts: ALERTS_SECTION })
    : undefined;
  const alertsConfig = file?.alerts ? resolveAlerts(file.alerts) : undefined;

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = ingestMetrics(registry);
  let ready = () => false;
  const health = await startHealthServer({
    host: config.http.host,
    port: config.worker.port,
    registry,
    isReady: () => ready(),
  });
  options.onListening?.(health.url);

  let storage: Storage | undefined;
  let bus: KafkaBus | undefined;
  let alerting: Alerting | undefined;
  try {
    // The KPI entity states catch up after each stored batch; workers sharing a server take turns, and
    // migrate one at a time.
    storage = await openStorage(config, {
      logger,
      signal: options.signal,
      busyHint: 'each worker needs its own SHEWHART_DATA_DIR (or a shared CLICKHOUSE_URL)',
    });
    const { warehouse, states } = storage;
    // Dashboards read the objectives in force from ClickHouse (objectives_current), as in the embedded
    // runtime: the worker is the scaled process that always has storage, so it records the file's set.
    if (file?.objectives) await recordObjectives(warehouse.client, file.objectives);
    const catchUp = backgroundCatchUp(states, { logger });
    catchUp.notify();
    // Alerts: evaluated on the schedule and a quiet period after new events were stored, each time
    // after a refresh of baselines and signals (no refresher runs beside the scaled worker). With
    // BullMQ the requests of every worker collapse into one evaluation job at a time.
    const opened = storage;
    alerting = alertsConfig
      ? await startAlerting({
          config,
          alerts: alertsConfig,
          storage: opened,
          objectives: file?.objectives ? new ObjectiveService(states, file.objectives) : undefined,
          logger,
          deployment: 'scaled',
          refresh: async () => {
            const r = await refreshAll(states);
            logger.info(
              { series: r.series, newVersions: r.newVersions, signals: r.signals, failed: r.failed.length },
              'baselines refreshed',
            );
            // The objectives' own series (a monthly objective's monthly chart), as the embedded refresher does.
            if (file?.objectives?.length) {
              const o = await refreshObjectiveSeries(states, file.objectives);
              for (const f of o.failed)
                logger.warn({ series: f.key, error: f.error }, 'objective series refresh failed');
            }
          },
        })
      : undefined;
    // Review packs: the pack of each closed quarter is generated and kept once — by a BullMQ job scheduler
    // when the deployment has Redis (one worker takes each job), else in this process.
    const packSources = {
      states,
      objectives: file?.objectives ? new ObjectiveService(states, file.objectives) : undefined,
    };
    const packJobs =
      config.redis.configured || config.storage.url !== undefined
        ? await startPackJobs(packSources, {
            redisUrl: config.redis.url,
            prefix: config.alerts.queuePrefix,
            logger,
          })
        : (() => {
            const local = new PackScheduler(packSources, { logger });
            local.start();
            return { close: () => local.stop() };
          })();
    const startedAlerting = alerting;
    const evaluateAfterIngest = startedAlerting
      ? new DebouncedTask(
          () =>
            startedAlerting
              .requestEvaluation('refresh')
              .catch((error: unknown) => logger.warn({ err: error }, 'alert evaluation request failed')),
          config.baselineRefreshMs,
        )
      : undefined;

    const store = new EventStore(warehouse.client, {
      // Writers sharing a server flush one at a time (the duplicate check, insert and derive).
      lock: storage.writerLock,
      flushRows: config.writer.flushRows,
      // Each handler waits for its flush, and the writer serializes flushes: batches of other
      // partitions arriving meanwhile join the next flush anyway, so a timer would only add latency.
      flushMs: 1,
      logger,
      onFlush: (f) => {
        metrics.flushSeconds.observe(f.ms / 1000);
        metrics.flushRows.observe(f.rows);
        if (f.stored > 0) {
          catchUp.notify();
          evaluateAfterIngest?.notify();
        }
      },
    });
    const busLog = logger.child({ component: 'kafka' });
    const openedBus = new KafkaBus({
      brokers: kafka.brokers,
      clientId: kafka.clientId,
      publishTimeoutMs: kafka.publishTimeoutMs,
      sessionTimeoutMs: kafka.sessionTimeoutMs,
      heartbeatIntervalMs: Math.min(3_000, Math.floor(kafka.sessionTimeoutMs / 3)),
      maxBatchSize: kafka.maxBatchSize,
      // Larger fetches from a backlog → larger inserts: each ClickHouse insert costs ~20 ms whatever
      // its size, so 1 MiB fetches (~3,000 events) capped the worker near 16,000 events/s.
      fetchMaxBytesPerPartition: kafka.fetchMaxBytesPerPartition,
      // Several partitions' batches in flight: while ClickHouse inserts one, the next is decoded and
      // validated, and concurrent batches share one flush (measured: a 100,000-event backlog drains
      // in 3.1 s instead of 4.75 s with 3).
      partitionsConsumedConcurrently: kafka.consumerConcurrency,
      logger: busLog,
    });
    bus = openedBus;
    // A dead letter is a refused event too: counted for the data-quality alert on a source's refused
    // share once its dead letter is durable.
    const publishDeadLetter = deadLetterPublisher(openedBus, topics.deadLetters, logger);
    const recordRefused = rejectionRecorder(opened, logger);
    const deadLetter: DeadLetterSink = async (message, reason, attempt) => {
      await publishDeadLetter(message, reason, attempt);
      await recordRefused([deadLetterRejection(message.value, message.key, reason)]);
    };
    const handler = createEventsHandler({
      store,
      deadLetter,
      deadLetterAttempts: config.worker.deadLetterAttempts,
      onOutcome: (o) => {
        metrics.outcomes.inc({ outcome: 'stored' }, o.stored);
        metrics.outcomes.inc({ outcome: 'duplicate' }, o.duplicates);
        metrics.outcomes.inc({ outcome: 'rejected' }, o.rejected);
      },
    });
    const instrumented: BatchHandler = async (batch, context) => {
      metrics.batchSize.observe(batch.messages.length);
      try {
        return await handler(batch, context);
      } catch (error) {
        // Nothing of the batch is acknowledged; the adapter redelivers it after backoff.
        metrics.outcomes.inc({ outcome: 'retried' }, batch.messages.length);
        throw error;
      }
    };

    await untilAvailable(() => openedBus.ensureTopics(topics.catalogue), logger, options.signal);
    const subscription: Subscription = await untilAvailable(
      () =>
        openedBus.subscribe({
          topic: topics.events,
          groupId: kafka.groupId,
          maxBatchSize: kafka.maxBatchSize,
          handler: instrumented,
        }),
      logger,
      options.signal,
    );
    const lag = registerConsumerLag(registry, {
      brokers: kafka.brokers,
      clientId: kafka.clientId,
      groupId: kafka.groupId,
      topic: topics.events,
      log: busLog,
    });

    let draining = false;
    ready = () => !draining && subscription.isReady();
    // The batch in flight finishes (stored, committed) before the consumer leaves its group; the writer
    // is flushed only then; the evaluation in progress and the delivery attempts in flight finish and
    // record their outcome (what was not attempted stays pending for the next start); clients close last.
    const shutdown = orderedShutdown(
      [
        { name: 'not ready', run: () => (draining = true) },
        { name: 'consumer', run: () => subscription.stop() },
        { name: 'writer', run: () => store.close() },
        { name: 'alert evaluation trigger', run: () => evaluateAfterIngest?.stop() },
        { name: 'alerts', run: () => startedAlerting?.close() },
        { name: 'review packs', run: () => packJobs.close() },
        { name: 'entity states', run: () => catchUp.stop() },
        { name: 'bus', run: () => openedBus.close() },
        { name: 'consumer lag', run: () => lag.close() },
        { name: 'storage', run: () => opened.close() },
        { name: 'health server', run: () => health.close() },
      ],
      { deadlineMs: config.shutdownTimeoutMs, logger },
    );
    // Whatever happened while no worker ran (periods that closed, events stored) is judged now.
    void startedAlerting
      ?.requestEvaluation('manual')
      .catch((error: unknown) => logger.warn({ err: error }, 'alert evaluation request failed'));
    logger.info(
      {
        url: health.url,
        topic: topics.events,
        groupId: kafka.groupId,
        storage: warehouse.kind,
        alerts: startedAlerting?.deliveries.kind ?? 'off',
      },
      'worker started',
    );
    return { url: health.url, isReady: () => ready(), shutdown };
  } catch (error) {
    await alerting?.close().catch(() => undefined);
    await bus?.close().catch(() => undefined);
    await storage?.close().catch(() => undefined);
    await health.close();
    throw error;
  }
}
