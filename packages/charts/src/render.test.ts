import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChartModel, ChartPoint, Limit } from './model.js';
import { renderChartSvg } from './render.js';
import { niceAxis } from './text.js';

const weeks = Array.from({ length: 12 }, (_, i) =>
  new Date(Date.UTC(2026, 0, 5 + 7 * i)).toISOString().slice(0, 10),
);
const values = [31, 28, 35, 30, 52, 29, 27, 18, 16, 19, 17, 6];

const model: ChartModel = {
  title: 'Lead time for changes',
  subtitle: 'lead_time_for_changes · team payments · per week',
  unit: 'hours',
  xTitle: 'week starting',
  points: weeks.map((x, i) => ({
    x,
    value: values[i] as number,
    ...(i === 4 ? { rules: ['WE1'] } : {}),
    ...(i === 8 ? { shift: ['WE4'] } : {}),
    ...(i === 11 ? { open: true } : {}),
  })),
  stages: [
    { start: 0, label: 'stage 1 · firm limits', center: 30, ucl: 45, lcl: 15 },
    { start: 7, label: 'stage 2 · provisional limits', center: 17, ucl: [26, 25, 27, 26, 25], lcl: 8 },
  ],
  objective: { target: 24, label: 'objective target' },
  spec: { usl: 48, lsl: 5 },
  rules: 'a point beyond 3σ (WE1); 8 in a row on one side of the centre (WE4)',
};

describe('renderChartSvg', () => {
  const svg = renderChartSvg(model);

  it('is an accessible, self-contained SVG with the name as title and the id in the subtitle', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toMatch(/role="img" aria-labelledby="(chart-\w+)-title \1-desc"/);
    expect(svg).toMatch(/<title id="chart-\w+-title">Lead time for changes \(lead_time_for_changes/);
    expect(svg).toMatch(
      /<desc id="chart-\w+-desc">Control chart of 12 values from 2026-01-05 to 2026-03-23\./,
    );
    expect(svg).toContain('1 signal: 2026-02-02 (WE1)');
    expect(svg).toContain('font-size="16" font-weight="bold" fill="#1f1f1f">Lead time for changes</text>');
    expect(svg).toContain('>lead_time_for_changes · team payments · per week</text>');
    // No external request of any kind: no href, no url(), no @import, no script.
    expect(svg).not.toMatch(/href|url\(|@import|<script|<image/);
  });

  it('has a y axis with the unit, x labels with the period dates and a legend of what it shows', () => {
    expect(svg).toMatch(/class="y-title"[^>]*>hours<\/text>/);
    expect(svg).toContain('>2026-01-05</text>');
    expect(svg).toContain('>week starting</text>');
    for (const entry of [
      'value',
      'open period (unfinished, not evaluated)',
      'signal (a rule fired)',
      'signal against the previous stage&#39;s limits',
      'centre line',
      'control limits (±3σ)',
      'zones C, B, A',
      'objective target',
      'specification limits (LSL, USL)',
      'stage boundary (process change)',
    ]) {
      expect(svg).toContain(`>${entry}</text>`);
    }
    expect(svg).not.toContain('>excluded from baseline');
  });

  it('draws open periods hollow, signals as filled triangles, and each line kind with its own dash', () => {
    expect(svg.match(/<circle class="open"[^>]*fill="#ffffff"/g)).toHaveLength(2); // the point and its legend swatch
    expect(svg.match(/<path class="signal" d="M[^"]+Z" fill="#d55e00"/g)).toHaveLength(2);
    expect(svg).toContain('class="series open"'); // the segment into the open period is dashed
    const dash = (cls: string) =>
      svg
        .match(
          new RegExp(
            `class="${cls}" d="[^"]+" stroke="(#\\w+)" stroke-width="[^"]+"(?: stroke-dasharray="([^"]+)")?`,
          ),
        )
        ?.slice(1);
    const kinds = ['center', 'ucl', 'objective', 'spec'].map(dash);
    expect(new Set(kinds.map((k) => k?.[0])).size).toBe(4); // four colours
    expect(new Set(kinds.map((k) => k?.[1] ?? 'solid')).size).toBe(4); // and four dash patterns
    expect(svg).toContain('class="stage-boundary"');
    expect(svg).toContain('>stage 2 · provisional limits</text>');
    expect(svg).toMatch(/>objective 24<\/text>/);
    expect(svg).toMatch(/>USL 48<\/text>/);
    expect(svg).toMatch(/>LSL 5<\/text>/);
  });

  it('writes the zones and the rule set in words in one note', () => {
    expect(svg).toContain(
      'Zones around the centre line: C within 1σ, B 1–2σ, A 2–3σ. Signals: a point beyond 3σ (WE1); 8 in a row',
    );
  });

  it('draws an objective band and marks a reference line far off the data instead of squashing it', () => {
    const banded = renderChartSvg({
      ...model,
      objective: { band: { low: 10, high: 20 } },
      spec: { usl: 5000 },
    });
    expect(banded).toContain('class="objective-band"');
    expect(banded).toContain('>objective band</text>');
    expect(banded).toContain('USL 5000 hours ↑ above the chart');
    expect(banded).not.toMatch(/class="spec" d=/);
  });

  it('escapes text and says when there is nothing to draw', () => {
    const empty = renderChartSvg({ title: 'a < b & "c"', points: [], emptyMessage: 'no data in this range' });
    expect(empty).toContain('a &lt; b &amp; &quot;c&quot;');
    expect(empty).toContain('>no data in this range</text>');
    expect(empty).toContain('Control chart with no data: no data in this range.');
  });

  it('chooses ticks that print exactly and stay inside bounds', () => {
    expect(niceAxis(0, 102, 5).ticks.at(-1)).toBe(125);
    expect(niceAxis(0, 96, 4).ticks).toEqual([0, 25, 50, 75, 100]);
    expect(niceAxis(0, 96, 4).decimals).toBe(0);
    expect(niceAxis(0, 9.6, 4).decimals).toBe(1);
    expect(niceAxis(0, 0.96, 4).decimals).toBe(2);
    const p = renderChartSvg({
      ...model,
      bounds: { min: 0, max: 100 },
      points: [
        { x: 'a', value: 96 },
        { x: 'b', value: 3 },
      ],
      stages: [],
    });
    expect(p).toContain('>100</text>');
    expect(p).not.toContain('>125</text>');
  });

  const finiteNumber = fc.double({ noNaN: true, noDefaultInfinity: true });
  const limit = (n: number): fc.Arbitrary<Limit> =>
    fc.oneof(
      fc.constant(null),
      finiteNumber,
      fc.array(fc.option(finiteNumber), { minLength: n, maxLength: n }),
    );
  const points = fc.array(
    fc.record({
      x: fc.string({ maxLength: 12 }),
      value: fc.option(finiteNumber),
      open: fc.boolean(),
      rules: fc.array(fc.constantFrom('WE1', 'WE4'), { maxLength: 2 }),
      shift: fc.array(fc.constant('WE1'), { maxLength: 1 }),
      excluded: fc.boolean(),
    }),
    { maxLength: 30 },
  );
  const anyModel: fc.Arbitrary<ChartModel> = points.chain((pts: ChartPoint[]) =>
    fc.record({
      title: fc.string(),
      points: fc.constant(pts),
      stages: fc.array(
        fc.nat({ max: Math.max(0, pts.length - 1) }).chain((start) =>
          fc.record({
            start: fc.constant(start),
            center: limit(pts.length),
            ucl: limit(pts.length),
            lcl: limit(pts.length),
            sigma: limit(pts.length),
            phase2Start: fc.nat({ max: pts.length }),
          }),
        ),
        { maxLength: 3 },
      ),
      objective: fc.record(
        { target: finiteNumber, band: fc.record({ low: finiteNumber, high: finiteNumber }) },
        { requiredKeys: [] },
      ),
      spec: fc.record({ lsl: finiteNumber, usl: finiteNumber, target: finiteNumber }, { requiredKeys: [] }),
      zones: fc.constantFrom('linear' as const, 'geometric' as const, 'none' as const),
      bounds: fc.record({ min: finiteNumber, max: finiteNumber }, { requiredKeys: [] }),
    }),
  );
  const wellFormed = (out: string) => {
    // Coordinates and sizes only: a generated title may itself read "NaN".
    const geometry =
      out.match(/\s(?:x|y|x1|x2|y1|y2|cx|cy|r|width|height|d|transform|viewBox)="[^"]*"/g) ?? [];
    expect(geometry.length).toBeGreaterThan(0);
    for (const g of geometry) expect(g).not.toMatch(/NaN|Infinity|undefined|null/);
    expect(out.startsWith('<svg')).toBe(true);
    expect(out.trimEnd().endsWith('</svg>')).toBe(true);
    expect(out.match(/<g[ >]/g)?.length ?? 0).toBe(out.match(/<\/g>/g)?.length ?? 0);
  };

  it('property: never a NaN or infinite coordinate, for any finite input', () => {
    fc.assert(
      fc.property(anyModel, (m) => wellFormed(renderChartSvg(m))),
      { numRuns: 500 },
    );
  });

  it('the edge cases by name: empty, one point, all null, all equal', () => {
    const stage = { start: 0, center: 5, ucl: 5, lcl: 5 };
    for (const pts of [
      [],
      [{ x: '1', value: 4 }],
      [
        { x: '1', value: null },
        { x: '2', value: null },
      ],
      Array.from({ length: 10 }, (_, i) => ({ x: String(i), value: 5 })),
    ]) {
      wellFormed(renderChartSvg({ title: 't', points: pts, stages: pts.length ? [stage] : [] }));
    }
  });
});
