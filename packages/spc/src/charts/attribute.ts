/**
 * Attribute charts p, np, c, u (docs/methods.md §5.5) and Laney's p′/u′ (§5.6). Centres are pooled
 * (ΣD/Σn, never the mean of the ratios); per-point limits follow the subgroup size. Limits are clamped
 * to the range the statistic can take — [0, 1] for a proportion, [0, n] for np, [0, ∞) for counts and
 * rates — as qcc's `limits.p`/`limits.np` do; the engine keeps the unclamped values beside them.
 */
import { d2 } from '../constants.js';
import { SpcInputError } from '../errors.js';
import { mean } from '../stats.js';
import type { ChartModel, ChartType, KnownParameters, Segment, StageFit } from './types.js';

export type AttributeChart = 'p' | 'np' | 'c' | 'u' | 'p-prime' | 'u-prime';

function sumOver(values: readonly number[], included: readonly number[]): number {
  let s = 0;
  for (const i of included) s += values[i] as number;
  return s;
}

function degenerate(type: ChartType, what: string): SpcInputError {
  return new SpcInputError(
    `the ${type} chart baseline has ${what}, so the limits would have zero width; ` +
      'give a historical center (and sigma) or use more data',
    'counts',
  );
}

export function attributeModel(
  type: AttributeChart,
  counts: readonly number[],
  sizes: readonly number[],
): ChartModel {
  const laney = type === 'p-prime' || type === 'u-prime';
  const base: 'p' | 'np' | 'c' | 'u' = type === 'p-prime' ? 'p' : type === 'u-prime' ? 'u' : type;
  return {
    type,
    length: counts.length,
    fit(included: readonly number[], stage: Segment, known: KnownParameters): StageFit {
      if (laney && known.sigma !== undefined) {
        throw new SpcInputError(
          `sigma cannot be given for a ${type} chart: σ_z is estimated from the data`,
          'sigma',
        );
      }
      const len = stage.end - stage.start;
      const stat = new Float64Array(len);
      const sig = new Float64Array(len);
      const details: Record<string, number> = {};
      let center: number;
      let sigma: number;
      // σ of the plotted statistic at any point i, for the base (binomial/Poisson) chart.
      let pointSigma: (i: number) => number;
      let value: (i: number) => number;
      switch (base) {
        case 'p': {
          center = known.center ?? sumOver(counts, included) / sumOver(sizes, included);
          if (known.center === undefined && (center === 0 || center === 1)) {
            throw degenerate(
              type,
              center === 0 ? 'no nonconforming items (p̄ = 0)' : 'only nonconforming items (p̄ = 1)',
            );
          }
          sigma = known.sigma ?? Math.sqrt(center * (1 - center));
          const s = sigma;
          pointSigma = (i) => s / Math.sqrt(sizes[i] as number);
          value = (i) => (counts[i] as number) / (sizes[i] as number);
          break;
        }
        case 'np': {
          const n = sizes[0] as number;
          const pbar =
            known.center !== undefined
              ? known.center / n
              : sumOver(counts, included) / sumOver(sizes, included);
          if (known.center === undefined && (pbar === 0 || pbar === 1)) {
            throw degenerate(
              type,
              pbar === 0 ? 'no nonconforming items (p̄ = 0)' : 'only nonconforming items (p̄ = 1)',
            );
          }
          center = n * pbar;
          sigma = known.sigma ?? Math.sqrt(n * pbar * (1 - pbar));
          const s = sigma;
          pointSigma = () => s;
          value = (i) => counts[i] as number;
          details.pbar = pbar;
          break;
        }
        case 'c': {
          center = known.center ?? mean(included.map((i) => counts[i] as number));
          if (known.center === undefined && center === 0)
            throw degenerate(type, 'no nonconformities (c̄ = 0)');
          sigma = known.sigma ?? Math.sqrt(center);
          const s = sigma;
          pointSigma = () => s;
          value = (i) => counts[i] as number;
          break;
        }
        case 'u': {
          center = known.center ?? sumOver(counts, included) / sumOver(sizes, included);
          if (known.center === undefined && center === 0)
            throw degenerate(type, 'no nonconformities (ū = 0)');
          sigma = known.sigma ?? Math.sqrt(center);
          const s = sigma;
          pointSigma = (i) => s / Math.sqrt(sizes[i] as number);
          value = (i) => (counts[i] as number) / (sizes[i] as number);
          break;
        }
      }
      let factor = 1;
      if (laney) {
        // Laney: σ_z = MR̄(z)/d2(2) over consecutive baseline points, then σ′ᵢ = σᵢ·σ_z.
        let mrSum = 0;
        for (let k = 1; k < included.length; k++) {
          const a = included[k - 1] as number;
          const b = included[k] as number;
          const za = (value(a) - center) / pointSigma(a);
          const zb = (value(b) - center) / pointSigma(b);
          mrSum += Math.abs(zb - za);
        }
        if (included.length < 2)
          throw new SpcInputError(`a ${type} chart needs at least 2 baseline points`, 'counts');
        factor = mrSum / (included.length - 1) / d2(2);
        if (factor === 0) throw degenerate(type, 'no point-to-point variation of z (σ_z = 0)');
        details.sigmaZ = factor;
      }
      for (let k = 0; k < len; k++) {
        const i = stage.start + k;
        stat[k] = value(i);
        sig[k] = pointSigma(i) * factor;
      }
      return {
        center,
        sigma,
        values: stat,
        sigmaStat: sig,
        nsigmas: 3,
        statisticRange: {
          min: 0,
          max: base === 'p' ? 1 : base === 'np' ? (sizes[0] as number) : Number.POSITIVE_INFINITY,
        },
        details,
        sigmaMethod:
          known.sigma !== undefined
            ? 'known'
            : laney
              ? 'laney'
              : base === 'p' || base === 'np'
                ? 'binomial'
                : 'poisson',
      };
    },
  };
}
