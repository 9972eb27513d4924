import type { Grain, KpiDefinition, KpiPoint } from '@shewhart/kpi';
import {
  analyzeChart,
  type CapabilityResult,
  type ChartPoint,
  type ChartResult,
  type RuleName,
  resolveRules,
  SpcInputError,
  type SpecLimits,
} from '@shewhart/spc';
import { isOpenPeriod } from './periods.js';
import { evaluateRules, ruleApplicability } from './rule-validity.js';
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
  /** Period start of the stage's first Phase-II (monitored) point, when it has one. */
  phase2From?: string;
  /**
   * Rules that could not be applied to some of the stage's points because the count behind them is too
   * small for the rule's assumption (see rule-validity.ts), e.g. `{ WE4: 31 }`: 31 points took no part
   * in runs. Absent when every rule applied everywhere.
   */
  inapplicable?: Partial<Record<RuleName, number>>;
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
  /** 1 = sets the stage's limits, 2 = monitored against them, null = no limits yet (or open). */
  phase: 1 | 2 | null;
  provisional: boolean;
  /**
   * The period has not ended at the evaluation time (docs/methods.md §5.9 rule 7): its value is partial.
   * It is shown against its stage's limits but never sets them and is never evaluated by a rule.
   */
  open: boolean;
  /** Removed from its stage's baseline for a recorded assignable cause. */
  excluded: boolean;
  /**
   * Standard error of the plotted value in display units (zones at ±1σ, ±2σ), null when there are no
   * limits or when the chart is drawn back-transformed from logs (its zones are not linear).
   */
  sigma: number | null;
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
  /**
   * Only stored baselines, as they are (provisional ones too): `frozen` then holds the latest stored
   * version of each stage, and a stage without one has no limits. The read-only chart evaluates the
   * current points this way; refreshing (which computes and stores limits) does not.
   */
  storedOnly?: boolean;
  /**
   * The evaluation time and the series' grain: a period whose end (exclusive, UTC) is after `asOf` is
   * open (docs/methods.md §5.9 rule 7). Without them every period counts as closed.
   */
  asOf?: Date;
  grain?: Grain;
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
 * Phase-I limits per stage, evaluates every closed point with the rule set. Runs and windows reset at
 * stage boundaries because each stage is analysed on its own. Open periods are listed against their
 * stage's limits but take no part in the limits or the rules. Pure: no I/O.
 */
export function evaluateSeries(input: EvaluateInput): SeriesEvaluation {
  const mapping = chartMapping(input.kpi.chart, input.points);
  const rules = resolveRules(input.rules as Parameters<typeof resolveRules>[0]);
  const skipped = input.points.filter((p) => !plottable(mapping, p)).map((p) => p.periodStart);
  const points = input.points.filter((p) => plottable(mapping, p));
  const isOpen = (p: KpiPoint) =>
    input.asOf !== undefined &&
    input.grain !== undefined &&
    isOpenPeriod(p.periodStart, input.grain, input.asOf);
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
    // Open periods are the latest ones: the closed points are a prefix of the stage.
    const closed = inStage.filter((p) => !isOpen(p));
    const open = inStage.slice(closed.length);
    const to = inStage.at(-1)?.periodStart ?? null;
    const stored = input.frozen?.get(from);
    const usable =
      stored !== undefined &&
      (input.storedOnly === true || stored.status === 'firm') &&
      stored.chart === mapping.chart &&
      stored.transform === mapping.transform;
    const insufficient = (extra: Partial<StageEvaluation> = {}) => {
      stages.push({
        stage,
        from,
        to,
        status: 'insufficient',
        center: null,
        ucl: null,
        lcl: null,
        unexplainedSignals: [],
        ...extra,
      });
      for (const p of inStage) evaluated.push(bare(p, stage, isOpen(p)));
    };
    if (closed.length === 0 || (!usable && (input.storedOnly || closed.length < MIN_BASELINE))) {
      insufficient(
        input.storedOnly && closed.length >= MIN_BASELINE
          ? { note: 'no baseline is stored for this stage yet (the next baseline refresh stores one)' }
          : {},
      );
      return;
    }
    const spec =
      input.spec && stage === boundaries.length - 1 ? statisticSpec(input.spec, mapping) : undefined;
    let result: ChartResult;
    try {
      result = analyzeChart({
        chart: mapping.chart,
        ...chartData(mapping, closed),
        rules,
        ...(usable ? storedWindow(stored, closed) : phaseOne(closed, input.causes)),
        minBaseline: MIN_BASELINE,
        firmAt: FIRM_AT,
        ...(spec && mapping.chart === 'xmr' ? { spec } : {}),
      });
    } catch (error) {
      if (!(error instanceof SpcInputError)) throw error;
      // A degenerate baseline (no variation at all, e.g. no failure in any period) has no usable limits.
      insufficient({ center: plainCenter(mapping, closed), note: error.message });
      return;
    }
    const s = result.stages[0] as ChartResult['stages'][number];
    const status: StageStatus = usable
      ? stored.status
      : s.baseline.status === 'firm'
        ? 'firm'
        : 'provisional';
    // The rules again, each only where its assumption holds (rule-validity.ts): a run of zero counts
    // when zero is the likeliest count is no evidence of anything.
    const applicable = ruleApplicability(mapping.chart, chartData(mapping, closed), s.center);
    const fired = evaluateRules(
      result.points.map((cp) => cp.z),
      result.points.map((cp) => cp.value),
      rules,
      applicable,
    );
    const inWindow = (p: KpiPoint, cp: ChartPoint): 1 | 2 =>
      usable ? (p.periodStart <= stored.windowTo ? 1 : 2) : cp.phase;
    const stagePoints = result.points.map((cp, i) => {
      const p = closed[i] as KpiPoint;
      return shown(mapping, p, cp, stage, {
        rules: fired[i] ?? [],
        phase: inWindow(p, cp),
        open: false,
      });
    });
    // Open periods against the same limits, for display only: no rule looks at them.
    if (open.length > 0) {
      const display = analyzeChart({
        chart: mapping.chart,
        ...chartData(mapping, inStage),
        rules: ['WE1'],
        center: s.center,
        sigma: s.sigma,
      });
      open.forEach((p, k) => {
        const cp = display.points[closed.length + k] as ChartPoint;
        stagePoints.push(shown(mapping, p, cp, stage, { rules: [], phase: null, open: true }));
      });
    }
    evaluated.push(...stagePoints);
    const windowPoints = closed.slice(s.baseline.from - 1, s.baseline.to);
    const unexplained = stagePoints
      .filter((p) => p.phase === 1 && !p.open && !p.excluded && p.rules.length > 0)
      .filter((p) => !usable || !stored.excluded.includes(p.periodStart))
      .map((p) => p.periodStart);
    const skippedRules = Object.fromEntries(
      rules.map((r) => [r, applicable.filter((a) => !a.has(r)).length] as const).filter(([, n]) => n > 0),
    ) as Partial<Record<RuleName, number>>;
    const phase2 = stagePoints.find((p) => p.phase === 2);
    stages.push({
      stage,
      from,
      to,
      status,
      center: toDisplay(mapping, s.center),
      ucl: constant(stagePoints.map((p) => p.ucl as number)),
      lcl: constant(stagePoints.map((p) => p.lcl as number)),
      fit: usable
        ? {
            center: stored.center,
            sigma: stored.sigma,
            nPoints: stored.nPoints,
            windowFrom: stored.windowFrom,
            windowTo: stored.windowTo,
            excluded: stored.excluded,
          }
        : {
            center: s.center,
            sigma: s.sigma,
            nPoints: s.baseline.used,
            windowFrom: windowPoints[0]?.periodStart ?? from,
            windowTo: windowPoints.at(-1)?.periodStart ?? from,
            excluded: s.baseline.excluded.map((i) => closed[i - 1]?.periodStart ?? ''),
          },
      ...(usable ? { frozen: stored } : {}),
      unexplainedSignals: unexplained,
      ...(phase2 ? { phase2From: phase2.periodStart } : {}),
      ...(Object.keys(skippedRules).length > 0 ? { inapplicable: skippedRules } : {}),
    });
    // Capability is assessed on XmR charts only, where every rule applies everywhere, so the engine's
    // stability judgement is the one above.
    if (result.capability && spec) capability = { ...result.capability, stage };
  });
  addShiftEvidence(
    mapping,
    rules,
    stages,
    points.filter((p) => !isOpen(p)),
    evaluated,
  );
  return { mapping, rules, stages, points: evaluated, skipped, capability };
}

/** One evaluated point in display units. */
function shown(
  mapping: ChartMapping,
  p: KpiPoint,
  cp: ChartPoint,
  stage: number,
  what: { rules: RuleName[]; phase: 1 | 2 | null; open: boolean },
): EvaluatedPoint {
  return {
    periodStart: p.periodStart,
    value: p.value as number,
    center: toDisplay(mapping, cp.center),
    ucl: toDisplay(mapping, cp.ucl),
    lcl: toDisplay(mapping, cp.lcl),
    z: cp.z,
    rules: what.rules,
    stage,
    againstPrevious: [],
    phase: what.phase,
    provisional: p.provisional,
    open: what.open,
    excluded: cp.excluded,
    sigma: mapping.transform === 'ln' ? null : cp.sigma * mapping.scale,
  };
}

/** Evaluates each stage's closed points against the previous stage's limits (its frozen baseline). */
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
    const data = chartData(mapping, inStage);
    const result = analyzeChart({
      chart: mapping.chart,
      ...data,
      rules,
      center: prev.center,
      sigma: prev.sigma,
    });
    const fired = evaluateRules(
      result.points.map((cp) => cp.z),
      result.points.map((cp) => cp.value),
      rules,
      ruleApplicability(mapping.chart, data, prev.center),
    );
    const signals = result.points
      .map((cp, i) => ({
        periodStart: (inStage[i] as KpiPoint).periodStart,
        rules: fired[i] ?? [],
        z: cp.z,
        value: (inStage[i] as KpiPoint).value as number,
      }))
      .filter((x) => x.rules.length > 0);
    stage.evidence = { againstStage: k - 1, signals };
    const byPeriod = new Map(signals.map((x) => [x.periodStart, x.rules]));
    for (const e of evaluated) if (e.stage === k) e.againstPrevious = byPeriod.get(e.periodStart) ?? [];
  }
}

function bare(p: KpiPoint, stage: number, open: boolean): EvaluatedPoint {
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
    open,
    excluded: false,
    sigma: null,
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

/**
 * A stored baseline's parameters, and its Phase-I window among the stage's points: the stability
 * judgement (unexplained signals, capability) looks at the points that set the limits, not at the
 * monitored ones, and the points it excluded for a cause stay excluded.
 */
function storedWindow(
  stored: BaselineVersion,
  points: readonly KpiPoint[],
): { center: number; sigma: number; phase1: number; exclude: number[] } {
  const window = Math.max(1, points.filter((p) => p.periodStart <= stored.windowTo).length);
  const exclude: number[] = [];
  points.slice(0, window).forEach((p, i) => {
    if (stored.excluded.includes(p.periodStart)) exclude.push(i + 1);
  });
  return { center: stored.center, sigma: stored.sigma, phase1: window, exclude };
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
