import type { EntityStates, Grain, KpiPoint, KpiQueryParams, KpiSeries } from '@shewhart/kpi';
import { queryKpi, UnknownScopeError } from '@shewhart/kpi';
import { evaluateObjective, type PeriodEvaluation } from './evaluate.js';
import { type ReportRange, reportObjectives, seriesQuery } from './report.js';
import type { Objective } from './schema.js';

export interface ObjectiveReport {
  objective: Objective;
  baseline: number | null;
  baselineSource: 'objective' | 'first-period' | null;
  latest: PeriodEvaluation | null;
  periods: PeriodEvaluation[];
}

export function scopeOf(o: Objective): { team?: string; project?: string } {
  return o.scope === 'org'
    ? {}
    : { team: o.scope.team, ...(o.scope.project ? { project: o.scope.project } : {}) };
}

/** The objectives over their KPI series; `from`/`to` bound the periods listed. */
export class ObjectiveService {
  constructor(
    private readonly states: EntityStates,
    readonly objectives: readonly Objective[],
  ) {}

  report(range: ReportRange = {}): Promise<ObjectiveReport[]> {
    return reportObjectives(this.objectives, (o, r) => this.series(o, r), range);
  }

  async series(o: Objective, range: ReportRange = {}): Promise<KpiSeries> {
    try {
      return await queryKpi(this.states, o.kpi, seriesQuery(o, range));
    } catch (error) {
      // An objective set for a team that has sent nothing yet is not evaluable, not an error.
      if (error instanceof UnknownScopeError) return { kpi: o.kpi, period: o.period, points: [] };
      throw error;
    }
  }

  /** The objective that applies to a chart of this KPI, scope and period, if exactly one does. */
  find(query: { kpi: string; team?: string; project?: string; period: string }): Objective | undefined {
    const matches = this.objectives.filter((o) => {
      const s = scopeOf(o);
      return (
        o.kpi === query.kpi &&
        o.period === query.period &&
        s.team === query.team &&
        s.project === query.project
      );
    });
    return matches.length === 1 ? matches[0] : undefined;
  }

  /** `objective_attainment` for a parsed KPI query (`parseKpiQuery`): the API's and the CLI's entry. */
  attainmentFor(q: KpiQueryParams): Promise<KpiSeries> {
    const iso = (d: Date | undefined) => d?.toISOString().slice(0, 10);
    return this.attainment({
      period: q.period,
      team: q.team,
      project: q.project,
      from: iso(q.from),
      to: iso(q.to),
      asOf: q.asOf?.toISOString(),
    });
  }

  /**
   * `objective_attainment` (docs/kpis.md, docs/methods.md §2.1): objectives met / objectives evaluable in the
   * period × 100, over the objectives evaluated at this grain in the scope (org: all of them; a team:
   * the team's and its projects'; a project: that project's). Periods with no evaluable objective are
   * listed only when some objective has data there (value null when none was computable).
   */
  async attainment(query: {
    period: Grain;
    team?: string;
    project?: string;
    from?: string;
    to?: string;
    asOf?: string;
  }): Promise<KpiSeries> {
    const included = this.objectives.filter((o) => {
      if (o.period !== query.period) return false;
      const s = scopeOf(o);
      if (query.team && s.team !== query.team) return false;
      if (query.project && s.project !== query.project) return false;
      return true;
    });
    const byPeriod = new Map<string, { met: number; evaluable: number; provisional: boolean }>();
    for (const o of included) {
      const series = await this.series(o, { from: query.from, to: query.to, asOf: query.asOf });
      for (const p of evaluateObjective(o, series.points).periods) {
        const agg = byPeriod.get(p.periodStart) ?? { met: 0, evaluable: 0, provisional: false };
        if (p.status !== 'not_evaluable') agg.evaluable++;
        if (p.status === 'met') agg.met++;
        agg.provisional ||= p.provisional;
        byPeriod.set(p.periodStart, agg);
      }
    }
    const points: KpiPoint[] = [...byPeriod.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([periodStart, a]) => ({
        periodStart,
        value: a.evaluable === 0 ? null : (a.met / a.evaluable) * 100,
        numerator: a.met,
        denominator: a.evaluable,
        n: a.evaluable,
        provisional: a.provisional,
      }));
    return { kpi: 'objective_attainment', period: query.period, points };
  }
}

/** The catalogue entry of `objective_attainment`, served from the objectives rather than from SQL. */
export const OBJECTIVE_ATTAINMENT = {
  id: 'objective_attainment',
  title: 'Objective attainment',
  unit: '%',
  better: 'higher',
  chart: 'p',
  aggregation: 'ratio',
  formula: {
    ref: 'docs/methods.md §2.1',
    version: 1,
    text: 'objectives met / objectives evaluable (KPI computable) in the period × 100, over the objectives evaluated at that period in the scope',
  },
} as const;
