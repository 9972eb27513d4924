/**
 * `shewhart compare --before FILE --after FILE`: the §6 before/after tests and the improvement verdict;
 * with `--kpi ID` the ranges `--before A..B --after C..D` of the KPI's stored series (compare-stored.ts).
 */
import { compareBeforeAfter, comparisonReport, comparisonTable, parseSample } from '@shewhart/spc';
import type { Command } from 'commander';
import { addCommonFlags, compareStoredCommand, type StoredCompareFlags } from './compare-stored.js';
import { readInput } from './spc.command.js';

interface CompareFlags
  extends Partial<
    Pick<
      StoredCompareFlags,
      'kpi' | 'team' | 'project' | 'period' | 'unit' | 'phase' | 'data' | 'url' | 'token' | 'config'
    >
  > {
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
  addCommonFlags(program.command('compare'))
    .description(
      'before/after significance (Welch, Mann–Whitney, Hodges–Lehmann) and the improvement verdict',
    )
    .requiredOption('--before <file|range>', 'values before the change (a file); with --kpi: FROM..TO')
    .requiredOption('--after <file|range>', 'values after the change (a file); with --kpi: FROM..TO')
    .option(
      '--kpi <id>',
      "compare the KPI's stored series over two ranges of period starts (YYYY-MM-DD..YYYY-MM-DD)",
    )
    .option('--team <team>', 'with --kpi: the team')
    .option('--project <project>', 'with --kpi: a project of the team')
    .option('--period <period>', 'with --kpi: day, week, month or quarter', 'week')
    .option('--unit <unit>', 'with --kpi: size unit, for KPIs with one series per unit')
    .option('--phase <phase>', 'with --kpi: introduced phase, for phase_containment')
    .option('--direction <dir>', 'which way is better: lower or higher', 'lower')
    .option('--alpha <p>', 'significance level of the one-sided test (default 0.05)')
    .option('--min-effect <value>', 'minimum practical effect in data units (default 0)')
    .option('--test <test>', 'test behind the verdict: mann-whitney or welch', 'mann-whitney')
    .option('--format <format>', 'json or table', process.stdout.isTTY ? 'table' : 'json')
    .action(async (flags: CompareFlags) => {
      if (flags.format !== 'json' && flags.format !== 'table') {
        throw new Error(`--format must be json or table (got "${flags.format}")`);
      }
      if (flags.direction !== 'lower' && flags.direction !== 'higher') {
        throw new Error(`--direction must be lower or higher (got "${flags.direction}")`);
      }
      if (flags.test !== 'mann-whitney' && flags.test !== 'welch') {
        throw new Error(`--test must be mann-whitney or welch (got "${flags.test}")`);
      }
      if (flags.kpi) {
        // The direction is the KPI's own; the minimum effect defaults to its objective's.
        return compareStoredCommand({
          ...flags,
          kpi: flags.kpi,
          period: flags.period ?? 'week',
          alpha: num(flags.alpha, 'alpha'),
          minEffect: num(flags.minEffect, 'min-effect'),
          test: flags.test,
          format: flags.format,
        });
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
