/**
 * Renders a ChartModel as one self-contained SVG string: no scripts, no external fonts or images, so a
 * page can inline several charts and a file opens offline. Every coordinate comes from a finite number
 * (non-finite inputs are dropped), so the output never contains NaN.
 */
import { describe } from './describe.js';
import { at, finite, type Stage, zoneBounds } from './geometry.js';
import { legendEntries, renderLegend } from './legend.js';
import type { ChartModel, ChartPoint, Limit, RenderOptions } from './model.js';
import { COLOR, FONT, LINE, type LineStyle, lineAttrs, type MarkerKind, marker } from './style.js';
import { esc, formatValue, hashId, niceAxis, px, textWidth, wrap } from './text.js';

/** A horizontal reference line across the plot: objective or specification. */
interface Reference {
  value: number;
  label: string;
  style: LineStyle;
}

function references(model: ChartModel): Reference[] {
  const out: Reference[] = [];
  const o = model.objective;
  if (o?.band && finite(o.band.low) && finite(o.band.high)) {
    out.push({ value: o.band.low, label: 'objective low', style: LINE.objective });
    out.push({ value: o.band.high, label: 'objective high', style: LINE.objective });
  } else if (o && finite(o.target)) {
    out.push({ value: o.target, label: 'objective', style: LINE.objective });
  }
  const s = model.spec;
  if (s && finite(s.lsl)) out.push({ value: s.lsl, label: 'LSL', style: LINE.spec });
  if (s && finite(s.usl)) out.push({ value: s.usl, label: 'USL', style: LINE.spec });
  if (s && finite(s.target)) out.push({ value: s.target, label: 'spec target', style: LINE.specTarget });
  return out;
}

function pointKind(p: ChartPoint): MarkerKind {
  const signal = (p.rules?.length ?? 0) > 0;
  if (signal) return p.open ? 'open-signal' : 'signal';
  if (p.open) return 'open';
  if (p.excluded) return 'excluded';
  return 'point';
}

export function renderChartSvg(model: ChartModel, options: RenderOptions = {}): string {
  const width = Math.max(320, options.width ?? 960);
  const plotH = Math.max(120, options.plotHeight ?? 300);
  const id = (options.idPrefix ?? `chart-${hashId(`${model.title}\u0000${model.subtitle ?? ''}`)}`).replace(
    /[^A-Za-z0-9_-]/g,
    '-',
  );
  const unit = model.unit ? ` ${model.unit}` : '';
  const pts = model.points;
  const n = pts.length;
  const stages: Stage[] = [...(model.stages ?? [])]
    .filter((s) => Number.isInteger(s.start) && s.start >= 0 && s.start < n)
    .sort((a, b) => a.start - b.start)
    .map((source, k, all) => ({ source, start: source.start, end: all[k + 1]?.start ?? n }))
    .filter((s) => s.end > s.start);
  const zoneMode = model.zones ?? 'linear';

  // The y domain: values and limits always; a reference line only when it does not squash the data.
  const base: number[] = [];
  for (const p of pts) if (finite(p.value)) base.push(p.value);
  for (const s of stages) {
    for (let k = 0; k < s.end - s.start; k++) {
      for (const l of [s.source.center, s.source.ucl, s.source.lcl]) {
        const v = at(l, k);
        if (v !== null) base.push(v);
      }
    }
  }
  const refs = references(model);
  let lo = base.length > 0 ? Math.min(...base) : Number.POSITIVE_INFINITY;
  let hi = base.length > 0 ? Math.max(...base) : Number.NEGATIVE_INFINITY;
  const span0 = base.length > 0 ? hi - lo || Math.abs(hi) * 0.2 || 1 : 0;
  const shown: Reference[] = [];
  const offChart: (Reference & { side: 'above' | 'below' })[] = [];
  for (const r of refs) {
    if (base.length === 0 || (r.value >= lo - span0 && r.value <= hi + span0)) shown.push(r);
    else offChart.push({ ...r, side: r.value > hi ? 'above' : 'below' });
  }
  for (const r of shown) {
    lo = Math.min(lo, r.value);
    hi = Math.max(hi, r.value);
  }
  if (!(lo <= hi)) {
    lo = 0;
    hi = 1;
  }
  // Keep the arithmetic below finite for values near ±Number.MAX_VALUE.
  lo = Math.min(1e306, Math.max(lo, -1e306));
  hi = Math.min(1e306, Math.max(hi, -1e306));
  const nonNegative = lo >= 0;
  // A span too small to divide by (equal values, subnormal numbers) widens around its middle.
  const floor = Math.max(1e-300, Math.abs(hi) * 1e-9, Math.abs(lo) * 1e-9);
  if (!(hi - lo >= floor)) {
    const mid = (lo + hi) / 2;
    const half = mid === 0 ? 1 : Math.max(floor, Math.abs(mid) * 0.1);
    lo = (lo + hi) / 2 - half;
    hi = lo + 2 * half;
  }
  const span = hi - lo;
  lo -= span * 0.06;
  hi += span * 0.06;
  if (nonNegative && lo < 0) lo = 0;
  const bmin = model.bounds?.min;
  const bmax = model.bounds?.max;
  if (finite(bmin) && lo < bmin && bmin < hi) lo = bmin;
  if (finite(bmax) && hi > bmax && bmax > lo) hi = bmax;
  let axis = niceAxis(lo, hi, 5);
  // A nice step can overshoot the bounds (96 % rounds up to 125 %): try 4 and 6 steps instead.
  for (const count of [4, 6]) {
    if ((finite(bmax) && axis.hi > bmax) || (finite(bmin) && axis.lo < bmin)) {
      const other = niceAxis(lo, hi, count);
      if (!(finite(bmax) && other.hi > bmax) && !(finite(bmin) && other.lo < bmin)) axis = other;
    }
  }
  const tickText = axis.ticks.map((t) => t.toFixed(axis.decimals));

  // Labels at the right end: the last stage's limits and every reference line.
  const lastStage = stages.at(-1);
  const rightLabels: { value: number; text: string; color: string }[] = [];
  if (lastStage) {
    const k = lastStage.end - lastStage.start - 1;
    const u = at(lastStage.source.ucl, k);
    const c = at(lastStage.source.center, k);
    const l = at(lastStage.source.lcl, k);
    if (u !== null) rightLabels.push({ value: u, text: `UCL ${formatValue(u)}`, color: COLOR.limit });
    if (c !== null) rightLabels.push({ value: c, text: `CL ${formatValue(c)}`, color: COLOR.center });
    if (l !== null) rightLabels.push({ value: l, text: `LCL ${formatValue(l)}`, color: COLOR.limit });
  }
  for (const r of shown)
    rightLabels.push({ value: r.value, text: `${r.label} ${formatValue(r.value)}`, color: r.style.color });

  // Layout.
  const top = model.subtitle ? 78 : 58;
  const left = Math.min(width / 4, Math.max(52, Math.max(0, ...tickText.map((t) => textWidth(t, 11))) + 34));
  const right = Math.min(
    width / 4,
    Math.max(16, Math.max(0, ...rightLabels.map((l) => textWidth(l.text, 11))) + 14),
  );
  const plotW = width - left - right;
  const bottom = top + plotH;
  const step = plotW / Math.max(1, n);
  const xEdge = (i: number) => left + step * i;
  const x = (i: number) => xEdge(i) + step / 2;
  const y = (v: number) => {
    const t = bottom - ((v - axis.lo) / (axis.hi - axis.lo)) * plotH;
    return Math.min(bottom, Math.max(top, t));
  };

  const body: string[] = [];
  body.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  body.push(
    `<text x="${left}" y="26" font-size="16" font-weight="bold" fill="${COLOR.ink}">${esc(model.title)}</text>`,
  );
  if (model.subtitle) {
    body.push(`<text x="${left}" y="46" font-size="12" fill="${COLOR.muted}">${esc(model.subtitle)}</text>`);
  }

  // Zones, per stage, one rectangle per run of points with equal boundaries.
  const zoneFill = [COLOR.zone.A, COLOR.zone.B, COLOR.zone.C, COLOR.zone.C, COLOR.zone.B, COLOR.zone.A];
  let zonesDrawn = false;
  if (zoneMode !== 'none') {
    const rects: string[] = [];
    for (const s of stages) {
      let runStart = s.start;
      let runBounds: number[] | null = null;
      const flush = (endIdx: number) => {
        if (!runBounds) return;
        for (let b = 0; b < 6; b++) {
          const y0 = y(runBounds[b + 1] as number);
          const y1 = y(runBounds[b] as number);
          if (y1 - y0 > 0.05) {
            rects.push(
              `<rect x="${px(xEdge(runStart))}" y="${px(y0)}" width="${px(xEdge(endIdx) - xEdge(runStart))}" height="${px(y1 - y0)}" fill="${zoneFill[b]}"/>`,
            );
          }
        }
        zonesDrawn = true;
      };
      for (let i = s.start; i <= s.end; i++) {
        const k = i - s.start;
        const b =
          i < s.end
            ? zoneBounds(
                at(s.source.center, k),
                at(s.source.ucl, k),
                at(s.source.lcl, k),
                at(s.source.sigma, k),
                zoneMode,
              )
            : null;
        const same = b !== null && runBounds !== null && b.every((v, j) => v === runBounds?.[j]);
        if (!same) {
          flush(i);
          runStart = i;
          runBounds = b;
        }
      }
    }
    body.push(`<g class="zones">${rects.join('')}</g>`);
  }

  // Grid and y axis.
  const grid: string[] = [];
  axis.ticks.forEach((t, k) => {
    const ty = px(y(t));
    grid.push(
      `<line x1="${left}" x2="${px(left + plotW)}" y1="${ty}" y2="${ty}" stroke="${COLOR.grid}" stroke-width="1"/>`,
    );
    grid.push(`<line x1="${left - 4}" x2="${left}" y1="${ty}" y2="${ty}" stroke="${COLOR.axis}"/>`);
    grid.push(
      `<text x="${left - 7}" y="${px(y(t) + 4)}" text-anchor="end" fill="${COLOR.muted}">${tickText[k]}</text>`,
    );
  });
  body.push(`<g class="y-axis">${grid.join('')}</g>`);
  if (model.unit) {
    const cy = px(top + plotH / 2);
    body.push(
      `<text class="y-title" x="14" y="${cy}" transform="rotate(-90 14 ${cy})" text-anchor="middle" fill="${COLOR.ink}">${esc(model.unit)}</text>`,
    );
  }

  // Objective band, behind the lines.
  const band = model.objective?.band;
  if (band && finite(band.low) && finite(band.high) && shown.some((r) => r.label === 'objective low')) {
    const y0 = y(Math.max(band.low, band.high));
    const y1 = y(Math.min(band.low, band.high));
    body.push(
      `<rect class="objective-band" x="${left}" y="${px(y0)}" width="${px(plotW)}" height="${px(Math.max(0, y1 - y0))}" fill="${COLOR.objective}" fill-opacity="0.08"/>`,
    );
  }

  // Centre line and control limits: step lines per stage.
  const stepPath = (s: Stage, limit: Limit): string => {
    let d = '';
    let prev: number | null = null;
    for (let i = s.start; i < s.end; i++) {
      const v = at(limit, i - s.start);
      if (v === null) {
        prev = null;
        continue;
      }
      const vy = px(y(v));
      d += prev === null ? `M${px(xEdge(i))},${vy}` : `V${vy}`;
      d += `H${px(xEdge(i + 1))}`;
      prev = v;
    }
    return d;
  };
  const lines: string[] = [];
  for (const s of stages) {
    const c = stepPath(s, s.source.center);
    const u = stepPath(s, s.source.ucl);
    const l = stepPath(s, s.source.lcl);
    if (u) lines.push(`<path class="ucl" d="${u}" ${lineAttrs(LINE.limit)}/>`);
    if (l) lines.push(`<path class="lcl" d="${l}" ${lineAttrs(LINE.limit)}/>`);
    if (c) lines.push(`<path class="center" d="${c}" ${lineAttrs(LINE.center)}/>`);
  }
  for (const r of shown) {
    const ry = px(y(r.value));
    const cls = r.label.startsWith('objective')
      ? 'objective'
      : r.label === 'spec target'
        ? 'spec-target'
        : 'spec';
    lines.push(`<path class="${cls}" d="M${left},${ry}H${px(left + plotW)}" ${lineAttrs(r.style)}/>`);
  }
  body.push(`<g class="lines">${lines.join('')}</g>`);

  // Stage and phase boundaries, with the stage labels above the plot.
  const marks: string[] = [];
  stages.forEach((s, k) => {
    const sx = xEdge(s.start);
    if (k > 0)
      marks.push(
        `<path class="stage-boundary" d="M${px(sx)},${top - 14}V${bottom}" ${lineAttrs(LINE.stage)}/>`,
      );
    const p2 = s.source.phase2Start;
    if (p2 !== undefined && Number.isInteger(p2) && p2 > s.start && p2 < s.end) {
      marks.push(
        `<path class="phase-boundary" d="M${px(xEdge(p2))},${top}V${bottom}" ${lineAttrs(LINE.phase)}/>`,
      );
      if (xEdge(s.end) - xEdge(p2) > 60) {
        marks.push(
          `<text x="${px(xEdge(p2) + 4)}" y="${bottom - 6}" font-size="10" fill="${COLOR.muted}">Phase II</text>`,
        );
      }
    }
    const room = xEdge(s.end) - sx - 8;
    const options = [s.source.label, `stage ${k + 1}`, `${k + 1}`].filter((t): t is string => !!t);
    const text = options.find((t) => textWidth(t, 11) <= room);
    if (text && (stages.length > 1 || s.source.label)) {
      marks.push(
        `<text class="stage-label" x="${px(sx + 4)}" y="${top - 5}" fill="${COLOR.stage}">${esc(text)}</text>`,
      );
    }
  });
  body.push(`<g class="boundaries">${marks.join('')}</g>`);

  // Axes frame and the x labels (thinned so they never overlap).
  body.push(
    `<path class="axes" d="M${left},${top}V${bottom}H${px(left + plotW)}" stroke="${COLOR.axis}" stroke-width="1" fill="none"/>`,
  );
  if (n > 0) {
    const labelW = Math.max(...pts.map((p) => textWidth(p.x, 11))) + 12;
    const every = Math.max(1, Math.ceil(labelW / step));
    const xl: string[] = [];
    for (let i = 0; i < n; i += every) {
      xl.push(
        `<line x1="${px(x(i))}" x2="${px(x(i))}" y1="${bottom}" y2="${bottom + 4}" stroke="${COLOR.axis}"/>`,
      );
      xl.push(
        `<text x="${px(x(i))}" y="${bottom + 17}" text-anchor="middle" fill="${COLOR.muted}">${esc((pts[i] as ChartPoint).x)}</text>`,
      );
    }
    body.push(`<g class="x-axis">${xl.join('')}</g>`);
  }
  if (model.xTitle) {
    body.push(
      `<text class="x-title" x="${px(left + plotW / 2)}" y="${bottom + 35}" text-anchor="middle" fill="${COLOR.ink}">${esc(model.xTitle)}</text>`,
    );
  }

  // The series: solid between closed periods, dashed into an open one; gaps at null values.
  let solid = '';
  let dashed = '';
  for (let i = 1; i < n; i++) {
    const a = pts[i - 1] as ChartPoint;
    const b = pts[i] as ChartPoint;
    if (!finite(a.value) || !finite(b.value)) continue;
    const seg = `M${px(x(i - 1))},${px(y(a.value))}L${px(x(i))},${px(y(b.value))}`;
    if (a.open || b.open) dashed += seg;
    else solid += seg;
  }
  if (solid)
    body.push(`<path class="series" d="${solid}" stroke="${COLOR.series}" stroke-width="1.3" fill="none"/>`);
  if (dashed) {
    body.push(
      `<path class="series open" d="${dashed}" stroke="${COLOR.series}" stroke-width="1.3" stroke-dasharray="3 3" fill="none"/>`,
    );
  }
  const markers: string[] = [];
  pts.forEach((p, i) => {
    if (!finite(p.value)) return;
    const cx = x(i);
    const cy = y(p.value);
    const tip = [`${p.x}: ${formatValue(p.value)}${unit}`];
    if (p.open) tip.push('open period (unfinished, not evaluated)');
    if (p.rules?.length) tip.push(`signal: ${p.rules.join(', ')}`);
    if (p.shift?.length) tip.push(`against the previous stage's limits: ${p.shift.join(', ')}`);
    if (p.excluded) tip.push('excluded from the baseline (recorded cause)');
    if (p.note) tip.push(p.note);
    const shift = p.shift?.length ? marker('shift', cx, cy) : '';
    const kind = pointKind(p);
    // An excluded point that also signalled keeps its signal marker with the cross over it.
    const cross = p.excluded && kind !== 'excluded' ? marker('excluded', cx, cy) : '';
    markers.push(`<g><title>${esc(tip.join(' — '))}</title>${shift}${marker(kind, cx, cy)}${cross}</g>`);
  });
  body.push(`<g class="points">${markers.join('')}</g>`);
  if (n === 0) {
    body.push(
      `<text x="${px(left + plotW / 2)}" y="${px(top + plotH / 2)}" text-anchor="middle" font-size="13" fill="${COLOR.muted}">${esc(model.emptyMessage ?? 'no data')}</text>`,
    );
  }

  // Right-hand labels, pushed apart so none overlaps, then off-chart references at the edges.
  const placed = rightLabels.map((l) => ({ ...l, y: y(l.value) + 4 })).sort((a, b) => a.y - b.y);
  for (let k = 1; k < placed.length; k++) {
    const prev = placed[k - 1] as { y: number };
    const cur = placed[k] as { y: number };
    if (cur.y < prev.y + 13) cur.y = prev.y + 13;
  }
  for (let k = placed.length - 1; k >= 0; k--) {
    const cur = placed[k] as { y: number };
    const limit = k === placed.length - 1 ? bottom + 4 : (placed[k + 1] as { y: number }).y - 13;
    if (cur.y > limit) cur.y = limit;
  }
  body.push(
    `<g class="line-labels">${placed
      .map((l) => `<text x="${px(left + plotW + 6)}" y="${px(l.y)}" fill="${l.color}">${esc(l.text)}</text>`)
      .join('')}</g>`,
  );
  offChart.forEach((r, k) => {
    const ry = r.side === 'above' ? top + 12 + 13 * k : bottom - 6 - 13 * k;
    body.push(
      `<text class="off-chart" x="${px(left + plotW - 6)}" y="${ry}" text-anchor="end" fill="${r.style.color}">${esc(`${r.label} ${formatValue(r.value)}${unit} ${r.side === 'above' ? '↑ above' : '↓ below'} the chart`)}</text>`,
    );
  });

  // Legend and the note on zones and rules, below the x axis.
  const legendTop = bottom + (model.xTitle ? 50 : 34);
  const entries = legendEntries(model, {
    zones: zonesDrawn,
    stages: stages.length,
    limits: stages.some((s) => at(s.source.ucl, 0) !== null || Array.isArray(s.source.ucl)),
    center: stages.some((s) => at(s.source.center, 0) !== null || Array.isArray(s.source.center)),
    references: [...shown, ...offChart].map((r) => r.label),
    phase: stages.some(
      (s) =>
        s.source.phase2Start !== undefined && s.source.phase2Start > s.start && s.source.phase2Start < s.end,
    ),
  });
  const legend = renderLegend(entries, left, legendTop, width - left - 16);
  body.push(legend.svg);
  const noteParts: string[] = [];
  if (zonesDrawn) {
    noteParts.push(
      `Zones around the centre line: C within 1σ, B 1–2σ, A 2–3σ${zoneMode === 'geometric' ? ' (σ on the log scale)' : ''}.`,
    );
  }
  if (model.rules) noteParts.push(`Signals: ${model.rules}.`);
  const noteLines = noteParts.length > 0 ? wrap(noteParts.join(' '), width - left - 16, 11) : [];
  const noteTop = legend.bottom + 8;
  noteLines.forEach((line, k) => {
    body.push(
      `<text class="note" x="${left}" y="${noteTop + 11 + 15 * k}" fill="${COLOR.ink}">${esc(line)}</text>`,
    );
  });
  const height = Math.ceil(noteTop + 15 * noteLines.length + 12);

  const desc = describe(model, stages, unit, offChart.length);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${id}-title ${id}-desc" font-family="${FONT}" font-size="11">`,
    `<title id="${id}-title">${esc(model.subtitle ? `${model.title} (${model.subtitle})` : model.title)}</title>`,
    `<desc id="${id}-desc">${esc(desc)}</desc>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
