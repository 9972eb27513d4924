import type { Grain } from '../sql/common.js';

export type ChartKind = 'p' | 'np' | 'c' | 'u' | 'XmR' | 'XmR-ln';
export type Better = 'lower' | 'higher' | 'band';

/** Extra per-period statistics a KPI returns beside its value (e.g. the P85 of a median KPI). */
export type KpiExtra = 'p85';

/**
 * One KPI: its stable id (docs/kpis.md), how to read it, and the SQL that computes it per period. The SQL
 * returns `period_start, numerator, denominator, n, value` for the bound scope and period parameters.
 * Adding a KPI is adding one entry to its family's list plus its SQL.
 */
export interface KpiDefinition {
  id: string;
  title: string;
  unit: string;
  better: Better;
  chart: ChartKind;
  /** docs/methods.md section of the formula, and the version of our implementation of it (provenance). */
  formula: { ref: string; version: number; text: string };
  aggregation: 'ratio' | 'median' | 'mean' | 'count' | 'rate' | 'level';
  /**
   * A second series selector beside the scope, e.g. `unit` for defect_density (never mix size units in
   * one chart) or `phase` for phase_containment. The SQL reads it as the bound `{dim:String}`.
   */
  dimension?: KpiDimension;
  /** Columns the SQL returns beside the six, copied into each point (e.g. `p85`). */
  extras?: readonly KpiExtra[];
  /**
   * SQL returning `period_start, numerator, denominator, n, value, provisional` per period for the bound
   * parameters `{team}`, `{project}` (Nullable(String)), `{now}` (DateTime64(3, 'UTC')) and `{dim}`.
   */
  sql(grain: Grain): string;
  /**
   * The series of every team at once: `scope_team` and then the columns of `sql`, over all teams. Only
   * where `sql` does not end in the `GROUP BY period_start` that `byTeamSql` (team-fanout.ts) fans out itself.
   */
  byTeamSql?(grain: Grain): string;
}

export interface KpiDimension {
  name: string;
  description: string;
  values: readonly string[];
  default: string;
}

export const define = <const D extends KpiDefinition>(d: D): D => d;

/** One series per size unit of a release (`sizeUnit`); never mix units in one chart (docs/methods.md §3.1). */
export const RELEASE_SIZE_UNIT: KpiDimension = {
  name: 'unit',
  description: 'the release size unit (sizeUnit); one series per unit',
  values: ['kloc', 'function_points', 'story_points'],
  default: 'kloc',
};

/** One series per review size unit (`sizeUnit` of review.completed). */
export const REVIEW_SIZE_UNIT: KpiDimension = {
  name: 'unit',
  description: 'the review size unit (sizeUnit of review.completed); one series per unit',
  values: ['loc', 'pages', 'requirements'],
  default: 'loc',
};

/** The introduced phase of phase containment (docs/methods.md §3.1). */
export const PHASE: KpiDimension = {
  name: 'phase',
  description: 'the phase the defects were introduced in',
  values: ['requirements', 'design', 'code', 'test'],
  default: 'code',
};
