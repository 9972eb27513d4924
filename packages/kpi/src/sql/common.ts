/**
 * SQL building blocks shared by the KPI queries. Nothing here interpolates user input: grains come from a
 * closed enum and every user value (team, project, from, to) is a bound `{name:Type}` parameter.
 */
/** The reporting periods, finest first: the one list every schema, query and document derives from. */
export const GRAINS = ['day', 'week', 'month', 'quarter'] as const;
export type Grain = (typeof GRAINS)[number];

/** Period start of a UTC timestamp column; weeks are ISO weeks starting on Monday. */
export function periodStart(grain: Grain, column: string): string {
  switch (grain) {
    case 'day':
      return `toDate(${column}, 'UTC')`;
    case 'week':
      return `toStartOfWeek(${column}, 1, 'UTC')`;
    case 'month':
      return `toStartOfMonth(${column}, 'UTC')`;
    case 'quarter':
      return `toStartOfQuarter(${column}, 'UTC')`;
  }
}

/** Length of the period that starts at `column` (a Date), in days. */
export function periodDays(grain: Grain, column: string): string {
  const unit = { day: 'DAY', week: 'WEEK', month: 'MONTH', quarter: 'QUARTER' }[grain];
  return `dateDiff('day', ${column}, ${column} + INTERVAL 1 ${unit})`;
}

/** Scope filter over folded entities that carry `team` and `project` (optionally of a table alias). */
export function scopeFilter(alias = ''): string {
  const a = alias ? `${alias}.` : '';
  return `({team:Nullable(String)} IS NULL OR ${a}team = {team:Nullable(String)})
  AND ({project:Nullable(String)} IS NULL OR ${a}project = {project:Nullable(String)})`;
}

/** Scope filter over folded entities that carry `team` and `project`. */
export const SCOPE_FILTER = scopeFilter();

/** Period bounds: a period is listed when its start lies in [from, to]. */
export const PERIOD_BOUNDS = `({from:Nullable(DateTime64(3, 'UTC'))} IS NULL OR toDateTime64(period_start, 3, 'UTC') >= {from:Nullable(DateTime64(3, 'UTC'))})
  AND ({to:Nullable(DateTime64(3, 'UTC'))} IS NULL OR toDateTime64(period_start, 3, 'UTC') <= {to:Nullable(DateTime64(3, 'UTC'))})`;

/** `JSONExtractString(data, 'field')`. Field names are constants of the event contract. */
export const str = (field: string) => `JSONExtractString(data, '${field}')`;

/** Hours between two DateTime64 columns, at millisecond resolution. */
export const hoursBetween = (from: string, to: string) =>
  `dateDiff('millisecond', ${from}, ${to}) / 3600000.0`;

/** Σ expr over rows matching cond as Float64; 0 (never NULL) when no row matches or all are NULL. */
export const sumOf = (expr: string, cond = 'true') => `toFloat64(ifNull(sumIf(${expr}, ${cond}), 0))`;

/** The R-7 median of `expr` as `value` and its 85th percentile as `p85`, from one pass over the values. */
export const medianWithP85 = (expr: string) =>
  `quantilesExactInclusive(0.5, 0.85)(${expr}) AS quantiles, quantiles[1] AS value, quantiles[2] AS p85`;
