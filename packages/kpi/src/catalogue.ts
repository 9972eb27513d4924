import type { Grain } from './sql/common.js';
import { defectArrivals } from './sql/defects.sql.js';
import {
  changeFailureRate,
  deploymentFrequency,
  leadTimeForChanges,
  timeToRestore,
} from './sql/delivery.sql.js';

export type ChartKind = 'p' | 'np' | 'c' | 'u' | 'XmR' | 'XmR-ln';
export type Better = 'lower' | 'higher' | 'band';

/**
 * One KPI: its stable id (kpis.md), how to read it, and the SQL that computes it per period. The SQL
 * returns `period_start, numerator, denominator, n, value` for the bound scope and period parameters.
 * Adding a KPI is adding one entry here plus its SQL.
 */
export interface KpiDefinition {
  id: string;
  title: string;
  unit: string;
  better: Better;
  chart: ChartKind;
  /** domain.md section of the formula, and the version of our implementation of it (provenance). */
  formula: { ref: string; version: number; text: string };
  aggregation: 'ratio' | 'median' | 'mean' | 'count' | 'rate' | 'level';
  /**
   * A second series selector beside the scope, e.g. `unit` for defect_density (never mix size units in
   * one chart) or `phase` for phase_containment. The SQL reads it as the bound `{dim:String}`.
   */
  dimension?: KpiDimension;
  /**
   * SQL returning `period_start, numerator, denominator, n, value, provisional` per period for the bound
   * parameters `{team}`, `{project}` (Nullable(String)), `{now}` (DateTime64(3, 'UTC')) and `{dim}`.
   */
  sql(grain: Grain): string;
}

export interface KpiDimension {
  name: string;
  description: string;
  values: readonly string[];
  default: string;
}

const define = (d: KpiDefinition) => d;

export const KPIS = [
  define({
    id: 'change_failure_rate',
    title: 'Change failure rate',
    unit: '%',
    better: 'lower',
    chart: 'p',
    formula: {
      ref: 'domain.md §3.2',
      version: 1,
      text: 'production deployments that failed, were rolled back, were marked as a change failure or are named by an incident / production deployments except cancelled × 100',
    },
    aggregation: 'ratio',
    sql: changeFailureRate,
  }),
  define({
    id: 'deployment_frequency',
    title: 'Deployment frequency',
    unit: 'deployments per day',
    better: 'higher',
    chart: 'c',
    formula: {
      ref: 'domain.md §3.2',
      version: 1,
      text: 'successful production deployments / days in period',
    },
    aggregation: 'rate',
    sql: deploymentFrequency,
  }),
  define({
    id: 'lead_time_for_changes',
    title: 'Lead time for changes',
    unit: 'hours',
    better: 'lower',
    chart: 'XmR-ln',
    formula: {
      ref: 'domain.md §3.2',
      version: 1,
      text: 'median (R-7) of first commit → first successful production deployment per change; non-positive excluded',
    },
    aggregation: 'median',
    sql: leadTimeForChanges,
  }),
  define({
    id: 'time_to_restore',
    title: 'Time to restore service',
    unit: 'hours',
    better: 'lower',
    chart: 'XmR-ln',
    formula: {
      ref: 'domain.md §3.2',
      version: 1,
      text: 'median (R-7) of incident opened → resolved, for incidents resolved in the period',
    },
    aggregation: 'median',
    sql: timeToRestore,
  }),
  define({
    id: 'defect_arrivals',
    title: 'Defect arrivals',
    unit: 'count',
    better: 'lower',
    chart: 'c',
    formula: { ref: 'domain.md §3.1', version: 1, text: 'valid defects reported in the period' },
    aggregation: 'count',
    sql: defectArrivals,
  }),
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
  };
}
