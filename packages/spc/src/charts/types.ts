/** Types shared by the chart models and the chart engine. */

export type ChartType = 'xmr' | 'xbar-r' | 'xbar-s' | 'p' | 'np' | 'c' | 'u' | 'p-prime' | 'u-prime' | 'ewma';
export const CHART_TYPES: readonly ChartType[] = [
  'xmr',
  'xbar-r',
  'xbar-s',
  'p',
  'np',
  'c',
  'u',
  'p-prime',
  'u-prime',
  'ewma',
];

/** How σ̂ is estimated. `mr`/`median-mr` for individuals, `r`/`s`/`pooled-s` for subgroups. */
export type SigmaMethod = 'mr' | 'median-mr' | 'r' | 's' | 'pooled-s';

/** Historical ("standards given") parameters that replace the Phase-I estimates. */
export interface KnownParameters {
  /** Centre line in the units of the plotted statistic. */
  center?: number;
  /** The chart's sigma in the units the result reports it (process σ for variables charts). */
  sigma?: number;
}

/** A contiguous range of 0-based point positions [start, end). */
export interface Segment {
  start: number;
  end: number;
}

export interface SecondaryFit {
  kind: 'mR' | 'R' | 'S';
  /** One entry per point of the stage; null where undefined (the first moving range). */
  values: (number | null)[];
  center: number[];
  ucl: number[];
  lcl: number[];
}

/** The result of fitting a chart on the included baseline points and evaluating one stage. */
export interface StageFit {
  center: number;
  /** σ reported for the chart (σ̂ for variables charts, √(p̄(1−p̄)) for p, √c̄ for c, …). */
  sigma: number;
  /** σ̂ of individual values, used for capability; only variables charts have one. */
  sigmaWithin?: number;
  /** Plotted statistic at each point of the stage. */
  values: Float64Array;
  /** Standard error of the plotted statistic at each point of the stage. */
  sigmaStat: Float64Array;
  /** Limits are centre ± nsigmas·σ_stat (3, or L for EWMA). */
  nsigmas: number;
  /**
   * The range the plotted statistic can take (attribute charts): limits outside it are clamped to it,
   * as qcc's `limits.p`/`limits.np` do — a proportion's limits stay in [0, 1], np in [0, n], a count's
   * or rate's LCL at or above 0. Absent for variables charts, whose limits are never clamped.
   */
  statisticRange?: { min: number; max: number };
  secondary?: SecondaryFit;
  /** Estimator details recorded with the result (MR̄, R̄, σ_z, λ, …). */
  details: Record<string, number>;
  sigmaMethod: string;
}

export interface ChartModel {
  readonly type: ChartType;
  /** Number of plotted points. */
  readonly length: number;
  /**
   * Fits the chart on `included` (0-based positions, ascending, all inside `stage`) and evaluates
   * every point of `stage`.
   */
  fit(included: readonly number[], stage: Segment, known: KnownParameters): StageFit;
  /** The individual observations behind point i, for σ_overall and the observed fraction out of spec. */
  observations?(i: number): readonly number[];
}
