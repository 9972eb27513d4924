/**
 * SVG rendering of a control chart: zones shaded (C, B, A), centre line and limits (step lines when
 * they vary per point), Phase-I/Phase-II and stage boundaries, points with signals marked in red.
 */
import type { ChartResult } from '../charts/engine.js';
import { fmt } from '../report/format.js';

export interface SvgOptions {
  title?: string;
  width?: number;
  height?: number;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function renderChartSvg(result: ChartResult, options: SvgOptions = {}): string {
  const width = options.width ?? 960;
  const height = options.height ?? 420;
  const m = { top: 36, right: 70, bottom: 36, left: 70 };
  const pts = result.points;
  const n = pts.length;
  const ys = pts.flatMap((p) => [p.value, p.ucl, p.lcl]);
  let lo = Math.min(...ys);
  let hi = Math.max(...ys);
  const pad = (hi - lo) * 0.08 || 1;
  lo -= pad;
  hi += pad;
  const step = (width - m.left - m.right) / Math.max(1, n);
  const x = (i: number) => m.left + step * (i + 0.5);
  const xEdge = (i: number) => m.left + step * i;
  const y = (v: number) => m.top + ((hi - v) / (hi - lo)) * (height - m.top - m.bottom);
  const band = (k0: number, k1: number, sign: 1 | -1) => {
    const top = pts.map(
      (p, i) =>
        `${xEdge(i)},${y(p.center + sign * k1 * p.sigma)} ${xEdge(i + 1)},${y(p.center + sign * k1 * p.sigma)}`,
    );
    const bottom = pts
      .map(
        (p, i) =>
          `${xEdge(i + 1)},${y(p.center + sign * k0 * p.sigma)} ${xEdge(i)},${y(p.center + sign * k0 * p.sigma)}`,
      )
      .reverse();
    return `${top.join(' ')} ${bottom.join(' ')}`;
  };
  const stepLine = (f: (i: number) => number) =>
    pts.map((_, i) => `${xEdge(i)},${y(f(i))} ${xEdge(i + 1)},${y(f(i))}`).join(' ');
  const k = result.nsigmas;
  const zones = [
    { k0: 0, k1: 1, fill: '#e8f5e9' },
    { k0: 1, k1: 2, fill: '#fff8e1' },
    { k0: 2, k1: k, fill: '#ffebee' },
  ];
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>${esc(options.title ?? `${result.chart} control chart`)}</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${m.left}" y="20" font-size="14" font-weight="bold">${esc(options.title ?? `${result.chart} control chart`)}</text>`,
  ];
  for (const z of zones) {
    for (const sign of [1, -1] as const) {
      parts.push(`<polygon class="zone" points="${band(z.k0, z.k1, sign)}" fill="${z.fill}" stroke="none"/>`);
    }
  }
  for (let g = 0; g <= 4; g++) {
    const v = lo + ((hi - lo) * g) / 4;
    parts.push(
      `<line x1="${m.left}" x2="${width - m.right}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`,
      `<text x="${m.left - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555">${esc(fmt(v, 4))}</text>`,
    );
  }
  parts.push(
    `<polyline class="center" points="${stepLine((i) => (pts[i] as { center: number }).center)}" fill="none" stroke="#2e7d32" stroke-width="1.5"/>`,
    `<polyline class="ucl" points="${stepLine((i) => (pts[i] as { ucl: number }).ucl)}" fill="none" stroke="#c62828" stroke-width="1.5" stroke-dasharray="6 3"/>`,
    `<polyline class="lcl" points="${stepLine((i) => (pts[i] as { lcl: number }).lcl)}" fill="none" stroke="#c62828" stroke-width="1.5" stroke-dasharray="6 3"/>`,
  );
  const last = pts[n - 1];
  if (last) {
    parts.push(
      `<text x="${width - m.right + 4}" y="${y(last.ucl) + 4}" fill="#c62828">UCL ${esc(fmt(last.ucl, 4))}</text>`,
      `<text x="${width - m.right + 4}" y="${y(last.center) + 4}" fill="#2e7d32">CL ${esc(fmt(last.center, 4))}</text>`,
      `<text x="${width - m.right + 4}" y="${y(last.lcl) + 4}" fill="#c62828">LCL ${esc(fmt(last.lcl, 4))}</text>`,
    );
  }
  for (let i = 1; i < n; i++) {
    const p = pts[i] as ChartResult['points'][number];
    const prev = pts[i - 1] as ChartResult['points'][number];
    if (p.stage !== prev.stage) {
      parts.push(
        `<line class="stage" x1="${xEdge(i)}" x2="${xEdge(i)}" y1="${m.top}" y2="${height - m.bottom}" stroke="#333" stroke-width="1.5"/>`,
      );
    } else if (p.phase !== prev.phase) {
      parts.push(
        `<line class="phase" x1="${xEdge(i)}" x2="${xEdge(i)}" y1="${m.top}" y2="${height - m.bottom}" stroke="#777" stroke-dasharray="3 3"/>`,
      );
    }
  }
  parts.push(
    `<polyline class="data" points="${pts.map((p, i) => `${x(i)},${y(p.value)}`).join(' ')}" fill="none" stroke="#1565c0" stroke-width="1.2"/>`,
  );
  for (const [i, p] of pts.entries()) {
    const signal = p.rules.length > 0;
    const label = `#${p.index} ${fmt(p.value)}${signal ? ` ${p.rules.join(' ')}` : ''}`;
    parts.push(
      `<circle class="${signal ? 'signal' : 'point'}" cx="${x(i)}" cy="${y(p.value)}" r="${signal ? 4.5 : 3}" fill="${signal ? '#d50000' : p.excluded ? 'white' : '#1565c0'}" stroke="${signal ? '#d50000' : '#1565c0'}"><title>${esc(label)}</title></circle>`,
    );
  }
  const tickEvery = Math.max(1, Math.ceil(n / 20));
  for (let i = 0; i < n; i += tickEvery) {
    parts.push(
      `<text x="${x(i)}" y="${height - m.bottom + 16}" text-anchor="middle" fill="#555">${i + 1}</text>`,
    );
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
