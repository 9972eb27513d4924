import { describe, expect, it } from 'vitest';
import { individualsExample, waferDefects } from '../fixtures/nist.js';
import { circuit, orangejuice, pistonrings, viscosity } from '../fixtures/qcc.js';
import { analyzeChart } from './engine.js';

/** |actual − expected| within half a unit of the last printed digit. */
function printed(actual: number | number[] | undefined, expected: number, decimals: number): void {
  expect(typeof actual).toBe('number');
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(0.5 * 10 ** -decimals + 1e-12);
}
/** Agreement to `digits` significant digits (qcc prints 7). */
function sig(actual: number | number[] | undefined, expected: number, digits = 7): void {
  expect(typeof actual).toBe('number');
  const scale = 10 ** (Math.floor(Math.log10(Math.abs(expected))) - digits + 1);
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(0.5 * scale + 1e-15);
}

describe('XmR (docs/methods.md §5.3)', () => {
  it('reproduces NIST 6.3.2.2: X̄ 50.81, MR̄ 1.8778, UCL 55.8041, LCL 45.8159', () => {
    const r = analyzeChart({ chart: 'xmr', values: individualsExample });
    printed(r.center, 50.81, 2);
    printed(r.stages[0]?.details.meanMovingRange, 1.8778, 4);
    printed(r.ucl, 55.8041, 4);
    printed(r.lcl, 45.8159, 4);
    // mR chart: CL = MR̄, UCL = D4·MR̄ with D4 = 3.267, LCL = 0.
    printed(r.secondary?.center, 1.8778, 4);
    expect((r.secondary?.ucl as number) / 1.8777777777777778).toBeCloseTo(3.267, 3);
    expect(r.secondary?.lcl).toBe(0);
    expect(r.secondary?.values[0]).toBeNull();
    expect(r.secondary?.values).toHaveLength(10);
  });

  it('reproduces qcc viscosity: trial limits, then batch 4 removed for its recorded cause', () => {
    const trial = analyzeChart({ chart: 'xmr', values: viscosity.values.slice(0, viscosity.trial) });
    sig(trial.center, 34.088, 5);
    sig(trial.sigma, 0.5076521);
    sig(trial.lcl, 32.56504);
    sig(trial.ucl, 35.61096);
    expect(trial.violations).toEqual([{ rule: 'WE1', indices: [4] }]); // qcc: 1 violation

    const cleaned = analyzeChart({
      chart: 'xmr',
      values: viscosity.values,
      phase1: viscosity.trial,
      exclude: [4],
      rules: 'western-electric',
    });
    sig(cleaned.center, 33.98947);
    sig(cleaned.sigma, 0.4117415);
    sig(cleaned.lcl, 32.75425);
    sig(cleaned.ucl, 35.2247, 6);
    expect(cleaned.stages[0]?.baseline.excluded).toEqual([4]);
    expect(cleaned.stages[0]?.baseline.used).toBe(19);
    expect(cleaned.points[3]?.excluded).toBe(true);
    expect(cleaned.points[25]?.phase).toBe(2);
  });

  it('offers the median moving range (σ̂ = MR̃/0.954, limits X̄ ± 3.145·MR̃)', () => {
    const r = analyzeChart({ chart: 'xmr', values: individualsExample, sigmaMethod: 'median-mr' });
    const mrTilde = r.stages[0]?.details.medianMovingRange as number;
    expect(mrTilde).toBeCloseTo(1.5, 12); // sorted MRs 0.2 1.2 1.4 1.4 1.5 2.0 2.3 3.4 3.5
    expect(((r.ucl as number) - (r.center as number)) / mrTilde).toBeCloseTo(3.145, 3);
    expect(r.secondary?.ucl as number).toBeCloseTo(3.863 * mrTilde, 12);
  });

  it('SD method is only for comparison; sigma given replaces the estimate', () => {
    const r = analyzeChart({ chart: 'xmr', values: individualsExample, center: 50, sigma: 2 });
    expect(r.ucl).toBe(56);
    expect(r.lcl).toBe(44);
    expect(r.stages[0]?.baseline.status).toBe('known');
  });
});

describe('X̄-R and X̄-S (docs/methods.md §5.4, qcc piston rings)', () => {
  it('X̄-R: CL 74.00118, σ̂ 0.009785039, limits 73.98805/74.0143; R chart CL 0.02276, UCL 0.04812533', () => {
    const r = analyzeChart({ chart: 'xbar-r', subgroups: pistonrings, phase1: 25 });
    sig(r.center, 74.00118);
    sig(r.sigma, 0.009785039);
    sig(r.lcl, 73.98805);
    sig(r.ucl, 74.0143, 6);
    expect(r.secondary?.kind).toBe('R');
    sig(r.secondary?.center, 0.02276, 4);
    sig(r.secondary?.ucl, 0.04812533);
    expect(r.secondary?.lcl).toBe(0);
    expect(r.points.filter((p) => p.phase === 1)).toHaveLength(25);
  });

  it('X̄-S: S chart CL 0.009240037, σ̂ 0.009829977, UCL 0.01930242, LCL 0', () => {
    const r = analyzeChart({ chart: 'xbar-s', subgroups: pistonrings.slice(0, 25) });
    sig(r.sigma, 0.009829977);
    sig(r.secondary?.center, 0.009240037);
    sig(r.secondary?.ucl, 0.01930242);
    expect(r.secondary?.lcl).toBe(0);
    sig(r.center, 74.00118);
  });

  it('variable subgroup sizes give per-point limits (qcc diameter2, 12 values removed)', () => {
    // qcc vignette: pistonrings[-c(9,10,30,35,45,64,65,74,75,85,99,100),] regrouped by sample.
    const out = new Set([9, 10, 30, 35, 45, 64, 65, 74, 75, 85, 99, 100]);
    const flat = pistonrings.flat();
    const groups: number[][] = pistonrings.map(() => []);
    flat.forEach((v, k) => {
      if (!out.has(k + 1)) (groups[Math.floor(k / 5)] as number[]).push(v);
    });
    const r = analyzeChart({ chart: 'xbar-r', subgroups: groups.slice(0, 25) });
    sig(r.center, 74.00075);
    sig(r.sigma, 0.009856701);
    const ucl = r.ucl as number[];
    const lcl = r.lcl as number[];
    expect(Array.isArray(ucl)).toBe(true);
    sig(lcl[0], 73.98753);
    sig(ucl[0], 74.01398);
    sig(lcl[1], 73.98368); // sample 2 has 3 values
    sig(ucl[1], 74.01782);
    const s = analyzeChart({ chart: 'xbar-s', subgroups: groups.slice(0, 25) });
    const c4n3 = 0.886226925452758;
    const sCenter = s.secondary?.center as number[];
    expect(sCenter[1] as number).toBeCloseTo(c4n3 * (s.sigma as number), 12);
  });

  it('rejects subgroups of one value and sizes without d2 for X̄-R', () => {
    expect(() => analyzeChart({ chart: 'xbar-r', subgroups: [[1, 2], [3]] })).toThrow(
      /subgroup 2 has 1 value/,
    );
    const big = Array.from({ length: 10 }, (_, i) => Array.from({ length: 30 }, (_, j) => i + j));
    expect(() => analyzeChart({ chart: 'xbar-r', subgroups: big })).toThrow(/use the xbar-s chart/);
    expect(() => analyzeChart({ chart: 'xbar-s', subgroups: big })).not.toThrow();
  });
});

describe('attribute charts (docs/methods.md §5.5)', () => {
  const sizes = orangejuice.D.map(() => orangejuice.size);

  it('p chart, qcc orangejuice / NIST 6.3.3.2: p̄ 0.2313333, UCL 0.4102391, LCL 0.05242755', () => {
    const r = analyzeChart({ chart: 'p', counts: orangejuice.D.slice(0, 30), sizes: sizes.slice(0, 30) });
    sig(r.center, 0.2313333);
    sig(r.sigma, 0.421685, 6);
    sig(r.ucl, 0.4102391);
    sig(r.lcl, 0.05242755);
    expect(r.violations[0]).toEqual({ rule: 'WE1', indices: [15, 23] });
  });

  it('p chart after removing samples 15 and 23 (recorded causes): 0.215, 0.04070284, 0.3892972', () => {
    const r = analyzeChart({ chart: 'p', counts: orangejuice.D, sizes, phase1: 30, exclude: [15, 23] });
    sig(r.center, 0.215, 3);
    sig(r.sigma, 0.4108223);
    sig(r.lcl, 0.04070284);
    sig(r.ucl, 0.3892972);
    expect(r.stages[0]?.baseline.excluded).toEqual([15, 23]);
  });

  it('np chart, qcc orangejuice: CL 11.56667, σ 2.981763, limits 2.621377/20.51196', () => {
    const r = analyzeChart({ chart: 'np', counts: orangejuice.D.slice(0, 30), sizes: sizes.slice(0, 30) });
    sig(r.center, 11.56667);
    sig(r.sigma, 2.981763);
    sig(r.lcl, 2.621377);
    sig(r.ucl, 20.51196);
  });

  it('c chart, NIST 6.3.3.1 wafers: c̄ 16, UCL 28, LCL 4; a point equal to the UCL is not a signal', () => {
    const r = analyzeChart({ chart: 'c', counts: waferDefects });
    expect(r.center).toBe(16);
    expect(r.ucl).toBe(28);
    expect(r.lcl).toBe(4);
    expect(r.points[2]?.value).toBe(28);
    expect(r.points[2]?.rules).toEqual([]);
    expect(r.violations).toEqual([{ rule: 'WE1', indices: [24] }]);
  });

  it('c chart, qcc circuit: trial 19.84615 (6.481447, 33.21086); without 6 and 20: 19.66667 (6.362532, 32.9708)', () => {
    const trial = analyzeChart({ chart: 'c', counts: circuit.x.slice(0, circuit.trial) });
    sig(trial.center, 19.84615);
    sig(trial.sigma, 4.454902);
    sig(trial.lcl, 6.481447);
    sig(trial.ucl, 33.21086);
    const r = analyzeChart({ chart: 'c', counts: circuit.x, phase1: circuit.trial, exclude: [6, 20] });
    sig(r.center, 19.66667);
    sig(r.sigma, 4.434712);
    sig(r.lcl, 6.362532);
    sig(r.ucl, 32.9708, 6);
  });

  it('u chart, qcc circuit per board: 0.1966667 (0.06362532, 0.329708)', () => {
    const r = analyzeChart({
      chart: 'u',
      counts: circuit.x,
      sizes: circuit.x.map(() => circuit.size),
      phase1: circuit.trial,
      exclude: [6, 20],
    });
    sig(r.center, 0.1966667);
    sig(r.sigma, 0.4434712);
    sig(r.lcl, 0.06362532);
    sig(r.ucl, 0.329708, 6);
  });

  it('u chart with varying exposure: pooled ū = ΣD/Σn, per-point limits, LCL clamped at 0', () => {
    const counts = [3, 10, 2, 8, 4, 12, 1, 6, 5, 9];
    const exposure = [1.5, 4, 0.5, 3, 2, 5, 0.4, 2.5, 2, 3.5];
    const r = analyzeChart({ chart: 'u', counts, sizes: exposure });
    const ubar = 60 / 24.4;
    expect(r.center).toBeCloseTo(ubar, 14);
    const lcl = r.lcl as number[];
    const ucl = r.ucl as number[];
    r.points.forEach((p, i) => {
      const s = Math.sqrt(ubar / (exposure[i] as number));
      expect(ucl[i]).toBeCloseTo(ubar + 3 * s, 12);
      expect(p.lclUnclamped).toBeCloseTo(ubar - 3 * s, 12);
      expect(lcl[i]).toBe(Math.max(0, ubar - 3 * s));
    });
    expect(r.points[6]?.lcl).toBe(0);
    expect(r.points[6]?.lclUnclamped).toBeLessThan(0);
  });

  it('p chart with varying sizes pools p̄ (not the mean of the proportions)', () => {
    const r = analyzeChart({
      chart: 'p',
      counts: [1, 10, 2, 9, 3, 8, 2, 7],
      sizes: [10, 100, 10, 100, 10, 100, 10, 100],
    });
    expect(r.center).toBeCloseTo(42 / 440, 15);
    expect(Array.isArray(r.ucl)).toBe(true);
  });

  it('rejects mismatched sizes, counts above sizes, np with varying sizes and an all-zero baseline', () => {
    expect(() => analyzeChart({ chart: 'p', counts: [1, 2], sizes: [10] })).toThrow(/2 counts but 1 sizes/);
    expect(() => analyzeChart({ chart: 'p', counts: [11, 2], sizes: [10, 10] })).toThrow(
      /exceeds sizes\[1\]/,
    );
    expect(() => analyzeChart({ chart: 'np', counts: [1, 2], sizes: [10, 20] })).toThrow(/use the p chart/);
    const zeros = Array.from({ length: 10 }, () => 0);
    expect(() => analyzeChart({ chart: 'c', counts: zeros })).toThrow(/zero width/);
  });
});

describe('Laney p′ and u′ (docs/methods.md §5.6)', () => {
  it('widens the limits by σ_z = MR̄(z)/1.128 and reduces to the p chart when σ_z = 1', () => {
    const counts = [480, 520, 455, 610, 498, 530, 470, 505, 560, 440, 515, 490];
    const sizes = counts.map((_, i) => 10_000 + 500 * i);
    const p = analyzeChart({ chart: 'p', counts, sizes });
    const pp = analyzeChart({ chart: 'p-prime', counts, sizes });
    const z = p.points.map((pt) => pt.z);
    let mr = 0;
    for (let i = 1; i < z.length; i++) mr += Math.abs((z[i] as number) - (z[i - 1] as number));
    const sigmaZ = mr / (z.length - 1) / 1.128;
    expect(pp.stages[0]?.details.sigmaZ).toBeCloseTo(sigmaZ, 12);
    expect(pp.center).toBe(p.center);
    pp.points.forEach((pt, i) => {
      expect(pt.sigma).toBeCloseTo((p.points[i]?.sigma as number) * sigmaZ, 14);
      expect(pt.z).toBeCloseTo((p.points[i]?.z as number) / sigmaZ, 12);
    });
  });
});
