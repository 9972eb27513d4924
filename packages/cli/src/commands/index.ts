import type { Command } from 'commander';
import { register as alerts } from './alerts.command.js';
import { register as backfill } from './backfill.command.js';
import { register as baseline } from './baseline.command.js';
import { register as compare } from './compare.command.js';
import { register as demo } from './demo.command.js';
import { register as importCmd } from './import.command.js';
import { register as kpi } from './kpi.command.js';
import { register as migrate } from './migrate.command.js';
import { register as objectives } from './objectives.command.js';
import { register as receiver } from './receiver.command.js';
import { register as report } from './report.command.js';
import { register as review } from './review.command.js';
import { register as spc } from './spc.command.js';
import { register as start } from './start.command.js';

/** Every CLI command module exports `register(program)`; this list is the command catalogue. */
export function registerCommands(program: Command): void {
  start(program);
  demo(program);
  importCmd(program);
  backfill(program);
  kpi(program);
  migrate(program);
  objectives(program);
  baseline(program);
  alerts(program);
  receiver(program);
  spc(program);
  compare(program);
  report(program);
  review(program);
}
