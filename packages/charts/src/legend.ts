/** The legend: one entry per kind of mark the chart actually shows, each with its own swatch. */
import type { ChartModel } from './model.js';
import { COLOR, LINE, type LineStyle, lineAttrs, type MarkerKind, marker } from './style.js';
import { esc, px, textWidth } from './text.js';

export interface LegendEntry {
  label: string;
  /** The swatch drawn in a 28 × 12 box whose vertical centre is y. */
  swatch: (x: number, y: number) => string;
}

const line =
  (s: LineStyle) =>
  (x: number, y: number): string =>
    `<path d="M${px(x)},${px(y)}h28" ${lineAttrs(s)}/>`;
const point =
  (kind: MarkerKind) =>
  (x: number, y: number): string =>
    marker(kind, x + 14, y);

export function legendEntries(
  model: ChartModel,
  drawn: {
    zones: boolean;
    stages: number;
    limits: boolean;
    center: boolean;
    references: readonly string[];
    phase: boolean;
  },
): LegendEntry[] {
  const pts = model.points;
  const out: LegendEntry[] = [];
  if (pts.some((p) => p.value !== null)) {
    out.push({
      label: 'value',
      swatch: (x, y) =>
        `<path d="M${px(x)},${px(y)}h28" stroke="${COLOR.series}" stroke-width="1.3"/>${marker('point', x + 14, y)}`,
    });
  }
  if (pts.some((p) => p.open))
    out.push({ label: 'open period (unfinished, not evaluated)', swatch: point('open') });
  if (pts.some((p) => (p.rules?.length ?? 0) > 0))
    out.push({ label: 'signal (a rule fired)', swatch: point('signal') });
  if (pts.some((p) => (p.shift?.length ?? 0) > 0)) {
    out.push({ label: "signal against the previous stage's limits", swatch: point('shift') });
  }
  if (pts.some((p) => p.excluded))
    out.push({ label: 'excluded from baseline (recorded cause)', swatch: point('excluded') });
  if (drawn.center) out.push({ label: 'centre line', swatch: line(LINE.center) });
  if (drawn.limits) {
    const k = model.nsigmas !== undefined && Number.isFinite(model.nsigmas) ? +model.nsigmas.toFixed(3) : 3;
    out.push({ label: `control limits (±${k}σ)`, swatch: line(LINE.limit) });
  }
  if (drawn.zones) {
    out.push({
      label: 'zones C, B, A',
      swatch: (x, y) =>
        [COLOR.zone.C, COLOR.zone.B, COLOR.zone.A]
          .map(
            (fill, k) =>
              `<rect x="${px(x + k * 9.5)}" y="${px(y - 6)}" width="9" height="12" fill="${fill}" stroke="${COLOR.axis}" stroke-width="0.5"/>`,
          )
          .join(''),
    });
  }
  const refs = new Set(drawn.references);
  if (refs.has('objective low')) {
    out.push({
      label: 'objective band',
      swatch: (x, y) =>
        `<rect x="${px(x)}" y="${px(y - 6)}" width="28" height="12" fill="${COLOR.objective}" fill-opacity="0.08"/><path d="M${px(x)},${px(y - 6)}h28M${px(x)},${px(y + 6)}h28" ${lineAttrs(LINE.objective)}/>`,
    });
  } else if (refs.has('objective')) {
    out.push({ label: model.objective?.label ?? 'objective target', swatch: line(LINE.objective) });
  }
  if (refs.has('LSL') || refs.has('USL'))
    out.push({ label: 'specification limits (LSL, USL)', swatch: line(LINE.spec) });
  if (refs.has('spec target')) out.push({ label: 'specification target', swatch: line(LINE.specTarget) });
  if (drawn.stages > 1) {
    out.push({
      label: 'stage boundary (process change)',
      swatch: (x, y) => `<path d="M${px(x + 14)},${px(y - 7)}v14" ${lineAttrs(LINE.stage)}/>`,
    });
  }
  if (drawn.phase) {
    out.push({
      label: 'end of the baseline (Phase II after it)',
      swatch: (x, y) => `<path d="M${px(x + 14)},${px(y - 7)}v14" ${lineAttrs(LINE.phase)}/>`,
    });
  }
  return out;
}

/** Lays the entries out in rows no wider than maxWidth. */
export function renderLegend(
  entries: readonly LegendEntry[],
  x0: number,
  y0: number,
  maxWidth: number,
): { svg: string; bottom: number } {
  if (entries.length === 0) return { svg: '', bottom: y0 };
  const parts: string[] = [];
  let x = x0;
  let y = y0 + 8;
  for (const e of entries) {
    const w = 34 + textWidth(e.label, 11) + 18;
    if (x > x0 && x + w > x0 + maxWidth) {
      x = x0;
      y += 20;
    }
    parts.push(
      e.swatch(x, y),
      `<text x="${px(x + 34)}" y="${px(y + 4)}" fill="${COLOR.ink}">${esc(e.label)}</text>`,
    );
    x += w;
  }
  return { svg: `<g class="legend">${parts.join('')}</g>`, bottom: y + 10 };
}
