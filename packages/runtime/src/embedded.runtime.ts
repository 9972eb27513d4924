import { randomBytes } from 'node:crypto';
import { ALERTS_SECTION, type Alerting, resolveAlerts } from '@shewhart/alerts';
import { buildHttpApp } from '@shewhart/api';
import { BaselineRefresher } from '@shewhart/baselines';
import { MemoryBus, TOPICS } from '@shewhart/bus';
import { type AppConfig, loadConfigFile } from '@shewhart/config';
import { SOURCES_SECTION, webhookSources } from '@shewhart/connectors';
import { createEventsHandler, ingestMetrics } from '@shewhart/ingest';
import { backgroundCatchUp } from '@shewhart/kpi';
import { OBJECTIVES_SECTION, ObjectiveService, recordObjectives } from '@shewhart/objectives';
import { PackScheduler, refreshObjectiveSeries } from '@shewhart/report';
import { EventStore } from '@shewhart/warehouse';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { rejectionRecorder, startAlerting } from './alerts.runtime.js';
import { removeServerRecord, writeServerRecord } from './instance.js';
import { orderedShutdown } from './shutdown.js';
import { openStorage, type Storage } from './storage.js';

export interface EmbeddedRuntime {
  url: string;
  app: FastifyInstance;
  storage: Storage;
  store: EventStore;
  refresher: BaselineRefresher;
  /** Alert evaluation and delivery, when the configuration file has an `alerts` section. */
  alerting?: Alerting;
  /** A token valid for this process when ingest tokens are configured (used by in-process commands). */
  internalToken?: string;
  /** Ordered shutdown under `SHEWHART_SHUTDOWN_TIMEOUT_MS`: not ready → stop accepting → stop consumer → flush → close. */
  shutdown(): Promise<void>;
}

export interface EmbeddedOptions {
  config: AppConfig;
  logger: Logger;
  /** Publish `<data>/shewhart.server.json` so other commands find this process (the `start` command). */
  advertise?: boolean;
  /** Add a random token for in-process clients (import/demo run through the real authenticated path). */
  internalToken?: boolean;
  /**
   * The configuration is the shipped example (`start --demo`): its webhook secrets are expectedly unset,
   * so saying so is information, not a warning.
   */
  exampleConfig?: boolean;
}

/**
 * The embedded default in one process: collector, worker and query API over the in-process bus and the
 * embedded ClickHouse engine (or `CLICKHOUSE_URL`).
 */
export async function startEmbedded(options: EmbeddedOptions): Promise<EmbeddedRuntime> {
  const { config, logger } = options;
  // The configuration file is read once: a broken file stops start-up with file, line and field.
  const file = config.objectivesFile
    ? loadConfigFile(config.objectivesFile, {
        objectives: OBJECTIVES_SECTION,
        alerts: ALERTS_SECTION,
        sources: SOURCES_SECTION,
      })
    : undefined;
  const objectives = file ? (file.objectives ?? []) : undefined;
  const alertsConfig = file?.alerts ? resolveAlerts(file.alerts) : undefined;
  // Webhook secrets are read from the variables the file names, once; a missing one is a warning.
  const sources = webhookSources(file?.sources);
  if (sources.warning) {
    if (options.exampleConfig) logger.info(sources.warning);
    else logger.warn(sources.warning);
  }
  // Own data directory: this process is its only writer. A shared server: others write too.
  const storage = await openStorage(config, { logger, soleWriter: true });
  try {
    const { states, warehouse } = storage;
    // Dashboards read the objectives in force from ClickHouse (objectives_current).
    if (objectives) await recordObjectives(warehouse.client, objectives);
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const metrics = ingestMetrics(registry);
    // Entity states catch up right after each stored batch; baselines after a longer quiet period.
    const catchUp = backgroundCatchUp(states, { logger });
    catchUp.notify(); // brings the states up to what is stored (builds them on a new data directory)
    const objectiveService = objectives ? new ObjectiveService(states, objectives) : undefined;
    // Alerts: evaluated after each refresh and on a schedule, delivered in this process (or BullMQ).
    const alerting = alertsConfig
      ? await startAlerting({
          config,
          alerts: alertsConfig,
          storage,
          objectives: objectiveService,
          logger,
          deployment: 'embedded',
        })
      : undefined;
    // After each refresh: the objectives' own series (a monthly objective's monthly chart), then alert
    // evaluation (time-critical: it never waits behind page preparation), then what registered for it
    // (the web view prepares its pages).
    const afterRefresh: (() => Promise<void>)[] = [];
    const refresher = new BaselineRefresher(states, {
      logger,
      delayMs: config.baselineRefreshMs,
      onRefreshed: async () => {
        if (objectives?.length) {
          const r = await refreshObjectiveSeries(states, objectives).catch((error: unknown) => {
            logger.warn({ err: error }, 'objective series refresh failed');
            return undefined;
          });
          for (const f of r?.failed ?? [])
            logger.warn({ series: f.key, error: f.error }, 'objective series refresh failed');
        }
        await alerting?.afterRefresh();
        for (const hook of afterRefresh) await hook();
      },
    });
    const store = new EventStore(warehouse.client, {
      // Writers sharing a server flush one at a time (the duplicate check, insert and derive).
      lock: storage.writerLock,
      flushRows: config.writer.flushRows,
      flushMs: config.writer.flushMs,
      logger,
      onFlush: (f) => {
        metrics.flushSeconds.observe(f.ms / 1000);
        metrics.flushRows.observe(f.rows);
        // Noted even when nothing new was stored: a retried flush may find rows an earlier attempt
        // committed without being told so.
        states.noteWrite();
        if (f.stored > 0) {
          catchUp.notify();
          refresher.notify();
        }
      },
    });
    const bus = new MemoryBus();
    const subscription = await bus.subscribe({
      topic: TOPICS.events,
      groupId: 'embedded',
      maxBatchSize: 10_000,
      handler: createEventsHandler({
        store,
        trusted: true,
        onOutcome: (o) => {
          metrics.outcomes.inc({ outcome: 'stored' }, o.stored);
          metrics.outcomes.inc({ outcome: 'duplicate' }, o.duplicates);
          metrics.outcomes.inc({ outcome: 'rejected' }, o.rejected);
        },
      }),
    });

    // The review pack of each closed quarter is generated and kept in process (report/scheduler.ts).
    const packs = new PackScheduler({ states, objectives: objectiveService }, { logger });
    let ready = false;
    const internalToken = options.internalToken ? randomBytes(24).toString('hex') : undefined;
    const app = buildHttpApp({
      bus,
      logger,
      registry,
      auth: config.auth,
      internalToken,
      maxBodyBytes: config.http.maxBodyBytes,
      requestTimeoutMs: config.http.requestTimeoutMs,
      isReady: () => ready,
      states,
      refresher,
      onRefreshed: (hook) => afterRefresh.push(hook),
      objectives: objectiveService,
      sources,
      ...(alerting ? { alertDeliveries: alerting.deliveries } : {}),
      // Refused batches feed the data-quality alert on the refused share of a source.
      onRejected: rejectionRecorder(storage, logger),
    });
    const url = await app.listen({ host: config.http.host, port: config.http.port });
    if (options.advertise) writeServerRecord(config.storage.dataDir, url);
    ready = true;
    packs.start();
    if (alerting) {
      alerting.publicUrl ??= url;
      void alerting.evaluateNow().catch(() => undefined);
    }

    const shutdown = orderedShutdown(
      [
        {
          name: 'not ready',
          run: () => {
            ready = false;
            if (options.advertise) removeServerRecord(config.storage.dataDir);
          },
        },
        // Stops accepting and waits for the requests in flight (each waits for its flush).
        { name: 'http', run: () => app.close() },
        { name: 'consumer', run: () => subscription.stop() },
        { name: 'writer', run: () => store.close() },
        { name: 'baseline refresher', run: () => refresher.stop() },
        { name: 'review packs', run: () => packs.stop() },
        { name: 'alerts', run: () => alerting?.close() },
        { name: 'entity states', run: () => catchUp.stop() },
        { name: 'bus', run: () => bus.close() },
        { name: 'storage', run: () => storage.close() },
      ],
      { deadlineMs: config.shutdownTimeoutMs, logger },
    );
    return { url, app, storage, store, refresher, alerting, internalToken, shutdown };
  } catch (error) {
    await storage.close().catch(() => undefined);
    throw error;
  }
}
