import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Grain } from '@shewhart/kpi';
import type { BaselineVersion } from './evaluate.js';
import { firstPeriodFrom } from './periods.js';

/** One KPI series: a KPI in a scope (org = empty team), for one dimension value and period grain. */
export interface SeriesKey {
  kpi: string;
  team: string;
  project: string;
  dim: string;
  grain: Grain;
}

const KEY_FILTER = `kpi = {kpi:String} AND team = {team:String} AND project = {project:String}
  AND dim = {dim:String} AND grain = {grain:String}`;

/**
 * Period starts at which the series starts a new stage, from `process.changed` events. A change
 * reported without a team (team `default`) is organisation-wide and applies to every scope; a change of
 * a team applies to the team and its projects; a change of a project only to that project's scope.
 */
export async function processChangeStarts(client: ClickHouseClient, key: SeriesKey): Promise<string[]> {
  const rs = await client.query({
    query: `SELECT toString(time) AS t
            FROM events_raw
            WHERE type = 'process.changed'
              AND JSONExtractString(data, 'kpi') IN ({kpi:String}, '*')
              AND (team = 'default'
                   OR ({team:String} != '' AND team = {team:String}
                       AND (project = '' OR project = {project:String})))
            GROUP BY t`,
    query_params: { kpi: key.kpi, team: key.team, project: key.project },
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{ t: string }>();
  return rows.map((r) => firstPeriodFrom(new Date(`${r.t.replace(' ', 'T')}Z`), key.grain));
}

/** Every recorded process change (for refreshing many series at once). */
export async function allProcessChanges(
  client: ClickHouseClient,
): Promise<{ kpi: string; team: string; project: string; time: Date }[]> {
  const rs = await client.query({
    query: `SELECT JSONExtractString(data, 'kpi') AS kpi, team, project, toString(time) AS t
            FROM events_raw WHERE type = 'process.changed'
            GROUP BY kpi, team, project, t`,
    format: 'JSONEachRow',
  });
  return (await rs.json<{ kpi: string; team: string; project: string; t: string }>()).map((r) => ({
    kpi: r.kpi,
    team: r.team,
    project: r.project,
    time: new Date(`${r.t.replace(' ', 'T')}Z`),
  }));
}

/** The same scope rules as processChangeStarts, applied to preloaded changes. */
export function changeStartsFor(
  changes: readonly { kpi: string; team: string; project: string; time: Date }[],
  key: SeriesKey,
): string[] {
  return [
    ...new Set(
      changes
        .filter(
          (c) =>
            (c.kpi === key.kpi || c.kpi === '*') &&
            (c.team === 'default' ||
              (key.team !== '' && c.team === key.team && (c.project === '' || c.project === key.project))),
        )
        .map((c) => firstPeriodFrom(c.time, key.grain)),
    ),
  ];
}

export function seriesId(key: SeriesKey): string {
  return [key.kpi, key.team, key.project, key.dim, key.grain].join('\u0000');
}

/** Every decision and baseline version, grouped by series (one query each, for refreshing many series). */
export async function allDecisionsAndVersions(
  client: ClickHouseClient,
  kpi?: string,
): Promise<{ decisions: Map<string, Decision[]>; versions: Map<string, BaselineVersion[]> }> {
  const [d, v] = await Promise.all([
    client.query({
      query: `SELECT kpi, team, project, dim, grain, ${DECISION_COLUMNS} FROM baseline_decisions
              WHERE ${OF_KPI} ORDER BY decided_at`,
      query_params: { kpi: kpi ?? null },
      format: 'JSONEachRow',
    }),
    client.query({
      query: `SELECT kpi, team, project, dim, grain, ${BASELINE_COLUMNS} FROM baselines
              WHERE ${OF_KPI} ORDER BY stage_from, version`,
      query_params: { kpi: kpi ?? null },
      format: 'JSONEachRow',
    }),
  ]);
  return {
    decisions: groupBySeries(await d.json<DecisionRow & SeriesKey>(), toDecision),
    versions: groupBySeries(await v.json<BaselineRow & SeriesKey>(), toVersion),
  };
}

/** Rows of one KPI (`{kpi}` bound), or of every KPI when it is NULL. */
const OF_KPI = '({kpi:Nullable(String)} IS NULL OR kpi = {kpi:Nullable(String)})';

/** Rows of many series → their mapped values per series id, in row order. */
function groupBySeries<R extends SeriesKey, T>(rows: readonly R[], map: (row: R) => T): Map<string, T[]> {
  const by = new Map<string, T[]>();
  for (const r of rows) {
    const id = seriesId(r);
    const list = by.get(id) ?? [];
    list.push(map(r));
    by.set(id, list);
  }
  return by;
}

const DECISION_COLUMNS = `decision_id, toString(effective_from) AS effective_from, reason, decided_by,
  toString(decided_at) AS decided_at`;

interface DecisionRow {
  decision_id: string;
  effective_from: string;
  reason: string;
  decided_by: string;
  decided_at: string;
}

const toDecision = (r: DecisionRow): Decision => ({
  decisionId: r.decision_id,
  effectiveFrom: r.effective_from,
  reason: r.reason,
  decidedBy: r.decided_by,
  decidedAt: r.decided_at,
});

export interface Decision {
  decisionId: string;
  effectiveFrom: string;
  reason: string;
  decidedBy: string;
  decidedAt: string;
}

export async function decisions(client: ClickHouseClient, key: SeriesKey): Promise<Decision[]> {
  const rs = await client.query({
    query: `SELECT ${DECISION_COLUMNS} FROM baseline_decisions WHERE ${KEY_FILTER} ORDER BY decided_at`,
    query_params: { ...key },
    format: 'JSONEachRow',
  });
  return (await rs.json<DecisionRow>()).map(toDecision);
}

export async function recordDecision(
  client: ClickHouseClient,
  key: SeriesKey,
  decision: { effectiveFrom: string; reason: string; decidedBy: string },
): Promise<Decision> {
  const decisionId = randomUUID();
  await client.insert({
    table: 'baseline_decisions',
    values: [
      {
        decision_id: decisionId,
        ...key,
        effective_from: decision.effectiveFrom,
        reason: decision.reason,
        decided_by: decision.decidedBy,
      },
    ],
    format: 'JSONEachRow',
  });
  const [stored] = (await decisions(client, key)).filter((d) => d.decisionId === decisionId);
  if (!stored) throw new Error('decision was not stored');
  return stored;
}

interface BaselineRow {
  baseline_id: string;
  stage: number;
  stage_from: string;
  version: number;
  chart: string;
  transform: 'none' | 'ln';
  center: number;
  sigma: number;
  status: 'provisional' | 'firm';
  n_points: number;
  window_from: string;
  window_to: string;
  excluded: string[];
  rule_set: string[];
  created_at: string;
  reason: string;
}

const BASELINE_COLUMNS = `baseline_id, stage, toString(stage_from) AS stage_from, version, chart, transform, center, sigma,
  status, n_points, toString(window_from) AS window_from, toString(window_to) AS window_to,
  arrayMap(d -> toString(d), excluded) AS excluded, rule_set, toString(created_at) AS created_at, reason`;

function toVersion(r: BaselineRow): BaselineVersion {
  return {
    baselineId: r.baseline_id,
    stage: Number(r.stage),
    stageFrom: r.stage_from,
    version: Number(r.version),
    chart: r.chart,
    transform: r.transform,
    center: Number(r.center),
    sigma: Number(r.sigma),
    status: r.status,
    nPoints: Number(r.n_points),
    windowFrom: r.window_from,
    windowTo: r.window_to,
    excluded: r.excluded,
    ruleSet: r.rule_set,
    createdAt: r.created_at,
    reason: r.reason,
  };
}

/** Every stored version of the series' baselines, oldest first. */
export async function baselineVersions(client: ClickHouseClient, key: SeriesKey): Promise<BaselineVersion[]> {
  const rs = await client.query({
    query: `SELECT ${BASELINE_COLUMNS} FROM baselines WHERE ${KEY_FILTER} ORDER BY stage_from, version`,
    query_params: { ...key },
    format: 'JSONEachRow',
  });
  return (await rs.json<BaselineRow>()).map(toVersion);
}

export interface NewBaseline extends Omit<BaselineVersion, 'baselineId' | 'createdAt'> {
  centerDisplay: number | null;
  uclDisplay: number | null;
  lclDisplay: number | null;
  constantsVersion: string;
  formulaRef: string;
  formulaVersion: number;
}

/** A new `baselines` row with its id (refreshAll collects them and inserts them in one batch). */
export function baselineRecord(
  key: SeriesKey,
  b: NewBaseline,
): { baselineId: string; row: Record<string, unknown> } {
  const baselineId = randomUUID();
  return {
    baselineId,
    row: {
      baseline_id: baselineId,
      ...key,
      stage: b.stage,
      stage_from: b.stageFrom,
      version: b.version,
      chart: b.chart,
      transform: b.transform,
      center: b.center,
      sigma: b.sigma,
      center_display: b.centerDisplay,
      ucl_display: b.uclDisplay,
      lcl_display: b.lclDisplay,
      status: b.status,
      n_points: b.nPoints,
      window_from: b.windowFrom,
      window_to: b.windowTo,
      excluded: b.excluded,
      rule_set: b.ruleSet,
      constants_version: b.constantsVersion,
      formula_ref: b.formulaRef,
      formula_version: b.formulaVersion,
      reason: b.reason,
    },
  };
}

/** Inserts baseline rows (immutable versions) in one insert. */
export async function insertBaselineRecords(
  client: ClickHouseClient,
  rows: Record<string, unknown>[],
): Promise<void> {
  if (rows.length > 0) await client.insert({ table: 'baselines', values: rows, format: 'JSONEachRow' });
}

export async function insertBaseline(
  client: ClickHouseClient,
  key: SeriesKey,
  b: NewBaseline,
): Promise<string> {
  const { baselineId, row } = baselineRecord(key, b);
  await insertBaselineRecords(client, [row]);
  return baselineId;
}

export interface SignalRow {
  stageFrom: string;
  rule: string;
  periodStart: string;
  baselineId: string;
  value: number;
  z: number;
}

/** One row of `signals`. */
export function signalRecord(key: SeriesKey, s: SignalRow) {
  return {
    ...key,
    stage_from: s.stageFrom,
    rule: s.rule,
    period_start: s.periodStart,
    baseline_id: s.baselineId,
    value: s.value,
    z: s.z,
  };
}

/** Inserts the signals of several series in one insert. */
export async function insertSignals(
  client: ClickHouseClient,
  batch: readonly { key: SeriesKey; signals: readonly SignalRow[] }[],
): Promise<void> {
  const values = batch.flatMap((b) => b.signals.map((s) => signalRecord(b.key, s)));
  if (values.length === 0) return;
  await client.insert({ table: 'signals', values, format: 'JSONEachRow' });
}

/**
 * Identifies a stored signal within its series: the signals table's sorting key (stage, rule, point,
 * baseline). Re-evaluating a point against the same baseline gives the same key.
 */
export function signalKey(s: Pick<SignalRow, 'stageFrom' | 'rule' | 'periodStart' | 'baselineId'>): string {
  return `${s.stageFrom}|${s.rule}|${s.periodStart}|${s.baselineId}`;
}

const SIGNAL_KEY_COLUMNS = `toString(stage_from) AS stage_from, rule, toString(period_start) AS period_start, baseline_id`;

interface SignalKeyRow {
  stage_from: string;
  rule: string;
  period_start: string;
  baseline_id: string;
}

const keyOf = (r: SignalKeyRow) =>
  signalKey({
    stageFrom: r.stage_from,
    rule: r.rule,
    periodStart: r.period_start,
    baselineId: r.baseline_id,
  });

/** The keys of every signal stored for the series' KPI, grouped by series (for refreshing many series). */
export async function allSignalKeys(
  client: ClickHouseClient,
  kpi: string,
): Promise<Map<string, Set<string>>> {
  const rs = await client.query({
    query: `SELECT DISTINCT kpi, team, project, dim, grain, ${SIGNAL_KEY_COLUMNS}
            FROM (SELECT * FROM signals WHERE kpi = {kpi:String})`,
    query_params: { kpi },
    format: 'JSONEachRow',
  });
  const by = new Map<string, Set<string>>();
  for (const r of await rs.json<SignalKeyRow & SeriesKey>()) {
    const id = seriesId(r);
    const set = by.get(id) ?? new Set<string>();
    set.add(keyOf(r));
    by.set(id, set);
  }
  return by;
}

/** Every signal stored for one series, oldest point first (each once, with when it was first stored). */
export async function seriesSignals(client: ClickHouseClient, key: SeriesKey): Promise<StoredSignal[]> {
  const rs = await client.query({
    query: `SELECT ${SIGNAL_KEY_COLUMNS}, any(value) AS value, any(z) AS z,
                   toString(min(detected_at)) AS detected_at
            -- Filtered in a subquery: the outer toString(...) AS period_start would shadow the column.
            FROM (SELECT * FROM signals WHERE ${KEY_FILTER})
            GROUP BY stage_from, rule, period_start, baseline_id
            ORDER BY period_start, stage_from, rule`,
    query_params: { ...key },
    format: 'JSONEachRow',
  });
  return (await rs.json<SignalKeyRow & { value: number; z: number; detected_at: string }>()).map((r) => ({
    ...key,
    stageFrom: r.stage_from,
    rule: r.rule,
    periodStart: r.period_start,
    baselineId: r.baseline_id,
    value: Number(r.value),
    z: Number(r.z),
    detectedAt: r.detected_at,
  }));
}

export interface StoredSignal extends SignalRow {
  kpi: string;
  team: string;
  project: string;
  dim: string;
  grain: string;
  detectedAt: string;
}

/** Stored signals, newest point first, optionally for one KPI / team. */
export async function listSignals(
  client: ClickHouseClient,
  filter: { kpi?: string; team?: string; since?: string } = {},
): Promise<StoredSignal[]> {
  const rs = await client.query({
    query: `SELECT kpi, team, project, dim, grain, toString(stage_from) AS stage_from, rule,
                   toString(period_start) AS period_start, baseline_id, value, z, toString(min(detected_at)) AS detected_at
            -- Filtered in a subquery: the outer toString(...) AS period_start would shadow the column.
            FROM (
              SELECT * FROM signals
              WHERE ({kpi:Nullable(String)} IS NULL OR kpi = {kpi:Nullable(String)})
                AND ({team:Nullable(String)} IS NULL OR team = {team:Nullable(String)})
                AND ({since:Nullable(Date)} IS NULL OR period_start >= {since:Nullable(Date)})
            )
            GROUP BY kpi, team, project, dim, grain, stage_from, rule, period_start, baseline_id, value, z
            ORDER BY period_start DESC, kpi, team, rule`,
    query_params: { kpi: filter.kpi ?? null, team: filter.team ?? null, since: filter.since ?? null },
    format: 'JSONEachRow',
  });
  return (
    await rs.json<{
      kpi: string;
      team: string;
      project: string;
      dim: string;
      grain: string;
      stage_from: string;
      rule: string;
      period_start: string;
      baseline_id: string;
      value: number;
      z: number;
      detected_at: string;
    }>()
  ).map((r) => ({
    kpi: r.kpi,
    team: r.team,
    project: r.project,
    dim: r.dim,
    grain: r.grain,
    stageFrom: r.stage_from,
    rule: r.rule,
    periodStart: r.period_start,
    baselineId: r.baseline_id,
    value: Number(r.value),
    z: Number(r.z),
    detectedAt: r.detected_at,
  }));
}

/** The latest baseline version of every stored series (for `GET /v1/baselines`). */
export async function listBaselines(
  client: ClickHouseClient,
  filter: { kpi?: string; team?: string } = {},
): Promise<
  (BaselineVersion &
    SeriesKey & { centerDisplay: number | null; uclDisplay: number | null; lclDisplay: number | null })[]
> {
  const rs = await client.query({
    query: `SELECT kpi, team, project, dim, grain, ${BASELINE_COLUMNS}, center_display, ucl_display, lcl_display
            FROM baselines
            WHERE ({kpi:Nullable(String)} IS NULL OR kpi = {kpi:Nullable(String)})
              AND ({team:Nullable(String)} IS NULL OR team = {team:Nullable(String)})
            ORDER BY kpi, team, project, dim, grain, stage_from, version`,
    query_params: { kpi: filter.kpi ?? null, team: filter.team ?? null },
    format: 'JSONEachRow',
  });
  const rows = await rs.json<
    BaselineRow &
      SeriesKey & { center_display: number | null; ucl_display: number | null; lcl_display: number | null }
  >();
  return rows.map((r) => ({
    ...toVersion(r),
    kpi: r.kpi,
    team: r.team,
    project: r.project,
    dim: r.dim,
    grain: r.grain,
    centerDisplay: r.center_display === null ? null : Number(r.center_display),
    uclDisplay: r.ucl_display === null ? null : Number(r.ucl_display),
    lclDisplay: r.lcl_display === null ? null : Number(r.lcl_display),
  }));
}

export interface AssignableCause {
  causeId: string;
  periodStart: string;
  causeCode: string;
  reference: string;
  note: string;
  recordedBy: string;
  recordedAt: string;
}

const CAUSE_COLUMNS = `cause_id, toString(period_start) AS period_start, cause_code, reference, note, recorded_by,
  toString(recorded_at) AS recorded_at`;

interface CauseRow {
  cause_id: string;
  period_start: string;
  cause_code: string;
  reference: string;
  note: string;
  recorded_by: string;
  recorded_at: string;
}

const toCause = (r: CauseRow): AssignableCause => ({
  causeId: r.cause_id,
  periodStart: r.period_start,
  causeCode: r.cause_code,
  reference: r.reference,
  note: r.note,
  recordedBy: r.recorded_by,
  recordedAt: r.recorded_at,
});

/** Records an assignable cause against one point of a series (docs/methods.md §5.9 rule 2). */
export async function recordCause(
  client: ClickHouseClient,
  key: SeriesKey,
  cause: { periodStart: string; causeCode: string; reference: string; note?: string; recordedBy: string },
): Promise<AssignableCause> {
  const causeId = randomUUID();
  await client.insert({
    table: 'assignable_causes',
    values: [
      {
        cause_id: causeId,
        ...key,
        period_start: cause.periodStart,
        cause_code: cause.causeCode,
        reference: cause.reference,
        note: cause.note ?? '',
        recorded_by: cause.recordedBy,
      },
    ],
    format: 'JSONEachRow',
  });
  const stored = (await causes(client, key)).find((c) => c.causeId === causeId);
  if (!stored) throw new Error('cause was not stored');
  return stored;
}

export async function causes(client: ClickHouseClient, key: SeriesKey): Promise<AssignableCause[]> {
  const rs = await client.query({
    query: `SELECT ${CAUSE_COLUMNS} FROM assignable_causes WHERE ${KEY_FILTER} ORDER BY period_start, recorded_at`,
    query_params: { ...key },
    format: 'JSONEachRow',
  });
  return (await rs.json<CauseRow>()).map(toCause);
}

/** Every recorded cause, grouped by series (for refreshing many series at once). */
export async function allCauses(
  client: ClickHouseClient,
  kpi?: string,
): Promise<Map<string, AssignableCause[]>> {
  const rs = await client.query({
    query: `SELECT kpi, team, project, dim, grain, ${CAUSE_COLUMNS} FROM assignable_causes
            WHERE ${OF_KPI} ORDER BY period_start, recorded_at`,
    query_params: { kpi: kpi ?? null },
    format: 'JSONEachRow',
  });
  return groupBySeries(await rs.json<CauseRow & SeriesKey>(), toCause);
}
