import { describe, expect, it } from 'vitest';
import { analyzeChart } from '../charts/engine.js';
import { circuit, orangejuice, pistonrings } from '../fixtures/qcc.js';
import { chartReport } from '../report/format.js';
import { defaultChart, parseChartInput } from './parse.js';

/** The path `shewhart spc` takes: text → spec → chart → JSON document. */
function run(text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const spec = { ...parseChartInput(text), ...extra };
  const chart = spec.chart ?? defaultChart(spec);
  return JSON.parse(JSON.stringify(chartReport(analyzeChart({ ...spec, chart }))));
}

describe('input → chart → JSON document (the CLI contract)', () => {
  it('count,size CSV of qcc orangejuice with phase1 30 and exclude 15,23 gives p̄ 0.215', () => {
    const csv = `count,size\n${orangejuice.D.map((d) => `${d},50`).join('\n')}\n`;
    const doc = run(csv, { phase1: 30, exclude: [15, 23] }) as { chart: string; center: number; ucl: number };
    expect(doc.chart).toBe('p');
    expect(Math.abs(doc.center - 0.215)).toBeLessThan(5e-4);
    expect(Math.abs(doc.ucl - 0.3892972)).toBeLessThan(5e-8);
  });

  it('a subgroup-per-row CSV of piston rings defaults to X̄-R and reports per-point values as subgroup means', () => {
    const csv = pistonrings
      .slice(0, 25)
      .map((g) => g.join(','))
      .join('\n');
    const doc = run(csv) as { chart: string; points: { value: number }[]; secondary: { center: number } };
    expect(doc.chart).toBe('xbar-r');
    expect(doc.points[0]?.value).toBeCloseTo((74.03 + 74.002 + 74.019 + 73.992 + 74.008) / 5, 12);
    expect(Math.abs(doc.secondary.center - 0.02276)).toBeLessThan(5e-6);
  });

  it('the JSON document form with a c chart, rules and known parameters', () => {
    const doc = run(
      JSON.stringify({ chart: 'c', counts: circuit.x, rules: 'nelson', center: 20, sigma: Math.sqrt(20) }),
    ) as {
      center: number;
      rules: string[];
      violations: { rule: string; indices: number[] }[];
    };
    expect(doc.center).toBe(20);
    expect(doc.rules).toHaveLength(8);
    expect(doc.violations.find((v) => v.rule === 'NELSON1')?.indices).toEqual([6, 20]); // 5 < 6.58 and 39 > 33.4
  });
});
