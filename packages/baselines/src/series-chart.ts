import type { ChartKind, KpiPoint } from '@shewhart/kpi';
import type { ChartSpec, ChartType } from '@shewhart/spc';

/**
 * How a KPI series is put on a control chart (docs/kpis.md "natural SPC chart", docs/methods.md §5.5, §5.10):
 * - `p`: counts = numerators, sizes = denominators; shown in percent.
 * - `u`: counts per exposure (numerator / denominator).
 * - `c`: a count per period; a count with an exposure (deployments per day of the period) is a u chart,
 *   because months and quarters differ in length.
 * - `XmR`: the period values; `XmR-ln`: ln of the period values (durations are right-skewed), limits
 *   back-transformed with exp() so the centre is the geometric mean. Non-positive values cannot be
 *   logged and are left off the chart (recorded as skipped).
 */
export interface ChartMapping {
  chart: ChartType;
  transform: 'none' | 'ln';
  /** Display factor from the chart's statistic to the KPI unit (100 for percentages). */
  scale: number;
}

export function chartMapping(kind: ChartKind, points: readonly KpiPoint[]): ChartMapping {
  switch (kind) {
    case 'p':
    case 'np':
      return { chart: 'p', transform: 'none', scale: 100 };
    case 'u':
      return { chart: 'u', transform: 'none', scale: 1 };
    case 'c':
      return points.some((p) => p.denominator !== null && p.denominator !== 1)
        ? { chart: 'u', transform: 'none', scale: 1 }
        : { chart: 'c', transform: 'none', scale: 1 };
    case 'XmR':
      return { chart: 'xmr', transform: 'none', scale: 1 };
    case 'XmR-ln':
      return { chart: 'xmr', transform: 'ln', scale: 1 };
  }
}

/** Whether a point can be plotted under the mapping (null values, empty denominators and ln(≤0) cannot). */
export function plottable(mapping: ChartMapping, p: KpiPoint): boolean {
  if (p.value === null) return false;
  if (mapping.chart === 'p' || mapping.chart === 'u') {
    return p.numerator !== null && p.denominator !== null && p.denominator > 0;
  }
  if (mapping.chart === 'c') return p.value >= 0 && Number.isInteger(p.value);
  if (mapping.transform === 'ln') return p.value > 0;
  return true;
}

/** The chart data of consecutive plottable points. */
export function chartData(
  mapping: ChartMapping,
  points: readonly KpiPoint[],
): Pick<ChartSpec, 'values' | 'counts' | 'sizes'> {
  if (mapping.chart === 'p' || mapping.chart === 'u') {
    return {
      counts: points.map((p) => p.numerator as number),
      sizes: points.map((p) => p.denominator as number),
    };
  }
  if (mapping.chart === 'c') return { counts: points.map((p) => p.value as number) };
  if (mapping.transform === 'ln') return { values: points.map((p) => Math.log(p.value as number)) };
  return { values: points.map((p) => p.value as number) };
}

/** Chart statistic → KPI unit. */
export function toDisplay(mapping: ChartMapping, statistic: number): number {
  return mapping.transform === 'ln' ? Math.exp(statistic) : statistic * mapping.scale;
}
