import { randomBytes } from 'node:crypto';
import { BaselineRefresher } from '@shewhart/baselines';
import { MemoryBus, sharedLock, TOPICS } from '@shewhart/bus';
import { buildCollectorApp } from '@shewhart/collector';
import type { AppConfig } from '@shewhart/config';
import { backgroundCatchUp, rollupsOf } from '@shewhart/kpi';
import { loadObjectivesFile, ObjectiveService } from '@shewhart/objectives';
import { EventStore, migrate, openWarehouse, type Warehouse } from '@shewhart/warehouse';
import { createEventsHandler, workerMetrics } from '@shewhart/worker';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { lockDataDir, removeServerRecord, writeServerRecord } from './instance.js';

export interface EmbeddedRuntime {
  url: string;
  app: FastifyInstance;
  warehouse: Warehouse;
  store: EventStore;
  /** A token valid for this process when ingest tokens are configured (used by in-process commands). */
  internalToken?: string;
  /** Ordered shutdown under a deadline: not ready → stop accepting → stop consumer → flush → close. */
  shutdown(): Promise<void>;
}

export interface EmbeddedOptions {
  config: AppConfig;
  logger: Logger;
  /** Publish `<data>/shewhart.server.json` so other commands find this process (the `start` command). */
  advertise?: boolean;
  /** Add a random token for in-process clients (import/demo run through the real authenticated path). */
  internalToken?: boolean;
  shutdownDeadlineMs?: number;
  /** Quiet period before baselines are refreshed after new data (default 10 s). */
  refreshDelayMs?: number;
}

/**
 * The embedded default in one process: collector, worker and query API over the in-process bus and the
 * embedded ClickHouse engine (or `CLICKHOUSE_URL`).
 */
export async function startEmbedded(options: EmbeddedOptions): Promise<EmbeddedRuntime> {
  const { config, logger } = options;
  const dataDir = config.storage.dataDir;
  const unlock = config.storage.url ? () => {} : lockDataDir(dataDir);
  let warehouse: Warehouse | undefined;
  try {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const metrics = workerMetrics(registry);
    // Objectives are configuration: a broken file stops start-up with file, line and field.
    const objectives = config.objectivesFile ? loadObjectivesFile(config.objectivesFile) : undefined;
    warehouse = await openWarehouse(config.storage);
    // Entity states catch up right after each stored batch; baselines after a longer quiet period.
    // This process is the only writer of its data directory: queries skip the catch-up when nothing new.
    const rollups = rollupsOf(warehouse.client, { logger, lagMs: config.catchUpLagMs });
    // Own data directory: this process is its only writer. A shared server: others write too.
    const lock = sharedLock(config, 'rollups');
    if (lock) rollups.useLock(lock);
    else rollups.trackWrites();
    const client = warehouse.client;
    const report = await rollups.exclusive(() => migrate(client));
    if (report.applied.length > 0) logger.info({ applied: report.applied }, 'migrations applied');
    const catchUp = backgroundCatchUp(warehouse.client, { logger });
    catchUp.notify(); // brings the states up to what is stored (builds them on a new data directory)
    const refresher = new BaselineRefresher(warehouse.client, {
      logger,
      delayMs: options.refreshDelayMs ?? config.baselineRefreshMs,
    });
    const store = new EventStore(warehouse.client, {
      flushRows: config.writer.flushRows,
      flushMs: config.writer.flushMs,
      logger,
      onFlush: (f) => {
        metrics.flushSeconds.observe(f.ms / 1000);
        metrics.flushRows.observe(f.rows);
        // Noted even when nothing new was stored: a retried flush may find rows an earlier attempt
        // committed without being told so.
        rollups.noteWrite();
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

    let ready = false;
    const internalToken = options.internalToken ? randomBytes(24).toString('hex') : undefined;
    const tokens =
      config.ingestTokens.length > 0 && internalToken
        ? [...config.ingestTokens, internalToken]
        : config.ingestTokens;
    const app = buildCollectorApp({
      bus,
      logger,
      registry,
      tokens,
      maxBodyBytes: config.http.maxBodyBytes,
      isReady: () => ready,
      warehouse: warehouse.client,
      objectives: objectives ? new ObjectiveService(warehouse.client, objectives) : undefined,
    });
    const url = await app.listen({ host: config.http.host, port: config.http.port });
    if (options.advertise) writeServerRecord(dataDir, url);
    ready = true;

    const opened = warehouse;
    let closing: Promise<void> | undefined;
    const shutdown = () => {
      closing ??= (async () => {
        const deadline = setTimeout(() => {
          logger.error('shutdown deadline exceeded; exiting');
          process.exit(1);
        }, options.shutdownDeadlineMs ?? 30_000);
        deadline.unref();
        ready = false;
        if (options.advertise) removeServerRecord(dataDir);
        await app.close(); // stops accepting and waits for in-flight requests (each waits for its flush)
        await subscription.stop();
        await store.close();
        await refresher.stop();
        await catchUp.stop();
        await lock?.close();
        await bus.close();
        await opened.close();
        unlock();
        clearTimeout(deadline);
      })();
      return closing;
    };
    return { url, app, warehouse, store, internalToken, shutdown };
  } catch (error) {
    await warehouse?.close().catch(() => undefined);
    unlock();
    throw error;
  }
}
