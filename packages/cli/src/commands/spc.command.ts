/**
 * `shewhart spc [FILE|-]`: a control chart from a CSV or JSON document, as JSON (the acceptance
 * interface), a table, and optionally an SVG plot. Exit 0 whenever the analysis ran, signals or not.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import {
  analyzeChart,
  type ChartSpec,
  chartReport,
  chartTable,
  defaultChart,
  parseChartInput,
  parseChartName,
  renderChartSvg,
} from '@shewhart/spc';
import type { Command } from 'commander';

interface SpcFlags {
  chart?: string;
  rules?: string;
  phase1?: string;
  exclude?: string;
  stages?: string;
  center?: string;
  sigma?: string;
  sigmaMethod?: string;
  lsl?: string;
  usl?: string;
  target?: string;
  lambda?: string;
  L?: string;
  capabilityWhenUnstable?: boolean;
  format?: string;
  plot?: string;
}

function num(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v.trim());
  if (v.trim() === '' || !Number.isFinite(n)) throw new Error(`--${flag} must be a number (got "${v}")`);
  return n;
}

function intList(v: string | undefined, flag: string): number[] | undefined {
  if (v === undefined) return undefined;
  return v
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((s) => {
      const n = Number(s.trim());
      if (!Number.isInteger(n))
        throw new Error(`--${flag} must be a comma-separated list of point numbers (got "${s}")`);
      return n;
    });
}

export function readInput(file: string | undefined): string {
  if (file === undefined || file === '-') {
    if (file === undefined && process.stdin.isTTY)
      throw new Error('no input: give a FILE, or - to read standard input');
    return readFileSync(0, 'utf8');
  }
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function buildSpec(text: string, flags: SpcFlags): ChartSpec {
  const chartFlag = flags.chart !== undefined ? parseChartName(flags.chart) : undefined;
  const doc = parseChartInput(text, chartFlag);
  const spec: Partial<ChartSpec> = { ...doc };
  if (chartFlag) spec.chart = chartFlag;
  if (flags.rules !== undefined) spec.rules = flags.rules;
  const overrides: [keyof ChartSpec, number | undefined][] = [
    ['phase1', num(flags.phase1, 'phase1')],
    ['center', num(flags.center, 'center')],
    ['sigma', num(flags.sigma, 'sigma')],
  ];
  for (const [k, v] of overrides) if (v !== undefined) (spec as Record<string, unknown>)[k] = v;
  const exclude = intList(flags.exclude, 'exclude');
  if (exclude) spec.exclude = exclude;
  const stages = intList(flags.stages, 'stages');
  if (stages) spec.stages = stages;
  if (flags.sigmaMethod !== undefined) spec.sigmaMethod = flags.sigmaMethod as ChartSpec['sigmaMethod'];
  const lsl = num(flags.lsl, 'lsl');
  const usl = num(flags.usl, 'usl');
  const target = num(flags.target, 'target');
  if (lsl !== undefined || usl !== undefined || target !== undefined) {
    spec.spec = { ...spec.spec };
    if (lsl !== undefined) spec.spec.lsl = lsl;
    if (usl !== undefined) spec.spec.usl = usl;
    if (target !== undefined) spec.spec.target = target;
  }
  // A target alone is drawn on the plot but is no specification: capability needs LSL or USL.
  if (spec.spec && spec.spec.lsl === undefined && spec.spec.usl === undefined) delete spec.spec;
  const lambda = num(flags.lambda, 'lambda');
  const L = num(flags.L, 'L');
  if (lambda !== undefined || L !== undefined) {
    spec.ewma = { ...spec.ewma };
    if (lambda !== undefined) spec.ewma.lambda = lambda;
    if (L !== undefined) spec.ewma.L = L;
  }
  if (flags.capabilityWhenUnstable) spec.capabilityWhenUnstable = true;
  spec.chart ??= defaultChart(spec);
  return spec as ChartSpec;
}

export function register(program: Command): void {
  program
    .command('spc [file]')
    .description('control chart, run rules and capability for a series (CSV or JSON; - or a pipe for stdin)')
    .option(
      '--chart <type>',
      'xmr | xbar-r | xbar-s | p | np | c | u | p-prime | u-prime | ewma (default: from the data)',
    )
    .option('--rules <rules>', 'western-electric | nelson | a list such as WE1,WE4 (default WE1,WE4)')
    .option('--phase1 <k>', 'how many leading points set the limits (default: all)')
    .option('--exclude <points>', 'points with a recorded assignable cause, e.g. 15,23')
    .option('--stages <points>', 'points where a new stage (process change) starts, e.g. 31')
    .option('--center <value>', 'known centre line (standards given)')
    .option('--sigma <value>', 'known sigma (standards given)')
    .option('--sigma-method <method>', 'mr | median-mr (xmr), r (xbar-r), s | pooled-s (xbar-s)')
    .option('--lsl <value>', 'lower specification limit (capability; drawn on --plot)')
    .option('--usl <value>', 'upper specification limit (capability; drawn on --plot)')
    .option('--target <value>', 'target for Cpm (drawn on --plot)')
    .option('--lambda <value>', 'EWMA smoothing weight (default 0.2)')
    .option('--L <value>', 'EWMA limit width in sigmas (default 3)')
    .option('--capability-when-unstable', 'compute capability even when the baseline has unexplained signals')
    .option('--format <format>', 'json or table', process.stdout.isTTY ? 'table' : 'json')
    .option('--plot <file.svg>', 'write the control chart as an SVG file')
    .action((file: string | undefined, flags: SpcFlags) => {
      if (flags.format !== 'json' && flags.format !== 'table') {
        throw new Error(`--format must be json or table (got "${flags.format}")`);
      }
      const spec = buildSpec(readInput(file), flags);
      const result = analyzeChart(spec);
      if (flags.plot) {
        const target = num(flags.target, 'target');
        writeFileSync(
          flags.plot,
          renderChartSvg(result, {
            ...(file && file !== '-' ? { title: basename(file) } : {}),
            spec: { ...spec.spec, ...(target !== undefined ? { target } : {}) },
          }),
        );
      }
      process.stdout.write(
        flags.format === 'json' ? `${JSON.stringify(chartReport(result), null, 2)}\n` : chartTable(result),
      );
      if (flags.plot && flags.format === 'table') process.stdout.write(`plot written to ${flags.plot}\n`);
    });
}
