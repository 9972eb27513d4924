/** `shewhart compare --before FILE --after FILE`: the §6 before/after tests and the improvement verdict. */
import { compareBeforeAfter, comparisonReport, comparisonTable, parseSample } from '@shewhart/spc';
import type { Command } from 'commander';
import { readInput } from './spc.command.js';

interface CompareFlags {
  before: string;
  after: string;
  direction: string;
  alpha?: string;
  minEffect?: string;
  test: string;
  format?: string;
}

function num(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v.trim());
  if (v.trim() === '' || !Number.isFinite(n)) throw new Error(`--${flag} must be a number (got "${v}")`);
  return n;
}

export function register(program: Command): void {
  program
    .command('compare')
    .description(
      'before/after significance (Welch, Mann–Whitney, Hodges–Lehmann) and the improvement verdict',
    )
    .requiredOption('--before <file>', 'values before the change (one per line, or a JSON array)')
    .requiredOption('--after <file>', 'values after the change')
    .option('--direction <dir>', 'which way is better: lower or higher', 'lower')
    .option('--alpha <p>', 'significance level of the one-sided test (default 0.05)')
    .option('--min-effect <value>', 'minimum practical effect in data units (default 0)')
    .option('--test <test>', 'test behind the verdict: mann-whitney or welch', 'mann-whitney')
    .option('--format <format>', 'json or table', process.stdout.isTTY ? 'table' : 'json')
    .action((flags: CompareFlags) => {
      if (flags.format !== 'json' && flags.format !== 'table') {
        throw new Error(`--format must be json or table (got "${flags.format}")`);
      }
      if (flags.direction !== 'lower' && flags.direction !== 'higher') {
        throw new Error(`--direction must be lower or higher (got "${flags.direction}")`);
      }
      if (flags.test !== 'mann-whitney' && flags.test !== 'welch') {
        throw new Error(`--test must be mann-whitney or welch (got "${flags.test}")`);
      }
      if (flags.before === '-' && flags.after === '-')
        throw new Error('only one of --before and --after can be -');
      const before = parseSample(readInput(flags.before), 'before');
      const after = parseSample(readInput(flags.after), 'after');
      const result = compareBeforeAfter(before, after, {
        direction: flags.direction,
        alpha: num(flags.alpha, 'alpha'),
        minEffect: num(flags.minEffect, 'min-effect'),
        test: flags.test,
      });
      process.stdout.write(
        flags.format === 'json'
          ? `${JSON.stringify(comparisonReport(result), null, 2)}\n`
          : comparisonTable(result),
      );
    });
}
