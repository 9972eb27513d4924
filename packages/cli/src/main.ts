#!/usr/bin/env node
import { Command } from 'commander';
import { registerCommands } from './commands/index.js';

const program = new Command();
program
  .name('shewhart')
  .description('Continuous-improvement metrics: ISO 9001 KPIs, SPC control charts and CMMI baselines.')
  .showHelpAfterError('(run with --help for usage)')
  // The program has no options of its own; positional here lets a command whose subcommands repeat its
  // flags (`alerts`, `alerts deliveries`) parse them per command instead of the parent taking them all.
  .enablePositionalOptions();
registerCommands(program);
program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`shewhart: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = process.exitCode || 1;
});
