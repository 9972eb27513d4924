import { allProcessChanges, changeStartsFor, isOpenPeriod, periodStartOf, ymd } from '@shewhart/baselines';
import { findKpi } from '@shewhart/kpi';
import { evaluateObjective, type Objective, scopeOf } from '@shewhart/objectives';
import type { Rule } from './config.js';
import { base, chartPathOf, type EvalContext, ruleCovers, scopeLabel } from './context.js';
import { type AttainCheck, missEpisodes, predictAttainment } from './episodes.js';
import { type Alert, alertIdOf, fingerprintOf } from './model.js';

function objectiveFacts(o: Objective): Record<string, unknown> {
  return {
    id: o.id,
    title: o.title ?? null,
    direction: o.direction,
    target: o.target ?? null,
    band: o.band ?? null,
    period: o.period,
    owner: o.owner,
    due: o.due ?? null,
  };
}

function seedOf(fingerprint: string): number {
  return Number.parseInt(fingerprint.slice(0, 8), 16) >>> 0;
}

/**
 * Objective alerts (docs/methods.md §8): one per (objective, closed period) that missed, ending when a
 * later closed period meets the objective again; and one per (objective, due date) while the predicted
 * P(attain) for the due date's period is below the rule's threshold (§7.2). Open periods and
 * provisional values (still changing by the KPI's definition) are never judged.
 */
export async function objectiveAlerts(ctx: EvalContext, rules: readonly Rule[]): Promise<Alert[]> {
  const service = ctx.objectives;
  if (rules.length === 0 || !service) return [];
  const changes = await allProcessChanges(ctx.client);
  const asOf = ctx.asOf.toISOString();
  const alerts: Alert[] = [];
  for (const o of service.objectives) {
    const covering = rules.filter((r) => {
      const s = scopeOf(o);
      return (
        (!r.objectives || r.objectives.includes(o.id)) && ruleCovers(r, o.kpi, s.team ?? '', s.project ?? '')
      );
    });
    if (covering.length === 0) continue;
    const series = await service.series(o, { asOf });
    const closed = series.points.filter(
      (p) => !p.provisional && !isOpenPeriod(p.periodStart, o.period, ctx.asOf),
    );
    const evaluated = evaluateObjective(o, closed).periods;
    const s = scopeOf(o);
    const key = {
      kpi: o.kpi,
      team: s.team ?? '',
      project: s.project ?? '',
      dim: o.unit ?? o.phase ?? findKpi(o.kpi)?.dimension?.default ?? '',
      grain: o.period,
    };
    const name = `${o.title ?? o.id} (${scopeLabel(key.team, key.project)}, ${o.period})`;
    for (const rule of covering) {
      for (const m of missEpisodes(evaluated)) {
        const fingerprint = fingerprintOf([rule.id, 'objective_missed', o.id, m.periodStart]);
        alerts.push({
          alertId: alertIdOf(fingerprint, m.periodStart),
          fingerprint,
          class: 'objective',
          kind: 'objective_missed',
          ...base(rule),
          ...key,
          objectiveId: o.id,
          source: '',
          periodStart: m.periodStart,
          state: m.metAgain === null ? 'firing' : 'resolved',
          title: `${name}: missed in the period starting ${m.periodStart}`,
          value: m.actual,
          limits: null,
          spcRule: '',
          evidence: {
            objective: objectiveFacts(o),
            actual: m.actual,
            ...(m.metAgain ? { metAgain: m.metAgain } : {}),
          },
          chartPath: chartPathOf(key),
          startedAt: asOf,
          resolvedAt: m.metAgain === null ? null : asOf,
          resolution: m.metAgain === null ? '' : `met again in the period starting ${m.metAgain}`,
        });
      }
      const prediction = predictionAlert(o, rule, closed, key, changes, ctx.asOf);
      if (prediction) alerts.push({ ...prediction, title: `${name}: ${prediction.title}` });
    }
  }
  return alerts;
}

function predictionAlert(
  o: Objective,
  rule: Rule,
  closed: readonly { periodStart: string; value: number | null }[],
  key: { kpi: string; team: string; project: string; dim: string; grain: Objective['period'] },
  changes: Awaited<ReturnType<typeof allProcessChanges>>,
  asOf: Date,
): Alert | undefined {
  if (!o.due) return undefined;
  const dueDate = new Date(`${o.due}T00:00:00Z`);
  const duePeriod = ymd(periodStartOf(dueDate, o.period));
  // Only with the due date's period still ahead: once it has closed, the miss alert judges it.
  if (!isOpenPeriod(duePeriod, o.period, asOf)) return undefined;
  // The current stage: values since the latest process change of the series (the process as it runs now).
  const stage = changeStartsFor(changes, key)
    .filter((s) => s <= ymd(asOf))
    .sort()
    .at(-1);
  const values = closed
    .filter((p) => p.value !== null && (stage === undefined || p.periodStart >= stage))
    .map((p) => p.value as number);
  const check: AttainCheck =
    o.direction === 'range'
      ? { direction: 'range', low: (o.band as { low: number }).low, high: (o.band as { high: number }).high }
      : { direction: o.direction, target: o.target as number };
  const fingerprint = fingerprintOf([rule.id, 'attainment_at_risk', o.id, o.due]);
  const p = predictAttainment(values, check, seedOf(fingerprint));
  if (!p || p.pAttain >= rule.attainBelow) return undefined;
  const at = asOf.toISOString();
  return {
    alertId: alertIdOf(fingerprint, o.due),
    fingerprint,
    class: 'objective',
    kind: 'attainment_at_risk',
    ...base(rule),
    ...key,
    objectiveId: o.id,
    source: '',
    periodStart: duePeriod,
    state: 'firing',
    title: `P(attain) by ${o.due} is ${(p.pAttain * 100).toFixed(1)} % (below ${rule.attainBelow * 100} %)`,
    value: p.pAttain,
    limits: null,
    spcRule: '',
    evidence: {
      objective: objectiveFacts(o),
      prediction: p,
      stageFrom: stage ?? null,
      threshold: rule.attainBelow,
    },
    chartPath: chartPathOf(key),
    startedAt: at,
    resolvedAt: null,
    resolution: '',
  };
}
