import type { KpiDefinition, KpiPoint } from '@shewhart/kpi';
import {
  analyzeChart,
  type CapabilityResult,
  type ChartResult,
  type RuleName,
  resolveRules,
  SpcInputError,
  type SpecLimits,
} from '@shewhart/spc';
import { type ChartMapping, chartData, chartMapping, plottable, toDisplay } from './series-chart.js';

/** docs/methods.md §5.9: provisional limits from 8 points, firm (and frozen) at 20. */
export const MIN_BASELINE = 8;
export const FIRM_AT = 20;

export type StageStatus = 'insufficient' | 'provisional' | 'firm';

/** A stored baseline version (statistic space: log space for ln charts, proportions for p charts). */
export interface BaselineVersion {
  baselineId: string;
  stage: number;
  stageFrom: string;
  version: number;
  chart: string;
  transform: 'none' | 'ln';
  center: number;
  sigma: number;
  status: 'provisional' | 'firm';
  nPoints: number;
  windowFrom: string;
  windowTo: string;
  excluded: string[];
  ruleSet: string[];
  createdAt: string;
  reason: string;
}

export interface StageEvaluation {
  stage: number;
  /** Period start of the stage's first period (a process change or a recorded decision starts one). */
  from: string;
  /** Period start of its last listed period, or null while it has none. */
  to: string | null;
  status: StageStatus;
  /** Display units (KPI unit). ucl/lcl are null when they vary per point (see the points). */
  center: number | null;
  ucl: number | null;
  lcl: number | null;
  /** Statistic-space parameters, as stored in a baseline version. */
  fit?: {
    center: number;
    sigma: number;
    nPoints: number;
    windowFrom: string;
    windowTo: string;
    excluded: string[];
  };
  /** The stored firm baseline these limits came from (frozen), if any. */
  frozen?: BaselineVersion;
  /** Baseline points flagged with no recorded cause (period starts). */
  unexplainedSignals: string[];
  /** Why a stage has no limits although it has points (e.g. p̄ = 0 gives limits of zero width). */
  note?: string;
  /**
   * docs/methods.md §5.9 rule 4 / §6.4: this stage's data evaluated against the limits of the stage before it.
   * A sustained signal here (a WE4/N2 run, a WE1 point) is the SPC evidence that the process changed.
   */
  evidence?: {
    againstStage: number;
    signals: { periodStart: string; rules: RuleName[]; z: number; value: number }[];
  };
}

export interface EvaluatedPoint {
  periodStart: string;
  value: number;
  ucl: number | null;
  lcl: number | null;
  center: number | null;
  z: number | null;
  rules: RuleName[];
  stage: number;
  /** Rules this point fires against the previous stage's limits (stage > 0 only). */
  againstPrevious: RuleName[];
  /** 1 = sets the stage's limits, 2 = monitored against them, null = no limits yet. */
  phase: 1 | 2 | null;
  provisional: boolean;
}

export interface SeriesEvaluation {
  mapping: ChartMapping;
  rules: RuleName[];
  stages: StageEvaluation[];
  points: EvaluatedPoint[];
  /** Periods with a value that cannot be charted (null, empty denominator, ln of ≤ 0). */
  skipped: string[];
  capability: (CapabilityResult & { stage: number }) | null;
}

export interface EvaluateInput {
  kpi: Pick<KpiDefinition, 'id' | 'chart'>;
  points: readonly KpiPoint[];
  /** Period starts (YYYY-MM-DD) at which a new stage begins, any order. */
  stageStarts: readonly string[];
  /** Firm baselines by stage start: their limits are frozen and reused, never recomputed. */
  frozen?: ReadonlyMap<string, BaselineVersion>;
  rules?: readonly string[] | string;
  /** Specification limits in KPI units (from an objective), for capability on the latest stage. */
  spec?: SpecLimits;
  /**
   * Period starts with a recorded assignable cause. In Phase I such a point leaves the baseline only
   * while it is flagged, iterating until no flagged point with a cause remains (docs/methods.md §5.9 rule 2).
   */
  causes?: ReadonlySet<string>;
}

/**
 * Puts one KPI series under statistical control: splits it into stages, computes (or reuses frozen)
 * Phase-I limits per stage, evaluates every point with the rule set. Runs and windows reset at stage
 * boundaries because each stage is analysed on its own. Pure: no I/O.
 */
export function evaluateSeries(input: EvaluateInput): SeriesEvaluation {
  const mapping = chartMapping(input.kpi.chart, input.points);
  const rules = resolveRules(input.rules as Parameters<typeof resolveRules>[0]);
  const skipped = input.points.filter((p) => !plottable(mapping, p)).map((p) => p.periodStart);
  const points = input.points.filter((p) => plottable(mapping, p));
  const first = points[0]?.periodStart;
  const starts = [...new Set(input.stageStarts)].sort().filter((s) => first === undefined || s > first);
  const boundaries = first === undefined ? starts : [first, ...starts];

  const stages: StageEvaluation[] = [];
  const evaluated: EvaluatedPoint[] = [];
  let capability: SeriesEvaluation['capability'] = null;
  boundaries.forEach((from, stage) => {
    const until = boundaries[stage + 1];
    const inStage = points.filter(
      (p) => p.periodStart >= from && (until === undefined || p.periodStart < until),
    );
    const frozen = input.frozen?.get(from);
    const usable =
      frozen?.status === 'firm' && frozen.chart === mapping.chart && frozen.transform === mapping.transform;
    if (inStage.length === 0 || (!usable && inStage.length < MIN_BASELINE)) {
      stages.push({
        stage,
        from,
        to: inStage.at(-1)?.periodStart ?? null,
        status: 'insufficient',
        center: null,
        ucl: null,
        lcl: null,
        unexplainedSignals: [],
      });
      for (const p of inStage) evaluated.push(bare(p, stage, mapping));
      return;
    }
    const spec =
      input.spec && stage === boundaries.length - 1 ? statisticSpec(input.spec, mapping) : undefined;
    let result: ChartResult;
    try {
      result = analyzeChart({
        chart: mapping.chart,
        ...chartData(mapping, inStage),
        rules,
        ...(usable ? { center: frozen.center, sigma: frozen.sigma } : phaseOne(inStage, input.causes)),
        minBaseline: MIN_BASELINE,
        firmAt: FIRM_AT,
        ...(spec && mapping.chart === 'xmr' ? { spec } : {}),
      });
    } catch (error) {
      if (!(error instanceof SpcInputError)) throw error;
      // A degenerate baseline (no variation at all, e.g. no failure in any period) has no usable limits.
      stages.push({
        stage,
        from,
        to: inStage.at(-1)?.periodStart ?? null,
        status: 'insufficient',
        center: plainCenter(mapping, inStage),
        ucl: null,
        lcl: null,
        unexplainedSignals: [],
        note: error.message,
      });
      for (const p of inStage) evaluated.push(bare(p, stage, mapping));
      return;
    }
    const s = result.stages[0] as ChartResult['stages'][number];
    const status: StageStatus = usable ? 'firm' : s.baseline.status === 'firm' ? 'firm' : 'provisional';
    const windowPoints = inStage.slice(s.baseline.from - 1, s.baseline.to);
    const stagePoints = result.points.map((cp, i) => {
      const p = inStage[i] as KpiPoint;
      return {
        periodStart: p.periodStart,
        value: p.value as number,
        center: toDisplay(mapping, cp.center),
        ucl: toDisplay(mapping, cp.ucl),
        lcl: toDisplay(mapping, cp.lcl),
        z: cp.z,
        rules: cp.rules,
        stage,
        againstPrevious: [] as RuleName[],
        phase: usable ? 2 : cp.phase,
        provisional: p.provisional,
      } satisfies EvaluatedPoint;
    });
    evaluated.push(...stagePoints);
    stages.push({
      stage,
      from,
      to: inStage.at(-1)?.periodStart ?? null,
      status,
      center: toDisplay(mapping, s.center),
      ucl: constant(stagePoints.map((p) => p.ucl as number)),
      lcl: constant(stagePoints.map((p) => p.lcl as number)),
      fit: usable
        ? {
            center: frozen.center,
            sigma: frozen.sigma,
            nPoints: frozen.nPoints,
            windowFrom: frozen.windowFrom,
            windowTo: frozen.windowTo,
            excluded: frozen.excluded,
          }
        : {
            center: s.center,
            sigma: s.sigma,
            nPoints: s.baseline.used,
            windowFrom: windowPoints[0]?.periodStart ?? from,
            windowTo: windowPoints.at(-1)?.periodStart ?? from,
            excluded: s.baseline.excluded.map((i) => inStage[i - 1]?.periodStart ?? ''),
          },
      ...(usable ? { frozen } : {}),
      unexplainedSignals: s.baseline.unexplainedSignals.map((i) => inStage[i - 1]?.periodStart ?? ''),
    });
    if (result.capability && spec) capability = { ...result.capability, stage };
  });
  addShiftEvidence(mapping, rules, stages, points, evaluated);
  return { mapping, rules, stages, points: evaluated, skipped, capability };
}

/** Evaluates each stage's points against the previous stage's limits (its frozen baseline). */
function addShiftEvidence(
  mapping: ChartMapping,
  rules: RuleName[],
  stages: StageEvaluation[],
  points: readonly KpiPoint[],
  evaluated: EvaluatedPoint[],
): void {
  for (let k = 1; k < stages.length; k++) {
    const prev = stages[k - 1]?.fit;
    const stage = stages[k] as StageEvaluation;
    const inStage = points.filter(
      (p) => p.periodStart >= stage.from && (stage.to === null || p.periodStart <= stage.to),
    );
    if (!prev || inStage.length === 0 || !(prev.sigma > 0)) continue;
    const result = analyzeChart({
      chart: mapping.chart,
      ...chartData(mapping, inStage),
      rules,
      center: prev.center,
      sigma: prev.sigma,
    });
    const signals = result.points
      .map((cp, i) => ({
        periodStart: (inStage[i] as KpiPoint).periodStart,
        rules: cp.rules,
        z: cp.z,
        value: (inStage[i] as KpiPoint).value as number,
      }))
      .filter((x) => x.rules.length > 0);
    stage.evidence = { againstStage: k - 1, signals };
    const byPeriod = new Map(signals.map((x) => [x.periodStart, x.rules]));
    for (const e of evaluated) if (e.stage === k) e.againstPrevious = byPeriod.get(e.periodStart) ?? [];
  }
}

function bare(p: KpiPoint, stage: number, _m: ChartMapping): EvaluatedPoint {
  return {
    periodStart: p.periodStart,
    value: p.value as number,
    center: null,
    ucl: null,
    lcl: null,
    z: null,
    rules: [],
    stage,
    againstPrevious: [],
    phase: null,
    provisional: p.provisional,
  };
}

/**
 * The Phase-I window of a stage and the points in it with a recorded cause (1-based). The window holds
 * FIRM_AT points plus one for each point with a cause, so a baseline that drops a point for an
 * assignable cause still reaches 20 values and becomes firm.
 */
function phaseOne(
  points: readonly KpiPoint[],
  causes: ReadonlySet<string> | undefined,
): { phase1: number; exclude: number[] } {
  const withCause = (w: number) => {
    const out: number[] = [];
    for (let i = 0; i < w; i++) if (causes?.has((points[i] as KpiPoint).periodStart)) out.push(i + 1);
    return out;
  };
  let window = Math.min(FIRM_AT, points.length);
  for (;;) {
    const next = Math.min(points.length, FIRM_AT + withCause(window).length);
    if (next === window) break;
    window = next;
  }
  return { phase1: window, exclude: withCause(window) };
}

/** The centre of a stage without limits: Σnumerators/Σdenominators for p/u, else the mean value. */
function plainCenter(m: ChartMapping, points: readonly KpiPoint[]): number | null {
  if (points.length === 0) return null;
  if (m.chart === 'p' || m.chart === 'u') {
    const den = points.reduce((s, p) => s + (p.denominator ?? 0), 0);
    return den > 0 ? (points.reduce((s, p) => s + (p.numerator ?? 0), 0) / den) * m.scale : null;
  }
  const values = points.map((p) => p.value as number);
  if (m.transform === 'ln') return Math.exp(values.reduce((s, v) => s + Math.log(v), 0) / values.length);
  return values.reduce((s, v) => s + v, 0) / values.length;
}

function constant(values: number[]): number | null {
  const first = values[0];
  if (first === undefined) return null;
  return values.every((v) => Math.abs(v - first) <= 1e-12 * Math.max(1, Math.abs(first))) ? first : null;
}

/** Spec limits in KPI units → the chart's statistic space (ln for log charts, proportions for p). */
function statisticSpec(spec: SpecLimits, m: ChartMapping): SpecLimits | undefined {
  const f = (v: number | undefined) => {
    if (v === undefined) return undefined;
    if (m.transform === 'ln') return v > 0 ? Math.log(v) : undefined;
    return v / m.scale;
  };
  const out: SpecLimits = {};
  const lsl = f(spec.lsl);
  const usl = f(spec.usl);
  const target = f(spec.target);
  if (lsl !== undefined) out.lsl = lsl;
  if (usl !== undefined) out.usl = usl;
  if (target !== undefined) out.target = target;
  return out.lsl === undefined && out.usl === undefined ? undefined : out;
}
