import { describe, expect, it } from 'vitest';
import type { ChartDocument } from './chart-document.js';
import { renderKpiChartSvg } from './chart-svg.js';

const point = (
  periodStart: string,
  value: number,
  stage: number,
  extra: Partial<ChartDocument['points'][number]> = {},
) => ({
  periodStart,
  value,
  center: stage === 0 ? 20 : 8,
  ucl: stage === 0 ? 32 : 14,
  lcl: stage === 0 ? 8 : 2,
  z: 0,
  rules: [],
  stage,
  againstPrevious: [],
  provisional: false,
  ...extra,
});

const doc: ChartDocument = {
  kpi: 'lead_time_for_changes',
  scope: { team: 'payments', project: null },
  period: 'week',
  chart: 'xmr-ln',
  rules: ['WE1', 'WE4'],
  stages: [
    {
      from: '2026-01-05',
      to: '2026-01-19',
      center: 20,
      ucl: 32,
      lcl: 8,
      status: 'firm',
      baselineId: 'b1',
      note: null,
      evidence: null,
    },
    {
      from: '2026-01-26',
      to: '2026-02-02',
      center: 8,
      ucl: 14,
      lcl: 2,
      status: 'provisional',
      baselineId: 'b2',
      note: null,
      evidence: {
        againstStage: 0,
        signals: [{ periodStart: '2026-01-26', rules: ['WE1'], z: -4, value: 6 }],
      },
    },
  ],
  points: [
    point('2026-01-05', 18, 0),
    point('2026-01-12', 40, 0, { rules: ['WE1'], z: 3.4 }),
    point('2026-01-19', 21, 0),
    point('2026-01-26', 6, 1, { againstPrevious: ['WE1'] }),
    point('2026-02-02', 9, 1, { provisional: true }),
  ],
  skipped: [],
  capability: null,
  objective: null,
};

describe('renderKpiChartSvg', () => {
  it('draws stages, limits, signals and shift evidence as a well-formed SVG', () => {
    const svg = renderKpiChartSvg(doc);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    expect(svg).toContain('stage 1 (firm) from 2026-01-05');
    expect(svg).toContain('stage 2 (provisional) from 2026-01-26');
    expect(svg).toContain('2026-01-12: 40 — WE1'); // the signal's tooltip
    expect(svg).toContain('vs previous stage: WE1');
    expect(svg.match(/fill="#c62828" stroke="#c62828"/g)).toHaveLength(1); // one red signal point
    expect(svg.match(/fill="white" stroke="#37474f"/g)).toHaveLength(1); // one hollow provisional point
    expect(svg).toContain('stroke-dasharray="3 3"'); // the stage boundary
  });

  it('says so when there is nothing to draw, and escapes text', () => {
    const svg = renderKpiChartSvg({ ...doc, points: [], stages: [] }, { title: 'a < b & "c"' });
    expect(svg).toContain('no data in this range');
    expect(svg).toContain('a &lt; b &amp; &quot;c&quot;');
  });
});
