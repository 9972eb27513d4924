import {
  type BatchHandler,
  KafkaBus,
  type RedisLock,
  type Subscription,
  sharedLock,
  TOPICS,
  topicCatalogue,
  untilAvailable,
} from '@shewhart/bus';
import { type AppConfig, ConfigError } from '@shewhart/config';
import { backgroundCatchUp, rollupsOf } from '@shewhart/kpi';
import { EventStore, lockDataDir, migrate, openWarehouse, type Warehouse } from '@shewhart/warehouse';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { registerConsumerLag } from './consumer-lag.js';
import { deadLetterPublisher } from './dead-letter.js';
import { createEventsHandler } from './events.consumer.js';
import { startHealthServer } from './health.server.js';
import { workerMetrics } from './metrics.js';

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

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = workerMetrics(registry);
  let ready = () => false;
  const health = await startHealthServer({
    host: config.http.host,
    port: config.worker.port,
    registry,
    isReady: () => ready(),
  });
  options.onListening?.(health.url);

  const unlock = config.storage.url
    ? () => {}
    : lockDataDir(
        config.storage.dataDir,
        'each worker needs its own SHEWHART_DATA_DIR (or a shared CLICKHOUSE_URL)',
      );
  let warehouse: Warehouse | undefined;
  let bus: KafkaBus | undefined;
  let lock: RedisLock | undefined;
  try {
    warehouse = await openWarehouse(config.storage);
    // The KPI entity states catch up after each stored batch; workers sharing a server take turns, and
    // migrate one at a time.
    lock = sharedLock(config, 'rollups');
    const rollups = rollupsOf(warehouse.client, { logger, lagMs: config.catchUpLagMs });
    if (lock) rollups.useLock(lock);
    const client = warehouse.client;
    const report = await untilAvailable(
      () => rollups.exclusive(() => migrate(client)),
      logger,
      options.signal,
    );
    if (report.applied.length > 0) logger.info({ applied: report.applied }, 'migrations applied');
    const catchUp = backgroundCatchUp(warehouse.client, { logger });
    catchUp.notify();

    const store = new EventStore(warehouse.client, {
      flushRows: config.writer.flushRows,
      // Each handler waits for its flush, and the writer serializes flushes: batches of other
      // partitions arriving meanwhile join the next flush anyway, so a timer would only add latency.
      flushMs: 1,
      logger,
      onFlush: (f) => {
        metrics.flushSeconds.observe(f.ms / 1000);
        metrics.flushRows.observe(f.rows);
        if (f.stored > 0) catchUp.notify();
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
    const handler = createEventsHandler({
      store,
      deadLetter: deadLetterPublisher(openedBus, topics.deadLetters, logger),
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
    const opened = warehouse;
    let closing: Promise<void> | undefined;
    const shutdown = () => {
      closing ??= (async () => {
        const deadline = setTimeout(() => {
          logger.error('shutdown deadline exceeded; exiting (uncommitted messages are redelivered)');
          process.exit(1);
        }, config.shutdownTimeoutMs);
        deadline.unref();
        draining = true;
        // The batch in flight finishes (stored, committed) before the consumer leaves its group; the
        // writer is flushed only then, and the clients closed last.
        await subscription.stop();
        await store.close();
        await catchUp.stop();
        await openedBus.close();
        await lag.close();
        await opened.close();
        await lock?.close();
        unlock();
        await health.close();
        clearTimeout(deadline);
      })();
      return closing;
    };
    logger.info(
      { url: health.url, topic: topics.events, groupId: kafka.groupId, storage: opened.kind },
      'worker started',
    );
    return { url: health.url, isReady: () => ready(), shutdown };
  } catch (error) {
    await bus?.close().catch(() => undefined);
    await warehouse?.close().catch(() => undefined);
    await lock?.close();
    unlock();
    await health.close();
    throw error;
  }
}
