import { KafkaBus, type RedisLock, sharedLock, topicCatalogue, untilAvailable } from '@shewhart/bus';
import { type AppConfig, ConfigError } from '@shewhart/config';
import { rollupsOf } from '@shewhart/kpi';
import { openWarehouse, type Warehouse } from '@shewhart/warehouse';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { buildCollectorApp } from './app.js';
import { chunkedBus, prefixedBus } from './scaled.bus.js';

export interface ScaledCollector {
  url: string;
  isReady(): boolean;
  /** Ordered shutdown under a deadline: not ready → stop accepting (drain requests) → close clients. */
  shutdown(): Promise<void>;
}

/**
 * The collector of the scaled deployment: `POST /v1/events` publishes to Kafka and answers 202 once the
 * broker acknowledged (acks=all); an unreachable broker gives 503 with Retry-After within
 * `KAFKA_PUBLISH_TIMEOUT_MS`. The query API is served when `CLICKHOUSE_URL` names a server (the embedded
 * engine belongs to the worker's process and is never opened here).
 */
export async function startScaledCollector(options: {
  config: AppConfig;
  logger: Logger;
  signal?: AbortSignal;
  /** Called once the HTTP server listens, before the broker answered (/readyz tells the rest). */
  onListening?: (url: string) => void;
}): Promise<ScaledCollector> {
  const { config, logger } = options;
  const kafka = config.kafka;
  if (!kafka) throw new ConfigError('KAFKA_BROKERS is required by the scaled collector');
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const kafkaBus = new KafkaBus({
    brokers: kafka.brokers,
    clientId: kafka.clientId,
    publishTimeoutMs: kafka.publishTimeoutMs,
    retryAfterSeconds: Math.max(1, Math.ceil(kafka.publishTimeoutMs / 1000)),
    logger: logger.child({ component: 'kafka' }),
  });
  const bus = chunkedBus(prefixedBus(kafkaBus, kafka.topicPrefix));
  let warehouse: Warehouse | undefined;
  let lock: RedisLock | undefined;
  try {
    if (config.storage.url) warehouse = await openWarehouse(config.storage);
    // KPI queries catch the entity states up; collectors and workers sharing the server take turns.
    lock = sharedLock(config, 'rollups');
    const rollups = warehouse ? rollupsOf(warehouse.client, { lagMs: config.catchUpLagMs }) : undefined;
    if (rollups && lock) rollups.useLock(lock);
    let ready = false;
    const app = buildCollectorApp({
      bus,
      logger,
      registry,
      tokens: config.ingestTokens,
      maxBodyBytes: config.http.maxBodyBytes,
      isReady: () => ready,
      ...(warehouse ? { warehouse: warehouse.client } : {}),
    });
    // Listening before the broker answers: /healthz works and /readyz says 503 until the topics exist
    // and the producer is connected.
    const url = await app.listen({ host: config.http.host, port: config.http.port });
    options.onListening?.(url);
    try {
      await untilAvailable(() => bus.ensureTopics(topicCatalogue(kafka.partitions)), logger, options.signal);
      await untilAvailable(() => kafkaBus.connectProducer(), logger, options.signal);
    } catch (error) {
      await app.close();
      throw error;
    }
    ready = true;

    const opened = warehouse;
    let closing: Promise<void> | undefined;
    const shutdown = () => {
      closing ??= (async () => {
        const deadline = setTimeout(() => {
          logger.error('shutdown deadline exceeded; exiting');
          process.exit(1);
        }, config.shutdownTimeoutMs);
        deadline.unref();
        ready = false;
        // Waits for the requests in flight; each ends with its broker acknowledgement or a 503.
        await app.close();
        await bus.close();
        await opened?.close();
        await lock?.close();
        clearTimeout(deadline);
      })();
      return closing;
    };
    logger.info({ url, brokers: kafka.brokers, queryApi: opened !== undefined }, 'collector started');
    return { url, isReady: () => ready, shutdown };
  } catch (error) {
    await bus.close().catch(() => undefined);
    await warehouse?.close().catch(() => undefined);
    await lock?.close();
    throw error;
  }
}
