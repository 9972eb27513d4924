import { ALL_RULES, type ChartSpec, type ChartType, evaluateRuleSegment, type RuleName } from '@shewhart/spc';

/**
 * Where each detection rule means what it claims on an attribute chart.
 *
 * The rules other than the limit rule were derived for a statistic that is continuous and symmetric
 * about the centre line: a point is above or below with probability ½ each, so 8 in a row on one side
 * happens by chance with probability 2·½⁸ ≈ 0.8 %. A count with few expected events is neither. With
 * 0.15 expected defects per period, 86 % of periods count zero and all of them lie below the centre: 8
 * in a row below is then the normal state (0.86⁸ ≈ 30 %), not a shift. docs/methods.md §5.5 restricts the
 * zone rules for that reason; the run rule needs the same care. So, per point, with m its expected
 * count under the centre line (n·p̄ and n·(1 − p̄) for a p chart, n·ū for a u chart, c̄ for a c chart):
 * - the limit rule (WE1, NELSON1) and the trend rules on the values (NELSON3, NELSON4, which a tie
 *   breaks) always apply;
 * - the zone rules (WE2, WE3, NELSON5–8) apply when m ≥ 5, where the normal approximation of the binomial
 *   and Poisson holds (Montgomery, Introduction to SQC, §7.2);
 * - the run rules (WE4, NELSON2) apply when m ≥ 5, or when neither side of the centre line is likelier
 *   than a count with 5 expected events can be: P(count < m) and P(count > m), exactly from the binomial
 *   or Poisson, both at most RUN_SIDE_MAX. A discrete count is never exactly balanced (Poisson(5):
 *   P(X ≤ 5) = 0.616), so the bound is what the conventional minimum already accepts; past it the cost
 *   grows fast (8 in a row on a side of probability 0.7: 5.8 %; of 0.86: 30 %). A point where a rule
 *   does not apply breaks its runs, as a point on the centre line does.
 * XmR charts are evaluated with every rule everywhere.
 */
export const MIN_EXPECTED_COUNT = 5;
/** P(X ≤ 5) of a Poisson count with 5 expected events (0.616), rounded up (see above). */
export const RUN_SIDE_MAX = 0.62;

const ALWAYS: ReadonlySet<RuleName> = new Set(['WE1', 'NELSON1', 'NELSON3', 'NELSON4']);
const RUNS: ReadonlySet<RuleName> = new Set(['WE4', 'NELSON2']);
const EVERY_RULE: ReadonlySet<RuleName> = new Set(ALL_RULES);
const NO_RUNS: ReadonlySet<RuleName> = new Set([...ALWAYS, ...RUNS]);

/**
 * The rules that apply at each point of a stage, given the chart's data and its centre line in the
 * chart's statistic space (a proportion for p, a rate per unit for u, a count for c).
 */
export function ruleApplicability(
  chart: ChartType,
  data: Pick<ChartSpec, 'counts' | 'sizes' | 'values'>,
  center: number,
): ReadonlySet<RuleName>[] {
  const counts = data.counts ?? [];
  const expected = (i: number): { m: number; sides: (m: number) => Sides } | null => {
    const n = data.sizes?.[i] ?? 1;
    switch (chart) {
      case 'p': {
        const q = Math.min(center, 1 - center);
        return { m: n * q, sides: (m) => (Number.isInteger(n) ? binomialSides(n, q) : poissonSides(m)) };
      }
      case 'u':
        return { m: n * center, sides: poissonSides };
      case 'c':
        return { m: center, sides: poissonSides };
      default:
        return null;
    }
  };
  const length = data.values?.length ?? counts.length;
  return Array.from({ length }, (_, i) => {
    const e = expected(i);
    if (e === null || e.m >= MIN_EXPECTED_COUNT) return EVERY_RULE;
    const s = e.sides(e.m);
    return s.below <= RUN_SIDE_MAX && s.above <= RUN_SIDE_MAX ? NO_RUNS : ALWAYS;
  });
}

/**
 * Evaluates the rules on one stage's standardised points `z` (the trend rules on the plotted values
 * `y`), each rule only at the points where it applies: elsewhere the point takes no part in the rule's
 * windows. Returns the rules that flag each point, in the rule set's order.
 */
export function evaluateRules(
  z: readonly number[],
  y: readonly number[],
  rules: readonly RuleName[],
  applicable: readonly ReadonlySet<RuleName>[],
): RuleName[][] {
  const fired: RuleName[][] = z.map(() => []);
  for (const rule of rules) {
    const masked = z.map((v, i) => (applicable[i]?.has(rule) === false ? Number.NaN : v));
    for (const i of evaluateRuleSegment(masked, y, [rule]).get(rule) ?? []) fired[i]?.push(rule);
  }
  return fired;
}

interface Sides {
  /** P(count < expected) and P(count > expected); a count equal to the expected one is on neither side. */
  below: number;
  above: number;
}

/** Counts within this relative distance of the expected count lie on the centre line (z = 0). */
const ON_LINE = 1e-9;

function sidesOf(m: number, pmf: (k: number) => number): Sides {
  let below = 0;
  let at = 0;
  for (let k = 0; k <= Math.floor(m * (1 + ON_LINE)); k++) {
    const p = pmf(k);
    if (Math.abs(k - m) <= ON_LINE * Math.max(1, m)) at += p;
    else below += p;
  }
  return { below, above: Math.max(0, 1 - below - at) };
}

/** Binomial(n, q) counts around their expected count n·q (only asked for n·q < 5: a few terms). */
function binomialSides(n: number, q: number): Sides {
  if (q <= 0) return { below: 0, above: 0 };
  let p = Math.exp(n * Math.log1p(-q));
  let k = 0;
  return sidesOf(n * q, (j) => {
    for (; k < j; k++) p *= ((n - k) / (k + 1)) * (q / (1 - q));
    return p;
  });
}

/** Poisson(λ) counts around λ. */
function poissonSides(lambda: number): Sides {
  if (lambda <= 0) return { below: 0, above: 0 };
  let p = Math.exp(-lambda);
  let k = 0;
  return sidesOf(lambda, (j) => {
    for (; k < j; k++) p *= lambda / (k + 1);
    return p;
  });
}
