import { loadMigrations } from '@shewhart/warehouse';
import type { Command } from 'commander';
import { addCommonFlags, type CommonFlags, configFrom, openDirect, runningApi } from '../context.js';

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
    // Opening storage migrates it (one process at a time against a shared server, never beside a catch-up).
    const storage = await openDirect(config);
    try {
      const report = storage.migrations;
      const where = config.storage.url
        ? `${config.storage.url} (database ${config.storage.database})`
        : storage.warehouse.path;
      for (const name of report.applied) process.stdout.write(`applied ${name}\n`);
      process.stdout.write(
        `${report.applied.length} applied, ${report.alreadyApplied} already applied, on ${where}\n`,
      );
    } finally {
      await storage.close();
    }
  });
}
