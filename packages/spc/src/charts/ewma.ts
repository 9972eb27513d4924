/**
 * EWMA chart (docs/methods.md §5.11): zₜ = λxₜ + (1−λ)zₜ₋₁ from z₀ = target, with the exact time-varying
 * limits target ± L·σ/√nₜ·√(λ/(2−λ)·(1−(1−λ)^{2t})). Works on individual values or subgroup means;
 * the recursion restarts at each stage.
 */
import { d2 } from '../constants.js';
import { SpcInputError } from '../errors.js';
import { mean } from '../stats.js';
import type { ChartModel, KnownParameters, Segment, StageFit } from './types.js';
import { subgroupStats } from './xbar.js';
import { movingRanges } from './xmr.js';

export interface EwmaOptions {
  /** Smoothing weight, 0 < λ ≤ 1 (default 0.2, qcc's default). */
  lambda?: number;
  /** Width of the limits in σ of the EWMA statistic (default 3). */
  L?: number;
  /** z₀ and centre line; defaults to the known center, else the baseline mean. */
  target?: number;
  /** Process σ; defaults to the known sigma, else MR̄/d2 (individuals) or mean(Rᵢ/d2(nᵢ)) (subgroups). */
  sigma?: number;
}

export function validateEwmaOptions(options: EwmaOptions): { lambda: number; L: number } {
  const lambda = options.lambda ?? 0.2;
  const L = options.L ?? 3;
  if (!(Number.isFinite(lambda) && lambda > 0 && lambda <= 1)) {
    throw new SpcInputError(`ewma.lambda must be in (0, 1] (got ${lambda})`, 'ewma.lambda');
  }
  if (!(Number.isFinite(L) && L > 0))
    throw new SpcInputError(`ewma.L must be a positive number (got ${L})`, 'ewma.L');
  if (options.sigma !== undefined && !(Number.isFinite(options.sigma) && options.sigma > 0)) {
    throw new SpcInputError(`ewma.sigma must be a positive number (got ${options.sigma})`, 'ewma.sigma');
  }
  if (options.target !== undefined && !Number.isFinite(options.target)) {
    throw new SpcInputError(`ewma.target must be a finite number (got ${options.target})`, 'ewma.target');
  }
  return { lambda, L };
}

export function ewmaModel(
  data: { values: readonly number[] } | { subgroups: readonly (readonly number[])[] },
  options: EwmaOptions = {},
): ChartModel {
  const { lambda, L } = validateEwmaOptions(options);
  const individual = 'values' in data;
  const xs = individual ? data.values : subgroupStats(data.subgroups).means;
  const sizes = individual ? null : data.subgroups.map((g) => g.length);
  const ranges = individual ? null : subgroupStats(data.subgroups).ranges;
  return {
    type: 'ewma',
    length: xs.length,
    observations: (i) => (individual ? [xs[i] as number] : ((data.subgroups[i] as readonly number[]) ?? [])),
    fit(included: readonly number[], stage: Segment, known: KnownParameters): StageFit {
      let target = options.target ?? known.center;
      if (target === undefined) {
        if (sizes) {
          let num = 0;
          let den = 0;
          for (const i of included) {
            num += (sizes[i] as number) * (xs[i] as number);
            den += sizes[i] as number;
          }
          target = num / den;
        } else target = mean(included.map((i) => xs[i] as number));
      }
      let sigma = options.sigma ?? known.sigma;
      let method = 'known';
      if (sigma === undefined) {
        if (sizes && ranges) {
          sigma = mean(included.map((i) => (ranges[i] as number) / d2(sizes[i] as number)));
          method = 'r';
        } else {
          const mr = movingRanges(xs, included);
          if (mr.length === 0)
            throw new SpcInputError('an EWMA chart needs at least 2 baseline values', 'values');
          sigma = mean(mr) / d2(2);
          method = 'mr';
        }
      }
      const len = stage.end - stage.start;
      const stat = new Float64Array(len);
      const sig = new Float64Array(len);
      const ratio = lambda / (2 - lambda);
      let z = target;
      let decay = 1;
      for (let k = 0; k < len; k++) {
        const i = stage.start + k;
        z = lambda * (xs[i] as number) + (1 - lambda) * z;
        decay *= (1 - lambda) * (1 - lambda);
        stat[k] = z;
        const n = sizes ? (sizes[i] as number) : 1;
        sig[k] = (sigma / Math.sqrt(n)) * Math.sqrt(ratio * (1 - decay));
      }
      return {
        center: target,
        sigma,
        sigmaWithin: sigma,
        values: stat,
        sigmaStat: sig,
        nsigmas: L,
        details: { lambda, L },
        sigmaMethod: method,
      };
    },
  };
}
