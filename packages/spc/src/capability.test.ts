import { describe, expect, it } from 'vitest';
import { capabilityIndices } from './capability.js';
import { analyzeChart } from './charts/engine.js';
import { capabilityGrouped, pistonrings } from './fixtures/qcc.js';

function printed(actual: number | null | undefined, expected: number, decimals: number): void {
  expect(typeof actual).toBe('number');
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(0.5 * 10 ** -decimals + 1e-12);
}

describe('capability (docs/methods.md §5.8)', () => {
  it('qcc piston rings, LSL 73.95, USL 74.05: Cp 1.70, Cpl 1.74, Cpu 1.66, Cpk 1.66, Cpm 1.69', () => {
    const r = analyzeChart({
      chart: 'xbar-r',
      subgroups: pistonrings,
      phase1: 25,
      spec: { lsl: 73.95, usl: 74.05 },
    });
    const c = r.capability;
    expect(c?.reason).toBeNull();
    printed(c?.cp, 1.7, 2);
    printed(c?.cpl, 1.74, 2);
    printed(c?.cpu, 1.66, 2);
    printed(c?.cpk, 1.66, 2);
    printed(c?.cpm, 1.69, 2);
    expect(c?.n).toBe(125);
    expect(c?.target).toBe(74);
  });

  it('qcc piston rings with target 74.02: Cp 1.703, Cpl 1.743, Cpu 1.663, Cpk 1.663, Cpm 0.786', () => {
    const r = analyzeChart({
      chart: 'xbar-r',
      subgroups: pistonrings.slice(0, 25),
      spec: { lsl: 73.95, usl: 74.05, target: 74.02 },
    });
    printed(r.capability?.cp, 1.703, 3);
    printed(r.capability?.cpl, 1.743, 3);
    printed(r.capability?.cpu, 1.663, 3);
    printed(r.capability?.cpk, 1.663, 3);
    printed(r.capability?.cpm, 0.786, 3);
  });

  it('qcc piston rings, specs 73.99–74.01: Cp 0.341 … and expected/observed fractions 0.13/0.12, 0.18/0.16', () => {
    const r = analyzeChart({
      chart: 'xbar-r',
      subgroups: pistonrings.slice(0, 25),
      spec: { lsl: 73.99, usl: 74.01 },
    });
    const c = r.capability;
    printed(c?.cp, 0.341, 3);
    printed(c?.cpl, 0.381, 3);
    printed(c?.cpu, 0.301, 3);
    printed(c?.cpk, 0.301, 3);
    printed(c?.cpm, 0.338, 3);
    printed(c?.expectedBelowLsl, 0.13, 2);
    printed(c?.expectedAboveUsl, 0.18, 2);
    printed(c?.observedBelowLsl, 0.12, 2);
    printed(c?.observedAboveUsl, 0.16, 2);
  });

  it('qcc test-capability.R two-sided, one-sided and off-target cases (tolerance 1e-6)', () => {
    const chart = (spec: { lsl?: number; usl?: number; target?: number }) =>
      analyzeChart({ chart: 'xbar-r', subgroups: capabilityGrouped, spec, minBaseline: 3 }).capability;
    const mid = chart({ lsl: 9.9, usl: 10.1, target: 10 });
    const expected: [keyof NonNullable<typeof mid>, number][] = [
      ['cp', 1.372667],
      ['cpl', 1.4413],
      ['cpu', 1.304033],
      ['cpk', 1.304033],
      ['cpm', 1.344463],
      ['pp', 1.612598],
      ['ppl', 1.693228],
      ['ppu', 1.531968],
      ['ppk', 1.531968],
      ['ppm', 1.567395],
    ];
    for (const [k, v] of expected) expect(Math.abs((mid?.[k] as number) - v)).toBeLessThan(1e-6);
    const off = chart({ lsl: 9.9, usl: 10.1, target: 10.02 });
    expect(Math.abs((off?.cpm as number) - 1.167834)).toBeLessThan(1e-6);
    expect(Math.abs((off?.ppm as number) - 1.305161)).toBeLessThan(1e-6);
    const upper = chart({ usl: 10.1, target: 10.02 });
    expect(upper?.cp).toBeNull();
    expect(upper?.cpl).toBeNull();
    expect(upper?.pp).toBeNull();
    expect(upper?.cpm).toBeNull();
    expect(Math.abs((upper?.cpu as number) - 1.304033)).toBeLessThan(1e-6);
    expect(upper?.cpk).toBe(upper?.cpu);
    expect(Math.abs((upper?.ppk as number) - 1.531968)).toBeLessThan(1e-6);
    const lower = chart({ lsl: 9.9, target: 10.02 });
    expect(lower?.cpu).toBeNull();
    expect(Math.abs((lower?.cpk as number) - 1.4413)).toBeLessThan(1e-6);
    expect(Math.abs((lower?.ppk as number) - 1.693228)).toBeLessThan(1e-6);
  });

  it('NIST 6.1.6: USL 20, LSL 8, μ 16, σ 2 → Cp 1.00, Cpk 0.6667 (= (1 − k)·Cp)', () => {
    const c = capabilityIndices({ mean: 16, sigmaWithin: 2, spec: { lsl: 8, usl: 20 } });
    printed(c.cp, 1.0, 2);
    printed(c.cpk, 0.6667, 4);
    const k = Math.abs(14 - 16) / 6;
    expect(c.cpk).toBeCloseTo((1 - k) * (c.cp as number), 12);
  });

  it('returns null indices with reason "unstable" when the baseline has unexplained signals', () => {
    const values = [10, 11, 9, 10, 12, 10, 9, 11, 10, 30, 10, 11, 9, 10];
    const r = analyzeChart({ chart: 'xmr', values, spec: { lsl: 0, usl: 40 } });
    expect(r.capability?.reason).toBe('unstable');
    expect(r.capability?.cpk).toBeNull();
    expect(r.capability?.unexplainedSignals).toEqual([10]);
    const forced = analyzeChart({
      chart: 'xmr',
      values,
      spec: { lsl: 0, usl: 40 },
      capabilityWhenUnstable: true,
    });
    expect(forced.capability?.reason).toBeNull();
    expect(typeof forced.capability?.cpk).toBe('number');
    // A recorded cause for the signal makes it explained: the point leaves the baseline.
    const explained = analyzeChart({ chart: 'xmr', values, spec: { lsl: 0, usl: 40 }, exclude: [10] });
    expect(explained.capability?.reason).toBeNull();
  });

  it('rejects reversed specification limits and attribute charts', () => {
    const values = [10, 11, 9, 10, 12, 10, 9, 11, 10, 10];
    expect(() => analyzeChart({ chart: 'xmr', values, spec: { lsl: 12, usl: 8 } })).toThrow(/reversed/);
    expect(() => analyzeChart({ chart: 'xmr', values, spec: {} })).toThrow(/at least one of lsl and usl/);
    expect(() => analyzeChart({ chart: 'c', counts: values, spec: { usl: 20 } })).toThrow(/variables chart/);
  });
});
