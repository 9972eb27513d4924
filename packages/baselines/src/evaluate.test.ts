import type { KpiPoint } from '@shewhart/kpi';
import { describe, expect, it } from 'vitest';
import { type BaselineVersion, evaluateSeries } from './evaluate.js';
import { firstPeriodFrom, periodStartOf } from './periods.js';

/** Weekly points starting Monday 2026-01-05. */
function weekly(values: (number | null)[], extra: Partial<KpiPoint> = {}): KpiPoint[] {
  return values.map((v, i) => ({
    periodStart: new Date(Date.UTC(2026, 0, 5 + 7 * i)).toISOString().slice(0, 10),
    value: v,
    numerator: null,
    denominator: null,
    n: 1,
    provisional: false,
    ...extra,
  }));
}

const xmr = { id: 'schedule_slippage', chart: 'XmR' as const };
const stable = [10, 12, 11, 13, 10, 12, 11, 12, 10, 13, 11, 12, 10, 11, 13, 12, 11, 10, 12, 11];

describe('evaluateSeries', () => {
  it('computes Phase-I limits from the first 20 points of a stage (XmR, d2 = 1.128) and freezes them', () => {
    const values = [...stable, 11, 12, 30];
    const ev = evaluateSeries({ kpi: xmr, points: weekly(values), stageStarts: [] });
    const mean = stable.reduce((a, b) => a + b, 0) / 20;
    const mrBar = stable.slice(1).reduce((s, v, i) => s + Math.abs(v - (stable[i] as number)), 0) / 19;
    expect(ev.stages).toHaveLength(1);
    expect(ev.stages[0]).toMatchObject({ status: 'firm', from: '2026-01-05' });
    expect(ev.stages[0]?.center).toBeCloseTo(mean, 12);
    expect(ev.stages[0]?.ucl).toBeCloseTo(mean + (3 * mrBar) / 1.128, 12);
    expect(ev.stages[0]?.fit?.nPoints).toBe(20);
    expect(ev.points.slice(0, 20).every((p) => p.phase === 1)).toBe(true);
    expect(ev.points[22]).toMatchObject({ phase: 2, rules: ['WE1'] });
  });

  it('is provisional from 8 points and has no limits below 8', () => {
    expect(
      evaluateSeries({ kpi: xmr, points: weekly(stable.slice(0, 8)), stageStarts: [] }).stages[0]?.status,
    ).toBe('provisional');
    const few = evaluateSeries({ kpi: xmr, points: weekly(stable.slice(0, 7)), stageStarts: [] });
    expect(few.stages[0]).toMatchObject({ status: 'insufficient', center: null, ucl: null });
    expect(few.points.every((p) => p.z === null && p.rules.length === 0)).toBe(true);
  });

  it('starts a stage at a process change, with its own limits, and reports the shift against the old ones', () => {
    const after = stable.map((v) => v - 6);
    const ev = evaluateSeries({
      kpi: xmr,
      points: weekly([...stable, ...after]),
      stageStarts: ['2026-05-25'],
    });
    expect(ev.stages.map((s) => [s.from, s.status])).toEqual([
      ['2026-01-05', 'firm'],
      ['2026-05-25', 'firm'],
    ]);
    expect(ev.stages[1]?.center).toBeCloseTo((stable.reduce((a, b) => a + b, 0) - 120) / 20, 12);
    // Against the first stage's limits, the new data sit below the centre line: WE1 points and a WE4 run.
    const evidence = ev.stages[1]?.evidence;
    expect(evidence?.againstStage).toBe(0);
    const rules = new Set(evidence?.signals.flatMap((s) => s.rules));
    expect(rules.has('WE4')).toBe(true);
    expect(ev.points[27]?.againstPrevious).toContain('WE4');
    // Within its own limits the new stage is stable.
    expect(ev.points.slice(20).every((p) => p.rules.length === 0)).toBe(true);
  });

  it('reuses a frozen firm baseline instead of recomputing it (Phase II)', () => {
    const frozen: BaselineVersion = {
      baselineId: 'b1',
      stage: 0,
      stageFrom: '2026-01-05',
      version: 2,
      chart: 'xmr',
      transform: 'none',
      center: 100,
      sigma: 1,
      status: 'firm',
      nPoints: 20,
      windowFrom: '2026-01-05',
      windowTo: '2026-05-18',
      excluded: [],
      ruleSet: ['WE1', 'WE4'],
      createdAt: '2026-06-01 00:00:00.000',
      reason: 'initial baseline',
    };
    const ev = evaluateSeries({
      kpi: xmr,
      points: weekly([100, 101, 99, 104]),
      stageStarts: [],
      frozen: new Map([['2026-01-05', frozen]]),
    });
    expect(ev.stages[0]).toMatchObject({ status: 'firm', center: 100, ucl: 103, lcl: 97, frozen });
    expect(ev.points.map((p) => p.rules)).toEqual([[], [], [], ['WE1']]);
    expect(ev.points.every((p) => p.phase === 2)).toBe(true);
  });

  it('charts durations in log space and back-transforms the limits (geometric centre)', () => {
    const values = stable.map((v) => v * 3);
    const ev = evaluateSeries({
      kpi: { id: 'lead_time_for_changes', chart: 'XmR-ln' },
      points: weekly([...values, 0]),
      stageStarts: [],
    });
    const logs = values.map(Math.log);
    const gm = Math.exp(logs.reduce((a, b) => a + b, 0) / logs.length);
    expect(ev.stages[0]?.center).toBeCloseTo(gm, 10);
    expect(ev.skipped).toEqual(['2026-05-25']); // ln(0) cannot be charted
    const s = ev.stages[0];
    expect((s?.ucl as number) / (s?.center as number)).toBeCloseTo(
      (s?.center as number) / (s?.lcl as number),
      10,
    );
  });

  it('puts proportions on a p chart with per-point limits, in percent', () => {
    const points = weekly(Array(20).fill(10)).map((p, i) => {
      const den = i % 2 === 0 ? 20 : 40;
      const num = i % 2 === 0 ? 2 : 4;
      return { ...p, numerator: num, denominator: den, value: (num / den) * 100 };
    });
    const ev = evaluateSeries({ kpi: { id: 'change_failure_rate', chart: 'p' }, points, stageStarts: [] });
    expect(ev.mapping.chart).toBe('p');
    expect(ev.stages[0]?.center).toBeCloseTo(10, 12);
    expect(ev.stages[0]?.ucl).toBeNull(); // varies with n
    expect(ev.points[0]?.ucl).toBeCloseTo(100 * (0.1 + 3 * Math.sqrt((0.1 * 0.9) / 20)), 10);
    expect(ev.points[1]?.ucl).toBeCloseTo(100 * (0.1 + 3 * Math.sqrt((0.1 * 0.9) / 40)), 10);
  });
});

describe('assignable causes (docs/methods.md §5.9 rule 2)', () => {
  const withOutlier = [...stable.slice(0, 5), 40, ...stable.slice(6)];

  it('removes a flagged Phase-I point that has a recorded cause, and records it as excluded', () => {
    const points = weekly(withOutlier);
    const outlier = points[5]?.periodStart as string;
    const kept = evaluateSeries({ kpi: xmr, points, stageStarts: [] });
    expect(kept.points[5]?.rules).toContain('WE1');
    expect(kept.stages[0]?.unexplainedSignals).toEqual([outlier]);

    const cleaned = evaluateSeries({ kpi: xmr, points, stageStarts: [], causes: new Set([outlier]) });
    const others = withOutlier.filter((_, i) => i !== 5);
    expect(cleaned.stages[0]?.center).toBeCloseTo(others.reduce((a, b) => a + b, 0) / others.length, 12);
    expect(cleaned.stages[0]?.fit).toMatchObject({ nPoints: 19, excluded: [outlier] });
    expect(cleaned.stages[0]?.unexplainedSignals).toEqual([]);
  });

  it('keeps a point with a cause that is not flagged (a cause alone is no reason to drop data)', () => {
    const points = weekly(stable);
    const ev = evaluateSeries({
      kpi: xmr,
      points,
      stageStarts: [],
      causes: new Set([points[3]?.periodStart as string]),
    });
    expect(ev.stages[0]?.fit).toMatchObject({ nPoints: 20, excluded: [] });
  });
});

describe('periods', () => {
  it('aligns to ISO weeks, months and quarters in UTC', () => {
    const t = new Date('2026-11-25T13:00:00Z');
    expect(periodStartOf(t, 'week').toISOString().slice(0, 10)).toBe('2026-11-23');
    expect(periodStartOf(t, 'month').toISOString().slice(0, 10)).toBe('2026-11-01');
    expect(periodStartOf(t, 'quarter').toISOString().slice(0, 10)).toBe('2026-10-01');
  });
  it('starts a stage with the first period entirely after a change', () => {
    expect(firstPeriodFrom(new Date('2026-11-25T13:00:00Z'), 'week')).toBe('2026-11-30');
    expect(firstPeriodFrom(new Date('2026-11-23T00:00:00Z'), 'week')).toBe('2026-11-23');
    expect(firstPeriodFrom(new Date('2026-12-31T23:59:59Z'), 'quarter')).toBe('2027-01-01');
  });
});
