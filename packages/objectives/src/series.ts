import {
  describeKpi,
  type EntityStates,
  findKpi,
  KPIS,
  type KpiSeries,
  parseKpiQuery,
  queryKpi,
  UnknownKpiError,
} from '@shewhart/kpi';
import { OBJECTIVE_ATTAINMENT, type ObjectiveService } from './service.js';

/**
 * The whole KPI catalogue: the SQL KPIs and `objective_attainment`, which is computed from the objectives.
 * The one list the API (`GET /v1/kpis`) and the CLI (`kpi list`) show.
 */
export function kpiCatalogue() {
  return [...KPIS.map(describeKpi), OBJECTIVE_ATTAINMENT];
}

/** Whether `id` names a KPI of the catalogue (SQL or derived). */
export function isKnownKpi(id: string): boolean {
  return id === OBJECTIVE_ATTAINMENT.id || findKpi(id) !== undefined;
}

/**
 * One series of any catalogue KPI — the one place that knows `objective_attainment` is not SQL. Without
 * objectives configured its series is empty.
 */
export async function querySeries(
  states: EntityStates,
  objectives: ObjectiveService | undefined,
  id: string,
  input: Record<string, unknown>,
): Promise<KpiSeries> {
  if (id === OBJECTIVE_ATTAINMENT.id) {
    const q = parseKpiQuery(input);
    if (!objectives) return { kpi: id, period: q.period, points: [] };
    return objectives.attainmentFor(q);
  }
  if (!findKpi(id)) throw new UnknownKpiError(`unknown KPI: ${id} (GET /v1/kpis lists the catalogue)`);
  return queryKpi(states, id, input);
}
