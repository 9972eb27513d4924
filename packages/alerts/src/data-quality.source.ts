import { isOpenPeriod, periodEnd, seriesPoints } from '@shewhart/baselines';
import { findKpi, type Grain, KPIS, type KpiDefinition, type KpiPoint, queryByTeam } from '@shewhart/kpi';
import type { Rule } from './config.js';
import { base, chartPathOf, type EvalContext, NO_SERIES, ruleCovers, scopeLabel } from './context.js';
import { type Alert, alertIdOf, fingerprintOf } from './model.js';

const chTime = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');

/**
 * Rejected-event share per source over the rule's window: refused events (ingest_rejections, one row
 * per refused batch) / (refused + stored). One episode per (rule, source) while the share is above the
 * threshold; it keeps its id while it lasts and resolves when the share falls back.
 */
async function rejectedShareAlerts(ctx: EvalContext, rule: Rule): Promise<Alert[]> {
  const { above, windowHours, minEvents } = rule.rejectedShare;
  const since = chTime(new Date(ctx.asOf.getTime() - windowHours * 3_600_000));
  const rs = await ctx.client.query({
    query: `SELECT source, sum(rejected) AS rejected, sum(stored) AS stored FROM (
              SELECT source, toUInt64(rejected) AS rejected, toUInt64(0) AS stored FROM ingest_rejections
              WHERE at > {since:DateTime64(3, 'UTC')} AND at <= {asOf:DateTime64(3, 'UTC')}
              UNION ALL
              SELECT source, toUInt64(0), count() FROM events_raw
              WHERE ingested_at > {since:DateTime64(3, 'UTC')} AND ingested_at <= {asOf:DateTime64(3, 'UTC')}
              GROUP BY source)
            GROUP BY source HAVING rejected > 0`,
    query_params: { since, asOf: chTime(ctx.asOf) },
    format: 'JSONEachRow',
  });
  const at = ctx.asOf.toISOString();
  const alerts: Alert[] = [];
  for (const r of await rs.json<{ source: string; rejected: string; stored: string }>()) {
    const rejected = Number(r.rejected);
    const total = rejected + Number(r.stored);
    const share = rejected / total;
    if (total < minEvents || share <= above) continue;
    const fingerprint = fingerprintOf([rule.id, 'rejected_share', r.source]);
    const open = ctx.storedByFingerprint.get(fingerprint)?.find((a) => a.state === 'firing');
    alerts.push({
      alertId: open?.alertId ?? alertIdOf(fingerprint, at),
      fingerprint,
      class: 'data_quality',
      kind: 'rejected_share',
      ...base(rule),
      ...NO_SERIES,
      objectiveId: '',
      source: r.source,
      periodStart: null,
      state: 'firing',
      title: `Source ${r.source}: ${(share * 100).toFixed(1)} % of events refused in the last ${windowHours} h`,
      value: share,
      limits: null,
      spcRule: '',
      evidence: { rejected, stored: total - rejected, share, threshold: above, windowHours },
      chartPath: '',
      startedAt: open?.startedAt ?? at,
      resolvedAt: null,
      resolution: '',
    });
  }
  return alerts;
}

interface Published {
  kpi: string;
  team: string;
  project: string;
  dim: string;
  grain: string;
  period_start: string;
  value: number | null;
  observed_at: string;
}

const sameValue = (a: number | null, b: number | null) =>
  a === null || b === null ? a === b : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

/**
 * Late data that changed a published value: the value of every closed period of the covered series is
 * recorded when an evaluation first sees it (`published_values`); a later evaluation that finds another
 * value for that closed period raises an alert with the old value, the new one and the events stored
 * for the period since the old value was recorded. The alert resolves at the next evaluation that finds
 * the value unchanged.
 */
async function lateChangeAlerts(ctx: EvalContext, rule: Rule, grain: Grain = 'week'): Promise<Alert[]> {
  const teamsRs = await ctx.client.query({
    query: 'SELECT DISTINCT team FROM events_raw ORDER BY team',
    format: 'JSONEachRow',
  });
  const teams = (await teamsRs.json<{ team: string }>()).map((r) => r.team);
  const kpis = (KPIS as readonly KpiDefinition[]).filter((k) => !rule.kpis || rule.kpis.includes(k.id));
  const prevRs = await ctx.client.query({
    query: `SELECT kpi, team, project, dim, grain, toString(period_start) AS period_start, value,
                   toString(observed_at) AS observed_at
            FROM published_values FINAL WHERE grain = {grain:String} AND has({kpis:Array(String)}, kpi)`,
    query_params: { grain, kpis: kpis.map((k) => k.id) },
    format: 'JSONEachRow',
  });
  const previous = new Map<string, Published>();
  for (const r of await prevRs.json<Published>())
    previous.set([r.kpi, r.team, r.project, r.dim, r.period_start].join('\u0000'), r);

  const observed: Record<string, unknown>[] = [];
  const alerts: Alert[] = [];
  const at = ctx.asOf.toISOString();
  for (const kpi of kpis) {
    const dim = kpi.dimension?.default ?? '';
    const scopes = ['', ...teams].filter((team) => ruleCovers(rule, kpi.id, team, ''));
    if (scopes.length === 0) continue;
    let byTeam: Map<string, KpiPoint[]> | undefined;
    try {
      byTeam = await queryByTeam(ctx.states, kpi, grain, { dim, asOf: ctx.asOf });
    } catch {
      byTeam = undefined;
    }
    for (const team of scopes) {
      const key = { kpi: kpi.id, team, project: '', dim, grain };
      const points =
        team !== '' && byTeam ? (byTeam.get(team) ?? []) : await seriesPoints(ctx.states, kpi, key, ctx.asOf);
      for (const p of points) {
        if (p.provisional || isOpenPeriod(p.periodStart, grain, ctx.asOf)) continue;
        const before = previous.get([kpi.id, team, '', dim, p.periodStart].join('\u0000'));
        if (before && sameValue(before.value, p.value)) continue;
        observed.push({
          ...key,
          period_start: p.periodStart,
          value: p.value,
          observed_at: at.replace('T', ' ').replace('Z', ''),
        });
        if (!before) continue;
        const events = await eventsSince(ctx, team, p.periodStart, grain, before.observed_at);
        const fingerprint = fingerprintOf([
          rule.id,
          'late_change',
          kpi.id,
          team,
          '',
          dim,
          grain,
          p.periodStart,
        ]);
        alerts.push({
          alertId: alertIdOf(fingerprint, at),
          fingerprint,
          class: 'data_quality',
          kind: 'late_change',
          ...base(rule),
          ...key,
          objectiveId: '',
          source: '',
          periodStart: p.periodStart,
          state: 'firing',
          title: `${findKpi(kpi.id)?.title ?? kpi.id} (${scopeLabel(team, '')}, ${grain}): late data changed the closed period ${p.periodStart}`,
          value: p.value,
          limits: null,
          spcRule: '',
          evidence: {
            oldValue: before.value === null ? null : Number(before.value),
            newValue: p.value,
            publishedAt: `${before.observed_at.replace(' ', 'T')}Z`,
            events,
          },
          chartPath: chartPathOf(key),
          startedAt: at,
          resolvedAt: null,
          resolution: '',
        });
      }
    }
  }
  if (observed.length > 0)
    await ctx.client.insert({ table: 'published_values', values: observed, format: 'JSONEachRow' });
  return alerts;
}

/** The events of the period stored after the value was published (at most 20 listed, all counted). */
async function eventsSince(ctx: EvalContext, team: string, periodStart: string, grain: Grain, since: string) {
  const rs = await ctx.client.query({
    query: `SELECT source, id, type, toString(time) AS time, toString(ingested_at) AS ingested_at,
                   count() OVER () AS total
            FROM events_raw
            WHERE ingested_at > {since:DateTime64(3, 'UTC')}
              AND time >= {from:DateTime64(3, 'UTC')} AND time < {to:DateTime64(3, 'UTC')}
              AND ({team:String} = '' OR team = {team:String})
            ORDER BY ingested_at LIMIT 20`,
    query_params: {
      since,
      from: `${periodStart} 00:00:00.000`,
      to: chTime(periodEnd(periodStart, grain)),
      team,
    },
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{
    source: string;
    id: string;
    type: string;
    time: string;
    ingested_at: string;
    total: string;
  }>();
  return {
    count: Number(rows[0]?.total ?? 0),
    listed: rows.map(({ total: _, ...e }) => e),
  };
}

/** Data-quality alerts (docs/methods.md §8) of the configured rules. */
export async function dataQualityAlerts(ctx: EvalContext, rules: readonly Rule[]): Promise<Alert[]> {
  const out: Alert[] = [];
  for (const rule of rules) {
    out.push(...(await rejectedShareAlerts(ctx, rule)));
    if (rule.lateChanges) out.push(...(await lateChangeAlerts(ctx, rule)));
  }
  return out;
}
