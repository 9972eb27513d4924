import { type ChartDocument, firstPeriodFrom, nextPeriodStart } from '@shewhart/baselines';
import { type EntityStates, findKpi, type Grain, UnknownScopeError } from '@shewhart/kpi';
import { type ObjectiveService, querySeries, scopeOf } from '@shewhart/objectives';
import {
  type ComparisonResult,
  compareBeforeAfter,
  comparisonReport,
  comparisonTable,
  type Direction,
  type Verdict,
} from '@shewhart/spc';

/** docs/methods.md §6.4: points needed after a change before any verdict. */
export const MIN_AFTER = 8;

/** The minimum practical effect of an objective on the KPI in this scope (any period), else 0. */
export function minEffectFor(
  objectives: ObjectiveService | undefined,
  kpi: string,
  team: string | undefined,
  project?: string,
): number {
  const o = objectives?.objectives.find((x) => {
    const s = scopeOf(x);
    return x.kpi === kpi && s.team === team && s.project === project && x.minEffect !== undefined;
  });
  return o?.minEffect ?? 0;
}

export function directionOf(kpi: string): Direction | null {
  const better = findKpi(kpi)?.better;
  return better === 'lower' || better === 'higher' ? better : null;
}

function isClosed(periodStart: string, grain: Grain, asOf: Date): boolean {
  return nextPeriodStart(new Date(`${periodStart}T00:00:00Z`), grain).getTime() <= asOf.getTime();
}

export interface StoredCompareRequest {
  kpi: string;
  team?: string;
  project?: string;
  grain: Grain;
  /** Inclusive period-start ranges, YYYY-MM-DD. */
  before: [string, string];
  after: [string, string];
  unit?: string;
  phase?: string;
  alpha?: number;
  minEffect?: number;
  test?: 'mann-whitney' | 'welch';
  asOf?: Date;
}

export interface StoredComparison {
  kpi: string;
  scope: { team: string | null; project: string | null };
  grain: Grain;
  before: { from: string; to: string; periods: string[]; values: number[] };
  after: { from: string; to: string; periods: string[]; values: number[] };
  result: ComparisonResult;
}

/** Parses `A..B` (two dates YYYY-MM-DD, A ≤ B). */
export function parseRange(text: string, flag: string): [string, string] {
  const m = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/.exec(text.trim());
  const ok = (s: string) => new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s;
  if (!m || !ok(m[1] as string) || !ok(m[2] as string)) {
    throw Object.assign(new Error(`--${flag} must be FROM..TO with dates YYYY-MM-DD (got "${text}")`), {
      kind: 'invalid',
    });
  }
  if ((m[1] as string) > (m[2] as string)) {
    throw Object.assign(new Error(`--${flag}: ${m[1]} is after ${m[2]}`), { kind: 'invalid' });
  }
  return [m[1] as string, m[2] as string];
}

/**
 * docs/methods.md §6 on a KPI's stored series: the values of the closed periods starting in each range
 * (the before range is Phase I of the SPC evidence), the Welch and Mann–Whitney tests, the
 * Hodges–Lehmann shift and the improvement verdict, in the KPI's better direction.
 */
export async function compareStored(
  states: EntityStates,
  objectives: ObjectiveService | undefined,
  req: StoredCompareRequest,
): Promise<StoredComparison> {
  const direction = directionOf(req.kpi);
  if (!direction) {
    throw Object.assign(
      new Error(
        `${req.kpi} has a target band, not a better direction: compare values with --before/--after files`,
      ),
      {
        kind: 'invalid',
      },
    );
  }
  const asOf = req.asOf ?? new Date();
  const read = async ([from, to]: [string, string]) => {
    let points: { periodStart: string; value: number | null }[] = [];
    try {
      points = (
        await querySeries(states, objectives, req.kpi, {
          period: req.grain,
          from,
          to,
          asOf: asOf.toISOString(),
          ...(req.team ? { team: req.team } : {}),
          ...(req.project ? { project: req.project } : {}),
          ...(req.unit ? { unit: req.unit } : {}),
          ...(req.phase ? { phase: req.phase } : {}),
        })
      ).points;
    } catch (error) {
      if (!(error instanceof UnknownScopeError)) throw error;
      throw Object.assign(new Error(error.message), { kind: 'not_found' });
    }
    const kept = points.filter((p) => p.value !== null && isClosed(p.periodStart, req.grain, asOf));
    return { from, to, periods: kept.map((p) => p.periodStart), values: kept.map((p) => p.value as number) };
  };
  const before = await read(req.before);
  const after = await read(req.after);
  for (const [name, s] of [
    ['before', before],
    ['after', after],
  ] as const) {
    if (s.values.length === 0) {
      throw Object.assign(
        new Error(`no ${req.kpi} values in the ${name} range ${s.from}..${s.to} (per ${req.grain})`),
        {
          kind: 'invalid',
        },
      );
    }
  }
  const result = compareBeforeAfter(before.values, after.values, {
    direction,
    alpha: req.alpha,
    minEffect: req.minEffect ?? minEffectFor(objectives, req.kpi, req.team, req.project),
    test: req.test,
    minAfter: MIN_AFTER,
  });
  return {
    kpi: req.kpi,
    scope: { team: req.team ?? null, project: req.project ?? null },
    grain: req.grain,
    before,
    after,
    result,
  };
}

/** The JSON document of a stored comparison (the file-based `compare`'s, with the series and ranges). */
export function storedComparisonReport(c: StoredComparison): Record<string, unknown> {
  return {
    kpi: c.kpi,
    scope: c.scope,
    period: c.grain,
    before: c.before,
    after: c.after,
    ...comparisonReport(c.result),
  };
}

/** The table form: which series and ranges, then the file-based `compare`'s table. */
export function storedComparisonTable(c: StoredComparison): string {
  const scope = c.scope.team
    ? `team ${c.scope.team}${c.scope.project ? `, project ${c.scope.project}` : ''}`
    : 'organisation';
  return (
    `${c.kpi} · ${scope} · per ${c.grain}: before ${c.before.from}..${c.before.to} (${c.before.values.length} periods), after ${c.after.from}..${c.after.to} (${c.after.values.length} periods)\n` +
    comparisonTable(c.result)
  );
}

export interface ChangeVerdict {
  changeId: string;
  description: string;
  time: string;
  kpi: string;
  team: string;
  project: string;
  /** The unit or phase of the series (KPIs with a dimension), else ''. */
  dim: string;
  /** The grain of the series judged: the objective's period, or the KPI's default (week). */
  grain: Grain;
  stageFrom: string | null;
  nBefore: number;
  nAfter: number;
  medianBefore: number | null;
  medianAfter: number | null;
  /** before − after: the Hodges–Lehmann shift (Mann–Whitney) — positive is lower after. */
  effect: number | null;
  minEffect: number;
  pOneSided: number | null;
  alpha: number;
  spcRules: string[];
  verdict: Verdict | 'not-evaluable';
  reasons: string[];
}

/**
 * docs/methods.md §6.4 for a recorded process change, on the stored series: (1) the new stage's points signal
 * against the old stage's frozen limits in the desired direction (the chart's stage evidence, on the
 * KPI's own chart type), (2) the one-sided Mann–Whitney test of the old stage's values against the new
 * stage's has p < α, (3) the Hodges–Lehmann shift is at least the objective's minimum practical effect.
 * Fewer than 8 closed points after the change: insufficient data.
 */
export function changeVerdict(
  change: {
    changeId: string;
    description: string;
    time: Date;
    kpi: string;
    team: string;
    project: string;
    dim?: string;
  },
  doc: ChartDocument,
  asOf: Date,
  minEffect: number,
): ChangeVerdict {
  const grain = doc.period;
  const stageFrom = firstPeriodFrom(change.time, grain);
  const base = {
    changeId: change.changeId,
    description: change.description,
    time: change.time.toISOString(),
    kpi: change.kpi,
    team: change.team,
    project: change.project,
    dim: change.dim ?? '',
    grain,
    minEffect,
    alpha: 0.05,
  };
  const k = doc.stages.findIndex((s) => s.from === stageFrom);
  const direction = directionOf(change.kpi);
  const empty = (reason: string, verdict: ChangeVerdict['verdict'] = 'not-evaluable'): ChangeVerdict => ({
    ...base,
    stageFrom: k >= 0 ? stageFrom : null,
    nBefore: 0,
    nAfter: 0,
    medianBefore: null,
    medianAfter: null,
    effect: null,
    pOneSided: null,
    spcRules: [],
    verdict,
    reasons: [reason],
  });
  if (!direction) return empty('the KPI has a target band, not a better direction');
  if (k < 0)
    return empty(
      `no stage of the chart starts at ${stageFrom} (no data after the change yet)`,
      'insufficient-data',
    );
  if (k === 0) return empty('the change precedes the first data of the series: there is no stage before it');
  const closed = (stage: number) =>
    doc.points
      .filter((p) => p.stage === stage && isClosed(p.periodStart, grain, asOf) && Number.isFinite(p.value))
      .map((p) => p.value);
  const before = closed(k - 1);
  const after = closed(k);
  if (before.length === 0) return empty('the stage before the change has no closed points');
  if (after.length === 0) return empty('no closed period after the change yet', 'insufficient-data');
  const want = direction === 'lower' ? -1 : 1;
  const spcRules = [
    ...new Set(
      (doc.stages[k]?.evidence?.signals ?? [])
        .filter((s) => Math.sign(s.z) === want && isClosed(s.periodStart, grain, asOf))
        .flatMap((s) => s.rules),
    ),
  ].sort();
  const cmp = compareBeforeAfter(before, after, { direction, minEffect, minAfter: MIN_AFTER });
  const reasons: string[] = [];
  let verdict: Verdict;
  if (after.length < MIN_AFTER) {
    verdict = 'insufficient-data';
    reasons.push(`only ${after.length} closed point(s) after the change; at least ${MIN_AFTER} are needed`);
  } else {
    const better = direction === 'lower' ? 1 : -1;
    const spcOk = spcRules.length > 0;
    const testOk = cmp.evidence.pOneSided !== null && cmp.evidence.pOneSided < cmp.evidence.alpha;
    const effectOk = better * cmp.evidence.effect > 0 && better * cmp.evidence.effect >= minEffect;
    if (!spcOk)
      reasons.push(
        "no signal in the desired direction against the old stage's frozen limits (WE1 point or WE4/NELSON2 run)",
      );
    if (!testOk)
      reasons.push(
        `one-sided p = ${cmp.evidence.pOneSided?.toPrecision(4) ?? 'n/a'} is not below α = ${cmp.evidence.alpha}`,
      );
    if (!effectOk)
      reasons.push(
        `shift ${cmp.evidence.effect.toPrecision(4)} is not an improvement of at least ${minEffect}`,
      );
    verdict = spcOk && testOk && effectOk ? 'improved' : 'not-improved';
    if (verdict === 'improved')
      reasons.push('signal against the old limits, significant test and a practical effect');
  }
  return {
    ...base,
    stageFrom,
    nBefore: before.length,
    nAfter: after.length,
    medianBefore: cmp.median.before,
    medianAfter: cmp.median.after,
    effect: cmp.evidence.effect,
    pOneSided: cmp.evidence.pOneSided,
    spcRules,
    verdict,
    reasons,
  };
}
