import { describe, expect, it } from 'vitest';
import { analyzeChart } from '../charts/engine.js';
import { orangejuice, viscosity } from '../fixtures/qcc.js';
import { renderChartSvg } from './svg.js';

describe('spc --plot (the shared chart renderer)', () => {
  const r = analyzeChart({
    chart: 'xmr',
    values: viscosity.values,
    phase1: 20,
    exclude: [4],
    rules: 'western-electric',
    spec: { lsl: 32, usl: 36, target: 34 },
  });
  const svg = renderChartSvg(r, { title: 'viscosity.csv' });

  it('draws zones, limits, the end of the baseline, signals and the excluded point', () => {
    expect(svg).toMatch(/<title id="[\w-]+">viscosity\.csv \(Individuals \(XmR\) chart, 35 points/);
    expect(svg).toContain('class="zones"');
    expect(svg).toContain('class="ucl"');
    expect(svg).toContain('class="phase-boundary"');
    const signals = new Set(r.violations.flatMap((v) => v.indices)).size;
    expect(svg.match(/<path class="signal"/g)).toHaveLength(signals + 1); // and the legend swatch
    expect(svg.match(/<path class="excluded"/g)).toHaveLength(2); // point 4 and the legend swatch
    expect(svg).toMatch(/<title>4: [^<]*excluded from the baseline \(recorded cause\)/);
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
  });

  it('draws the specification limits and target (--lsl, --usl, --target) and says the rules in words', () => {
    expect(svg).toMatch(/>LSL 32<\/text>/);
    expect(svg).toMatch(/>USL 36<\/text>/);
    expect(svg).toMatch(/>spec target 34<\/text>/);
    expect(svg).toContain('>specification limits (LSL, USL)</text>');
    expect(svg).toContain('>specification target</text>');
    expect(svg).toContain('Signals: a point beyond 3σ (WE1); 2 of 3 beyond 2σ on one side (WE2);');
    const own = renderChartSvg(r, { spec: { usl: 35.5 } });
    expect(own).toMatch(/>USL 35\.5<\/text>/);
    expect(own).not.toContain('>LSL');
  });

  it('a p chart keeps its axis inside [0, 1] and plots per-point limits', () => {
    const p = analyzeChart({
      chart: 'p',
      counts: orangejuice.D.slice(0, 30),
      sizes: orangejuice.D.slice(0, 30).map((_, i) => (i % 2 === 0 ? 50 : 25)),
    });
    const out = renderChartSvg(p);
    expect(out).toContain('>proportion nonconforming</text>');
    expect(out).not.toMatch(/>1\.2<\/text>/);
    expect(out).toMatch(/class="ucl" d="M[^"]*V/); // a step line: the limits vary with n
  });
});
