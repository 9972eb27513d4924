/**
 * Western Electric and Nelson detection rules (docs/methods.md §5.7), evaluated on the standardised
 * points z_i (trend rules on the plotted values y_i). Windows are complete only: a rule of window N
 * can first fire at the N-th point of a segment. All comparisons are strict, z = 0 is on neither side
 * and a zero difference breaks a trend. Each call evaluates one segment (one stage); the caller
 * resets at stage boundaries and continues across the Phase-I/Phase-II boundary.
 */
import { SpcInputError } from './errors.js';

export const WESTERN_ELECTRIC = ['WE1', 'WE2', 'WE3', 'WE4'] as const;
export const NELSON = [
  'NELSON1',
  'NELSON2',
  'NELSON3',
  'NELSON4',
  'NELSON5',
  'NELSON6',
  'NELSON7',
  'NELSON8',
] as const;
export type RuleName = (typeof WESTERN_ELECTRIC)[number] | (typeof NELSON)[number];
export const ALL_RULES: readonly RuleName[] = [...WESTERN_ELECTRIC, ...NELSON];
/** qcc's default alert set (docs/methods.md §5.7 false-alarm cost): beyond limits + run of 8. */
export const DEFAULT_RULES: readonly RuleName[] = ['WE1', 'WE4'];

export type RuleSetInput = 'western-electric' | 'nelson' | readonly string[] | string;

/** Resolves a named set, a comma-separated list or an array of rule names to canonical order. */
export function resolveRules(input: RuleSetInput | undefined): RuleName[] {
  if (input === undefined) return [...DEFAULT_RULES];
  let names: string[];
  if (typeof input === 'string') {
    const trimmed = input.trim().toLowerCase();
    if (trimmed === 'western-electric' || trimmed === 'we') return [...WESTERN_ELECTRIC];
    if (trimmed === 'nelson') return [...NELSON];
    names = input.split(',').map((s) => s.trim());
  } else {
    if (!Array.isArray(input))
      throw new SpcInputError('rules must be a rule-set name or a list of rule names', 'rules');
    names = [...input];
  }
  const chosen = new Set<RuleName>();
  for (const raw of names) {
    if (typeof raw !== 'string' || raw === '')
      throw new SpcInputError('rules contains an empty rule name', 'rules');
    const lower = raw.toLowerCase();
    if (lower === 'western-electric') {
      for (const r of WESTERN_ELECTRIC) chosen.add(r);
      continue;
    }
    if (lower === 'nelson') {
      for (const r of NELSON) chosen.add(r);
      continue;
    }
    const upper = raw.toUpperCase();
    const rule = ALL_RULES.find((r) => r === upper);
    if (!rule) {
      throw new SpcInputError(
        `unknown rule "${raw}": use western-electric, nelson, or names among ${ALL_RULES.join(', ')}`,
        'rules',
      );
    }
    chosen.add(rule);
  }
  if (chosen.size === 0) throw new SpcInputError('rules is empty', 'rules');
  return ALL_RULES.filter((r) => chosen.has(r));
}

export interface RuleOptions {
  /** Rule 1 threshold; 3 for Shewhart charts, L for EWMA. */
  nsigmas?: number;
}

/**
 * Evaluates the rules on one segment. Returns, per rule, the 0-based positions (within the segment)
 * of the points that complete a qualifying pattern.
 */
export function evaluateRuleSegment(
  z: ArrayLike<number>,
  y: ArrayLike<number>,
  rules: readonly RuleName[],
  options: RuleOptions = {},
): Map<RuleName, number[]> {
  const out = new Map<RuleName, number[]>();
  for (const rule of rules) out.set(rule, evaluateOne(rule, z, y, options.nsigmas ?? 3));
  return out;
}

function evaluateOne(rule: RuleName, z: ArrayLike<number>, y: ArrayLike<number>, k: number): number[] {
  switch (rule) {
    case 'WE1':
    case 'NELSON1':
      return beyond(z, k);
    case 'WE2':
    case 'NELSON5':
      return mOfN(z, 2, 3, 2);
    case 'WE3':
    case 'NELSON6':
      return mOfN(z, 4, 5, 1);
    case 'WE4':
      return sameSideRun(z, 8);
    case 'NELSON2':
      return sameSideRun(z, 9);
    case 'NELSON3':
      return trend(y, 6);
    case 'NELSON4':
      return alternating(y, 14);
    case 'NELSON7':
      return stratification(z, 15);
    case 'NELSON8':
      return mixture(z, 8);
  }
}

function beyond(z: ArrayLike<number>, k: number): number[] {
  const hits: number[] = [];
  for (let i = 0; i < z.length; i++) {
    const v = z[i] as number;
    if (v > k || v < -k) hits.push(i);
  }
  return hits;
}

/** m of the last n points beyond `limit` on one side, and the current point beyond it on that side. */
function mOfN(z: ArrayLike<number>, m: number, n: number, limit: number): number[] {
  const hits: number[] = [];
  let up = 0;
  let down = 0;
  for (let i = 0; i < z.length; i++) {
    const v = z[i] as number;
    if (v > limit) up++;
    if (v < -limit) down++;
    if (i >= n) {
      const old = z[i - n] as number;
      if (old > limit) up--;
      if (old < -limit) down--;
    }
    if (i >= n - 1 && ((v > limit && up >= m) || (v < -limit && down >= m))) hits.push(i);
  }
  return hits;
}

function sameSideRun(z: ArrayLike<number>, length: number): number[] {
  const hits: number[] = [];
  let up = 0;
  let down = 0;
  for (let i = 0; i < z.length; i++) {
    const v = z[i] as number;
    up = v > 0 ? up + 1 : 0;
    down = v < 0 ? down + 1 : 0;
    if (up >= length || down >= length) hits.push(i);
  }
  return hits;
}

function trend(y: ArrayLike<number>, points: number): number[] {
  const hits: number[] = [];
  let up = 0;
  let down = 0;
  for (let i = 1; i < y.length; i++) {
    const d = (y[i] as number) - (y[i - 1] as number);
    up = d > 0 ? up + 1 : 0;
    down = d < 0 ? down + 1 : 0;
    if (up >= points - 1 || down >= points - 1) hits.push(i);
  }
  return hits;
}

function alternating(y: ArrayLike<number>, points: number): number[] {
  const hits: number[] = [];
  let run = 0;
  let prev = 0;
  for (let i = 1; i < y.length; i++) {
    const d = (y[i] as number) - (y[i - 1] as number);
    const sign = d > 0 ? 1 : d < 0 ? -1 : 0;
    if (sign === 0) run = 0;
    else if (run > 0 && sign === -prev) run++;
    else run = 1;
    prev = sign;
    if (run >= points - 1) hits.push(i);
  }
  return hits;
}

function stratification(z: ArrayLike<number>, length: number): number[] {
  const hits: number[] = [];
  let run = 0;
  for (let i = 0; i < z.length; i++) {
    const v = z[i] as number;
    run = v <= 1 && v >= -1 ? run + 1 : 0;
    if (run >= length) hits.push(i);
  }
  return hits;
}

function mixture(z: ArrayLike<number>, length: number): number[] {
  const hits: number[] = [];
  let run = 0;
  let lastUp = -1;
  let lastDown = -1;
  for (let i = 0; i < z.length; i++) {
    const v = z[i] as number;
    if (v > 1) lastUp = i;
    if (v < -1) lastDown = i;
    run = v > 1 || v < -1 ? run + 1 : 0;
    if (run >= length && lastUp > i - length && lastDown > i - length) hits.push(i);
  }
  return hits;
}

/** The reason label for a point flagged by several rules: the lowest rule number (qcc convention). */
export function primaryRule(rules: readonly RuleName[]): RuleName | null {
  let best: RuleName | null = null;
  let bestRank = Number.POSITIVE_INFINITY;
  for (const r of rules) {
    const rank = Number(r.replace(/\D+/g, ''));
    if (rank < bestRank) {
      bestRank = rank;
      best = r;
    }
  }
  return best;
}
