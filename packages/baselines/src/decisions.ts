import { type EntityStates, findKpi, type KpiDefinition, parseKpiQuery } from '@shewhart/kpi';
import { periodStartOf, ymd } from './periods.js';
import { refreshSeries } from './refresh.js';
import { type AssignableCause, type Decision, recordCause, recordDecision, type SeriesKey } from './store.js';

/** Selects one series the way the API and CLI name it: a grain, an optional scope and dimension value. */
export interface SeriesSelector {
  period?: string;
  team?: string;
  project?: string;
  unit?: string;
  phase?: string;
}

export function seriesKeyOf(kpi: KpiDefinition, sel: SeriesSelector): SeriesKey {
  const q = parseKpiQuery(
    { period: sel.period, team: sel.team, project: sel.project, unit: sel.unit, phase: sel.phase },
    kpi,
  );
  return {
    kpi: kpi.id,
    team: q.team ?? '',
    project: q.project ?? '',
    dim: q.dimension ?? '',
    grain: q.period,
  };
}

export function knownKpi(id: string): KpiDefinition {
  const kpi = findKpi(id);
  if (!kpi) throw new UnknownSeriesError(`unknown KPI: ${id}`);
  return kpi;
}

export class UnknownSeriesError extends Error {
  override readonly name = 'UnknownSeriesError';
  readonly kind = 'not_found' as const;
}

export class DecisionInputError extends Error {
  override readonly name = 'DecisionInputError';
  readonly kind = 'invalid' as const;
  get issues(): { path: string; message: string }[] {
    return [{ path: this.path, message: this.message.slice(this.path.length + 2) }];
  }
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

/** The period containing a date, for the series' grain. */
const periodOf = (date: string, key: SeriesKey) =>
  ymd(periodStartOf(new Date(`${date}T00:00:00Z`), key.grain));

export interface RebaseResult {
  decision: Decision;
  stages: {
    from: string;
    to: string | null;
    status: string;
    center: number | null;
    ucl: number | null;
    lcl: number | null;
    baselineId: string | null;
  }[];
}

/**
 * Re-establishes a baseline by a recorded decision (docs/methods.md §5.9 rule 5): a new stage starts at `from`
 * (default: the current stage, recomputed from its data as they are now).
 */
export function rebase(
  states: EntityStates,
  key: SeriesKey,
  input: { from?: string; reason: string; decidedBy: string },
): Promise<RebaseResult> {
  // The decision is taken against the stages as they are, with no other refresh in between.
  return states.exclusive(() => rebaseNow(states, key, input));
}

async function rebaseNow(
  states: EntityStates,
  key: SeriesKey,
  input: { from?: string; reason: string; decidedBy: string },
): Promise<RebaseResult> {
  const before = await refreshSeries(states, key);
  const from = input.from ? periodOf(input.from, key) : before.evaluation.stages.at(-1)?.from;
  if (!from)
    throw new DecisionInputError('from', 'the series has no data yet; give the period to start from');
  const decision = await recordDecision(states.client, key, {
    effectiveFrom: from,
    reason: input.reason,
    decidedBy: input.decidedBy,
  });
  const after = await refreshSeries(states, key);
  return {
    decision,
    stages: after.evaluation.stages.map((s) => ({
      from: s.from,
      to: s.to,
      status: s.status,
      center: s.center,
      ucl: s.ucl,
      lcl: s.lcl,
      baselineId: after.baselineIds.get(s.from) ?? null,
    })),
  };
}

export interface CauseResult {
  cause: AssignableCause;
  /** Whether the point left its stage's baseline (a flagged Phase-I point of a baseline not yet frozen). */
  excluded: boolean;
  stage: { from: string; status: string; center: number | null; frozen: boolean } | null;
}

/** Records an assignable cause against the point of the period containing `date`, then refreshes. */
export function addCause(
  states: EntityStates,
  key: SeriesKey,
  input: { date: string; causeCode: string; reference: string; note?: string; recordedBy: string },
): Promise<CauseResult> {
  return states.exclusive(() => addCauseNow(states, key, input));
}

async function addCauseNow(
  states: EntityStates,
  key: SeriesKey,
  input: { date: string; causeCode: string; reference: string; note?: string; recordedBy: string },
): Promise<CauseResult> {
  const periodStart = periodOf(input.date, key);
  const cause = await recordCause(states.client, key, { ...input, periodStart });
  const after = await refreshSeries(states, key);
  const stage = after.evaluation.stages.find(
    (s) => s.from <= periodStart && (s.to === null || periodStart <= s.to),
  );
  return {
    cause,
    excluded: stage?.fit?.excluded.includes(periodStart) ?? false,
    stage: stage
      ? { from: stage.from, status: stage.status, center: stage.center, frozen: Boolean(stage.frozen) }
      : null,
  };
}
