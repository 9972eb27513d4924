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
  open: false,
  excluded: false,
  sigma: null,
  ...extra,
});

const doc: ChartDocument = {
  kpi: 'lead_time_for_changes',
  title: 'Lead time for changes',
  unit: 'hours',
  better: 'lower',
  scope: { team: 'payments', project: null },
  period: 'week',
  asOf: '2026-02-09T00:00:00.000Z',
  chart: 'xmr-ln',
  rules: ['WE1', 'WE4'],
  stale: false,
  pending: { baselines: 0, signals: 0 },
  note: null,
  stages: [
    {
      from: '2026-01-05',
      to: '2026-01-19',
      center: 20,
      ucl: 32,
      lcl: 8,
      status: 'firm',
      baselineId: 'b1',
      version: 1,
      phase2From: null,
      inapplicable: null,
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
      version: 1,
      phase2From: null,
      inapplicable: null,
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
  signals: [],
  capability: null,
  target: null,
  spec: null,
  objective: null,
};

describe('renderKpiChartSvg (a thin mapping onto @shewhart/charts)', () => {
  const withObjective: ChartDocument = {
    ...doc,
    points: doc.points.map((p, i) => (i === doc.points.length - 1 ? { ...p, open: true } : p)),
    objective: { id: 'payments-lead-time', direction: 'lower', target: 24, spec: { usl: 48 }, owner: 'ops' },
  };
  const svg = renderKpiChartSvg(withObjective);

  it('titles the chart with the KPI name and puts its id and scope in the subtitle; the unit on the y axis', () => {
    expect(svg).toContain('>Lead time for changes</text>');
    expect(svg).toContain(
      '>lead_time_for_changes · team payments · per week · xmr-ln chart · objective payments-lead-time</text>',
    );
    expect(svg).toMatch(/class="y-title"[^>]*>hours<\/text>/);
    expect(svg).toContain('>2026-01-05</text>');
    expect(svg).toContain('role="img"');
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('draws stages, signals, shift evidence, the open period hollow, the objective and the spec limit', () => {
    expect(svg).toContain('>stage 1 · firm limits</text>');
    expect(svg).toContain('>stage 2 · provisional limits</text>');
    expect(svg).toContain('class="stage-boundary"');
    expect(svg).toContain('2026-01-12: 40 hours — signal: WE1');
    expect(svg).toContain('against the previous stage&#39;s limits: WE1');
    expect(svg).toMatch(/<title>2026-02-02: 9 hours — open period[^<]*<\/title><circle class="open"/);
    expect(svg).toMatch(/class="objective" d=/);
    expect(svg).toMatch(/>objective 24<\/text>/);
    expect(svg).toMatch(/class="spec" d=/);
    expect(svg).toMatch(/>USL 48<\/text>/);
    expect(svg).toContain('(σ on the log scale). Signals: a point beyond 3σ (WE1); 8 in a row on one side');
  });

  it('draws a range objective as a band', () => {
    const band = renderKpiChartSvg({ ...doc, objective: { direction: 'range', band: { low: 5, high: 15 } } });
    expect(band).toContain('class="objective-band"');
    expect(band).toContain('>objective band</text>');
  });

  it('says so when there is nothing to draw, and escapes text', () => {
    const empty = renderKpiChartSvg({ ...doc, points: [], stages: [] }, { title: 'a < b & "c"' });
    expect(empty).toContain('no data in this range');
    expect(empty).toContain('a &lt; b &amp; &quot;c&quot;');
  });
});
