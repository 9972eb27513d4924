import { fileURLToPath } from 'node:url';
import { DEMO_KEY_ENV, demoKey, demoKeyPath, listAlerts } from '@shewhart/alerts';
import { refreshAll } from '@shewhart/baselines';
import { createLogger } from '@shewhart/config';
import { shutdownOnStopRequest, startEmbedded } from '@shewhart/runtime';
import type { Command } from 'commander';
import { ApiClient } from '../api-client.js';
import { addCommonFlags, type CommonFlags, configFrom } from '../context.js';
import { loadDemo } from '../demo/load.js';

/** The example configuration the demo runs with unless one is given (objectives across the demo's teams). */
export const DEMO_CONFIG = fileURLToPath(
  new URL('../../../../infra/config/shewhart.example.yaml', import.meta.url),
);

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
    const given = configFrom(flags, { PORT: flags.port, SHEWHART_HOST: flags.host });
    // The demo shows objectives out of the box: objective status, attainment, capability, objective lines.
    const config = flags.demo && !given.objectivesFile ? { ...given, objectivesFile: DEMO_CONFIG } : given;
    const logger = createLogger(config.logLevel);
    // The example's alert route signs with SHEWHART_DEMO_ALERT_KEY; when it is unset the demo keeps its
    // own random key in the data directory, which `shewhart receiver` reads (packages/alerts/src/demo-key.ts).
    const demoKeyFile =
      flags.demo && config.objectivesFile === DEMO_CONFIG && !process.env[DEMO_KEY_ENV]?.trim()
        ? demoKeyPath(config.storage.dataDir)
        : undefined;
    if (demoKeyFile) process.env[DEMO_KEY_ENV] = demoKey(config.storage.dataDir);
    const runtime = await startEmbedded({
      config,
      logger,
      advertise: true,
      internalToken: true,
      exampleConfig: config.objectivesFile === DEMO_CONFIG,
    });
    // SIGINT/SIGTERM/SIGHUP, or the death of a wrapper that does not forward signals (pnpm): the ordered
    // shutdown, then exit (docs/reliability.md, "Signals and shutdown").
    shutdownOnStopRequest(logger, runtime.shutdown);

    const where = config.storage.url ?? config.storage.dataDir;
    if (flags.demo) {
      await loadDemo(new ApiClient(runtime.url, runtime.internalToken), {
        weeks: Number(flags.weeks),
        teams: Number(flags.teams),
        seed: Number(flags.seed),
      });
      // Charts serve stored baselines: compute them now rather than after the refresher's quiet period.
      process.stdout.write('computing process performance baselines and signals…\n');
      const refreshed = await refreshAll(runtime.storage.states, { grains: ['week'] });
      process.stdout.write(`${refreshed.series} series evaluated, ${refreshed.signals} signals\n`);
      // Alerts now rather than at the refresher's next run; their messages go out in the background.
      await runtime.alerting?.evaluateNow().catch(() => undefined);
    }
    const firing = runtime.alerting
      ? (await listAlerts(runtime.storage.warehouse.client, { state: 'firing' })).length
      : undefined;
    const dataFlag = flags.data ? ` --data ${flags.data}` : '';
    process.stdout.write(
      [
        '',
        `Shewhart is running at ${runtime.url} (data: ${where}).`,
        `Open ${runtime.url}/ in a browser: quality overview, control charts, alerts, review packs.`,
        ...(config.objectivesFile ? [`Objectives: ${config.objectivesFile}`] : []),
        ...(firing !== undefined
          ? [
              `Alerts: ${firing} firing (npx -y pnpm@10 shewhart alerts${dataFlag}); messages are retried until a receiver answers.`,
              ...(demoKeyFile
                ? [
                    `  Watch them arrive, signed with the demo key in ${demoKeyFile}:`,
                    `  npx -y pnpm@10 shewhart receiver${dataFlag}`,
                  ]
                : []),
            ]
          : []),
        '',
        'Look at (in another terminal, from this directory):',
        ...columns([
          ['npx -y pnpm@10 shewhart kpi list', 'the KPI catalogue'],
          [
            'npx -y pnpm@10 shewhart kpi show change_failure_rate --period month',
            'a KPI per month, as a table',
          ],
          [
            'npx -y pnpm@10 shewhart kpi chart lead_time_for_changes --team payments --plot chart.svg',
            'its control chart: stages, limits, signals',
          ],
          ['npx -y pnpm@10 shewhart baseline list', 'process performance baselines'],
          ['npx -y pnpm@10 shewhart objectives', 'the quality objectives and their status'],
          [
            `${runtime.url}/v1/kpis/change_failure_rate/chart?team=payments`,
            'a chart as JSON (&format=svg: a picture)',
          ],
          [`${runtime.url}/metrics`, 'Prometheus metrics'],
        ]),
        '',
        `Send events: POST ${runtime.url}/v1/events (see README). Stop with Ctrl-C.`,
        '',
      ].join('\n'),
    );
  });
}

/** Two columns: the second starts where the longest first one ends (or on its own line past 72). */
function columns(rows: [string, string][]): string[] {
  const width = Math.min(72, Math.max(...rows.map(([a]) => a.length)));
  return rows.flatMap(([a, b]) =>
    a.length > width ? [`  ${a}`, `  ${' '.repeat(width)}  ${b}`] : [`  ${a.padEnd(width)}  ${b}`],
  );
}
