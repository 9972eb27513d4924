import { type RedisLock, sharedLock, untilAvailable } from '@shewhart/bus';
import type { AppConfig } from '@shewhart/config';
import { EntityStates, installKpiViews } from '@shewhart/kpi';
import {
  lockDataDir,
  type MigrationReport,
  migrate,
  openWarehouse,
  type Warehouse,
} from '@shewhart/warehouse';
import type { Logger } from 'pino';

/**
 * Everything a process needs to read and write the warehouse: the connection, the KPI entity states
 * (one instance per process, created here and passed to whoever reads KPIs), and the shared lock of the
 * scaled deployment. Opened only through `openStorage`, closed by `close()`.
 */
export interface Storage {
  readonly warehouse: Warehouse;
  readonly states: EntityStates;
  /** Scaled deployment (a shared ClickHouse server): the Redis lock its processes take turns under. */
  readonly lock: RedisLock | undefined;
  /**
   * Scaled deployment: the lock every event writer sharing the server flushes under, so that no two
   * derive one event twice (`EventStore`'s `lock`); undefined when this process is the only writer.
   */
  readonly writerLock: (<T>(work: (held: () => void) => Promise<T>) => Promise<T>) | undefined;
  readonly migrations: MigrationReport;
  close(): Promise<void>;
}

export interface OpenStorageOptions {
  logger: Logger;
  /**
   * This process is the only writer of the warehouse and notes every stored batch (the embedded
   * runtime): a KPI query with nothing new stored since the last catch-up skips the catch-up.
   */
  soleWriter?: boolean;
  /** Why the embedded data directory may be busy, for the error when another process holds it. */
  busyHint?: string;
  /** Start-up waits for Redis (the shared lock) until this aborts; without it an outage fails at once. */
  signal?: AbortSignal;
}

/**
 * Opens storage the one way every runtime and command does: the embedded directory's lock (one process
 * per directory), the warehouse, the entity states with the shared lock on a server, and the migrations
 * (one process at a time under that lock, never beside a catch-up).
 */
export async function openStorage(config: AppConfig, options: OpenStorageOptions): Promise<Storage> {
  const { logger } = options;
  const unlock = config.storage.url
    ? () => {}
    : lockDataDir(
        config.storage.dataDir,
        options.busyHint ?? 'stop it, or run this command while `shewhart start` serves the directory',
      );
  let warehouse: Warehouse | undefined;
  const lock = sharedLock(config, 'rollups');
  const derive = sharedLock(config, 'derive');
  const writerLock = derive ? <T>(work: (held: () => void) => Promise<T>) => derive.run(work) : undefined;
  try {
    warehouse = await openWarehouse(config.storage);
    const states = new EntityStates(warehouse.client, { logger, lagMs: config.catchUpLagMs });
    if (lock) states.useLock(lock);
    else if (options.soleWriter) states.trackWrites();
    const client = warehouse.client;
    const migrations = await untilAvailable(
      () =>
        states.exclusive(async () => {
          const report = await migrate(client, undefined, { lock: writerLock });
          // The KPI views follow this release's catalogue (packages/kpi/src/views.ts): dashboards read them.
          await installKpiViews(client);
          return report;
        }),
      logger,
      options.signal,
    );
    if (migrations.repair.repaired > 0) {
      // A crash left events without their derived rows; they are derived now (docs/reliability.md).
      logger.warn({ repair: migrations.repair }, 'derived tables repaired after an unclean stop');
    }
    if (migrations.applied.length > 0) {
      logger.debug({ applied: migrations.applied }, 'migrations applied');
      logger.info(`${migrations.applied.length} migrations applied`);
    }
    const opened = warehouse;
    return {
      warehouse: opened,
      states,
      lock,
      writerLock,
      migrations,
      close: async () => {
        try {
          await opened.close();
        } finally {
          await lock?.close();
          await derive?.close();
          unlock();
        }
      },
    };
  } catch (error) {
    await warehouse?.close().catch(() => undefined);
    await lock?.close();
    await derive?.close();
    unlock();
    throw error;
  }
}
