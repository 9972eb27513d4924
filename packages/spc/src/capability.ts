/**
 * Process capability and performance indices (docs/methods.md §5.8). Within-subgroup σ gives Cp…Cpm,
 * the overall sample SD gives Pp…Ppk. One-sided specifications only define the index on their side;
 * Cp/Pp are then null and Cpk/Ppk equal the defined one-sided index.
 */

import { normalCdf } from './dist.js';
import { SpcInputError } from './errors.js';

export interface SpecLimits {
  lsl?: number;
  usl?: number;
  /** Target for Cpm; defaults to the midpoint of a two-sided specification. */
  target?: number;
}

export interface CapabilityInput {
  /** μ̂: the baseline centre (X̄ or X̿). */
  mean: number;
  /** σ_within: MR̄/d2, R̄/d2 or S̄/c4. */
  sigmaWithin: number;
  /** σ_overall: the sample SD of all individual baseline values; omit to skip the P indices. */
  sigmaOverall?: number;
  spec: SpecLimits;
  /** Individual baseline values, for the observed fraction out of specification. */
  observations?: readonly number[];
}

export interface CapabilityIndices {
  cp: number | null;
  cpl: number | null;
  cpu: number | null;
  cpk: number | null;
  cpm: number | null;
  pp: number | null;
  ppl: number | null;
  ppu: number | null;
  ppk: number | null;
  ppm: number | null;
  /** Expected fractions under normality with σ_within: Φ((LSL−μ̂)/σ), 1 − Φ((USL−μ̂)/σ). */
  expectedBelowLsl: number | null;
  expectedAboveUsl: number | null;
  expectedOutOfSpec: number | null;
  /** Observed fractions in the baseline (strictly below LSL / above USL). */
  observedBelowLsl: number | null;
  observedAboveUsl: number | null;
  observedOutOfSpec: number | null;
}

export interface CapabilityResult extends CapabilityIndices {
  /** null when computed; `unstable` when the baseline has unexplained signals. */
  reason: 'unstable' | null;
  lsl: number | null;
  usl: number | null;
  target: number | null;
  mean: number;
  sigmaWithin: number;
  sigmaOverall: number | null;
  n: number | null;
  /** Baseline points with signals that have no recorded cause (1-based), which make it unstable. */
  unexplainedSignals: number[];
}

export function validateSpec(spec: SpecLimits): void {
  const { lsl, usl, target } = spec;
  if (lsl === undefined && usl === undefined) {
    throw new SpcInputError('a specification needs at least one of lsl and usl', 'spec');
  }
  for (const [name, v] of [
    ['spec.lsl', lsl],
    ['spec.usl', usl],
    ['spec.target', target],
  ] as const) {
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) {
      throw new SpcInputError(`${name} must be a finite number (got ${String(v)})`, name);
    }
  }
  if (lsl !== undefined && usl !== undefined && !(lsl < usl)) {
    throw new SpcInputError(`spec limits are reversed or equal: lsl ${lsl} must be below usl ${usl}`, 'spec');
  }
}

function indicesFor(
  mu: number,
  sigma: number,
  lsl: number | undefined,
  usl: number | undefined,
  target?: number,
) {
  const upper = usl === undefined ? null : (usl - mu) / (3 * sigma);
  const lower = lsl === undefined ? null : (mu - lsl) / (3 * sigma);
  const both = lsl !== undefined && usl !== undefined ? (usl - lsl) / (6 * sigma) : null;
  const k = upper === null ? lower : lower === null ? upper : Math.min(upper, lower);
  const m = both !== null && target !== undefined ? both / Math.sqrt(1 + ((mu - target) / sigma) ** 2) : null;
  return { both, lower, upper, k, m };
}

export function capabilityIndices(input: CapabilityInput): CapabilityIndices {
  validateSpec(input.spec);
  const { mean: mu, sigmaWithin, sigmaOverall, spec } = input;
  if (!(Number.isFinite(mu) && Number.isFinite(sigmaWithin) && sigmaWithin > 0)) {
    throw new SpcInputError(
      `capability needs a finite mean and a positive σ_within (got σ = ${sigmaWithin})`,
      'sigma',
    );
  }
  const target =
    spec.target ?? (spec.lsl !== undefined && spec.usl !== undefined ? (spec.lsl + spec.usl) / 2 : undefined);
  const w = indicesFor(mu, sigmaWithin, spec.lsl, spec.usl, target);
  const o =
    sigmaOverall !== undefined && sigmaOverall > 0
      ? indicesFor(mu, sigmaOverall, spec.lsl, spec.usl, target)
      : null;
  const below = spec.lsl === undefined ? null : normalCdf((spec.lsl - mu) / sigmaWithin);
  const above = spec.usl === undefined ? null : 1 - normalCdf((spec.usl - mu) / sigmaWithin);
  let obsBelow: number | null = null;
  let obsAbove: number | null = null;
  let obsOut: number | null = null;
  const obs = input.observations;
  if (obs && obs.length > 0) {
    let lo = 0;
    let hi = 0;
    for (const v of obs) {
      if (spec.lsl !== undefined && v < spec.lsl) lo++;
      if (spec.usl !== undefined && v > spec.usl) hi++;
    }
    obsBelow = spec.lsl === undefined ? null : lo / obs.length;
    obsAbove = spec.usl === undefined ? null : hi / obs.length;
    obsOut = (lo + hi) / obs.length;
  }
  return {
    cp: w.both,
    cpl: w.lower,
    cpu: w.upper,
    cpk: w.k,
    cpm: w.m,
    pp: o ? o.both : null,
    ppl: o ? o.lower : null,
    ppu: o ? o.upper : null,
    ppk: o ? o.k : null,
    ppm: o ? o.m : null,
    expectedBelowLsl: below,
    expectedAboveUsl: above,
    expectedOutOfSpec: (below ?? 0) + (above ?? 0),
    observedBelowLsl: obsBelow,
    observedAboveUsl: obsAbove,
    observedOutOfSpec: obsOut,
  };
}

const NULL_INDICES: CapabilityIndices = {
  cp: null,
  cpl: null,
  cpu: null,
  cpk: null,
  cpm: null,
  pp: null,
  ppl: null,
  ppu: null,
  ppk: null,
  ppm: null,
  expectedBelowLsl: null,
  expectedAboveUsl: null,
  expectedOutOfSpec: null,
  observedBelowLsl: null,
  observedAboveUsl: null,
  observedOutOfSpec: null,
};

/**
 * Capability of a baseline, or all-null indices with reason `unstable` when the baseline has
 * unexplained signals (unless `force` asks for the numbers anyway).
 */
export function assessCapability(
  input: CapabilityInput & { unexplainedSignals: readonly number[]; force?: boolean },
): CapabilityResult {
  validateSpec(input.spec);
  const unstable = input.unexplainedSignals.length > 0;
  const target =
    input.spec.target ??
    (input.spec.lsl !== undefined && input.spec.usl !== undefined
      ? (input.spec.lsl + input.spec.usl) / 2
      : null);
  const indices = unstable && !input.force ? { ...NULL_INDICES } : capabilityIndices(input);
  return {
    ...indices,
    reason: unstable && !input.force ? 'unstable' : null,
    lsl: input.spec.lsl ?? null,
    usl: input.spec.usl ?? null,
    target,
    mean: input.mean,
    sigmaWithin: input.sigmaWithin,
    sigmaOverall: input.sigmaOverall ?? null,
    n: input.observations ? input.observations.length : null,
    unexplainedSignals: [...input.unexplainedSignals],
  };
}
