import { CAPA_KPIS } from './catalogue/capa.js';
import { CUSTOMER_KPIS } from './catalogue/customer.js';
import { DEFECT_KPIS } from './catalogue/defects.js';
import type { KpiDefinition } from './catalogue/define.js';
import { DELIVERY_KPIS } from './catalogue/delivery.js';
import { REVIEW_KPIS } from './catalogue/reviews.js';

export type { Better, ChartKind, KpiDefinition, KpiDimension, KpiExtra } from './catalogue/define.js';

/**
 * The KPI catalogue (docs/kpis.md), one list per family under `catalogue/`. `objective_attainment` is defined
 * with the objectives, not here.
 */
export const KPIS = [
  ...DELIVERY_KPIS,
  ...DEFECT_KPIS,
  ...REVIEW_KPIS,
  ...CAPA_KPIS,
  ...CUSTOMER_KPIS,
] as const satisfies readonly KpiDefinition[];

export type KpiId = (typeof KPIS)[number]['id'];

const BY_ID = new Map<string, KpiDefinition>(KPIS.map((k) => [k.id, k]));

export function findKpi(id: string): KpiDefinition | undefined {
  return BY_ID.get(id);
}

/** The public description of a KPI (the catalogue served by `GET /v1/kpis`). */
export function describeKpi(k: KpiDefinition) {
  return {
    id: k.id,
    title: k.title,
    unit: k.unit,
    better: k.better,
    chart: k.chart,
    aggregation: k.aggregation,
    formula: k.formula,
    ...(k.dimension ? { dimension: k.dimension } : {}),
    ...(k.extras ? { extras: k.extras } : {}),
  };
}
