import type { KpiSeries } from '@shewhart/kpi';
import { evaluateObjective } from './evaluate.js';
import type { Objective } from './schema.js';
import type { ObjectiveReport } from './service.js';

/** The periods a report covers: `from`/`to` bound the period starts listed; `asOf` is "now". */
export interface ReportRange {
  from?: string;
  to?: string;
  asOf?: string;
}

/** Where an objective's KPI series comes from: the warehouse in process, or a server's HTTP API. */
export type SeriesOf = (objective: Objective, range: ReportRange) => Promise<KpiSeries>;

/**
 * The query of an objective's KPI series, in the parameters of `GET /v1/kpis/:id` and `queryKpi`: its
 * period, scope, size unit or phase, and the range. One definition, so that an objectives file evaluated
 * against a running server (`shewhart objectives --config FILE`) reads exactly the series the server's
 * own objectives would.
 */
export function seriesQuery(o: Objective, range: ReportRange = {}): Record<string, string> {
  const q: Record<string, string> = { period: o.period };
  if (o.scope !== 'org') {
    q.team = o.scope.team;
    if (o.scope.project) q.project = o.scope.project;
  }
  if (o.unit) q.unit = o.unit;
  if (o.phase) q.phase = o.phase;
  if (range.from) q.from = range.from;
  if (range.to) q.to = range.to;
  if (range.asOf) q.asOf = range.asOf;
  return q;
}

/** Evaluates each objective over its KPI series, in file order. */
export async function reportObjectives(
  objectives: readonly Objective[],
  seriesOf: SeriesOf,
  range: ReportRange = {},
): Promise<ObjectiveReport[]> {
  const out: ObjectiveReport[] = [];
  for (const o of objectives) {
    const series = await seriesOf(o, range);
    const ev = evaluateObjective(o, series.points);
    out.push({ objective: o, ...ev, latest: ev.periods.at(-1) ?? null });
  }
  return out;
}
