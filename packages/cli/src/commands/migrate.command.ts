import { sharedLock } from '@shewhart/bus';
import { rollupsOf } from '@shewhart/kpi';
import { loadMigrations, migrate, openWarehouse } from '@shewhart/warehouse';
import type { Command } from 'commander';
import { addCommonFlags, type CommonFlags, configFrom, runningApi } from '../context.js';
import { lockDataDir } from '../runtime/instance.js';

export function register(program: Command): void {
  addCommonFlags(
    program
      .command('migrate')
      .description('apply the ClickHouse schema migrations to the configured warehouse'),
  ).action(async (flags: CommonFlags) => {
    const config = configFrom(flags);
    const api = runningApi(flags, config);
    if (api) {
      process.stdout.write(
        `a Shewhart server is running at ${api.baseUrl} on this data directory; it applied all ` +
          `${loadMigrations().length} migrations when it started\n`,
      );
      return;
    }
    const unlock = config.storage.url ? () => {} : lockDataDir(config.storage.dataDir);
    const warehouse = await openWarehouse(config.storage);
    // Against a shared server: one migration run at a time, and no catch-up meanwhile.
    const lock = sharedLock(config, 'rollups');
    try {
      const rollups = rollupsOf(warehouse.client);
      if (lock) rollups.useLock(lock);
      const report = await rollups.exclusive(() => migrate(warehouse.client));
      const where = config.storage.url
        ? `${config.storage.url} (database ${config.storage.database})`
        : warehouse.path;
      for (const name of report.applied) process.stdout.write(`applied ${name}\n`);
      process.stdout.write(
        `${report.applied.length} applied, ${report.alreadyApplied} already applied, on ${where}\n`,
      );
    } finally {
      await warehouse.close();
      await lock?.close();
      unlock();
    }
  });
}
