/** @shewhart/spc: pure SPC engine (docs/methods.md §5–§7). Data in, results out, no I/O. */

export {
  assessCapability,
  type CapabilityIndices,
  type CapabilityInput,
  type CapabilityResult,
  capabilityIndices,
  type SpecLimits,
  validateSpec,
} from './capability.js';
export {
  analyzeChart,
  type BaselineStatus,
  type ChartPoint,
  type ChartResult,
  type ChartSpec,
  type SecondaryChart,
  type StageResult,
} from './charts/engine.js';
export type { EwmaOptions } from './charts/ewma.js';
export { CHART_TYPES, type ChartType, type KnownParameters, type SigmaMethod } from './charts/types.js';
export {
  exactUDistribution,
  hodgesLehmann,
  type MannWhitneyResult,
  mannWhitneyTest,
} from './compare/mann-whitney.js';
export {
  type ExactTestResult,
  fisherExact,
  type TwoProportionResult,
  type TwoRateResult,
  twoProportionTest,
  twoRateTest,
} from './compare/proportions.js';
export {
  type CompareOptions,
  type ComparisonResult,
  compareBeforeAfter,
  type Direction,
  type Verdict,
} from './compare/verdict.js';
export { type WelchResult, welchTest } from './compare/welch.js';
export { CONSTANTS_TABLE_ID, c4, d2, d3, factors } from './constants.js';
export { SpcInputError } from './errors.js';
export {
  defaultChart,
  parseChartInput,
  parseChartName,
  parseCsv,
  parseJsonDocument,
  parseSample,
} from './input/parse.js';
export {
  createRng,
  type InputDistribution,
  type MonteCarloConfig,
  type MonteCarloResult,
  monteCarlo,
  type Objective,
  PRNG_ALGORITHM,
  wilsonInterval,
} from './models/montecarlo.js';
export {
  multipleRegression,
  type Prediction,
  type RegressionModel,
  simpleRegression,
} from './models/regression.js';
export { chartModelOf, renderChartSvg, type SvgOptions } from './plot/svg.js';
export { chartReport, chartTable, comparisonReport, comparisonTable } from './report/format.js';
export { describeRules } from './rule-words.js';
export {
  ALL_RULES,
  DEFAULT_RULES,
  evaluateRuleSegment,
  NELSON,
  primaryRule,
  type RuleName,
  type RuleSetInput,
  resolveRules,
  WESTERN_ELECTRIC,
} from './rules.js';
export { mean, median, quantile, sampleSd } from './stats.js';
export { type Zone, zoneOf } from './zones.js';
