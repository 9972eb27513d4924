import type { ChartDocument } from './chart-document.js';

/**
 * Renders a KPI control chart (a ChartDocument) as a self-contained SVG: zones A/B/C shaded per stage,
 * centre line and limits as step lines, stage boundaries marked with their status, signals in red,
 * shift evidence against the previous stage's limits as orange diamonds, provisional values hollow.
 */
export function renderKpiChartSvg(
  doc: ChartDocument,
  options: { title?: string; width?: number; height?: number } = {},
): string {
  const width = options.width ?? 1100;
  const height = options.height ?? 460;
  const m = { top: 48, right: 130, bottom: 56, left: 72 };
  const pts = doc.points;
  const n = pts.length;
  const title =
    options.title ??
    `${doc.kpi} — ${doc.scope.team ?? 'organisation'}${doc.scope.project ? ` / ${doc.scope.project}` : ''}, per ${doc.period} (${doc.chart} chart, ${doc.rules.join(' + ')})`;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="11">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${m.left}" y="22" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  if (n === 0) {
    parts.push(
      `<text x="${width / 2}" y="${height / 2}" text-anchor="middle">no data in this range</text></svg>`,
    );
    return parts.join('\n');
  }
  const log = doc.chart.endsWith('-ln');
  const ys = pts
    .flatMap((p) => [p.value, p.ucl, p.lcl, p.center])
    .filter((v): v is number => v !== null && Number.isFinite(v));
  let lo = Math.min(...ys);
  let hi = Math.max(...ys);
  const pad = (hi - lo) * 0.08 || 1;
  lo = Math.max(lo - pad, Math.min(...ys) >= 0 ? 0 : lo - pad);
  hi += pad;
  const step = (width - m.left - m.right) / n;
  const xEdge = (i: number) => m.left + step * i;
  const x = (i: number) => xEdge(i) + step / 2;
  const y = (v: number) => m.top + ((hi - v) / (hi - lo)) * (height - m.top - m.bottom);
  const clampY = (v: number) => Math.min(height - m.bottom, Math.max(m.top, y(v)));
  // Zone boundary at k (0..3) sigmas, in display units: linear, or geometric for ln charts.
  const zone = (c: number, limit: number, k: number) =>
    log && c > 0 && limit > 0
      ? Math.exp(Math.log(c) + (k / 3) * (Math.log(limit) - Math.log(c)))
      : c + (k / 3) * (limit - c);

  // Zones and limits, point by point (limits vary per point on p/u charts).
  const fills = ['#e8f5e9', '#fff8e1', '#ffebee'];
  pts.forEach((p, i) => {
    if (p.center === null || p.ucl === null || p.lcl === null) return;
    const lower = p.lcl > 0 || log ? p.lcl : p.center - (p.ucl - p.center);
    for (let k = 0; k < 3; k++) {
      for (const bound of [p.ucl, lower]) {
        const a = zone(p.center, bound, k);
        const b = zone(p.center, bound, k + 1);
        const top = clampY(Math.max(a, b));
        const bottom = clampY(Math.min(a, b));
        if (bottom > top) {
          parts.push(
            `<rect x="${xEdge(i).toFixed(1)}" y="${top.toFixed(1)}" width="${step.toFixed(2)}" height="${(bottom - top).toFixed(1)}" fill="${fills[k]}"/>`,
          );
        }
      }
    }
  });
  const stepLine = (get: (p: (typeof pts)[number]) => number | null, style: string) => {
    let d = '';
    pts.forEach((p, i) => {
      const v = get(p);
      if (v === null) return;
      d += `M${xEdge(i).toFixed(1)},${clampY(v).toFixed(1)}H${xEdge(i + 1).toFixed(1)}`;
    });
    if (d) parts.push(`<path d="${d}" fill="none" ${style}/>`);
  };
  stepLine((p) => p.ucl, 'stroke="#c62828" stroke-width="1.4" stroke-dasharray="6 3"');
  stepLine((p) => p.lcl, 'stroke="#c62828" stroke-width="1.4" stroke-dasharray="6 3"');
  stepLine((p) => p.center, 'stroke="#2e7d32" stroke-width="1.4"');

  // Axes and y ticks.
  parts.push(
    `<line x1="${m.left}" y1="${height - m.bottom}" x2="${width - m.right}" y2="${height - m.bottom}" stroke="#555"/>`,
  );
  parts.push(`<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${height - m.bottom}" stroke="#555"/>`);
  for (const t of ticks(lo, hi, 6)) {
    parts.push(
      `<line x1="${m.left - 4}" y1="${y(t).toFixed(1)}" x2="${m.left}" y2="${y(t).toFixed(1)}" stroke="#555"/>`,
    );
    parts.push(`<text x="${m.left - 7}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`);
  }
  const every = Math.max(1, Math.ceil(n / 12));
  pts.forEach((p, i) => {
    if (i % every !== 0) return;
    parts.push(
      `<text x="${x(i).toFixed(1)}" y="${height - m.bottom + 16}" text-anchor="middle">${p.periodStart}</text>`,
    );
  });

  // Stage boundaries.
  doc.stages.forEach((s, k) => {
    const i = pts.findIndex((p) => p.periodStart >= s.from);
    if (i < 0) return;
    if (k > 0) {
      parts.push(
        `<line x1="${xEdge(i).toFixed(1)}" y1="${m.top - 6}" x2="${xEdge(i).toFixed(1)}" y2="${height - m.bottom}" stroke="#1565c0" stroke-width="1.5" stroke-dasharray="3 3"/>`,
      );
    }
    parts.push(
      `<text x="${(xEdge(i) + 4).toFixed(1)}" y="${m.top - 8}" fill="#1565c0">stage ${k + 1} (${s.status}) from ${s.from}</text>`,
    );
  });

  // The series and its signals.
  const path = pts
    .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${clampY(p.value).toFixed(1)}`)
    .join('');
  parts.push(`<path d="${path}" fill="none" stroke="#37474f" stroke-width="1.2"/>`);
  pts.forEach((p, i) => {
    const cx = x(i).toFixed(1);
    const cy = clampY(p.value).toFixed(1);
    const tip = `${p.periodStart}: ${fmt(p.value)}${p.rules.length ? ` — ${p.rules.join(', ')}` : ''}${p.againstPrevious.length ? ` — vs previous stage: ${p.againstPrevious.join(', ')}` : ''}`;
    if (p.againstPrevious.length > 0) {
      const s = 5;
      parts.push(
        `<path d="M${cx},${(Number(cy) - s).toFixed(1)}l${s},${s}l-${s},${s}l-${s},-${s}z" fill="#ef6c00"><title>${esc(tip)}</title></path>`,
      );
    }
    const signal = p.rules.length > 0;
    parts.push(
      `<circle cx="${cx}" cy="${cy}" r="${signal ? 4 : 2.6}" fill="${p.provisional ? 'white' : signal ? '#c62828' : '#37474f'}" stroke="${signal ? '#c62828' : '#37474f'}"><title>${esc(tip)}</title></circle>`,
    );
  });

  // Legend.
  const lx = width - m.right + 12;
  const legend: [string, string][] = [
    ['#2e7d32', 'centre line'],
    ['#c62828', 'control limits'],
    ['#c62828', 'signal (rule fired)'],
    ['#ef6c00', 'vs previous stage'],
    ['#1565c0', 'stage boundary'],
  ];
  legend.forEach(([color, label], k) => {
    parts.push(`<rect x="${lx}" y="${m.top + k * 18}" width="10" height="10" fill="${color}"/>`);
    parts.push(`<text x="${lx + 15}" y="${m.top + k * 18 + 9}">${label}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function ticks(lo: number, hi: number, count: number): number[] {
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const stepSize = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let t = Math.ceil(lo / stepSize) * stepSize; t <= hi; t += stepSize)
    out.push(Number(t.toPrecision(12)));
  return out;
}

function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
