import type { KpiPoint } from '@shewhart/kpi';
import { describe, expect, it } from 'vitest';
import { type BaselineVersion, evaluateSeries } from './evaluate.js';
import { firstPeriodFrom, isOpenPeriod, periodStartOf } from './periods.js';
import { evaluateRules, ruleApplicability } from './rule-validity.js';

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
    // The stored window (to 2026-05-18) says which points set the limits: these four lie inside it.
    expect(ev.points.every((p) => p.phase === 1)).toBe(true);
    expect(ev.stages[0]?.phase2From).toBeUndefined();
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

describe('open periods (docs/methods.md §5.9 rule 7)', () => {
  // Defect arrivals per week, about 20 a week, then 3 so far in the current, unfinished week.
  const arrivals = [
    20, 22, 18, 21, 19, 24, 17, 20, 23, 18, 21, 20, 19, 22, 16, 20, 21, 18, 24, 19, 20, 22, 18,
  ];
  const counts = (values: number[]) =>
    weekly(values).map((p) => ({ ...p, numerator: p.value, n: p.value as number }));
  const c = { id: 'defect_arrivals', chart: 'c' as const };
  const series = counts([...arrivals, 3]);
  const current = series.at(-1)?.periodStart as string; // 2026-06-15, a Monday
  const wednesday = new Date(`${current}T12:00:00Z`);
  wednesday.setUTCDate(wednesday.getUTCDate() + 2);

  it('is the period whose end (exclusive, UTC) is after the evaluation time', () => {
    expect(isOpenPeriod('2026-06-15', 'week', new Date('2026-06-17T12:00:00Z'))).toBe(true);
    expect(isOpenPeriod('2026-06-15', 'week', new Date('2026-06-22T00:00:00Z'))).toBe(false);
    expect(isOpenPeriod('2026-06-15', 'week', new Date('2026-06-21T23:59:59.999Z'))).toBe(true);
    expect(isOpenPeriod('2026-06-01', 'month', new Date('2026-06-30T23:00:00Z'))).toBe(true);
    expect(isOpenPeriod('2026-04-01', 'quarter', new Date('2026-07-01T00:00:00Z'))).toBe(false);
  });

  it('raises no signal on a partial week: listed as open against the limits, never evaluated', () => {
    // Evaluated as if the week had ended, the 3 events would be far below the lower limit (c̄ ≈ 20).
    const closedView = evaluateSeries({ kpi: c, points: series, stageStarts: [] });
    expect(closedView.points.at(-1)?.rules).toEqual(['WE1']);

    const ev = evaluateSeries({ kpi: c, points: series, stageStarts: [], asOf: wednesday, grain: 'week' });
    const last = ev.points.at(-1);
    expect(last).toMatchObject({ periodStart: current, value: 3, open: true, rules: [], phase: null });
    expect(last?.ucl).toBeCloseTo(ev.stages[0]?.ucl as number, 12); // drawn against the stage's limits
    expect(ev.points.slice(0, -1).every((p) => !p.open)).toBe(true);
    expect(ev.stages[0]?.to).toBe(current);
    // The limits come from the closed weeks only: the first 20.
    const cbar = arrivals.slice(0, 20).reduce((a, b) => a + b, 0) / 20;
    expect(ev.stages[0]?.center).toBeCloseTo(cbar, 12);
  });

  it('never lets an open period into Phase I, nor into a run', () => {
    // 7 closed weeks and the open one: not enough for provisional limits (8).
    const seven = counts([...arrivals.slice(0, 7), 3]);
    const few = evaluateSeries({
      kpi: c,
      points: seven,
      stageStarts: [],
      asOf: new Date(Date.parse(`${seven.at(-1)?.periodStart}T00:00:00Z`) + 86_400_000),
      grain: 'week',
    });
    expect(few.stages[0]?.status).toBe('insufficient');
    // 20 weeks, then 7 closed weeks above the centre and an open 8th: no WE4 on the open week.
    const high = [...arrivals.slice(0, 20), 25, 26, 24, 25, 27, 25, 26, 40];
    const points = counts(high);
    const asOf = new Date(Date.parse(`${points.at(-1)?.periodStart}T00:00:00Z`) + 86_400_000);
    const ev = evaluateSeries({ kpi: c, points, stageStarts: [], asOf, grain: 'week' });
    expect(ev.points.at(-1)).toMatchObject({ open: true, rules: [] });
    expect(ev.points.flatMap((p) => p.rules)).not.toContain('WE4');
    // Once the week has ended it is evaluated like any other.
    const later = new Date(asOf.getTime() + 7 * 86_400_000);
    const closed = evaluateSeries({ kpi: c, points, stageStarts: [], asOf: later, grain: 'week' });
    expect(closed.points.at(-1)).toMatchObject({ open: false, rules: ['WE1', 'WE4'] });
  });

  it('keeps an open period out of the shift evidence against the previous stage', () => {
    const points = counts([...arrivals.slice(0, 20), 8, 9, 7, 8, 10, 9, 8, 9, 8, 2]);
    const asOf = new Date(Date.parse(`${points.at(-1)?.periodStart}T00:00:00Z`) + 86_400_000);
    const ev = evaluateSeries({
      kpi: c,
      points,
      stageStarts: [points[20]?.periodStart as string],
      asOf,
      grain: 'week',
    });
    const evidence = ev.stages[1]?.evidence?.signals.map((s) => s.periodStart) ?? [];
    expect(evidence.length).toBeGreaterThan(0);
    expect(evidence).not.toContain(points.at(-1)?.periodStart);
    expect(ev.points.at(-1)?.againstPrevious).toEqual([]);
  });
});

describe('rules only where their assumptions hold (rule-validity.ts)', () => {
  it('drops the run rule where one side of the centre line is more likely than not (few expected events)', () => {
    // Escaped defects of 13 found per week, p̄ = 2/520: 95 % of weeks count zero, below the centre.
    const points = weekly(Array(40).fill(0)).map((p, i) => {
      const num = i === 5 || i === 30 ? 1 : 0;
      return { ...p, numerator: num, denominator: 13, value: (num / 13) * 100 };
    });
    const kpi = { id: 'defect_escape_rate', chart: 'p' as const };
    const ev = evaluateSeries({ kpi, points, stageStarts: [] });
    expect(ev.points.flatMap((p) => p.rules)).not.toContain('WE4');
    expect(ev.stages[0]?.inapplicable).toEqual({ WE4: 40 });
  });

  it('keeps every rule where the expected count is 5 or more (c̄ = 16, NIST 6.3.3.1)', () => {
    const all = ruleApplicability('c', { counts: [16, 12, 20] }, 16);
    for (const a of all)
      expect([...a].sort()).toEqual(
        [
          'NELSON1',
          'NELSON2',
          'NELSON3',
          'NELSON4',
          'NELSON5',
          'NELSON6',
          'NELSON7',
          'NELSON8',
          'WE1',
          'WE2',
          'WE3',
          'WE4',
        ].sort(),
      );
  });

  it('decides the run rule from the exact binomial below an expected count of 5', () => {
    // n = 5, p̄ = 0.2: P(X < 1) = 0.328 and P(X > 1) = 0.263, neither above ½: runs are evidence.
    const [balanced] = ruleApplicability('p', { counts: [1], sizes: [5] }, 0.2);
    expect(balanced?.has('WE4')).toBe(true);
    expect(balanced?.has('WE2')).toBe(false); // zone rules need 5 expected events
    // n = 5, p̄ = 0.22: P(X ≤ 1) = 0.696, so most weeks lie below the centre line: no run rule.
    const [skewed] = ruleApplicability('p', { counts: [1], sizes: [5] }, 0.22);
    expect(skewed?.has('WE4')).toBe(false);
    expect(skewed?.has('WE1')).toBe(true);
    // A proportion near 1 is a count near 0 of the other outcome: the same, mirrored.
    const [nearOne] = ruleApplicability('p', { counts: [13], sizes: [13] }, 0.99);
    expect(nearOne?.has('WE4')).toBe(false);
    // u chart: λ = n·ū from the exposure.
    const [u] = ruleApplicability('u', { counts: [3], sizes: [2] }, 3);
    expect(u?.has('WE2')).toBe(true);
    expect(ruleApplicability('xmr', { values: [1, 2] }, 1.5).every((a) => a.has('NELSON7'))).toBe(true);
  });

  it('lets a point where a rule does not apply break that rule’s window', () => {
    const z = [1, 1, 1, 1, 1, 1, 1, 1, 1];
    const all = new Set(['WE1', 'WE4'] as const);
    const limitOnly = new Set(['WE1'] as const);
    expect(
      evaluateRules(
        z,
        z,
        ['WE1', 'WE4'],
        z.map(() => all),
      ),
    ).toEqual([[], [], [], [], [], [], [], ['WE4'], ['WE4']]);
    const broken = z.map((_, i) => (i === 3 ? limitOnly : all));
    expect(evaluateRules(z, z, ['WE1', 'WE4'], broken).flat()).toEqual([]);
    expect(evaluateRules([0, 4], [0, 4], ['WE1', 'WE4'], [limitOnly, limitOnly])).toEqual([[], ['WE1']]);
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
