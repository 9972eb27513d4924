import { at, finite, type Stage } from './geometry.js';
import type { ChartModel, ChartPoint } from './model.js';
import { formatValue } from './text.js';

/** The chart in words, for screen readers (`<desc>`). */
export function describe(
  model: ChartModel,
  stages: readonly Stage[],
  unit: string,
  offChart: number,
): string {
  const pts = model.points;
  const values = pts.filter((p) => finite(p.value));
  if (values.length === 0)
    return `Control chart with no data${model.emptyMessage ? `: ${model.emptyMessage}` : ''}.`;
  const first = pts[0] as ChartPoint;
  const last = values.at(-1) as ChartPoint;
  const parts = [
    `Control chart of ${values.length} values from ${first.x} to ${(pts.at(-1) as ChartPoint).x}.`,
  ];
  parts.push(
    `Latest value ${formatValue(last.value as number)}${unit} (${last.x}${last.open ? ', open period' : ''}).`,
  );
  const signals = pts.filter((p) => (p.rules?.length ?? 0) > 0);
  parts.push(
    signals.length === 0
      ? 'No signals.'
      : `${signals.length} signal${signals.length > 1 ? 's' : ''}: ${signals
          .slice(0, 6)
          .map((p) => `${p.x} (${p.rules?.join(', ')})`)
          .join('; ')}${signals.length > 6 ? '; …' : ''}.`,
  );
  const open = pts.filter((p) => p.open).length;
  if (open > 0) parts.push(`${open} open period${open > 1 ? 's' : ''}, drawn hollow.`);
  if (stages.length > 1) parts.push(`${stages.length} stages, each with its own limits.`);
  const s = stages.at(-1);
  if (s) {
    const k = s.end - s.start - 1;
    const c = at(s.source.center, k);
    const u = at(s.source.ucl, k);
    const l = at(s.source.lcl, k);
    if (c !== null && u !== null && l !== null) {
      parts.push(`Latest centre line ${formatValue(c)}, limits ${formatValue(l)} to ${formatValue(u)}.`);
    }
  }
  const o = model.objective;
  if (o?.band) parts.push(`Objective band ${formatValue(o.band.low)} to ${formatValue(o.band.high)}.`);
  else if (o && finite(o.target)) parts.push(`Objective target ${formatValue(o.target)}.`);
  const sp = model.spec;
  const specs = [
    sp && finite(sp.lsl) ? `LSL ${formatValue(sp.lsl)}` : '',
    sp && finite(sp.usl) ? `USL ${formatValue(sp.usl)}` : '',
    sp && finite(sp.target) ? `target ${formatValue(sp.target)}` : '',
  ].filter(Boolean);
  if (specs.length > 0) parts.push(`Specification ${specs.join(', ')}.`);
  if (offChart > 0)
    parts.push(`${offChart} reference line${offChart > 1 ? 's lie' : ' lies'} outside the plotted range.`);
  if (model.rules) parts.push(`Signals: ${model.rules}.`);
  return parts.join(' ');
}
