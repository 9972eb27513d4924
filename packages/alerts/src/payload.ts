import { createHmac } from 'node:crypto';
import { findKpi } from '@shewhart/kpi';
import type { Alert, Transition } from './model.js';

/**
 * The message bodies, built once per delivery and stored: every attempt sends the same bytes, so the
 * signature and the receiver's idempotency key (`id` = `X-Shewhart-Delivery`) never change.
 */

export interface WebhookPayload {
  id: string;
  alertId: string;
  fingerprint: string;
  class: Alert['class'];
  status: Transition;
  severity: Alert['severity'];
  kpi: string | null;
  kpiName: string | null;
  scope: { team: string | null; project: string | null };
  grain: string | null;
  periodStart: string | null;
  value: number | null;
  limits: { center: number | null; ucl: number | null; lcl: number | null } | null;
  rule: string | null;
  objective: Record<string, unknown> | null;
  evidence: Record<string, unknown>;
  chartUrl: string | null;
  startedAt: string;
  resolvedAt: string | null;
}

/** Absolute when the server's public URL is known, else the path (receivers on the same host). */
export function chartUrlOf(alert: Alert, publicUrl?: string): string | null {
  if (!alert.chartPath) return null;
  return publicUrl ? `${publicUrl.replace(/\/+$/, '')}${alert.chartPath}` : alert.chartPath;
}

export function webhookPayload(
  deliveryId: string,
  alert: Alert,
  status: Transition,
  publicUrl?: string,
): WebhookPayload {
  const kpi = alert.kpi ? findKpi(alert.kpi) : undefined;
  return {
    id: deliveryId,
    alertId: alert.alertId,
    fingerprint: alert.fingerprint,
    class: alert.class,
    status,
    severity: alert.severity,
    kpi: alert.kpi || null,
    kpiName: kpi?.title ?? (alert.kpi || null),
    scope: { team: alert.team || null, project: alert.project || null },
    grain: alert.grain || null,
    periodStart: alert.periodStart,
    value: alert.value,
    limits: alert.limits,
    rule: alert.spcRule || null,
    objective: (alert.evidence.objective as Record<string, unknown> | undefined) ?? null,
    evidence: { kind: alert.kind, ruleId: alert.ruleId, title: alert.title, ...alert.evidence },
    chartUrl: chartUrlOf(alert, publicUrl),
    startedAt: alert.startedAt,
    resolvedAt: status === 'resolved' ? alert.resolvedAt : null,
  };
}

const fmt = (v: number | null | undefined) =>
  v === null || v === undefined ? 'n/a' : Number.isInteger(v) ? String(v) : v.toPrecision(4);

/** Slack's incoming-webhook format: `text` (notifications, fallbacks) and `blocks` with the same facts. */
export function slackPayload(
  deliveryId: string,
  alert: Alert,
  status: Transition,
  publicUrl?: string,
): Record<string, unknown> {
  const p = webhookPayload(deliveryId, alert, status, publicUrl);
  const icon =
    status === 'resolved'
      ? ':white_check_mark:'
      : alert.severity === 'critical'
        ? ':rotating_light:'
        : ':warning:';
  const scope = p.scope.team
    ? `${p.scope.team}${p.scope.project ? `/${p.scope.project}` : ''}`
    : 'organisation';
  const head = `${icon} ${status === 'resolved' ? 'Resolved' : 'Firing'} [${alert.severity}]: ${alert.title}`;
  const fields = [
    `*Class*\n${alert.class} (${alert.kind})`,
    `*Scope*\n${scope}${p.grain ? `, ${p.grain}` : ''}`,
    ...(p.periodStart ? [`*Period*\n${p.periodStart}`] : []),
    ...(p.value !== null ? [`*Value*\n${fmt(p.value)}`] : []),
    ...(p.limits
      ? [`*Limits*\nCL ${fmt(p.limits.center)}, UCL ${fmt(p.limits.ucl)}, LCL ${fmt(p.limits.lcl)}`]
      : []),
    ...(p.rule ? [`*Rule*\n${p.rule}`] : []),
    `*Started*\n${p.startedAt}`,
    ...(p.resolvedAt
      ? [`*Resolved*\n${p.resolvedAt}${alert.resolution ? ` (${alert.resolution})` : ''}`]
      : []),
  ];
  return {
    text: `${head}${p.chartUrl ? ` — ${p.chartUrl}` : ''}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${head}*` } },
      { type: 'section', fields: fields.slice(0, 10).map((text) => ({ type: 'mrkdwn', text })) },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `${p.chartUrl ? `<${p.chartUrl}|chart> · ` : ''}alert ${alert.alertId} · delivery ${deliveryId}`,
          },
        ],
      },
    ],
  };
}

/** `X-Shewhart-Signature`: `sha256=` and the hex HMAC-SHA256 of the raw body under the route's key. */
export function signature(body: string, key: string): string {
  return `sha256=${createHmac('sha256', key).update(body, 'utf8').digest('hex')}`;
}
