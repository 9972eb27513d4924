import { AlertsSection, type DeliveryQueue } from '@shewhart/alerts';
import { buildHttpApp } from '@shewhart/api';
import { KafkaBus, topicCatalogue, untilAvailable } from '@shewhart/bus';
import { type AppConfig, ConfigError, loadConfigFile } from '@shewhart/config';
import { SOURCES_SECTION, webhookSources } from '@shewhart/connectors';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { rejectionRecorder, requeueOnly } from './alerts.runtime.js';
import { chunkedBus, prefixedBus } from './scaled.bus.js';
import { orderedShutdown } from './shutdown.js';
import { openStorage, type Storage } from './storage.js';

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
  // The collector serves the webhooks too: it reads the file's sources section (once, at start-up).
  // Its `alerts` section is read for its shape only (the routes' secrets are the workers' business): re-sends
  // of alert deliveries are taken, and Redis connected for them, only where there are alerts at all.
  const file = config.objectivesFile
    ? loadConfigFile(config.objectivesFile, { sources: SOURCES_SECTION, alerts: { schema: AlertsSection } })
    : undefined;
  const hasAlerts = file?.alerts !== undefined;
  const sources = webhookSources(file?.sources);
  if (sources.warning) logger.warn(sources.warning);
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
  let storage: Storage | undefined;
  let deliveries: DeliveryQueue | undefined;
  try {
    // KPI queries catch the entity states up; collectors and workers sharing the server take turns.
    if (config.storage.url) storage = await openStorage(config, { logger, signal: options.signal });
    // A re-sent alert delivery (POST /v1/alerts/deliveries/:id/retry) goes to the workers through BullMQ.
    if (storage) deliveries = requeueOnly(config, storage, { hasAlerts, logger });
    let ready = false;
    const app = buildHttpApp({
      bus,
      logger,
      registry,
      auth: config.auth,
      maxBodyBytes: config.http.maxBodyBytes,
      requestTimeoutMs: config.http.requestTimeoutMs,
      isReady: () => ready,
      ...(storage ? { states: storage.states } : {}),
      ...(deliveries ? { alertDeliveries: deliveries } : {}),
      sources,
      // Refused batches feed the data-quality alert on a source's refused share (with a server to record
      // them in; a collector without CLICKHOUSE_URL has none).
      ...(storage ? { onRejected: rejectionRecorder(storage, logger) } : {}),
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
    const opened = storage;
    const shutdown = orderedShutdown(
      [
        { name: 'not ready', run: () => (ready = false) },
        // Waits for the requests in flight; each ends with its broker acknowledgement or a 503.
        { name: 'http', run: () => app.close() },
        { name: 'bus', run: () => bus.close() },
        { name: 'alert deliveries', run: () => deliveries?.close() },
        { name: 'storage', run: () => opened?.close() },
      ],
      { deadlineMs: config.shutdownTimeoutMs, logger },
    );
    logger.info({ url, brokers: kafka.brokers, queryApi: opened !== undefined }, 'collector started');
    return { url, isReady: () => ready, shutdown };
  } catch (error) {
    await bus.close().catch(() => undefined);
    await deliveries?.close().catch(() => undefined);
    await storage?.close().catch(() => undefined);
    throw error;
  }
}
