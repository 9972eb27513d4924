/**
 * Improvement verdict (docs/methods.md §6.4): improved only when (1) the new data signal against the frozen
 * old limits in the desired direction (a WE1 point or a WE4/NELSON2 run), (2) the one-sided test in
 * the desired direction has p < α, and (3) the effect is at least the minimum practical effect.
 * Fewer than 8 points after the change give "insufficient-data".
 */
import { analyzeChart } from '../charts/engine.js';
import { assertFiniteArray, SpcInputError } from '../errors.js';
import { mean, median } from '../stats.js';
import { hodgesLehmann, type MannWhitneyResult, mannWhitneyTest } from './mann-whitney.js';
import { type WelchResult, welchTest } from './welch.js';

export type Direction = 'lower' | 'higher';
export type Verdict = 'improved' | 'not-improved' | 'insufficient-data';

export interface CompareOptions {
  /** Which way is better: `lower` (durations, defects; default) or `higher`. */
  direction?: Direction;
  /** Significance level of the one-sided test (default 0.05). */
  alpha?: number;
  /** Minimum practical effect, in the units of the data (default 0). */
  minEffect?: number;
  /** The test behind the verdict: Mann–Whitney (default, for skewed data) or Welch. */
  test?: 'mann-whitney' | 'welch';
  /** Minimum points after the change before any verdict (default 8). */
  minAfter?: number;
}

export interface ComparisonResult {
  n: { before: number; after: number };
  mean: { before: number; after: number };
  median: { before: number; after: number };
  welch: WelchResult | null;
  mannWhitney: MannWhitneyResult;
  /** Median of pairwise differences before − after. */
  hodgesLehmann: number;
  verdict: Verdict;
  evidence: {
    direction: Direction;
    test: 'mann-whitney' | 'welch';
    alpha: number;
    /** One-sided p-value in the desired direction. */
    pOneSided: number | null;
    /** before − after: the HL shift (Mann–Whitney) or the mean difference (Welch). */
    effect: number;
    minEffect: number;
    spcSignal: boolean;
    /** Rules that fired on the after points in the desired direction. */
    spcRules: string[];
    reasons: string[];
  };
}

function spcEvidence(before: readonly number[], after: readonly number[], direction: Direction) {
  const chart = analyzeChart({
    chart: 'xmr',
    values: [...before, ...after],
    phase1: before.length,
    rules: ['WE1', 'WE4', 'NELSON2'],
  });
  const wanted = direction === 'lower' ? -1 : 1;
  const fired = new Set<string>();
  for (const p of chart.points.slice(before.length)) {
    if (Math.sign(p.z) !== wanted) continue;
    for (const r of p.rules) fired.add(r);
  }
  return [...fired];
}

export function compareBeforeAfter(
  before: readonly number[],
  after: readonly number[],
  options: CompareOptions = {},
): ComparisonResult {
  assertFiniteArray(before, 'before');
  assertFiniteArray(after, 'after');
  if (before.length === 0) throw new SpcInputError('the before sample is empty', 'before');
  if (after.length === 0) throw new SpcInputError('the after sample is empty', 'after');
  const direction = options.direction ?? 'lower';
  if (direction !== 'lower' && direction !== 'higher') {
    throw new SpcInputError(`direction must be "lower" or "higher" (got ${String(direction)})`, 'direction');
  }
  const alpha = options.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1)) throw new SpcInputError(`alpha must be in (0, 1) (got ${alpha})`, 'alpha');
  const minEffect = options.minEffect ?? 0;
  if (!(Number.isFinite(minEffect) && minEffect >= 0)) {
    throw new SpcInputError(`minEffect must be a non-negative number (got ${minEffect})`, 'minEffect');
  }
  const test = options.test ?? 'mann-whitney';
  const minAfter = options.minAfter ?? 8;

  const mw = mannWhitneyTest(before, after);
  const hl = hodgesLehmann(before, after);
  let welch: WelchResult | null = null;
  const reasons: string[] = [];
  try {
    welch = welchTest(before, after);
  } catch (e) {
    if (!(e instanceof SpcInputError)) throw e;
    reasons.push(`Welch test not computable: ${e.message}`);
  }
  const better = direction === 'lower' ? 1 : -1;
  const effect = test === 'welch' && welch ? welch.difference : hl;
  // before − after > 0 is an improvement when lower is better.
  const pOneSided =
    test === 'welch'
      ? welch
        ? better > 0
          ? welch.pGreater
          : welch.pLess
        : null
      : better > 0
        ? mw.pGreater
        : mw.pLess;

  let verdict: Verdict;
  let spcRules: string[] = [];
  if (after.length < minAfter) {
    verdict = 'insufficient-data';
    reasons.push(`only ${after.length} point(s) after the change; at least ${minAfter} are needed`);
  } else {
    try {
      spcRules = spcEvidence(before, after, direction);
    } catch (e) {
      if (!(e instanceof SpcInputError)) throw e;
      reasons.push(`no SPC evidence: ${e.message}`);
    }
    const spcOk = spcRules.length > 0;
    const testOk = pOneSided !== null && pOneSided < alpha;
    const effectOk = better * effect >= minEffect && better * effect > 0;
    if (!spcOk)
      reasons.push(
        'no signal in the desired direction against the old limits (WE1 point or WE4/NELSON2 run)',
      );
    if (!testOk)
      reasons.push(
        `one-sided p = ${pOneSided === null ? 'n/a' : pOneSided.toPrecision(4)} is not below α = ${alpha}`,
      );
    if (!effectOk)
      reasons.push(`effect ${effect.toPrecision(4)} is not an improvement of at least ${minEffect}`);
    verdict =
      reasons.some((r) => r.startsWith('no SPC evidence')) && before.length < 8
        ? 'insufficient-data'
        : spcOk && testOk && effectOk
          ? 'improved'
          : 'not-improved';
  }
  return {
    n: { before: before.length, after: after.length },
    mean: { before: mean(before), after: mean(after) },
    median: { before: median(before), after: median(after) },
    welch,
    mannWhitney: mw,
    hodgesLehmann: hl,
    verdict,
    evidence: {
      direction,
      test,
      alpha,
      pOneSided,
      effect,
      minEffect,
      spcSignal: spcRules.length > 0,
      spcRules,
      reasons,
    },
  };
}
