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
  type AssignableCause,
  allCauses,
  allDecisionsAndVersions,
  allProcessChanges,
  baselineRecord,
  baselineVersions,
  causes,
  changeStartsFor,
  type Decision,
  decisions,
  insertBaseline,
  insertBaselineRecords,
  insertSignals,
  type NewBaseline,
  processChangeStarts,
  type SeriesKey,
  type SignalRow,
  seriesId,
  writes,
} from './store.js';

export const DEFAULT_RULES = ['WE1', 'WE4'];

/**
 * Signals this process already stored. The signals table deduplicates on its key anyway, so this only
 * spares re-inserting tens of thousands of unchanged rows on every full refresh.
 */
const storedSignals = new Set<string>();
const MAX_REMEMBERED = 2_000_000;

const signalId = (key: SeriesKey, s: SignalRow) =>
  `${seriesId(key)}|${s.stageFrom}|${s.rule}|${s.periodStart}|${s.baselineId}`;

/** Inserts the signals not yet stored by this process; remembers them only once the insert succeeded. */
async function insertNewSignals(
  client: ClickHouseClient,
  batch: { key: SeriesKey; signals: SignalRow[] }[],
): Promise<void> {
  const fresh = batch.map((b) => ({
    key: b.key,
    signals: b.signals.filter((s) => !storedSignals.has(signalId(b.key, s))),
  }));
  await insertSignals(client, fresh);
  if (storedSignals.size >= MAX_REMEMBERED) storedSignals.clear();
  for (const b of fresh) for (const s of b.signals) storedSignals.add(signalId(b.key, s));
}

export interface RefreshOptions {
  rules?: readonly string[];
  spec?: SpecLimits;
  asOf?: Date;
  /** Preloaded state (refreshAll loads it once for every series instead of once per series). */
  preloaded?: {
    changes: string[];
    decisions: Decision[];
    versions: BaselineVersion[];
    causes: AssignableCause[];
  };
  /** The series' points, when already queried (refreshAll queries every team of a KPI at once). */
  points?: KpiPoint[];
  /** Collect new baseline rows instead of inserting them (refreshAll inserts them in one batch). */
  collectBaselines?: (row: Record<string, unknown>) => void;
  /** Collect the signals instead of inserting them (refreshAll inserts them in one batch). */
  collectSignals?: (key: SeriesKey, signals: SignalRow[]) => void;
}

export interface RefreshedSeries {
  key: SeriesKey;
  kpi: KpiDefinition;
  evaluation: SeriesEvaluation;
  /** The baseline version in force per stage (by stage start), after this refresh. */
  baselineIds: Map<string, string>;
  newVersions: number;
  signals: number;
}

/**
 * Brings one series' baselines and signals up to date: provisional baselines are recomputed as points
 * arrive and a new version is stored whenever they change; a firm baseline is frozen (Phase II) and is
 * re-established only by a recorded decision. Signals are stored with the baseline they were raised
 * against. Refreshes run `exclusive` (see Rollups): one at a time, in this process and, under the shared
 * lock, across processes, so version numbers never collide and no catch-up changes the states they read.
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
  const series = options.points
    ? { points: options.points }
    : await queryKpi(states, key.kpi, {
        period: key.grain,
        ...(key.team ? { team: key.team } : {}),
        ...(key.project ? { project: key.project } : {}),
        ...(kpi.dimension && key.dim ? { [kpi.dimension.name]: key.dim } : {}),
        ...(options.asOf ? { asOf: options.asOf.toISOString() } : {}),
      });
  const [changes, decided, versions, recordedCauses] = options.preloaded
    ? [
        options.preloaded.changes,
        options.preloaded.decisions,
        options.preloaded.versions,
        options.preloaded.causes,
      ]
    : await Promise.all([
        processChangeStarts(client, key),
        decisions(client, key),
        baselineVersions(client, key),
        causes(client, key),
      ]);
  const latest = new Map<string, BaselineVersion>();
  for (const v of versions) latest.set(v.stageFrom, v); // oldest first: the last one wins
  // A firm baseline stays frozen unless a decision taken after it re-establishes that stage.
  const frozen = new Map<string, BaselineVersion>();
  for (const [from, v] of latest) {
    const redecided = decided.some((d) => d.effectiveFrom === from && d.decidedAt > v.createdAt);
    if (v.status === 'firm' && !redecided) frozen.set(from, v);
  }
  const rules = options.rules ?? DEFAULT_RULES;
  const evaluation = evaluateSeries({
    kpi,
    points: series.points,
    stageStarts: [...changes, ...decided.map((d) => d.effectiveFrom)],
    frozen,
    rules,
    spec: options.spec,
    causes: new Set(recordedCauses.map((c) => c.periodStart)),
  });

  const baselineIds = new Map<string, string>();
  let newVersions = 0;
  for (const stage of evaluation.stages) {
    if (stage.frozen) {
      baselineIds.set(stage.from, stage.frozen.baselineId);
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
      baselineIds.set(stage.from, prev.baselineId);
      continue;
    }
    const decision = [...decided].reverse().find((d) => d.effectiveFrom === stage.from);
    const baseline: NewBaseline = {
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
    };
    let id: string;
    if (options.collectBaselines) {
      const record = baselineRecord(key, baseline);
      options.collectBaselines(record.row);
      id = record.baselineId;
    } else id = await insertBaseline(client, key, baseline);
    baselineIds.set(stage.from, id);
    newVersions++;
  }

  const signals: SignalRow[] = [];
  for (const p of evaluation.points) {
    const stage = evaluation.stages[p.stage];
    const baselineId = stage ? baselineIds.get(stage.from) : undefined;
    if (!stage || !baselineId || p.z === null) continue;
    for (const rule of p.rules) {
      signals.push({
        stageFrom: stage.from,
        rule,
        periodStart: p.periodStart,
        baselineId,
        value: p.value,
        z: p.z,
      });
    }
  }
  // The shift evidence of a new stage is stored against the baseline of the stage before it.
  evaluation.stages.forEach((stage, k) => {
    const prevFrom = evaluation.stages[k - 1]?.from;
    const prevId = prevFrom ? baselineIds.get(prevFrom) : undefined;
    if (!stage.evidence || !prevId) return;
    for (const e of stage.evidence.signals) {
      for (const rule of e.rules) {
        signals.push({
          stageFrom: stage.from,
          rule,
          periodStart: e.periodStart,
          baselineId: prevId,
          value: e.value,
          z: e.z,
        });
      }
    }
  });
  if (options.collectSignals) options.collectSignals(key, signals);
  else await insertSignals(client, [{ key, signals }]);
  return { key, kpi, evaluation, baselineIds, newVersions, signals: signals.length };
}

/** Every series worth watching by default: each KPI for the organisation and each team, per grain. */
export async function refreshAll(
  states: EntityStates,
  options: { grains?: readonly Grain[]; kpis?: readonly KpiDefinition[]; asOf?: Date } = {},
): Promise<{
  series: number;
  newVersions: number;
  signals: number;
  failed: { key: SeriesKey; error: string }[];
}> {
  const client = states.client;
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
  const failed: { key: SeriesKey; error: string }[] = [];
  // One KPI and grain at a time, exclusively (see refreshSeries): what a series was derived from is read
  // and its results stored with no catch-up, and no other process's refresh, in between; queries wait
  // for one KPI at most.
  const section = (kpi: KpiDefinition, grain: Grain) =>
    states.exclusive(async () => {
      const [stored, causesBySeries] = await Promise.all([
        allDecisionsAndVersions(client, kpi.id),
        allCauses(client, kpi.id),
      ]);
      const writesAtLoad = new Map(writes);
      const dim = kpi.dimension?.default ?? '';
      // Every team's series in one query where the KPI's SQL allows it; else one query per team.
      let byTeam: Map<string, KpiPoint[]> | undefined;
      try {
        byTeam = await queryByTeam(states, kpi, grain, { dim, asOf: options.asOf });
      } catch {
        byTeam = undefined;
      }
      const pending: { key: SeriesKey; signals: SignalRow[] }[] = [];
      const baselines: Record<string, unknown>[] = [];
      for (const team of ['', ...teams]) {
        const key: SeriesKey = { kpi: kpi.id, team, project: '', dim, grain };
        try {
          const id = seriesId(key);
          const fresh = (writes.get(id) ?? 0) === (writesAtLoad.get(id) ?? 0);
          const r = await refreshSeries(states, key, {
            asOf: options.asOf,
            ...(team !== '' && byTeam ? { points: byTeam.get(team) ?? [] } : {}),
            collectSignals: (k, list) => pending.push({ key: k, signals: list }),
            collectBaselines: (row) => baselines.push(row),
            preloaded: fresh
              ? {
                  changes: changeStartsFor(changes, key),
                  decisions: stored.decisions.get(id) ?? [],
                  versions: stored.versions.get(id) ?? [],
                  causes: causesBySeries.get(id) ?? [],
                }
              : undefined,
          });
          series++;
          newVersions += r.newVersions;
          signals += r.signals;
        } catch (error) {
          failed.push({ key, error: (error as Error).message });
        }
      }
      // Baselines first: every signal refers to one. Not if another process may be refreshing too.
      states.stillHeld();
      await insertBaselineRecords(client, baselines);
      await insertNewSignals(client, pending);
    });
  for (const kpi of kpis) {
    for (const grain of grains) {
      if (GRAINS.includes(grain)) await section(kpi, grain);
    }
  }
  return { series, newVersions, signals, failed };
}
