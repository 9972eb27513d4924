import { describe, expect, it } from 'vitest';
import { analyzeChart } from '../charts/engine.js';
import { compareBeforeAfter } from '../compare/verdict.js';
import { viscosity } from '../fixtures/qcc.js';
import { chartReport, chartTable, comparisonReport, comparisonTable } from './format.js';

describe('reports', () => {
  const r = analyzeChart({
    chart: 'xmr',
    values: viscosity.values,
    phase1: 20,
    exclude: [4],
    rules: 'western-electric',
    spec: { usl: 36 },
  });

  it('the JSON report has the CLI contract fields and no NaN', () => {
    const doc = chartReport(r);
    const text = JSON.stringify(doc);
    expect(text).not.toMatch(/NaN|null,"ucl"/);
    const parsed = JSON.parse(text);
    expect(Object.keys(parsed)).toEqual(
      expect.arrayContaining([
        'chart',
        'center',
        'sigma',
        'ucl',
        'lcl',
        'points',
        'violations',
        'secondary',
        'capability',
      ]),
    );
    expect(Object.keys(parsed.points[0])).toEqual(
      expect.arrayContaining(['index', 'value', 'ucl', 'lcl', 'z', 'rules']),
    );
    expect(parsed.points[27].rules).toContain('WE1');
  });

  it('the table names the limits, baseline and signals', () => {
    const t = chartTable(r);
    expect(t).toContain('excluded 4');
    expect(t).toContain('WE1: 4, 28');
    expect(t).toContain('Capability');
  });

  it('comparison reports orient statistics as before − after', () => {
    const c = compareBeforeAfter(
      [30, 34, 29, 36, 31, 33, 35, 28, 32, 30],
      [24, 22, 25, 23, 21, 24, 22, 23, 25, 22],
    );
    const doc = comparisonReport(c) as { welch: { t: number }; mannWhitney: { u: number }; verdict: string };
    expect(doc.welch.t).toBeGreaterThan(0);
    expect(doc.mannWhitney.u).toBe(100);
    expect(doc.verdict).toBe('improved');
    expect(comparisonTable(c)).toContain('Verdict      improved');
  });
});
