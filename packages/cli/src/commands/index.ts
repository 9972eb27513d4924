import type { Command } from 'commander';

/** Every CLI command module exports `register(program)`; this list is the command catalogue. */
export function registerCommands(program: Command): void {
  void program;
}
