import { isOpenPeriod, periodEnd } from '@shewhart/baselines';
import { findKpi, type Grain, KPIS, type KpiDefinition } from '@shewhart/kpi';
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

/** A recorded value of a closed period: [period start, value, when it was recorded]. */
type Recorded = [periodStart: string, value: number | null, observedAt: string];

const sameValue = (a: number | null, b: number | null) =>
  a === null || b === null ? a === b : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

/**
 * Late data that changed a published value: the value of every closed period of the covered series is
 * recorded when an evaluation first sees it (`published_values`); a later evaluation that finds another
 * value for that closed period raises an alert with the old value, the new one and the events stored
 * for the period since the old value was recorded. The alert resolves at the next evaluation that finds
 * the value unchanged.
 *
 * The record is one per series and period, shared by every rule: the series are read and compared once,
 * and each change raises an alert for every rule that covers it. The new values are recorded only after
 * the evaluation stored its alerts and deliveries (`ctx.afterStore`): a crash in between finds the
 * change again next time, under the same alert id (derived from when the old value was recorded).
 */
async function lateChangeAlerts(
  ctx: EvalContext,
  rules: readonly Rule[],
  grain: Grain = 'week',
): Promise<Alert[]> {
  if (rules.length === 0) return [];
  const teamsRs = await ctx.client.query({
    query: 'SELECT DISTINCT team FROM events_raw ORDER BY team',
    format: 'JSONEachRow',
  });
  const teams = (await teamsRs.json<{ team: string }>()).map((r) => r.team);
  const kpis = (KPIS as readonly KpiDefinition[]).filter((k) =>
    rules.some((r) => !r.kpis || r.kpis.includes(k.id)),
  );
  // One row per series, its periods in one array: a 10 M-event organisation has ~800,000 recorded values,
  // and one JSON object (and one joined map key) per value was most of a steady-state evaluation's
  // JavaScript and garbage-collection time (`pnpm bench alerts`).
  const prevRs = await ctx.client.query({
    query: `SELECT kpi, team, dim,
                   groupArray((toString(period_start), value, toString(observed_at))) AS recorded
            FROM published_values FINAL
            WHERE grain = {grain:String} AND project = '' AND has({kpis:Array(String)}, kpi)
            GROUP BY kpi, team, dim`,
    query_params: { grain, kpis: kpis.map((k) => k.id) },
    format: 'JSONEachRow',
  });
  const seriesOf = (kpi: string, team: string, dim: string) => `${kpi}\u0000${team}\u0000${dim}`;
  const previous = new Map<string, Map<string, Recorded>>();
  for (const r of await prevRs.json<{ kpi: string; team: string; dim: string; recorded: Recorded[] }>())
    previous.set(seriesOf(r.kpi, r.team, r.dim), new Map(r.recorded.map((v) => [v[0], v])));

  const observed: Record<string, unknown>[] = [];
  const alerts: Alert[] = [];
  const at = ctx.asOf.toISOString();
  for (const kpi of kpis) {
    const dim = kpi.dimension?.default ?? '';
    const scopes = ['', ...teams].filter((team) => rules.some((r) => ruleCovers(r, kpi.id, team, '')));
    if (scopes.length === 0) continue;
    // Every team in one query when the KPI allows it; series read by the signal rules are not read again.
    if (scopes.some((team) => team !== '')) await ctx.reads.byTeam(kpi, grain, dim);
    for (const team of scopes) {
      const key = { kpi: kpi.id, team, project: '', dim, grain };
      const { points, readAt } = await ctx.reads.series(kpi, key);
      // When the value was seen: after the read, which may include events stored after the evaluation
      // began (a KPI query catches up first). The events a later change lists are those stored after it.
      const seenAt = chTime(readAt);
      const recorded = previous.get(seriesOf(kpi.id, team, dim));
      for (const p of points) {
        if (p.provisional || isOpenPeriod(p.periodStart, grain, ctx.asOf)) continue;
        const prior = recorded?.get(p.periodStart);
        if (prior && sameValue(prior[1], p.value)) continue;
        observed.push({ ...key, period_start: p.periodStart, value: p.value, observed_at: seenAt });
        if (!prior) continue;
        const before = { value: prior[1], observed_at: prior[2] };
        const events = await eventsSince(ctx, team, p.periodStart, grain, before.observed_at);
        for (const rule of rules) {
          if (!ruleCovers(rule, kpi.id, team, '')) continue;
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
            alertId: alertIdOf(fingerprint, before.observed_at),
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
  }
  if (observed.length > 0)
    ctx.afterStore.push(() =>
      ctx.client
        .insert({ table: 'published_values', values: observed, format: 'JSONEachRow' })
        .then(() => undefined),
    );
  return alerts;
}

/** The events of the period stored after the value was published (at most 20 listed, all counted). */
async function eventsSince(ctx: EvalContext, team: string, periodStart: string, grain: Grain, since: string) {
  const rs = await ctx.client.query({
    // The string forms are aliased apart from the columns: an alias named like a column would replace
    // it in WHERE and ORDER BY (ClickHouse resolves aliases first), comparing strings with times.
    query: `SELECT e.source AS source, e.id AS id, e.type AS type, toString(e.time) AS event_time,
                   toString(e.ingested_at) AS stored_at, count() OVER () AS total
            FROM events_raw AS e
            WHERE e.ingested_at > {since:DateTime64(3, 'UTC')}
              AND e.time >= {from:DateTime64(3, 'UTC')} AND e.time < {to:DateTime64(3, 'UTC')}
              AND ({team:String} = '' OR e.team = {team:String})
            ORDER BY e.ingested_at, e.source, e.id LIMIT 20`,
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
    event_time: string;
    stored_at: string;
    total: string;
  }>();
  return {
    count: Number(rows[0]?.total ?? 0),
    listed: rows.map((e) => ({
      source: e.source,
      id: e.id,
      type: e.type,
      time: `${e.event_time.replace(' ', 'T')}Z`,
      storedAt: `${e.stored_at.replace(' ', 'T')}Z`,
    })),
  };
}

/** Data-quality alerts (docs/methods.md §8) of the configured rules. */
export async function dataQualityAlerts(ctx: EvalContext, rules: readonly Rule[]): Promise<Alert[]> {
  const out: Alert[] = [];
  for (const rule of rules) out.push(...(await rejectedShareAlerts(ctx, rule)));
  out.push(
    ...(await lateChangeAlerts(
      ctx,
      rules.filter((r) => r.lateChanges),
    )),
  );
  return out;
}
