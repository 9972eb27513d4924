import { createLogger } from '@shewhart/config';
import { startEmbedded } from '@shewhart/runtime';
import type { Command } from 'commander';
import { ApiClient } from '../api-client.js';
import { addCommonFlags, type CommonFlags, configFrom } from '../context.js';
import { loadDemo } from '../demo/load.js';

interface StartFlags extends CommonFlags {
  port?: string;
  host?: string;
  demo?: boolean;
  weeks: string;
  teams: string;
  seed: string;
}

export function register(program: Command): void {
  addCommonFlags(
    program
      .command('start')
      .description('run the embedded all-in-one process: collector, worker and query API (Ctrl-C to stop)')
      .option('--port <port>', 'HTTP port (env PORT)', undefined)
      .option('--host <host>', 'interface to listen on (env SHEWHART_HOST)', undefined)
      .option('--demo', 'load the synthetic demo history first (idempotent)')
      .option('--weeks <n>', 'demo: weeks of history', '104')
      .option('--teams <n>', 'demo: number of teams', '4')
      .option('--seed <n>', 'demo: random seed', '42'),
  ).action(async (flags: StartFlags) => {
    const config = configFrom(flags, { PORT: flags.port, SHEWHART_HOST: flags.host });
    const logger = createLogger(config.logLevel);
    const runtime = await startEmbedded({ config, logger, advertise: true, internalToken: true });
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down: draining requests and flushing storage');
      runtime.shutdown().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));

    const where = config.storage.url ?? config.storage.dataDir;
    if (flags.demo) {
      await loadDemo(new ApiClient(runtime.url, runtime.internalToken), {
        weeks: Number(flags.weeks),
        teams: Number(flags.teams),
        seed: Number(flags.seed),
      });
    }
    process.stdout.write(
      [
        '',
        `Shewhart is running at ${runtime.url} (data: ${where}).`,
        '',
        'Look at (in another terminal, from this directory):',
        '  pnpm shewhart kpi list                                        the KPI catalogue',
        '  pnpm shewhart kpi show change_failure_rate --period month     a KPI per month, as a table',
        '  pnpm shewhart kpi chart lead_time_for_changes --team payments --plot chart.svg',
        '                                                                its control chart: stages, limits, signals',
        '  pnpm shewhart baseline list                                   process performance baselines',
        `  ${runtime.url}/v1/kpis/change_failure_rate/chart?team=payments   the same as JSON`,
        `  ${runtime.url}/metrics                                  Prometheus metrics`,
        '',
        `Send events: POST ${runtime.url}/v1/events (see README). Stop with Ctrl-C.`,
        '',
      ].join('\n'),
    );
  });
}
