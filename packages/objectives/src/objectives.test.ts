import { describe, expect, it } from 'vitest';
import { attainmentRatio, evaluateObjective, isMet, ObjectivesFileError, parseObjectives } from './index.js';
import type { Objective } from './schema.js';

const base = { id: 'o', kpi: 'change_failure_rate', scope: 'org', period: 'month', owner: 'qa' } as const;
const lower = { ...base, direction: 'lower', target: 15 } as Objective;
const higher = { ...base, direction: 'higher', target: 80 } as Objective;
const range = { ...base, direction: 'range', band: { low: 200, high: 400 } } as Objective;

describe('objective evaluation (docs/methods.md §2.1)', () => {
  it('met is ≥ for higher, ≤ for lower, inside the band for range (bounds included)', () => {
    expect([isMet(higher, 80), isMet(higher, 79.9)]).toEqual([true, false]);
    expect([isMet(lower, 15), isMet(lower, 15.1)]).toEqual([true, false]);
    expect([isMet(range, 200), isMet(range, 400), isMet(range, 199), isMet(range, 401)]).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });

  it('attainment ratio: actual/target for higher, target/actual for lower, 0 counts as met', () => {
    expect(attainmentRatio(higher, 60)).toBe(0.75);
    expect(attainmentRatio(higher, 100)).toBe(1.25);
    expect(attainmentRatio(lower, 30)).toBe(0.5);
    expect(attainmentRatio(lower, 0)).toBe(1);
    expect(attainmentRatio(range, 300)).toBe(1);
    expect(attainmentRatio(range, 100)).toBe(0.5);
    expect(attainmentRatio(range, 800)).toBe(0.5);
  });

  it('caps attainment at 1, keeps the uncapped value, and measures progress from the baseline', () => {
    const r = evaluateObjective({ ...lower, baseline: 25 }, [
      { periodStart: '2026-01-01', value: 20, provisional: false },
      { periodStart: '2026-02-01', value: null, provisional: false },
      { periodStart: '2026-03-01', value: 10, provisional: true },
    ]);
    expect(r.baselineSource).toBe('objective');
    expect(r.periods).toEqual([
      {
        periodStart: '2026-01-01',
        actual: 20,
        status: 'missed',
        attainment: 0.75,
        attainmentUncapped: 0.75,
        progress: 0.5,
        provisional: false,
      },
      {
        periodStart: '2026-02-01',
        actual: null,
        status: 'not_evaluable',
        attainment: null,
        attainmentUncapped: null,
        progress: null,
        provisional: false,
      },
      {
        periodStart: '2026-03-01',
        actual: 10,
        status: 'met',
        attainment: 1,
        attainmentUncapped: 1.5,
        progress: 1.5,
        provisional: true,
      },
    ]);
  });

  it('takes the first evaluable period as baseline when none is given; progress is null when target = baseline', () => {
    const r = evaluateObjective(lower, [
      { periodStart: 'a', value: null, provisional: false },
      { periodStart: 'b', value: 15, provisional: false },
    ]);
    expect(r).toMatchObject({ baseline: 15, baselineSource: 'first-period' });
    expect(r.periods[1]?.progress).toBeNull();
  });
});

describe('objectives file', () => {
  it('parses a valid file with defaults', () => {
    const list = parseObjectives(`
objectives:
  - id: cfr-payments
    kpi: change_failure_rate
    scope: { team: payments }
    direction: lower
    target: 15
    spec: { usl: 30 }
    owner: Jane
    due: 2026-12-31
`);
    expect(list).toEqual([
      {
        id: 'cfr-payments',
        kpi: 'change_failure_rate',
        scope: { team: 'payments' },
        direction: 'lower',
        target: 15,
        spec: { usl: 30 },
        period: 'month',
        owner: 'Jane',
        due: '2026-12-31',
      },
    ]);
  });

  it('names file, line and field for every problem', () => {
    const text = `objectives:
  - id: ok-one
    kpi: change_failure_rate
    direction: lower
    target: 15
    owner: qa
  - id: Bad Id
    kpi: nope
    direction: sideways
    owner: qa
  - id: ok-one
    kpi: defect_arrivals
    direction: range
    band: { low: 5, high: 1 }
    owner: qa
`;
    let error: ObjectivesFileError | undefined;
    try {
      parseObjectives(text, 'quality.yaml');
    } catch (e) {
      error = e as ObjectivesFileError;
    }
    expect(error).toBeInstanceOf(ObjectivesFileError);
    const p = error?.problems ?? [];
    expect(p).toContainEqual(expect.objectContaining({ line: 7, path: 'objectives[1].id' }));
    expect(p).toContainEqual(expect.objectContaining({ line: 9, path: 'objectives[1].direction' }));
    expect(error?.message).toContain('quality.yaml:9: objectives[1].direction');
  });

  it('checks cross-field rules once the fields themselves are valid', () => {
    const text = `objectives:
  - id: one
    kpi: change_failure_rate
    direction: lower
    target: 15
    owner: qa
  - id: one
    kpi: defect_arrivals
    direction: range
    band: { low: 5, high: 1 }
    owner: qa
  - id: three
    kpi: defect_arrivals
    direction: higher
    owner: qa
`;
    let error: ObjectivesFileError | undefined;
    try {
      parseObjectives(text, 'quality.yaml');
    } catch (e) {
      error = e as ObjectivesFileError;
    }
    const p = error?.problems ?? [];
    expect(p).toContainEqual(expect.objectContaining({ line: 10, path: 'objectives[1].band.low' }));
    expect(p).toContainEqual(
      expect.objectContaining({
        line: 12,
        path: 'objectives[2].target',
        message: 'is required when direction is higher',
      }),
    );
  });

  it('reports duplicate ids with their line', () => {
    const text =
      'objectives:\n  - { id: a, kpi: defect_arrivals, direction: lower, target: 1, owner: q }\n  - { id: a, kpi: defect_arrivals, direction: lower, target: 2, owner: q }\n';
    expect(() => parseObjectives(text, 'f.yaml')).toThrow(
      /f\.yaml:3: objectives\[1\]\.id: duplicates objectives\[0\]\.id "a"/,
    );
  });

  it('rejects unknown KPIs and reversed spec limits', () => {
    expect(() =>
      parseObjectives('objectives:\n  - { id: x, kpi: nope, direction: lower, target: 1, owner: q }\n'),
    ).toThrow(/unknown KPI "nope"/);
    expect(() =>
      parseObjectives(
        'objectives:\n  - { id: x, kpi: defect_arrivals, direction: lower, target: 1, owner: q, spec: { lsl: 5, usl: 1 } }\n',
      ),
    ).toThrow(/lsl must be below usl/);
    expect(() => parseObjectives('objectives: [\n')).toThrow(ObjectivesFileError);
  });
});
