/** Welch's two-sample t test (docs/methods.md §6.1), oriented as x − y. */
import { tCdf, tQuantile } from '../dist.js';
import { assertFiniteArray, SpcInputError } from '../errors.js';
import { mean, sampleSd } from '../stats.js';

export interface WelchResult {
  /** x̄ − ȳ. */
  difference: number;
  t: number;
  df: number;
  /** Two-sided p-value. */
  p: number;
  /** One-sided p-values: H₁ μx < μy and H₁ μx > μy. */
  pLess: number;
  pGreater: number;
  /** Two-sided confidence interval for μx − μy at `level`. */
  ci: [number, number];
  level: number;
  meanX: number;
  meanY: number;
}

export function welchTest(
  x: readonly number[],
  y: readonly number[],
  options: { level?: number } = {},
): WelchResult {
  assertFiniteArray(x, 'before');
  assertFiniteArray(y, 'after');
  if (x.length < 2 || y.length < 2) {
    throw new SpcInputError(
      `Welch's t test needs at least 2 values per sample (got ${x.length} and ${y.length})`,
    );
  }
  const level = options.level ?? 0.95;
  if (!(level > 0 && level < 1)) throw new SpcInputError(`confidence level must be in (0, 1) (got ${level})`);
  const mx = mean(x);
  const my = mean(y);
  const vx = sampleSd(x) ** 2 / x.length;
  const vy = sampleSd(y) ** 2 / y.length;
  const se = Math.sqrt(vx + vy);
  if (!(se > 0)) throw new SpcInputError("Welch's t test is undefined: both samples are constant");
  const t = (mx - my) / se;
  const df = (vx + vy) ** 2 / (vx ** 2 / (x.length - 1) + vy ** 2 / (y.length - 1));
  const lower = tCdf(t, df);
  const upper = tCdf(-t, df);
  const q = tQuantile(1 - (1 - level) / 2, df);
  return {
    difference: mx - my,
    t,
    df,
    p: Math.min(1, 2 * Math.min(lower, upper)),
    pLess: lower,
    pGreater: upper,
    ci: [mx - my - q * se, mx - my + q * se],
    level,
    meanX: mx,
    meanY: my,
  };
}
