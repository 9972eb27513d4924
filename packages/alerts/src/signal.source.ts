import {
  allProcessChanges,
  changeStartsFor,
  isOpenPeriod,
  type SeriesKey,
  seriesId,
} from '@shewhart/baselines';
import { findKpi, type Grain, type KpiPoint } from '@shewhart/kpi';
import { describeRules, type RuleName } from '@shewhart/spc';
import type { Rule } from './config.js';
import { base, chartPathOf, type EvalContext, ruleCovers, scopeLabel } from './context.js';
import { signalEpisodes } from './episodes.js';
import { type Alert, alertIdOf, fingerprintOf } from './model.js';

/** A rule firing on a closed Phase-II point, with the limits of the firm baseline it was judged against. */
interface Firing extends SeriesKey {
  stageFrom: string;
  rule: string;
  periodStart: string;
  value: number;
  z: number;
  baselineId: string;
  center: number | null;
  ucl: number | null;
  lcl: number | null;
}

/**
 * Phase-II firings from the stored `signals`: those raised against a firm baseline of their own stage
 * (the frozen limits, docs/methods.md §5.9) on a point after its Phase-I window. Phase-I flags (the
 * points that set the limits) and the shift evidence against a previous stage's limits are not special
 * causes of the current process and raise no alert. The refresh stores signals of closed points only.
 */
async function phase2Firings(ctx: EvalContext): Promise<Firing[]> {
  const rs = await ctx.client.query({
    query: `SELECT s.kpi AS kpi, s.team AS team, s.project AS project, s.dim AS dim, s.grain AS grain,
                   toString(s.stage_from) AS stage_from, s.rule AS rule, toString(s.period_start) AS period_start,
                   argMax(s.value, b.version) AS value, argMax(s.z, b.version) AS z,
                   argMax(b.baseline_id, b.version) AS baseline_id,
                   argMax(b.center_display, b.version) AS center, argMax(b.ucl_display, b.version) AS ucl,
                   argMax(b.lcl_display, b.version) AS lcl
            FROM (SELECT DISTINCT kpi, team, project, dim, grain, stage_from, rule, period_start, baseline_id, value, z
                  FROM signals) AS s
            INNER JOIN (SELECT baseline_id, stage_from, window_to, status, version, center_display, ucl_display,
                               lcl_display FROM baselines WHERE status = 'firm') AS b
              ON b.baseline_id = s.baseline_id
            WHERE b.stage_from = s.stage_from AND s.period_start > b.window_to
            GROUP BY kpi, team, project, dim, grain, stage_from, rule, period_start`,
    format: 'JSONEachRow',
  });
  const rows = await rs.json<Record<string, unknown>>();
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return rows.map((r) => ({
    kpi: String(r.kpi),
    team: String(r.team),
    project: String(r.project),
    dim: String(r.dim),
    grain: String(r.grain) as Grain,
    stageFrom: String(r.stage_from),
    rule: String(r.rule),
    periodStart: String(r.period_start),
    value: Number(r.value),
    z: Number(r.z),
    baselineId: String(r.baseline_id),
    center: num(r.center),
    ucl: num(r.ucl),
    lcl: num(r.lcl),
  }));
}

/** Stage starts of each series: stored baselines' stages and process changes. */
async function stageStarts(ctx: EvalContext): Promise<(key: SeriesKey) => string[]> {
  const rs = await ctx.client.query({
    query: `SELECT DISTINCT kpi, team, project, dim, grain, toString(stage_from) AS stage_from FROM baselines`,
    format: 'JSONEachRow',
  });
  const by = new Map<string, string[]>();
  for (const r of await rs.json<SeriesKey & { stage_from: string }>()) {
    const id = seriesId(r);
    by.set(id, [...(by.get(id) ?? []), r.stage_from]);
  }
  const changes = await allProcessChanges(ctx.client);
  return (key) => [...new Set([...(by.get(seriesId(key)) ?? []), ...changeStartsFor(changes, key)])].sort();
}

/** The closed points of the series that have firings, read as a refresh reads them (one query per KPI). */
async function closedPoints(ctx: EvalContext, keys: readonly SeriesKey[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const groups = new Map<string, SeriesKey[]>();
  for (const k of keys) {
    const g = `${k.kpi}\u0000${k.dim}\u0000${k.grain}`;
    groups.set(g, [...(groups.get(g) ?? []), k]);
  }
  const closed = (key: SeriesKey, points: readonly KpiPoint[]) =>
    points
      .filter((p) => p.value !== null && !isOpenPeriod(p.periodStart, key.grain, ctx.asOf))
      .map((p) => p.periodStart);
  for (const group of groups.values()) {
    const first = group[0] as SeriesKey;
    const kpi = findKpi(first.kpi);
    if (!kpi) continue;
    const teams = group.filter((k) => k.team !== '' && k.project === '');
    // Several teams: one query for all of them (shared with the late-change rules of this evaluation).
    if (teams.length > 1) await ctx.reads.byTeam(kpi, first.grain, first.dim);
    for (const key of group) out.set(seriesId(key), closed(key, (await ctx.reads.series(kpi, key)).points));
  }
  return out;
}

/**
 * Signal alerts (docs/methods.md §8): one per episode of (KPI, scope, grain, stage, SPC rule) and
 * configured rule. The episode ends after `quietPoints` consecutive closed points without the SPC rule
 * firing, or when its stage ends.
 */
export async function signalAlerts(ctx: EvalContext, rules: readonly Rule[]): Promise<Alert[]> {
  if (rules.length === 0) return [];
  const firings = (await phase2Firings(ctx)).filter((f) =>
    rules.some(
      (r) => ruleCovers(r, f.kpi, f.team, f.project) && (!r.spcRules || r.spcRules.includes(f.rule)),
    ),
  );
  if (firings.length === 0) return [];
  const seriesKeys = new Map<string, SeriesKey>();
  for (const f of firings)
    seriesKeys.set(seriesId(f), { kpi: f.kpi, team: f.team, project: f.project, dim: f.dim, grain: f.grain });
  const [stagesOf, points] = await Promise.all([
    stageStarts(ctx),
    closedPoints(ctx, [...seriesKeys.values()]),
  ]);

  // (series, stage, SPC rule) → its firings by period.
  const groups = new Map<string, Firing[]>();
  for (const f of firings) {
    const g = `${seriesId(f)}\u0000${f.stageFrom}\u0000${f.rule}`;
    groups.set(g, [...(groups.get(g) ?? []), f]);
  }
  const alerts: Alert[] = [];
  const asOf = ctx.asOf.toISOString();
  for (const group of groups.values()) {
    const f0 = group[0] as Firing;
    const key: SeriesKey = { kpi: f0.kpi, team: f0.team, project: f0.project, dim: f0.dim, grain: f0.grain };
    const starts = stagesOf(key);
    const nextStage = starts.find((s) => s > f0.stageFrom) ?? null;
    const inStage = (points.get(seriesId(key)) ?? []).filter(
      (p) => p >= f0.stageFrom && (nextStage === null || p < nextStage),
    );
    const byPeriod = new Map(group.map((f) => [f.periodStart, f]));
    const kpi = findKpi(key.kpi);
    for (const rule of rules) {
      if (!ruleCovers(rule, key.kpi, key.team, key.project)) continue;
      if (rule.spcRules && !rule.spcRules.includes(f0.rule)) continue;
      const fingerprint = fingerprintOf([
        rule.id,
        'special_cause',
        key.kpi,
        key.team,
        key.project,
        key.dim,
        key.grain,
        f0.stageFrom,
        f0.rule,
      ]);
      for (const e of signalEpisodes(inStage, new Set(byPeriod.keys()), rule.quietPoints, nextStage)) {
        const first = byPeriod.get(e.start) as Firing;
        const last = byPeriod.get(e.firings.at(-1) as string) as Firing;
        alerts.push({
          alertId: alertIdOf(fingerprint, e.start),
          fingerprint,
          class: 'signal',
          kind: 'special_cause',
          ...base(rule),
          ...key,
          objectiveId: '',
          source: '',
          periodStart: e.start,
          state: e.end === null ? 'firing' : 'resolved',
          title: `${kpi?.title ?? key.kpi} (${scopeLabel(key.team, key.project)}, ${key.grain}): ${describeRules([f0.rule as RuleName])}`,
          value: first.value,
          limits: { center: first.center, ucl: first.ucl, lcl: first.lcl },
          spcRule: f0.rule,
          evidence: {
            stageFrom: f0.stageFrom,
            baselineId: last.baselineId,
            points: e.firings.map((p) => {
              const f = byPeriod.get(p) as Firing;
              return { periodStart: p, value: f.value, z: f.z };
            }),
            quietPointsToEnd: rule.quietPoints,
            ...(e.end ? { endedAt: e.end } : {}),
          },
          chartPath: chartPathOf(key),
          startedAt: asOf,
          resolvedAt: e.end === null ? null : asOf,
          resolution:
            e.endReason === 'quiet'
              ? `${rule.quietPoints} consecutive closed points without ${f0.rule} (last ${e.end})`
              : e.endReason === 'stage_ended'
                ? `stage ended: a new stage starts ${e.end}`
                : '',
        });
      }
    }
  }
  return alerts;
}
