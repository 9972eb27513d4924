import {
  type EntityStates,
  findKpi,
  type Grain,
  InvalidKpiQueryError,
  parseKpiQuery,
  UnknownKpiError,
} from '@shewhart/kpi';
import type { CapabilityResult, RuleName, SpecLimits } from '@shewhart/spc';
import type { EvaluatedPoint, StageEvaluation } from './evaluate.js';
import { type RefreshOptions, refreshSeries } from './refresh.js';
import type { SeriesKey } from './store.js';

/** `GET /v1/kpis/:id/chart` — a KPI series on its control chart, with stages, limits and signals. */
export interface ChartDocument {
  kpi: string;
  scope: { team: string | null; project: string | null };
  period: Grain;
  /** The SPC chart used, e.g. `p`, `u`, `c`, `xmr`, `xmr-ln` (limits computed on ln of the values). */
  chart: string;
  rules: RuleName[];
  stages: {
    from: string;
    to: string | null;
    center: number | null;
    ucl: number | null;
    lcl: number | null;
    status: 'insufficient' | 'provisional' | 'firm';
    baselineId: string | null;
    /** Why a stage with points has no limits (e.g. no variation at all). */
    note: string | null;
    /** Signals of this stage's data against the previous stage's limits (evidence of the shift). */
    evidence: NonNullable<StageEvaluation['evidence']> | null;
  }[];
  /** Every point with its limits, z, rules and stage (the Phase marker is internal). */
  points: Omit<EvaluatedPoint, 'phase'>[];
  /** Periods with a value that cannot be charted (null, empty denominator, ln of ≤ 0). */
  skipped: string[];
  capability: (CapabilityResult & { stage: number }) | null;
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

/**
 * Refreshes the requested series (so the chart is current and its signals are stored) and returns the
 * chart document; `from`/`to` only narrow the points shown — limits always come from the full history.
 */
export async function kpiChart(
  states: EntityStates,
  kpiId: string,
  request: ChartRequest,
  extras: { spec?: SpecLimits; objective?: unknown; rules?: readonly string[] } = {},
): Promise<ChartDocument> {
  const kpi = findKpi(kpiId);
  if (!kpi) throw new UnknownKpiError(`unknown KPI: ${kpiId}`);
  const q = parseKpiQuery(request as Record<string, unknown>, kpi);
  const key: SeriesKey = {
    kpi: kpi.id,
    team: q.team ?? '',
    project: q.project ?? '',
    dim: q.dimension ?? '',
    grain: q.period,
  };
  const options: RefreshOptions = { spec: extras.spec, rules: extras.rules, asOf: q.asOf };
  const refreshed = await refreshSeries(states, key, options);
  const ev = refreshed.evaluation;
  const inRange = (d: string) =>
    (!q.from || Date.parse(`${d}T00:00:00Z`) >= q.from.getTime()) &&
    (!q.to || Date.parse(`${d}T00:00:00Z`) <= q.to.getTime());
  return {
    kpi: kpi.id,
    scope: { team: q.team ?? null, project: q.project ?? null },
    period: q.period,
    chart: ev.mapping.transform === 'ln' ? `${ev.mapping.chart}-ln` : ev.mapping.chart,
    rules: ev.rules,
    stages: ev.stages.map((s) => ({
      from: s.from,
      to: s.to,
      center: s.center,
      ucl: s.ucl,
      lcl: s.lcl,
      status: s.status,
      baselineId: refreshed.baselineIds.get(s.from) ?? null,
      note: s.note ?? null,
      evidence: s.evidence ?? null,
    })),
    points: ev.points.filter((p) => inRange(p.periodStart)).map(({ phase: _phase, ...point }) => point),
    skipped: ev.skipped.filter(inRange),
    capability: ev.capability,
    objective: extras.objective ?? null,
  };
}

export { InvalidKpiQueryError, UnknownKpiError };
