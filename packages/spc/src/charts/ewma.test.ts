import { describe, expect, it } from 'vitest';
import { ewmaBatches } from '../fixtures/nist.js';
import { pistonrings, viscosity } from '../fixtures/qcc.js';
import { analyzeChart } from './engine.js';

function sig(actual: number | undefined, expected: number, digits = 7): void {
  const scale = 10 ** (Math.floor(Math.log10(Math.abs(expected))) - digits + 1);
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(0.5 * scale + 1e-15);
}

describe('EWMA (docs/methods.md §5.11)', () => {
  it('NIST 6.3.2.4: λ 0.3, L 3, σ 2.0539, target 50 → asymptotic UCL 52.5884, LCL 47.4115', () => {
    const r = analyzeChart({
      chart: 'ewma',
      values: ewmaBatches,
      ewma: { lambda: 0.3, L: 3, target: 50, sigma: 2.0539 },
    });
    const last = r.points[19];
    expect(Math.abs((last?.ucl as number) - 52.5884)).toBeLessThan(1e-4);
    expect(Math.abs((last?.lcl as number) - 47.4115)).toBeLessThan(1e-4);
    // z_t = λx_t + (1−λ)z_{t−1} from z_0 = target; first value 0.3·52 + 0.7·50 = 50.6.
    expect(r.points[0]?.value).toBeCloseTo(50.6, 12);
    let z = 50;
    r.points.forEach((p, i) => {
      z = 0.3 * (ewmaBatches[i] as number) + 0.7 * z;
      expect(p.value).toBeCloseTo(z, 12);
      const exact = 50 + 3 * 2.0539 * Math.sqrt((0.3 / 1.7) * (1 - 0.7 ** (2 * (i + 1))));
      expect(p.ucl).toBeCloseTo(exact, 12);
    });
    expect(r.rules).toEqual(['WE1']);
  });

  it('qcc viscosity: λ 0.2, 2.7σ, centre 34.088, σ 0.5076521; limits at points 1, 2 and 35', () => {
    const r = analyzeChart({
      chart: 'ewma',
      values: viscosity.values,
      phase1: viscosity.trial,
      ewma: { lambda: 0.2, L: 2.7 },
    });
    sig(r.center as number, 34.088, 5);
    sig(r.sigma as number, 0.5076521);
    const lcl = r.lcl as number[];
    const ucl = r.ucl as number[];
    sig(lcl[0], 33.81387);
    sig(ucl[0], 34.36213);
    sig(lcl[1], 33.73694);
    sig(ucl[1], 34.43906);
    sig(lcl[34], 33.63111);
    sig(ucl[34], 34.54489);
  });

  it('qcc piston rings on subgroup means: λ 0.2, 3σ → limits 73.99855/74.00380 at 1, 73.99680/74.00555 at 25', () => {
    const r = analyzeChart({ chart: 'ewma', subgroups: pistonrings.slice(0, 25), ewma: { lambda: 0.2 } });
    sig(r.sigma as number, 0.009785039);
    const lcl = r.lcl as number[];
    const ucl = r.ucl as number[];
    sig(lcl[0], 73.99855);
    sig(ucl[0], 74.0038, 6);
    sig(lcl[1], 73.99781);
    sig(ucl[1], 74.00454);
    sig(lcl[24], 73.9968, 6);
    sig(ucl[24], 74.00555);
  });

  it('rejects λ outside (0, 1] and a non-positive L', () => {
    expect(() => analyzeChart({ chart: 'ewma', values: ewmaBatches, ewma: { lambda: 0 } })).toThrow(/lambda/);
    expect(() => analyzeChart({ chart: 'ewma', values: ewmaBatches, ewma: { lambda: 1.5 } })).toThrow(
      /lambda/,
    );
    expect(() => analyzeChart({ chart: 'ewma', values: ewmaBatches, ewma: { L: -1 } })).toThrow(/ewma.L/);
  });
});
