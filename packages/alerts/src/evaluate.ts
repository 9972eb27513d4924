import type { ClickHouseClient } from '@clickhouse/client';
import type { EntityStates } from '@shewhart/kpi';
import type { ObjectiveService } from '@shewhart/objectives';
import type { AlertsConfig, Rule } from './config.js';
import { type EvalContext, SeriesReads } from './context.js';
import { dataQualityAlerts } from './data-quality.source.js';
import { type Alert, type AlertClass, type Delivery, deliveryIdOf, type Transition } from './model.js';
import { objectiveAlerts } from './objective.source.js';
import { slackPayload, webhookPayload } from './payload.js';
import { quietUntil } from './quiet-hours.js';
import { signalAlerts } from './signal.source.js';
import { alertsOfClasses, existingDeliveryIds, writeAlerts, writeDeliveries } from './store.js';

export interface EvaluationDeps {
  states: EntityStates;
  client: ClickHouseClient;
  config: AlertsConfig;
  objectives?: ObjectiveService;
  /** The server's public URL, for absolute chart links in messages. */
  publicUrl?: string;
  /**
   * Scaled deployment: throws once the cross-process evaluation lock is known lost (RedisLock's `held`);
   * called before each write, so an evaluation that lost its lease stores nothing more.
   */
  held?: () => void;
}

export interface EvaluationResult {
  /** Alerts the data calls for now (firing and resolved episodes). */
  episodes: number;
  opened: number;
  resolved: number;
  /** New delivery rows, stored as pending: hand them to the queue. */
  deliveries: Delivery[];
  /** Rules whose evaluation failed (their alerts were left as they were). */
  failed: { ruleId: string; error: string }[];
  ms: number;
}

const WITHDRAWN: Record<Alert['kind'], string> = {
  special_cause: 'no longer supported by the stored signals (data or baseline changed)',
  objective_missed: 'the period no longer misses its objective (late data)',
  attainment_at_risk: 'P(attain) is back at or above the threshold, or the due period has closed',
  rejected_share: 'the refused share fell back to the threshold or below',
  late_change: 'the republished value has not changed since',
};

/**
 * One evaluation of every configured rule at one instant, reconciled with the stored alerts:
 * - an episode seen for the first time while firing is stored and its `firing` transition delivered;
 *   one first seen already ended (history evaluated at once) is stored as resolved and not sent;
 * - a stored firing episode that has ended is resolved and its `resolved` transition delivered;
 * - a stored firing alert its rule no longer calls for is resolved with the reason (sent as well);
 * - a resolved alert never fires again: a new firing is a new episode, with a new id.
 * Ids are derived from the data, and a transition's delivery rows are written only when absent, so any
 * number of evaluations of the same data store and send nothing more (idempotent). Delivery rows are
 * written before the alerts that announce them: a crash in between repeats the transition next time
 * under the same delivery ids.
 */
export async function evaluateAlerts(deps: EvaluationDeps, asOf = new Date()): Promise<EvaluationResult> {
  const started = Date.now();
  const { config } = deps;
  const byClass = (c: AlertClass) => config.rules.filter((r) => r.class === c);
  const classes = (['signal', 'objective', 'data_quality'] as const).filter((c) => byClass(c).length > 0);
  const stored = await alertsOfClasses(deps.client, classes);
  const storedByFingerprint = new Map<string, Alert[]>();
  for (const a of stored.values())
    storedByFingerprint.set(a.fingerprint, [...(storedByFingerprint.get(a.fingerprint) ?? []), a]);
  const ctx: EvalContext = {
    states: deps.states,
    client: deps.client,
    asOf,
    objectives: deps.objectives,
    storedByFingerprint,
    afterStore: [],
    reads: new SeriesReads(deps.states, asOf),
  };

  const desired: Alert[] = [];
  const evaluatedRules = new Set<string>();
  const failed: EvaluationResult['failed'] = [];
  const sources: [AlertClass, (ctx: EvalContext, rules: Rule[]) => Promise<Alert[]>][] = [
    ['signal', signalAlerts],
    ['objective', objectiveAlerts],
    ['data_quality', dataQualityAlerts],
  ];
  for (const [cls, source] of sources) {
    const rules = byClass(cls);
    if (rules.length === 0) continue;
    try {
      desired.push(...(await source(ctx, rules)));
      for (const r of rules) evaluatedRules.add(r.id);
    } catch (error) {
      for (const r of rules) failed.push({ ruleId: r.id, error: (error as Error).message });
    }
  }

  const writes: Alert[] = [];
  const transitions: { alert: Alert; transition: Transition }[] = [];
  const seen = new Set<string>();
  for (const d of desired) {
    if (seen.has(d.alertId)) continue;
    seen.add(d.alertId);
    const s = stored.get(d.alertId);
    if (!s) {
      writes.push(d);
      if (d.state === 'firing') transitions.push({ alert: d, transition: 'firing' });
      continue;
    }
    if (s.state === 'resolved') continue;
    const next: Alert = { ...d, startedAt: s.startedAt };
    if (d.state === 'resolved') {
      writes.push(next);
      transitions.push({ alert: next, transition: 'resolved' });
    } else if (JSON.stringify(s.evidence) !== JSON.stringify(d.evidence) || s.value !== d.value) {
      writes.push(next);
    }
  }
  const known = new Set(config.rules.map((r) => r.id));
  const at = asOf.toISOString();
  for (const s of stored.values()) {
    if (s.state !== 'firing' || seen.has(s.alertId)) continue;
    if (known.has(s.ruleId) && !evaluatedRules.has(s.ruleId)) continue; // its rule failed this time
    const resolved: Alert = {
      ...s,
      state: 'resolved',
      resolvedAt: at,
      resolution: known.has(s.ruleId) ? WITHDRAWN[s.kind] : 'its rule was removed from the configuration',
    };
    writes.push(resolved);
    // A rule no longer configured has no routes to tell.
    if (known.has(s.ruleId)) transitions.push({ alert: resolved, transition: 'resolved' });
  }

  const deliveries = deliveriesFor(deps, transitions, asOf);
  const existing = await existingDeliveryIds(
    deps.client,
    deliveries.map((d) => d.deliveryId),
  );
  const fresh = deliveries.filter((d) => !existing.has(d.deliveryId));
  const held = deps.held ?? (() => {});
  held();
  await writeDeliveries(deps.client, fresh);
  held();
  await writeAlerts(deps.client, writes);
  for (const write of ctx.afterStore) {
    held();
    await write();
  }
  return {
    episodes: seen.size,
    opened: transitions.filter((t) => t.transition === 'firing').length,
    resolved: transitions.filter((t) => t.transition === 'resolved').length,
    // Rows that existed already (a crash before the alert was written) are handed to the queue again.
    deliveries,
    failed,
    ms: Date.now() - started,
  };
}

function deliveriesFor(
  deps: EvaluationDeps,
  transitions: readonly { alert: Alert; transition: Transition }[],
  asOf: Date,
): Delivery[] {
  const out: Delivery[] = [];
  const at = asOf.toISOString();
  for (const { alert, transition } of transitions) {
    for (const routeId of alert.routes) {
      const route = deps.config.routes.get(routeId);
      if (!route) continue;
      const deliveryId = deliveryIdOf(alert.alertId, transition, routeId);
      const payload =
        route.type === 'slack'
          ? slackPayload(deliveryId, alert, transition, deps.publicUrl)
          : webhookPayload(deliveryId, alert, transition, deps.publicUrl);
      const held = quietUntil(route.quietHours, asOf);
      out.push({
        deliveryId,
        alertId: alert.alertId,
        transition,
        routeId,
        state: 'pending',
        attempts: 0,
        retryAttempts: route.retry.attempts,
        backoffMs: route.retry.backoffMs,
        lastError: '',
        lastStatus: 0,
        body: JSON.stringify(payload),
        createdAt: at,
        notBefore: (held ?? asOf).toISOString(),
        updatedAt: at,
      });
    }
  }
  return out;
}
