/** X̄-R and X̄-S charts for rational subgroups, equal or variable sizes (docs/methods.md §5.4). */
import { c4, d2, d3 } from '../constants.js';
import { SpcInputError } from '../errors.js';
import { mean, sampleSd } from '../stats.js';
import type { ChartModel, KnownParameters, Segment, StageFit } from './types.js';

export interface SubgroupStats {
  sizes: number[];
  means: number[];
  ranges: number[];
  sds: number[];
}

export function subgroupStats(subgroups: readonly (readonly number[])[]): SubgroupStats {
  const sizes: number[] = [];
  const means: number[] = [];
  const ranges: number[] = [];
  const sds: number[] = [];
  subgroups.forEach((g, i) => {
    if (g.length < 2) {
      throw new SpcInputError(
        `subgroup ${i + 1} has ${g.length} value(s); X̄ charts need at least 2 per subgroup (use xmr for individuals)`,
        'subgroups',
      );
    }
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const v of g) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    sizes.push(g.length);
    means.push(mean(g));
    ranges.push(hi - lo);
    sds.push(sampleSd(g));
  });
  return { sizes, means, ranges, sds };
}

/** Weighted grand mean Σnᵢx̄ᵢ/Σnᵢ over the included subgroups. */
function grandMean(s: SubgroupStats, included: readonly number[]): number {
  let num = 0;
  let den = 0;
  for (const i of included) {
    num += (s.sizes[i] as number) * (s.means[i] as number);
    den += s.sizes[i] as number;
  }
  return num / den;
}

export function xbarModel(
  subgroups: readonly (readonly number[])[],
  kind: 'R' | 'S',
  options: { pooled?: boolean } = {},
): ChartModel {
  const s = subgroupStats(subgroups);
  if (kind === 'R') for (const n of s.sizes) d2(n); // rejects sizes without tabulated d2 up front
  const method = kind === 'R' ? 'r' : options.pooled ? 'pooled-s' : 's';
  return {
    type: kind === 'R' ? 'xbar-r' : 'xbar-s',
    length: subgroups.length,
    observations: (i) => subgroups[i] as readonly number[],
    fit(included: readonly number[], stage: Segment, known: KnownParameters): StageFit {
      const center = known.center ?? grandMean(s, included);
      const details: Record<string, number> = {};
      let sigma: number;
      if (known.sigma !== undefined) sigma = known.sigma;
      else if (kind === 'R') {
        // UWAVE-R: mean of Rᵢ/d2(nᵢ); equals R̄/d2(n) for equal sizes.
        sigma = mean(included.map((i) => (s.ranges[i] as number) / d2(s.sizes[i] as number)));
        details.meanRange = mean(included.map((i) => s.ranges[i] as number));
      } else if (method === 'pooled-s') {
        let num = 0;
        let df = 0;
        for (const i of included) {
          const n = s.sizes[i] as number;
          num += (n - 1) * (s.sds[i] as number) ** 2;
          df += n - 1;
        }
        sigma = Math.sqrt(num / df) / c4(df + 1);
      } else {
        // UWAVE-SD: mean of sᵢ/c4(nᵢ); equals S̄/c4(n) for equal sizes.
        sigma = mean(included.map((i) => (s.sds[i] as number) / c4(s.sizes[i] as number)));
        details.meanSd = mean(included.map((i) => s.sds[i] as number));
      }
      const len = stage.end - stage.start;
      const stat = new Float64Array(len);
      const sig = new Float64Array(len);
      const secValues: number[] = [];
      const secCenter: number[] = [];
      const secUcl: number[] = [];
      const secLcl: number[] = [];
      for (let k = 0; k < len; k++) {
        const i = stage.start + k;
        const n = s.sizes[i] as number;
        stat[k] = s.means[i] as number;
        sig[k] = sigma / Math.sqrt(n);
        let cl: number;
        let half: number;
        if (kind === 'R') {
          cl = d2(n) * sigma;
          half = 3 * d3(n) * sigma;
          secValues.push(s.ranges[i] as number);
        } else {
          const c = c4(n);
          cl = c * sigma;
          half = 3 * sigma * Math.sqrt(1 - c * c);
          secValues.push(s.sds[i] as number);
        }
        secCenter.push(cl);
        secUcl.push(cl + half);
        secLcl.push(Math.max(0, cl - half));
      }
      return {
        center,
        sigma,
        sigmaWithin: sigma,
        values: stat,
        sigmaStat: sig,
        nsigmas: 3,
        secondary: { kind, values: secValues, center: secCenter, ucl: secUcl, lcl: secLcl },
        details,
        sigmaMethod: known.sigma !== undefined ? 'known' : method,
      };
    },
  };
}
