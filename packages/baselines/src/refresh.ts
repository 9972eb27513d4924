import type { ClickHouseClient } from '@clickhouse/client';
import {
  type EntityStates,
  findKpi,
  GRAINS,
  type Grain,
  type KpiDefinition,
  type KpiPoint,
  queryByTeam,
  queryKpi,
} from '@shewhart/kpi';
import { CONSTANTS_TABLE_ID, type SpecLimits } from '@shewhart/spc';
import { type BaselineVersion, evaluateSeries, type SeriesEvaluation } from './evaluate.js';
import {
  allPointLimits,
  changedPointLimits,
  insertPointLimits,
  type PointLimits,
  pointLimitsOf,
  seriesPointLimits,
} from './point-limits.js';
import {
  type AssignableCause,
  allCauses,
  allDecisionsAndVersions,
  allProcessChanges,
  allSignalKeys,
  baselineRecord,
  baselineVersions,
  causes,
  changeStartsFor,
  type Decision,
  decisions,
  insertBaselineRecords,
  insertSignals,
  type NewBaseline,
  processChangeStarts,
  type SeriesKey,
  type SignalRow,
  type StoredSignal,
  seriesId,
  seriesSignals,
  signalKey,
} from './store.js';

export const DEFAULT_RULES = ['WE1', 'WE4'];

/** What is stored about one series: the inputs of its evaluation and what earlier refreshes stored. */
export interface StoredSeriesState {
  /** Stage starts from process changes. */
  changes: string[];
  decisions: Decision[];
  /** Every stored baseline version, oldest first. */
  versions: BaselineVersion[];
  causes: AssignableCause[];
  /** Keys (`signalKey`) of the signals already stored for the series. */
  signals: ReadonlySet<string>;
}

/** Reads the stored state of one series. */
export async function loadSeriesState(
  client: ClickHouseClient,
  key: SeriesKey,
): Promise<StoredSeriesState & { storedSignals: StoredSignal[] }> {
  const [changes, decided, versions, recordedCauses, stored] = await Promise.all([
    processChangeStarts(client, key),
    decisions(client, key),
    baselineVersions(client, key),
    causes(client, key),
    seriesSignals(client, key),
  ]);
  return {
    changes,
    decisions: decided,
    versions,
    causes: recordedCauses,
    signals: new Set(stored.map(signalKey)),
    storedSignals: stored,
  };
}

export interface EvaluationOptions {
  rules?: readonly string[];
  spec?: SpecLimits;
  /** The evaluation time: periods ending after it are open (default: now). */
  asOf?: Date;
}

/** The series' points as of `asOf`. */
export async function seriesPoints(
  states: EntityStates,
  kpi: KpiDefinition,
  key: SeriesKey,
  asOf: Date,
): Promise<KpiPoint[]> {
  const series = await queryKpi(states, kpi.id, {
    period: key.grain,
    ...(key.team ? { team: key.team } : {}),
    ...(key.project ? { project: key.project } : {}),
    ...(kpi.dimension && key.dim ? { [kpi.dimension.name]: key.dim } : {}),
    asOf: asOf.toISOString(),
  });
  return series.points;
}

/** The latest stored version of each stage, by stage start. */
export function latestVersions(versions: readonly BaselineVersion[]): Map<string, BaselineVersion> {
  const latest = new Map<string, BaselineVersion>();
  for (const v of versions) latest.set(v.stageFrom, v); // oldest first: the last one wins
  return latest;
}

/** A signal to store, with the stage start whose baseline it was raised against. */
type PlannedSignal = Omit<SignalRow, 'baselineId'> & { against: string };

/** What a refresh of one series would store. Pure: computed from the points and the stored state. */
export interface RefreshPlan {
  evaluation: SeriesEvaluation;
  /** Per stage start with limits: the stored baseline that stays in force, or a new version to store. */
  baselines: Map<string, { baselineId: string } | { baseline: NewBaseline }>;
  signals: PlannedSignal[];
}

/**
 * Evaluates a series the way a refresh does: provisional baselines are recomputed as points arrive and
 * a new version is planned whenever they change; a firm baseline is frozen (Phase II) unless a decision
 * taken after it re-establishes its stage. Every signal of a closed point is planned against the
 * baseline it was raised against; open periods raise none (docs/methods.md §5.9 rule 7).
 */
export function planRefresh(
  kpi: KpiDefinition,
  points: readonly KpiPoint[],
  grain: Grain,
  state: StoredSeriesState,
  options: EvaluationOptions = {},
): RefreshPlan {
  const decided = state.decisions;
  const latest = latestVersions(state.versions);
  const frozen = new Map<string, BaselineVersion>();
  for (const [from, v] of latest) {
    const redecided = decided.some((d) => d.effectiveFrom === from && d.decidedAt > v.createdAt);
    if (v.status === 'firm' && !redecided) frozen.set(from, v);
  }
  const evaluation = evaluateSeries({
    kpi,
    points,
    stageStarts: [...state.changes, ...decided.map((d) => d.effectiveFrom)],
    frozen,
    rules: options.rules ?? DEFAULT_RULES,
    spec: options.spec,
    causes: new Set(state.causes.map((c) => c.periodStart)),
    asOf: options.asOf ?? new Date(),
    grain,
  });

  const baselines: RefreshPlan['baselines'] = new Map();
  for (const stage of evaluation.stages) {
    if (stage.frozen) {
      baselines.set(stage.from, { baselineId: stage.frozen.baselineId });
      continue;
    }
    if (!stage.fit || stage.status === 'insufficient') continue;
    const prev = latest.get(stage.from);
    const fit = stage.fit;
    const same =
      prev !== undefined &&
      prev.status === stage.status &&
      prev.nPoints === fit.nPoints &&
      prev.windowTo === fit.windowTo &&
      Math.abs(prev.center - fit.center) <= 1e-12 * Math.max(1, Math.abs(fit.center)) &&
      Math.abs(prev.sigma - fit.sigma) <= 1e-12 * Math.max(1, Math.abs(fit.sigma)) &&
      !decided.some((d) => d.effectiveFrom === stage.from && d.decidedAt > prev.createdAt);
    if (same) {
      baselines.set(stage.from, { baselineId: prev.baselineId });
      continue;
    }
    const decision = [...decided].reverse().find((d) => d.effectiveFrom === stage.from);
    baselines.set(stage.from, {
      baseline: {
        stage: stage.stage,
        stageFrom: stage.from,
        version: (prev?.version ?? 0) + 1,
        chart: evaluation.mapping.chart,
        transform: evaluation.mapping.transform,
        center: fit.center,
        sigma: fit.sigma,
        centerDisplay: stage.center,
        uclDisplay: stage.ucl,
        lclDisplay: stage.lcl,
        status: stage.status,
        nPoints: fit.nPoints,
        windowFrom: fit.windowFrom,
        windowTo: fit.windowTo,
        excluded: fit.excluded,
        ruleSet: [...evaluation.rules],
        constantsVersion: CONSTANTS_TABLE_ID,
        formulaRef: kpi.formula.ref,
        formulaVersion: kpi.formula.version,
        reason: decision
          ? `decision ${decision.decisionId}: ${decision.reason}`
          : prev
            ? `${prev.status} baseline updated with new data`
            : stage.stage === 0
              ? 'initial baseline'
              : 'new stage after a process change',
      },
    });
  }

  const signals: PlannedSignal[] = [];
  for (const p of evaluation.points) {
    const stage = evaluation.stages[p.stage];
    if (!stage || p.open || p.z === null || !baselines.has(stage.from)) continue;
    for (const rule of p.rules) {
      signals.push({
        stageFrom: stage.from,
        rule,
        periodStart: p.periodStart,
        value: p.value,
        z: p.z,
        against: stage.from,
      });
    }
  }
  // The shift evidence of a new stage is stored against the baseline of the stage before it.
  evaluation.stages.forEach((stage, k) => {
    const prevFrom = evaluation.stages[k - 1]?.from;
    if (!stage.evidence || prevFrom === undefined || !baselines.has(prevFrom)) return;
    for (const e of stage.evidence.signals) {
      for (const rule of e.rules) {
        signals.push({
          stageFrom: stage.from,
          rule,
          periodStart: e.periodStart,
          value: e.value,
          z: e.z,
          against: prevFrom,
        });
      }
    }
  });
  return { evaluation, baselines, signals };
}

/** How far the stored state is behind a plan: the baseline versions and signals a refresh would add. */
export function pendingOf(
  plan: RefreshPlan,
  state: Pick<StoredSeriesState, 'signals'>,
): { baselines: number; signals: number } {
  let baselines = 0;
  for (const b of plan.baselines.values()) if ('baseline' in b) baselines++;
  const signals = plan.signals.filter((s) => {
    const b = plan.baselines.get(s.against);
    return !b || 'baseline' in b || !state.signals.has(signalKey({ ...s, baselineId: b.baselineId }));
  }).length;
  return { baselines, signals };
}

/** The rows a plan adds: new baseline versions, and the signals not stored yet. */
function rowsOf(
  key: SeriesKey,
  plan: RefreshPlan,
  state: Pick<StoredSeriesState, 'signals'>,
): { baselineRows: Record<string, unknown>[]; baselineIds: Map<string, string>; signals: SignalRow[] } {
  const baselineRows: Record<string, unknown>[] = [];
  const baselineIds = new Map<string, string>();
  for (const [from, b] of plan.baselines) {
    if ('baselineId' in b) {
      baselineIds.set(from, b.baselineId);
      continue;
    }
    const record = baselineRecord(key, b.baseline);
    baselineRows.push(record.row);
    baselineIds.set(from, record.baselineId);
  }
  const signals: SignalRow[] = [];
  for (const { against, ...s } of plan.signals) {
    const baselineId = baselineIds.get(against);
    if (baselineId === undefined) continue;
    const row = { ...s, baselineId };
    if (!state.signals.has(signalKey(row))) signals.push(row);
  }
  return { baselineRows, baselineIds, signals };
}

export interface RefreshOptions extends EvaluationOptions {
  /** Preloaded state (refreshAll loads it once for every series of a KPI instead of once per series). */
  preloaded?: StoredSeriesState;
  /** The series' points, when already queried (refreshAll queries every team of a KPI at once). */
  points?: KpiPoint[];
  /** Collect the new rows instead of inserting them (refreshAll inserts them in one batch). */
  collect?: (rows: {
    baselines: Record<string, unknown>[];
    signals: SignalRow[];
    limits: PointLimits[];
  }) => void;
  /** The series' stored point limits, when collecting (refreshAll loads every series' at once). */
  storedLimits?: ReadonlyMap<string, PointLimits>;
}

export interface RefreshedSeries {
  key: SeriesKey;
  kpi: KpiDefinition;
  evaluation: SeriesEvaluation;
  /** The baseline version in force per stage (by stage start), after this refresh. */
  baselineIds: Map<string, string>;
  newVersions: number;
  /** Signals the series has (closed points and shift evidence) … */
  signals: number;
  /** … and how many of them this refresh stored (the others were stored before). */
  newSignals: number;
}

/**
 * Brings one series' baselines and signals up to date (see `planRefresh`) and stores what is new: new
 * baseline versions, and only the signals not stored yet (read from the signals table, so this holds
 * across processes too). Refreshes run `exclusive` (see EntityStates): one at a time, in this process
 * and, under the shared lock, across processes, so version numbers never collide, what a refresh read
 * cannot change before it has stored its conclusions, and no catch-up changes the states it reads.
 */
export function refreshSeries(
  states: EntityStates,
  key: SeriesKey,
  options: RefreshOptions = {},
): Promise<RefreshedSeries> {
  return states.exclusive(() => refreshNow(states, key, options));
}

async function refreshNow(
  states: EntityStates,
  key: SeriesKey,
  options: RefreshOptions,
): Promise<RefreshedSeries> {
  const client = states.client;
  const kpi = findKpi(key.kpi);
  if (!kpi) throw new Error(`unknown KPI: ${key.kpi}`);
  const asOf = options.asOf ?? new Date();
  const points = options.points ?? (await seriesPoints(states, kpi, key, asOf));
  const state = options.preloaded ?? (await loadSeriesState(client, key));
  const plan = planRefresh(kpi, points, key.grain, state, { ...options, asOf });
  const rows = rowsOf(key, plan, state);
  // The limits each point is charted against, for dashboards (point-limits.ts): only what changed.
  const storedLimits = options.collect ? options.storedLimits : await seriesPointLimits(client, key);
  const limits = changedPointLimits(pointLimitsOf(plan.evaluation), storedLimits);
  if (options.collect) options.collect({ baselines: rows.baselineRows, signals: rows.signals, limits });
  else {
    // Baselines first: every signal refers to one. Not if another process may be refreshing too.
    states.stillHeld();
    await insertBaselineRecords(client, rows.baselineRows);
    await insertSignals(client, [{ key, signals: rows.signals }]);
    await insertPointLimits(client, [{ key, points: limits }]);
  }
  return {
    key,
    kpi,
    evaluation: plan.evaluation,
    baselineIds: rows.baselineIds,
    newVersions: rows.baselineRows.length,
    signals: plan.signals.length,
    newSignals: rows.signals.length,
  };
}

/** Every series worth watching by default: each KPI for the organisation and each team, per grain. */
export async function refreshAll(
  states: EntityStates,
  options: { grains?: readonly Grain[]; kpis?: readonly KpiDefinition[]; asOf?: Date } = {},
): Promise<{
  series: number;
  newVersions: number;
  signals: number;
  newSignals: number;
  failed: { key: SeriesKey; error: string }[];
}> {
  const client = states.client;
  const asOf = options.asOf ?? new Date();
  const rs = await client.query({
    query: 'SELECT DISTINCT team FROM events_raw ORDER BY team',
    format: 'JSONEachRow',
  });
  const teams = (await rs.json<{ team: string }>()).map((r) => r.team);
  const { KPIS } = await import('@shewhart/kpi');
  const kpis = options.kpis ?? (KPIS as readonly KpiDefinition[]);
  const grains = options.grains ?? (['week'] as Grain[]);
  const changes = await allProcessChanges(client);
  let series = 0;
  let newVersions = 0;
  let signals = 0;
  let newSignals = 0;
  const failed: { key: SeriesKey; error: string }[] = [];
  // One KPI and grain at a time, exclusively (see refreshSeries). The KPI's stored state is loaded once
  // at the start of the section and stays true until its end: every writer of baselines, decisions,
  // causes and signals (refreshes, rebase, addCause) runs in an exclusive section, which excludes this
  // one in this process (the gate) and in others (the shared lock), and this section stores its own rows
  // only after every series is planned, each series once. Queries wait for one KPI at most.
  const section = (kpi: KpiDefinition, grain: Grain) =>
    states.exclusive(async () => {
      const [stored, causesBySeries, signalKeys, storedLimits] = await Promise.all([
        allDecisionsAndVersions(client, kpi.id),
        allCauses(client, kpi.id),
        allSignalKeys(client, kpi.id),
        allPointLimits(client, kpi.id, grain),
      ]);
      const dim = kpi.dimension?.default ?? '';
      // Every team's series in one query where the KPI's SQL allows it; else one query per team.
      let byTeam: Map<string, KpiPoint[]> | undefined;
      try {
        byTeam = await queryByTeam(states, kpi, grain, { dim, asOf });
      } catch {
        byTeam = undefined;
      }
      const pending: { key: SeriesKey; signals: SignalRow[] }[] = [];
      const baselines: Record<string, unknown>[] = [];
      const limits: { key: SeriesKey; points: PointLimits[] }[] = [];
      for (const team of ['', ...teams]) {
        const key: SeriesKey = { kpi: kpi.id, team, project: '', dim, grain };
        try {
          const id = seriesId(key);
          const r = await refreshSeries(states, key, {
            asOf,
            ...(team !== '' && byTeam ? { points: byTeam.get(team) ?? [] } : {}),
            collect: (rows) => {
              baselines.push(...rows.baselines);
              pending.push({ key, signals: rows.signals });
              limits.push({ key, points: rows.limits });
            },
            storedLimits: storedLimits.get(id),
            preloaded: {
              changes: changeStartsFor(changes, key),
              decisions: stored.decisions.get(id) ?? [],
              versions: stored.versions.get(id) ?? [],
              causes: causesBySeries.get(id) ?? [],
              signals: signalKeys.get(id) ?? new Set(),
            },
          });
          series++;
          newVersions += r.newVersions;
          signals += r.signals;
          newSignals += r.newSignals;
        } catch (error) {
          failed.push({ key, error: (error as Error).message });
        }
      }
      // Baselines first: every signal refers to one. Not if another process may be refreshing too.
      states.stillHeld();
      await insertBaselineRecords(client, baselines);
      await insertSignals(client, pending);
      await insertPointLimits(client, limits);
    });
  for (const kpi of kpis) {
    for (const grain of grains) {
      if (GRAINS.includes(grain)) await section(kpi, grain);
    }
  }
  return { series, newVersions, signals, newSignals, failed };
}
