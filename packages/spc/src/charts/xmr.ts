/** Individuals and moving range (docs/methods.md §5.3). */
import { d2, d3, MEDIAN_MR_D4, MEDIAN_MR_URL_FACTOR } from '../constants.js';
import { SpcInputError } from '../errors.js';
import { median } from '../stats.js';
import type { ChartModel, KnownParameters, Segment, StageFit } from './types.js';

export interface XmrOptions {
  /** `mr` (MR̄/1.128, default) or `median-mr` (MR̃/0.954, Wheeler's robust variant). */
  sigmaMethod?: 'mr' | 'median-mr';
}

/** Moving ranges between consecutive *included* points: a removed point's neighbours become adjacent. */
export function movingRanges(values: ArrayLike<number>, included: readonly number[]): number[] {
  const out: number[] = [];
  for (let k = 1; k < included.length; k++) {
    out.push(
      Math.abs((values[included[k] as number] as number) - (values[included[k - 1] as number] as number)),
    );
  }
  return out;
}

export function xmrModel(values: readonly number[], options: XmrOptions = {}): ChartModel {
  const method = options.sigmaMethod ?? 'mr';
  return {
    type: 'xmr',
    length: values.length,
    observations: (i) => [values[i] as number],
    fit(included: readonly number[], stage: Segment, known: KnownParameters): StageFit {
      let center = known.center as number;
      if (known.center === undefined) {
        let total = 0;
        for (const i of included) total += values[i] as number;
        center = total / included.length;
      }
      let sigma: number;
      let mrCenter: number;
      let mrUcl: number;
      const details: Record<string, number> = {};
      if (known.sigma !== undefined) {
        sigma = known.sigma;
        mrCenter = method === 'median-mr' ? MEDIAN_MR_D4 * sigma : d2(2) * sigma;
        mrUcl = method === 'median-mr' ? MEDIAN_MR_URL_FACTOR * mrCenter : mrCenter + 3 * d3(2) * sigma;
      } else {
        const mr = movingRanges(values, included);
        if (mr.length === 0)
          throw new SpcInputError('an XmR chart needs at least 2 baseline values', 'values');
        if (method === 'median-mr') {
          mrCenter = median(mr);
          sigma = mrCenter / MEDIAN_MR_D4;
          mrUcl = MEDIAN_MR_URL_FACTOR * mrCenter;
          details.medianMovingRange = mrCenter;
        } else {
          let total = 0;
          for (const r of mr) total += r;
          mrCenter = total / mr.length;
          sigma = mrCenter / d2(2);
          // D4 = 1 + 3·d3/d2 = 3.267 (docs/methods.md §5.3); computed, not the rounded table value.
          mrUcl = mrCenter + 3 * d3(2) * sigma;
          details.meanMovingRange = mrCenter;
        }
      }
      const len = stage.end - stage.start;
      const stat = new Float64Array(len);
      const sig = new Float64Array(len).fill(sigma);
      const mrValues: (number | null)[] = new Array(len);
      for (let k = 0; k < len; k++) {
        const i = stage.start + k;
        stat[k] = values[i] as number;
        mrValues[k] = k === 0 ? null : Math.abs((values[i] as number) - (values[i - 1] as number));
      }
      return {
        center,
        sigma,
        sigmaWithin: sigma,
        values: stat,
        sigmaStat: sig,
        nsigmas: 3,
        secondary: {
          kind: 'mR',
          values: mrValues,
          center: new Array(len).fill(mrCenter),
          ucl: new Array(len).fill(mrUcl),
          lcl: new Array(len).fill(0),
        },
        details,
        sigmaMethod: known.sigma !== undefined ? 'known' : method,
      };
    },
  };
}
