import { type ChartModel, type ChartStage, renderChartSvg } from '@shewhart/charts';
import { findKpi } from '@shewhart/kpi';
import { describeRules } from '@shewhart/spc';
import type { ChartDocument } from './chart-document.js';

/** The parts of an objective document (the objectives file's entry) that a chart draws. */
interface ObjectiveLines {
  id?: string;
  title?: string;
  target?: number;
  band?: { low: number; high: number };
  spec?: { lsl?: number; usl?: number; target?: number };
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Reads the objective attached to a chart document; it is typed `unknown` there (any objectives source). */
function objectiveLines(objective: unknown): ObjectiveLines | null {
  if (typeof objective !== 'object' || objective === null) return null;
  const o = objective as Record<string, unknown>;
  const band = o.band as Record<string, unknown> | undefined;
  const spec = o.spec as Record<string, unknown> | undefined;
  const low = num(band?.low);
  const high = num(band?.high);
  return {
    id: typeof o.id === 'string' ? o.id : undefined,
    title: typeof o.title === 'string' ? o.title : undefined,
    target: num(o.target),
    band: low !== undefined && high !== undefined ? { low, high } : undefined,
    spec:
      spec && typeof spec === 'object'
        ? { lsl: num(spec.lsl), usl: num(spec.usl), target: num(spec.target) }
        : undefined,
  };
}

const STATUS: Record<ChartDocument['stages'][number]['status'], string> = {
  firm: 'firm limits',
  provisional: 'provisional limits',
  insufficient: 'no limits yet',
};

/**
 * A KPI control chart document as the project's chart model: the KPI's title and unit from the
 * catalogue, its id and scope in the subtitle, per-point limits per stage, open periods, signals,
 * shift evidence, the objective's target or band and the specification limits.
 */
export function kpiChartModel(doc: ChartDocument, options: { title?: string } = {}): ChartModel {
  const def = findKpi(doc.kpi);
  const scope = doc.scope.team
    ? `team ${doc.scope.team}${doc.scope.project ? `, project ${doc.scope.project}` : ''}`
    : 'organisation';
  const objective = objectiveLines(doc.objective);
  const pts = doc.points;
  const stages: ChartStage[] = [];
  doc.stages.forEach((s, k) => {
    const start = pts.findIndex((p) => p.stage === k);
    if (start < 0) return;
    let end = start;
    while (end < pts.length && pts[end]?.stage === k) end++;
    const inStage = pts.slice(start, end);
    stages.push({
      start,
      label: `stage ${k + 1} · ${STATUS[s.status]}`,
      center: inStage.map((p) => p.center),
      ucl: inStage.map((p) => p.ucl),
      lcl: inStage.map((p) => p.lcl),
    });
  });
  const spec = objective?.spec;
  return {
    title: options.title ?? def?.title ?? doc.kpi,
    subtitle: `${doc.kpi} · ${scope} · per ${doc.period} · ${doc.chart} chart${objective?.id ? ` · objective ${objective.id}` : ''}`,
    ...(def?.unit ? { unit: def.unit } : {}),
    xTitle: doc.period === 'day' ? 'day' : `${doc.period} starting`,
    points: pts.map((p) => ({
      x: p.periodStart,
      value: p.value,
      open: (p as { open?: boolean }).open === true,
      rules: p.rules,
      shift: p.againstPrevious,
      ...(p.provisional ? { note: 'provisional: its measurement window is still open' } : {}),
    })),
    stages,
    ...(objective && (objective.band || objective.target !== undefined)
      ? {
          objective: {
            ...(objective.band ? { band: objective.band } : { target: objective.target }),
            label: objective.band ? 'objective band' : 'objective target',
          },
        }
      : {}),
    ...(spec && (spec.lsl !== undefined || spec.usl !== undefined || spec.target !== undefined)
      ? { spec }
      : {}),
    rules: describeRules(doc.rules),
    zones: doc.chart.endsWith('-ln') ? 'geometric' : 'linear',
    // A p chart's KPI is a percentage (series-chart.ts); counts and rates cannot go below zero.
    ...(doc.chart === 'p'
      ? { bounds: { min: 0, max: 100 } }
      : doc.chart === 'c' || doc.chart === 'u'
        ? { bounds: { min: 0 } }
        : {}),
    emptyMessage: 'no data in this range',
  };
}

/** A KPI control chart as a self-contained SVG (`kpi chart --plot`, the chart route's SVG form). */
export function renderKpiChartSvg(
  doc: ChartDocument,
  options: { title?: string; width?: number } = {},
): string {
  return renderChartSvg(
    kpiChartModel(doc, options),
    options.width !== undefined ? { width: options.width } : {},
  );
}
