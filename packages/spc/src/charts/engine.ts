/**
 * The chart engine: stages, Phase-I baselines with cause-based cleaning, per-point limits, z and
 * zones, run rules and capability (docs/methods.md §5.2, §5.7–5.9). Pure: data in, result out.
 */
import { assessCapability, type CapabilityResult, type SpecLimits, validateSpec } from '../capability.js';
import { CONSTANTS_TABLE_ID } from '../constants.js';
import { assertFinite, SpcInputError } from '../errors.js';
import {
  evaluateRuleSegment,
  primaryRule,
  type RuleName,
  type RuleSetInput,
  resolveRules,
} from '../rules.js';
import { sampleSd } from '../stats.js';
import { type Zone, zoneOf } from '../zones.js';
import type { EwmaOptions } from './ewma.js';
import type { ChartModel, ChartType, KnownParameters, SigmaMethod, StageFit } from './types.js';
import { buildModel, type ChartData } from './validate.js';

export interface ChartSpec extends ChartData {
  chart: ChartType;
  /** `western-electric`, `nelson`, or rule names (WE1..WE4, NELSON1..NELSON8). Default WE1 + WE4. */
  rules?: RuleSetInput;
  /** How many leading points of each stage set its limits (default: all of them). */
  phase1?: number;
  /** 1-based points with a recorded assignable cause (cause code + NC/CAR id). */
  exclude?: readonly number[];
  /**
   * `flagged` (default, docs/methods.md §5.9 rule 2): a point with a cause is removed only while it is
   * flagged, iterating until no flagged point with a cause remains. `all`: remove every listed point.
   */
  exclusion?: 'flagged' | 'all';
  /** Known ("standards given") centre line, replacing the estimate. */
  center?: number;
  /** Known sigma (process σ; √(p(1−p)) for p; √c for c …), replacing the estimate. */
  sigma?: number;
  sigmaMethod?: SigmaMethod;
  /** 1-based points at which a new stage (process change) starts; each stage has its own limits. */
  stages?: readonly number[];
  spec?: SpecLimits;
  ewma?: EwmaOptions;
  /** Minimum baseline points for provisional limits (default 8). */
  minBaseline?: number;
  /** Baseline size from which limits are firm and frozen (default 20). */
  firmAt?: number;
  /** Compute capability even when the baseline has unexplained signals. */
  capabilityWhenUnstable?: boolean;
}

export interface ChartPoint {
  /** 1-based position in time order. */
  index: number;
  /** The plotted statistic: the value, subgroup mean, proportion, rate or EWMA. */
  value: number;
  center: number;
  ucl: number;
  lcl: number;
  /**
   * The computed limits before clamping to the statistic's range (attribute charts: [0, 1] for p,
   * [0, n] for np, LCL ≥ 0 for c/u); equal to ucl/lcl otherwise. For diagnostics only.
   */
  uclUnclamped: number;
  lclUnclamped: number;
  /** Standard error of the plotted statistic at this point. */
  sigma: number;
  z: number;
  zone: Zone;
  rules: RuleName[];
  /** Lowest-numbered rule that flagged the point (qcc precedence), or null. */
  reason: RuleName | null;
  /** 1 = inside the stage's Phase-I window, 2 = monitored against the frozen limits. */
  phase: 1 | 2;
  stage: number;
  /** Removed from the baseline because of a recorded assignable cause. */
  excluded: boolean;
}

export type BaselineStatus = 'provisional' | 'firm' | 'known';

export interface StageResult {
  stage: number;
  /** 1-based first and last point of the stage. */
  start: number;
  end: number;
  center: number;
  sigma: number;
  sigmaMethod: string;
  details: Record<string, number>;
  baseline: {
    /** 1-based first and last point of the Phase-I window. */
    from: number;
    to: number;
    /** Points that set the limits. */
    used: number;
    /** Removed for a recorded cause after being flagged (1-based). */
    excluded: number[];
    /** Listed with a cause but never flagged, so kept in the baseline (1-based). */
    causesKept: number[];
    status: BaselineStatus;
    /** Baseline points flagged by a rule with no recorded cause (1-based). */
    unexplainedSignals: number[];
  };
}

export interface SecondaryChart {
  kind: 'mR' | 'R' | 'S';
  values: (number | null)[];
  center: number | number[];
  ucl: number | number[];
  lcl: number | number[];
}

export interface ChartResult {
  chart: ChartType;
  center: number | number[];
  sigma: number | number[];
  ucl: number | number[];
  lcl: number | number[];
  nsigmas: number;
  rules: RuleName[];
  points: ChartPoint[];
  violations: { rule: RuleName; indices: number[] }[];
  secondary?: SecondaryChart;
  stages: StageResult[];
  capability?: CapabilityResult;
  provenance: {
    formula: string;
    version: number;
    constantsTable: string;
    ruleSet: RuleName[];
    sigmaMethod: string;
    phase1: number | null;
    exclusion: 'flagged' | 'all';
  };
}

const VARIABLES_CHARTS: readonly ChartType[] = ['xmr', 'xbar-r', 'xbar-s'];

/** Numbers when constant, per-point arrays when they vary (the CLI JSON contract). */
export function collapse(values: readonly number[]): number | number[] {
  const first = values[0] as number;
  for (let i = 1; i < values.length; i++) if (values[i] !== first) return [...values];
  return first;
}

function collapseBy<T>(items: readonly T[], f: (item: T) => number): number | number[] {
  const first = f(items[0] as T);
  for (let i = 1; i < items.length; i++) {
    if (f(items[i] as T) !== first) return items.map(f);
  }
  return first;
}

function checkPositiveInt(v: number | undefined, field: string): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= 1)) {
    throw new SpcInputError(`${field} must be a positive whole number (got ${String(v)})`, field);
  }
}

function stageBounds(n: number, stages: readonly number[] | undefined): { start: number; end: number }[] {
  const starts = [0];
  let prev = 1;
  for (const s of stages ?? []) {
    if (!Number.isInteger(s) || s < 2 || s > n) {
      throw new SpcInputError(`stage start ${String(s)} must be a whole point number in 2..${n}`, 'stages');
    }
    if (s <= prev) throw new SpcInputError('stage starts must be strictly increasing', 'stages');
    starts.push(s - 1);
    prev = s;
  }
  return starts.map((start, k) => ({ start, end: k + 1 < starts.length ? (starts[k + 1] as number) : n }));
}

interface StageEval {
  fit: StageFit;
  z: Float64Array;
  hits: Map<RuleName, number[]>;
}

function evaluateStage(
  model: ChartModel,
  included: readonly number[],
  stage: { start: number; end: number },
  known: KnownParameters,
  rules: readonly RuleName[],
  stageNo: number,
): StageEval {
  const fit = model.fit(included, stage, known);
  if (!(Number.isFinite(fit.center) && Number.isFinite(fit.sigma))) {
    throw new SpcInputError(
      `stage ${stageNo}: the centre line or sigma could not be computed from the baseline`,
    );
  }
  const len = stage.end - stage.start;
  const z = new Float64Array(len);
  for (let k = 0; k < len; k++) {
    const s = fit.sigmaStat[k] as number;
    if (!(s > 0) || !Number.isFinite(s)) {
      throw new SpcInputError(
        `stage ${stageNo}: the baseline shows no variation (sigma = ${fit.sigma}), so the control limits ` +
          'would have zero width; give a historical sigma or use more data',
        'sigma',
      );
    }
    z[k] = ((fit.values[k] as number) - fit.center) / s;
  }
  const hits = evaluateRuleSegment(z, fit.values, rules, { nsigmas: fit.nsigmas });
  return { fit, z, hits };
}

/** Runs a control chart end to end. Throws SpcInputError on bad input; never returns NaN. */
export function analyzeChart(spec: ChartSpec): ChartResult {
  const model = buildModel(spec.chart, spec, { sigmaMethod: spec.sigmaMethod, ewma: spec.ewma });
  const n = model.length;
  let rules = resolveRules(spec.rules);
  if (spec.chart === 'ewma') {
    // §5.11: only the beyond-limits rule applies to the EWMA statistic.
    rules = rules.filter((r) => r === 'WE1' || r === 'NELSON1');
    if (rules.length === 0) rules = ['WE1'];
  }
  checkPositiveInt(spec.phase1, 'phase1');
  if (spec.phase1 !== undefined && spec.phase1 > n) {
    throw new SpcInputError(`phase1 (${spec.phase1}) exceeds the number of points (${n})`, 'phase1');
  }
  const known: KnownParameters = {};
  if (spec.center !== undefined) {
    assertFinite(spec.center, 'center');
    known.center = spec.center;
  }
  if (spec.sigma !== undefined) {
    assertFinite(spec.sigma, 'sigma');
    if (!(spec.sigma > 0)) throw new SpcInputError(`sigma must be positive (got ${spec.sigma})`, 'sigma');
    known.sigma = spec.sigma;
  }
  const minBaseline = spec.minBaseline ?? 8;
  const firmAt = spec.firmAt ?? 20;
  checkPositiveInt(minBaseline, 'minBaseline');
  checkPositiveInt(firmAt, 'firmAt');
  const exclusion = spec.exclusion ?? 'flagged';
  if (exclusion !== 'flagged' && exclusion !== 'all') {
    throw new SpcInputError(`exclusion must be "flagged" or "all" (got ${String(exclusion)})`, 'exclusion');
  }
  if (spec.spec !== undefined) {
    validateSpec(spec.spec);
    if (!VARIABLES_CHARTS.includes(spec.chart)) {
      throw new SpcInputError(
        `capability needs a variables chart (xmr, xbar-r, xbar-s), not ${spec.chart}`,
        'spec',
      );
    }
  }
  const stages = stageBounds(n, spec.stages);
  const causes = new Set<number>();
  for (const e of spec.exclude ?? []) {
    if (!Number.isInteger(e) || e < 1 || e > n) {
      throw new SpcInputError(`exclude point ${String(e)} is not a point number in 1..${n}`, 'exclude');
    }
    const pos = e - 1;
    const st = stages.find((s) => pos >= s.start && pos < s.end) as { start: number; end: number };
    const windowEnd = Math.min(st.end, st.start + (spec.phase1 ?? n));
    if (pos >= windowEnd) {
      throw new SpcInputError(
        `exclude point ${e} is outside the Phase-I baseline (points ${st.start + 1}..${windowEnd}); only baseline points can be excluded`,
        'exclude',
      );
    }
    causes.add(pos);
  }
  const bothKnown = known.center !== undefined && known.sigma !== undefined;

  const points: ChartPoint[] = new Array(n);
  const stageResults: StageResult[] = [];
  const violationMap = new Map<RuleName, number[]>(rules.map((r) => [r, []]));
  const secValues: (number | null)[] = [];
  const secCenter: number[] = [];
  const secUcl: number[] = [];
  const secLcl: number[] = [];
  let secKind: 'mR' | 'R' | 'S' | undefined;
  let lastFit: StageFit | undefined;
  let lastIncluded: number[] = [];
  let lastUnexplained: number[] = [];

  stages.forEach((stage, s) => {
    const stageNo = s + 1;
    const windowEnd = Math.min(stage.end, stage.start + (spec.phase1 ?? n));
    const candidates: number[] = [];
    for (let i = stage.start; i < windowEnd; i++) candidates.push(i);
    const excluded = new Set<number>();
    if (exclusion === 'all') for (const c of candidates) if (causes.has(c)) excluded.add(c);
    let evaluation: StageEval;
    let included: number[];
    for (;;) {
      included = excluded.size === 0 ? candidates : candidates.filter((i) => !excluded.has(i));
      if (!bothKnown && included.length < minBaseline) {
        throw new SpcInputError(
          `stage ${stageNo} has ${included.length} usable baseline point(s); at least ${minBaseline} are needed ` +
            'for provisional limits (or give a known center and sigma)',
          'phase1',
        );
      }
      evaluation = evaluateStage(model, included, stage, known, rules, stageNo);
      if (exclusion === 'all' || causes.size === 0) break;
      const newly: number[] = [];
      for (const hits of evaluation.hits.values()) {
        for (const k of hits) {
          const i = stage.start + k;
          if (causes.has(i) && !excluded.has(i) && i < windowEnd) newly.push(i);
        }
      }
      if (newly.length === 0) break;
      for (const i of newly) excluded.add(i);
    }
    const { fit, z, hits } = evaluation;
    const pointRules = new Map<number, RuleName[]>();
    for (const rule of rules) {
      for (const k of hits.get(rule) ?? []) {
        const i = stage.start + k;
        (violationMap.get(rule) as number[]).push(i + 1);
        const list = pointRules.get(i);
        if (list) list.push(rule);
        else pointRules.set(i, [rule]);
      }
    }
    const unexplained: number[] = [];
    if (pointRules.size > 0) for (const i of included) if (pointRules.has(i)) unexplained.push(i + 1);
    for (let k = 0; k < stage.end - stage.start; k++) {
      const i = stage.start + k;
      const sig = fit.sigmaStat[k] as number;
      const uclRaw = fit.center + fit.nsigmas * sig;
      const lclRaw = fit.center - fit.nsigmas * sig;
      const range = fit.statisticRange;
      const ucl = range ? Math.min(range.max, uclRaw) : uclRaw;
      const lcl = range ? Math.max(range.min, lclRaw) : lclRaw;
      const zk = z[k] as number;
      const r = pointRules.size === 0 ? [] : (pointRules.get(i) ?? []);
      points[i] = {
        index: i + 1,
        value: fit.values[k] as number,
        center: fit.center,
        ucl,
        lcl,
        uclUnclamped: uclRaw,
        lclUnclamped: lclRaw,
        sigma: sig,
        z: zk,
        zone: zoneOf(zk, fit.nsigmas),
        rules: r,
        reason: r.length === 0 ? null : primaryRule(r),
        phase: i < windowEnd ? 1 : 2,
        stage: stageNo,
        excluded: excluded.has(i),
      };
    }
    if (fit.secondary) {
      secKind = fit.secondary.kind;
      secValues.push(...fit.secondary.values);
      secCenter.push(...fit.secondary.center);
      secUcl.push(...fit.secondary.ucl);
      secLcl.push(...fit.secondary.lcl);
    }
    const used = included.length;
    stageResults.push({
      stage: stageNo,
      start: stage.start + 1,
      end: stage.end,
      center: fit.center,
      sigma: fit.sigma,
      sigmaMethod: fit.sigmaMethod,
      details: fit.details,
      baseline: {
        from: stage.start + 1,
        to: windowEnd,
        used,
        excluded: [...excluded].sort((a, b) => a - b).map((i) => i + 1),
        causesKept:
          causes.size === 0
            ? []
            : candidates.filter((i) => causes.has(i) && !excluded.has(i)).map((i) => i + 1),
        status: bothKnown ? 'known' : used >= firmAt ? 'firm' : 'provisional',
        unexplainedSignals: unexplained,
      },
    });
    lastFit = fit;
    lastIncluded = included;
    lastUnexplained = unexplained;
  });

  const fitted = lastFit as StageFit;
  const result: ChartResult = {
    chart: spec.chart,
    center: collapseBy(points, (p) => p.center),
    sigma: collapseBy(points, (p) => (stageResults[p.stage - 1] as StageResult).sigma),
    ucl: collapseBy(points, (p) => p.ucl),
    lcl: collapseBy(points, (p) => p.lcl),
    nsigmas: fitted.nsigmas,
    rules,
    points,
    violations: rules
      .map((rule) => ({ rule, indices: violationMap.get(rule) as number[] }))
      .filter((v) => v.indices.length > 0),
    stages: stageResults,
    provenance: {
      formula: `spc.${spec.chart}`,
      version: 1,
      constantsTable: CONSTANTS_TABLE_ID,
      ruleSet: rules,
      sigmaMethod: fitted.sigmaMethod,
      phase1: spec.phase1 ?? null,
      exclusion,
    },
  };
  if (secKind) {
    result.secondary = {
      kind: secKind,
      values: secValues,
      center: collapse(secCenter),
      ucl: collapse(secUcl),
      lcl: collapse(secLcl),
    };
  }
  if (spec.spec !== undefined && model.observations && fitted.sigmaWithin !== undefined) {
    const observations: number[] = [];
    for (const i of lastIncluded) {
      const obs = model.observations(i);
      for (let k = 0; k < obs.length; k++) observations.push(obs[k] as number);
    }
    result.capability = assessCapability({
      mean: fitted.center,
      sigmaWithin: fitted.sigmaWithin,
      sigmaOverall: observations.length >= 2 ? sampleSd(observations) : undefined,
      spec: spec.spec,
      observations,
      unexplainedSignals: lastUnexplained,
      force: spec.capabilityWhenUnstable,
    });
  }
  return result;
}
