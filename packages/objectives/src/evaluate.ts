import type { Objective } from './schema.js';

export type ObjectiveStatus = 'met' | 'missed' | 'not_evaluable';

export interface PeriodEvaluation {
  periodStart: string;
  /** The KPI value in the period; null when it was not computable (empty denominator, no data). */
  actual: number | null;
  status: ObjectiveStatus;
  /** The shortfall on a common scale, capped at 1 (docs/methods.md §2.1); null when not computable. */
  attainment: number | null;
  attainmentUncapped: number | null;
  /** (actual − baseline) / (target − baseline); null without a baseline or when target = baseline. */
  progress: number | null;
  provisional: boolean;
}

/** `met = actual ⋈ target`: ≥ for higher, ≤ for lower, inside [low, high] for range (docs/methods.md §2.1). */
export function isMet(o: Objective, actual: number): boolean {
  if (o.direction === 'higher') return actual >= (o.target as number);
  if (o.direction === 'lower') return actual <= (o.target as number);
  const band = o.band as { low: number; high: number };
  return actual >= band.low && actual <= band.high;
}

/**
 * Attainment ratio (docs/methods.md §2.1): higher → actual / target; lower → target / actual with actual = 0
 * counting as met (ratio 1). For a range, 1 inside the band, else the ratio to the nearer bound.
 * Null where the ratio is not defined (a target of 0 for higher, negative values).
 */
export function attainmentRatio(o: Objective, actual: number): number | null {
  if (o.direction === 'higher') {
    const t = o.target as number;
    return t > 0 && actual >= 0 ? actual / t : null;
  }
  if (o.direction === 'lower') {
    const t = o.target as number;
    if (actual === 0) return 1;
    return t >= 0 && actual > 0 ? t / actual : null;
  }
  const { low, high } = o.band as { low: number; high: number };
  if (actual >= low && actual <= high) return 1;
  if (actual < low) return low > 0 && actual >= 0 ? actual / low : null;
  return actual > 0 && high >= 0 ? high / actual : null;
}

export function targetValue(o: Objective): number {
  if (o.direction === 'range') {
    const { low, high } = o.band as { low: number; high: number };
    return (low + high) / 2;
  }
  return o.target as number;
}

export function progressFromBaseline(
  o: Objective,
  actual: number,
  baseline: number | undefined,
): number | null {
  if (baseline === undefined) return null;
  const t = targetValue(o);
  return t === baseline ? null : (actual - baseline) / (t - baseline);
}

/**
 * Evaluates an objective over a KPI series. The baseline for progress is the objective's `baseline`
 * when given, else the first evaluable period's value (recorded in the result).
 */
export function evaluateObjective(
  o: Objective,
  points: readonly { periodStart: string; value: number | null; provisional: boolean }[],
): {
  baseline: number | null;
  baselineSource: 'objective' | 'first-period' | null;
  periods: PeriodEvaluation[];
} {
  const firstValue = points.find((p) => p.value !== null)?.value ?? undefined;
  const baseline = o.baseline ?? firstValue;
  const periods = points.map((p): PeriodEvaluation => {
    if (p.value === null) {
      return {
        periodStart: p.periodStart,
        actual: null,
        status: 'not_evaluable',
        attainment: null,
        attainmentUncapped: null,
        progress: null,
        provisional: p.provisional,
      };
    }
    const ratio = attainmentRatio(o, p.value);
    return {
      periodStart: p.periodStart,
      actual: p.value,
      status: isMet(o, p.value) ? 'met' : 'missed',
      attainment: ratio === null ? null : Math.min(1, ratio),
      attainmentUncapped: ratio,
      progress: progressFromBaseline(o, p.value, baseline),
      provisional: p.provisional,
    };
  });
  return {
    baseline: baseline ?? null,
    baselineSource: o.baseline !== undefined ? 'objective' : firstValue !== undefined ? 'first-period' : null,
    periods,
  };
}
