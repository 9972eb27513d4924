/**
 * `spc --plot`: maps a ChartResult onto the project's one chart renderer (@shewhart/charts). Exact
 * zones from each point's σ, per-point limits, stages, the end of each baseline, signals, excluded
 * points and the specification limits.
 */
import { type ChartModel, type ChartStage, renderChartSvg as render } from '@shewhart/charts';
import type { SpecLimits } from '../capability.js';
import type { ChartResult } from '../charts/engine.js';
import type { ChartType } from '../charts/types.js';
import { describeRules } from '../rule-words.js';

export interface SvgOptions {
  title?: string;
  subtitle?: string;
  /** The y-axis title; default: what the chart plots. */
  unit?: string;
  /** Specification limits to draw; default: those of the capability result. */
  spec?: SpecLimits;
  width?: number;
}

const NAMES: Record<ChartType, { name: string; plots: string }> = {
  xmr: { name: 'Individuals (XmR) chart', plots: 'value' },
  'xbar-r': { name: 'X̄ chart (X̄-R)', plots: 'subgroup mean' },
  'xbar-s': { name: 'X̄ chart (X̄-S)', plots: 'subgroup mean' },
  p: { name: 'p chart', plots: 'proportion nonconforming' },
  np: { name: 'np chart', plots: 'nonconforming items' },
  c: { name: 'c chart', plots: 'nonconformities' },
  u: { name: 'u chart', plots: 'nonconformities per unit' },
  'p-prime': { name: 'Laney p′ chart', plots: 'proportion nonconforming' },
  'u-prime': { name: 'Laney u′ chart', plots: 'nonconformities per unit' },
  ewma: { name: 'EWMA chart', plots: 'EWMA of the values' },
};

export function chartModelOf(result: ChartResult, options: SvgOptions = {}): ChartModel {
  const names = NAMES[result.chart];
  const stages: ChartStage[] = result.stages.map((s) => {
    const pts = result.points.slice(s.start - 1, s.end);
    return {
      start: s.start - 1,
      label: `stage ${s.stage} · ${s.baseline.status}`,
      center: pts.map((p) => p.center),
      ucl: pts.map((p) => p.ucl),
      lcl: pts.map((p) => p.lcl),
      sigma: pts.map((p) => p.sigma),
      ...(s.baseline.to < s.end ? { phase2Start: s.baseline.to } : {}),
    };
  });
  const cap = result.capability;
  const spec =
    options.spec ??
    (cap
      ? { lsl: cap.lsl ?? undefined, usl: cap.usl ?? undefined, target: cap.target ?? undefined }
      : undefined);
  const signals = result.points.filter((p) => p.rules.length > 0).length;
  return {
    title: options.title ?? names.name,
    subtitle:
      options.subtitle ??
      `${names.name}, ${result.points.length} points, ${result.stages.length} stage${result.stages.length > 1 ? 's' : ''}, σ by ${result.provenance.sigmaMethod}, ${signals} signal${signals === 1 ? '' : 's'}`,
    unit: options.unit ?? names.plots,
    xTitle: result.chart === 'xmr' || result.chart === 'ewma' ? 'observation' : 'subgroup',
    points: result.points.map((p) => ({
      x: String(p.index),
      value: p.value,
      rules: p.rules,
      excluded: p.excluded,
      note: `z = ${p.z.toFixed(2)}, zone ${p.zone}`,
    })),
    stages,
    ...(spec ? { spec } : {}),
    rules: describeRules(result.rules, result.nsigmas),
    ...(result.chart === 'p' || result.chart === 'p-prime'
      ? { bounds: { min: 0, max: 1 } }
      : ['np', 'c', 'u', 'u-prime'].includes(result.chart)
        ? { bounds: { min: 0 } }
        : {}),
    nsigmas: result.nsigmas,
  };
}

export function renderChartSvg(result: ChartResult, options: SvgOptions = {}): string {
  return render(chartModelOf(result, options), options.width !== undefined ? { width: options.width } : {});
}
