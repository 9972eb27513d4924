import {
  type Better,
  type EntityStates,
  findKpi,
  type Grain,
  InvalidKpiQueryError,
  type KpiDefinition,
  type KpiQueryParams,
  parseKpiQuery,
  UnknownKpiError,
} from '@shewhart/kpi';
import type { CapabilityResult, RuleName, SpecLimits } from '@shewhart/spc';
import { type EvaluatedPoint, evaluateSeries, type StageEvaluation } from './evaluate.js';
import { latestVersions, loadSeriesState, pendingOf, planRefresh, seriesPoints } from './refresh.js';
import type { SeriesKey } from './store.js';

/** One stored signal of the series, as the chart serves it. */
export interface ChartSignal {
  stageFrom: string;
  rule: string;
  periodStart: string;
  baselineId: string;
  value: number;
  z: number;
  /** When a refresh first stored it. */
  detectedAt: string;
}

/**
 * `GET /v1/kpis/:id/chart` — a KPI series on its control chart: the stored baselines (stages, limits,
 * status, version), the current points evaluated against them, and the stored signals. Reading it never
 * writes: baselines and signals are stored by the refresher and `POST /v1/baselines/refresh`. When the
 * stored state is behind the data, `stale` says so and `pending` counts what a refresh would store.
 */
export interface ChartDocument {
  kpi: string;
  /** The KPI's name and unit (the catalogue's), for the chart's title and y axis. */
  title: string;
  unit: string;
  /** Which way is better for the KPI: `lower`, `higher` or `band`. */
  better: Better;
  scope: { team: string | null; project: string | null };
  period: Grain;
  /** The evaluation time: periods ending after it are open. */
  asOf: string;
  /** The SPC chart used, e.g. `p`, `u`, `c`, `xmr`, `xmr-ln` (limits computed on ln of the values). */
  chart: string;
  rules: RuleName[];
  /** True when a refresh would store new baseline versions or signals for this series. */
  stale: boolean;
  /** What a refresh would store now. */
  pending: { baselines: number; signals: number };
  /** What the reader should know about the stored state (nothing stored yet, behind the data), or null. */
  note: string | null;
  stages: {
    from: string;
    to: string | null;
    center: number | null;
    ucl: number | null;
    lcl: number | null;
    status: 'insufficient' | 'provisional' | 'firm';
    /** The stored baseline version the limits come from (null: no baseline stored for the stage). */
    baselineId: string | null;
    version: number | null;
    /** Period start of the first Phase-II (monitored) point, when there is one. */
    phase2From: string | null;
    /** Rules left out at some points because their counts are too small for them (count of points). */
    inapplicable: Partial<Record<RuleName, number>> | null;
    /** Why a stage with points has no limits (e.g. no variation at all, or none stored yet). */
    note: string | null;
    /** Signals of this stage's data against the previous stage's limits (evidence of the shift). */
    evidence: NonNullable<StageEvaluation['evidence']> | null;
  }[];
  /**
   * Every point with its limits, z, rules and stage, evaluated against the stored limits (the Phase
   * marker is internal). An `open` point is a period not yet ended: partial, never evaluated.
   */
  points: Omit<EvaluatedPoint, 'phase'>[];
  /** Periods with a value that cannot be charted (null, empty denominator, ln of ≤ 0). */
  skipped: string[];
  /** The signals stored for the series in the range shown (own stage and shift evidence). */
  signals: ChartSignal[];
  capability: (CapabilityResult & { stage: number }) | null;
  /** The objective's line on the chart, in KPI units, when an objective applies to the series. */
  target: {
    objective: string | null;
    direction: 'lower' | 'higher' | 'range' | null;
    value: number | null;
    band: { low: number; high: number } | null;
  } | null;
  /** Specification limits (from the objective), in KPI units. */
  spec: SpecLimits | null;
  /** The objective document that applies, as configured. */
  objective: unknown;
}

export interface ChartRequest {
  period?: unknown;
  from?: unknown;
  to?: unknown;
  team?: unknown;
  project?: unknown;
  asOf?: unknown;
  [dimension: string]: unknown;
}

const NOTHING_STORED =
  'no baseline is stored for this series yet: limits and signals appear after the next baseline ' +
  'refresh (`shewhart baseline refresh`, or POST /v1/baselines/refresh)';
const BEHIND =
  'the stored baselines and signals are behind the data: the refresher stores the rest shortly ' +
  '(`shewhart baseline refresh`, or POST /v1/baselines/refresh, does it now)';

/**
 * The chart document of one series. Read-only: it reads the points and the stored baselines and
 * signals, evaluates the points against the stored limits for display, and compares with what a
 * refresh would store to say whether the stored state is behind. `from`/`to` only narrow what is shown.
 */
export async function kpiChart(
  states: EntityStates,
  kpiId: string,
  request: ChartRequest,
  extras: ChartExtras = {},
): Promise<ChartDocument> {
  const kpi = findKpi(kpiId);
  if (!kpi) throw new UnknownKpiError(`unknown KPI: ${kpiId}`);
  return kpiChartOf(states, kpi, parseKpiQuery(request as Record<string, unknown>, kpi), extras);
}

export interface ChartExtras {
  spec?: SpecLimits;
  objective?: unknown;
  rules?: readonly string[];
}

/** The chart document of a request already parsed (`parseKpiQuery`): a request is parsed once. */
export async function kpiChartOf(
  states: EntityStates,
  kpi: KpiDefinition,
  q: KpiQueryParams,
  extras: ChartExtras = {},
): Promise<ChartDocument> {
  const key: SeriesKey = {
    kpi: kpi.id,
    team: q.team ?? '',
    project: q.project ?? '',
    dim: q.dimension ?? '',
    grain: q.period,
  };
  const asOf = q.asOf ?? new Date();
  const points = await seriesPoints(states, kpi, key, asOf);
  const state = await loadSeriesState(states.client, key);
  const options = { rules: extras.rules, spec: extras.spec, asOf };
  const plan = planRefresh(kpi, points, key.grain, state, options);
  const pending = pendingOf(plan, state);
  const ev = evaluateSeries({
    kpi,
    points,
    stageStarts: [...state.changes, ...state.decisions.map((d) => d.effectiveFrom)],
    frozen: latestVersions(state.versions),
    storedOnly: true,
    rules: extras.rules ?? undefined,
    spec: extras.spec,
    causes: new Set(state.causes.map((c) => c.periodStart)),
    asOf,
    grain: key.grain,
  });
  const inRange = (d: string) =>
    (!q.from || Date.parse(`${d}T00:00:00Z`) >= q.from.getTime()) &&
    (!q.to || Date.parse(`${d}T00:00:00Z`) <= q.to.getTime());
  const stale = pending.baselines > 0 || pending.signals > 0;
  const line = objectiveLine(extras.objective);
  return {
    kpi: kpi.id,
    title: kpi.title,
    unit: kpi.unit,
    better: kpi.better,
    scope: { team: q.team ?? null, project: q.project ?? null },
    period: q.period,
    asOf: asOf.toISOString(),
    chart: ev.mapping.transform === 'ln' ? `${ev.mapping.chart}-ln` : ev.mapping.chart,
    rules: ev.rules,
    stale,
    pending,
    note: state.versions.length === 0 && pending.baselines > 0 ? NOTHING_STORED : stale ? BEHIND : null,
    stages: ev.stages.map((s) => {
      // A stage that cannot have limits (no variation at all) says why, stored or not.
      const fresh = plan.evaluation.stages.find((f) => f.from === s.from);
      const degenerate = !s.frozen && fresh?.status === 'insufficient' && fresh.note !== undefined;
      return {
        from: s.from,
        to: s.to,
        center: degenerate ? (fresh.center ?? null) : s.center,
        ucl: s.ucl,
        lcl: s.lcl,
        status: s.status,
        baselineId: s.frozen?.baselineId ?? null,
        version: s.frozen?.version ?? null,
        phase2From: s.phase2From ?? null,
        inapplicable: s.inapplicable ?? null,
        note: (degenerate ? fresh.note : s.note) ?? null,
        evidence: s.evidence ?? null,
      };
    }),
    points: ev.points.filter((p) => inRange(p.periodStart)).map(({ phase: _phase, ...point }) => point),
    skipped: ev.skipped.filter(inRange),
    signals: state.storedSignals
      .filter((s) => inRange(s.periodStart))
      .map((s) => ({
        stageFrom: s.stageFrom,
        rule: s.rule,
        periodStart: s.periodStart,
        baselineId: s.baselineId,
        value: s.value,
        z: s.z,
        detectedAt: s.detectedAt,
      })),
    capability: ev.capability,
    target: line,
    spec: specOf(extras.spec),
    objective: extras.objective ?? null,
  };
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The objective's target or band and direction, read from the objective document (any source). */
function objectiveLine(objective: unknown): ChartDocument['target'] {
  if (typeof objective !== 'object' || objective === null) return null;
  const o = objective as Record<string, unknown>;
  const band = o.band as Record<string, unknown> | undefined;
  const low = num(band?.low);
  const high = num(band?.high);
  const direction =
    o.direction === 'lower' || o.direction === 'higher' || o.direction === 'range' ? o.direction : null;
  const value = num(o.target);
  if (value === null && (low === null || high === null)) return null;
  return {
    objective: typeof o.id === 'string' ? o.id : null,
    direction,
    value,
    band: low !== null && high !== null ? { low, high } : null,
  };
}

function specOf(spec: SpecLimits | undefined): SpecLimits | null {
  if (!spec) return null;
  const out: SpecLimits = {};
  if (spec.lsl !== undefined) out.lsl = spec.lsl;
  if (spec.usl !== undefined) out.usl = spec.usl;
  if (spec.target !== undefined) out.target = spec.target;
  return Object.keys(out).length > 0 ? out : null;
}

export { InvalidKpiQueryError, UnknownKpiError };
