import type { Command } from 'commander';
import { addCommonFlags, type CommonFlags, cliLogger, configFrom, ingestEndpoint } from '../context.js';
import { loadDemo } from '../demo/load.js';

interface DemoFlags extends CommonFlags {
  weeks: string;
  teams: string;
  seed: string;
}

export function register(program: Command): void {
  addCommonFlags(
    program
      .command('demo')
      .description(
        'load a realistic synthetic history (defects, releases, deployments, incidents, reviews, CAPAs, surveys) ' +
          'through the ingest API; deterministic for a seed, idempotent',
      )
      .option('--weeks <n>', 'weeks of history', '104')
      .option('--teams <n>', 'number of teams', '4')
      .option('--seed <n>', 'random seed', '42'),
  ).action(async (flags: DemoFlags) => {
    const config = configFrom(flags);
    const endpoint = await ingestEndpoint(flags, config, cliLogger(config));
    try {
      await loadDemo(endpoint.api, {
        weeks: Number(flags.weeks),
        teams: Number(flags.teams),
        seed: Number(flags.seed),
      });
      process.stdout.write(`demo data stored in ${endpoint.where}\n`);
    } finally {
      await endpoint.close();
    }
  });
}
