import type { ClickHouseClient } from '@clickhouse/client';
import {
  type Acknowledgement,
  type Alert,
  type AlertClass,
  type AlertState,
  type Delivery,
  type DeliveryRetry,
  type DeliveryState,
  nextVersion,
} from './model.js';

/** ClickHouse reads and writes of the alert tables (migrations 0050–0054). Every value is bound. */

const ts = (iso: string) => iso.replace('T', ' ').replace('Z', '');
const iso = (chTime: string) => `${chTime.replace(' ', 'T')}Z`;

interface AlertRow {
  alert_id: string;
  fingerprint: string;
  class: string;
  kind: string;
  rule_id: string;
  severity: string;
  kpi: string;
  team: string;
  project: string;
  dim: string;
  grain: string;
  objective_id: string;
  source: string;
  period_start: string | null;
  state: string;
  title: string;
  value: number | null;
  limits: string;
  spc_rule: string;
  evidence: string;
  chart_path: string;
  routes: string[];
  started_at: string;
  resolved_at: string | null;
  resolution: string;
}

const ALERT_COLUMNS = `alert_id, fingerprint, class, kind, rule_id, severity, kpi, team, project, dim, grain,
  objective_id, source, toString(period_start) AS period_start, state, title, value, limits, spc_rule, evidence,
  chart_path, routes, toString(started_at) AS started_at, toString(resolved_at) AS resolved_at, resolution`;

function toAlert(r: AlertRow): Alert {
  return {
    alertId: r.alert_id,
    fingerprint: r.fingerprint,
    class: r.class as Alert['class'],
    kind: r.kind as Alert['kind'],
    ruleId: r.rule_id,
    severity: r.severity as Alert['severity'],
    kpi: r.kpi,
    team: r.team,
    project: r.project,
    dim: r.dim,
    grain: r.grain,
    objectiveId: r.objective_id,
    source: r.source,
    periodStart: r.period_start,
    state: r.state as AlertState,
    title: r.title,
    value: r.value === null ? null : Number(r.value),
    limits: r.limits ? (JSON.parse(r.limits) as Alert['limits']) : null,
    spcRule: r.spc_rule,
    evidence: JSON.parse(r.evidence || '{}') as Record<string, unknown>,
    chartPath: r.chart_path,
    routes: r.routes,
    startedAt: iso(r.started_at),
    resolvedAt: r.resolved_at === null ? null : iso(r.resolved_at),
    resolution: r.resolution,
  };
}

function alertRow(a: Alert) {
  return {
    alert_id: a.alertId,
    fingerprint: a.fingerprint,
    class: a.class,
    kind: a.kind,
    rule_id: a.ruleId,
    severity: a.severity,
    kpi: a.kpi,
    team: a.team,
    project: a.project,
    dim: a.dim,
    grain: a.grain,
    objective_id: a.objectiveId,
    source: a.source,
    period_start: a.periodStart,
    state: a.state,
    title: a.title,
    value: a.value,
    limits: a.limits ? JSON.stringify(a.limits) : '',
    spc_rule: a.spcRule,
    evidence: JSON.stringify(a.evidence),
    chart_path: a.chartPath,
    routes: a.routes,
    started_at: ts(a.startedAt),
    resolved_at: a.resolvedAt === null ? null : ts(a.resolvedAt),
    resolution: a.resolution,
    version: nextVersion(),
  };
}

export async function writeAlerts(client: ClickHouseClient, alerts: readonly Alert[]): Promise<void> {
  if (alerts.length === 0) return;
  await client.insert({ table: 'alerts', values: alerts.map(alertRow), format: 'JSONEachRow' });
}

export interface AlertFilter {
  state?: AlertState;
  class?: AlertClass;
  kpi?: string;
  team?: string;
  ids?: readonly string[];
  limit?: number;
}

export interface ListedAlert extends Alert {
  acknowledged: Acknowledgement | null;
}

/** Alerts (latest version of each), newest first, with their latest acknowledgement. */
export async function listAlerts(client: ClickHouseClient, filter: AlertFilter = {}): Promise<ListedAlert[]> {
  const rs = await client.query({
    query: `SELECT ${ALERT_COLUMNS}, ack.acked_by AS acked_by, ack.note AS ack_note,
                   toString(ack.last_at) AS acked_at
            FROM (SELECT * FROM alerts FINAL
                  WHERE ({state:Nullable(String)} IS NULL OR state = {state:Nullable(String)})
                    AND ({class:Nullable(String)} IS NULL OR class = {class:Nullable(String)})
                    AND ({kpi:Nullable(String)} IS NULL OR kpi = {kpi:Nullable(String)})
                    AND ({team:Nullable(String)} IS NULL OR team = {team:Nullable(String)})
                    AND (length({ids:Array(String)}) = 0 OR has({ids:Array(String)}, alert_id))) AS a
            LEFT JOIN (SELECT alert_id, argMax(acked_by, acked_at) AS acked_by, argMax(note, acked_at) AS note,
                              max(acked_at) AS last_at
                       FROM alert_acks GROUP BY alert_id) AS ack ON ack.alert_id = a.alert_id
            ORDER BY a.started_at DESC, a.alert_id
            LIMIT {limit:UInt32}`,
    query_params: {
      state: filter.state ?? null,
      class: filter.class ?? null,
      kpi: filter.kpi ?? null,
      team: filter.team ?? null,
      ids: filter.ids ?? [],
      limit: filter.limit ?? 1000,
    },
    format: 'JSONEachRow',
    // An alert without an acknowledgement joins to empty strings, not to defaults that look like data.
    clickhouse_settings: { join_use_nulls: 1 },
  });
  return (
    await rs.json<AlertRow & { acked_by: string | null; ack_note: string | null; acked_at: string | null }>()
  ).map((r) => ({
    ...toAlert(r),
    acknowledged:
      r.acked_by === null || r.acked_at === null
        ? null
        : { alertId: r.alert_id, by: r.acked_by, note: r.ack_note ?? '', at: iso(r.acked_at) },
  }));
}

/** Every alert of the given classes (evaluation reconciles against them). */
export async function alertsOfClasses(
  client: ClickHouseClient,
  classes: readonly AlertClass[],
): Promise<Map<string, Alert>> {
  const rs = await client.query({
    query: `SELECT ${ALERT_COLUMNS} FROM alerts FINAL WHERE has({classes:Array(String)}, class)`,
    query_params: { classes },
    format: 'JSONEachRow',
  });
  return new Map((await rs.json<AlertRow>()).map((r) => [r.alert_id, toAlert(r)]));
}

export async function recordAck(
  client: ClickHouseClient,
  ack: { alertId: string; by: string; note: string },
): Promise<void> {
  await client.insert({
    table: 'alert_acks',
    values: [{ alert_id: ack.alertId, acked_by: ack.by, note: ack.note }],
    format: 'JSONEachRow',
  });
  // Someone has seen it: a firing message still waiting (quiet hours, retries) is not sent. One whose
  // attempt is in flight may still arrive, and then records itself delivered (a newer version).
  const waiting = await listDeliveries(client, { state: 'pending', alertId: ack.alertId });
  const now = new Date().toISOString();
  await writeDeliveries(
    client,
    waiting
      .filter((d) => d.transition === 'firing')
      .map((d) => ({
        ...d,
        state: 'cancelled' as const,
        lastError: `acknowledged by ${ack.by}`,
        updatedAt: now,
      })),
  );
}

export async function isAcknowledged(client: ClickHouseClient, alertId: string): Promise<boolean> {
  const rs = await client.query({
    query: 'SELECT count() AS n FROM alert_acks WHERE alert_id = {id:String}',
    query_params: { id: alertId },
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ n: string | number }>();
  return Number(row?.n ?? 0) > 0;
}

interface DeliveryRow {
  delivery_id: string;
  alert_id: string;
  transition: string;
  route_id: string;
  state: string;
  attempts: number;
  round_start: number;
  retries: number;
  retry_attempts: number;
  backoff_ms: number;
  last_error: string;
  last_status: number;
  body: string;
  created_at: string;
  not_before: string;
  updated_at: string;
}

const DELIVERY_COLUMNS = `delivery_id, alert_id, transition, route_id, state, attempts, round_start, retries,
  retry_attempts, backoff_ms, last_error, last_status,
  body, toString(created_at) AS created_at, toString(not_before) AS not_before, toString(updated_at) AS updated_at`;

const toDelivery = (r: DeliveryRow): Delivery => ({
  deliveryId: r.delivery_id,
  alertId: r.alert_id,
  transition: r.transition as Delivery['transition'],
  routeId: r.route_id,
  state: r.state as DeliveryState,
  attempts: Number(r.attempts),
  roundStart: Number(r.round_start),
  retries: Number(r.retries),
  ...(Number(r.backoff_ms) > 0
    ? { retryAttempts: Number(r.retry_attempts), backoffMs: Number(r.backoff_ms) }
    : {}),
  lastError: r.last_error,
  lastStatus: Number(r.last_status),
  body: r.body,
  createdAt: iso(r.created_at),
  notBefore: iso(r.not_before),
  updatedAt: iso(r.updated_at),
});

const deliveryRow = (d: Delivery) => ({
  delivery_id: d.deliveryId,
  alert_id: d.alertId,
  transition: d.transition,
  route_id: d.routeId,
  state: d.state,
  attempts: d.attempts,
  round_start: d.roundStart ?? 0,
  retries: d.retries ?? 0,
  retry_attempts: d.retryAttempts ?? 0,
  backoff_ms: d.backoffMs ?? 0,
  last_error: d.lastError.slice(0, 2000),
  last_status: d.lastStatus,
  body: d.body,
  created_at: ts(d.createdAt),
  not_before: ts(d.notBefore),
  updated_at: ts(d.updatedAt),
  version: nextVersion(),
});

export async function writeDeliveries(
  client: ClickHouseClient,
  deliveries: readonly Delivery[],
): Promise<void> {
  if (deliveries.length === 0) return;
  await client.insert({
    table: 'alert_deliveries',
    values: deliveries.map(deliveryRow),
    format: 'JSONEachRow',
  });
}

export async function getDelivery(client: ClickHouseClient, id: string): Promise<Delivery | undefined> {
  const [d] = await listDeliveries(client, { ids: [id], withBody: true });
  return d;
}

/** Deliveries (latest version of each), newest first. */
export async function listDeliveries(
  client: ClickHouseClient,
  filter: {
    state?: DeliveryState | DeliveryState[];
    ids?: readonly string[];
    alertId?: string;
    withBody?: boolean;
    limit?: number;
  } = {},
): Promise<Delivery[]> {
  const states = filter.state === undefined ? [] : [filter.state].flat();
  const rs = await client.query({
    query: `SELECT ${DELIVERY_COLUMNS} FROM alert_deliveries FINAL
            WHERE (length({states:Array(String)}) = 0 OR has({states:Array(String)}, state))
              AND (length({ids:Array(String)}) = 0 OR has({ids:Array(String)}, delivery_id))
              AND ({alert:Nullable(String)} IS NULL OR alert_id = {alert:Nullable(String)})
            ORDER BY created_at DESC, delivery_id
            LIMIT {limit:UInt32}`,
    query_params: {
      states,
      ids: filter.ids ?? [],
      alert: filter.alertId ?? null,
      limit: filter.limit ?? 10_000,
    },
    format: 'JSONEachRow',
  });
  return (await rs.json<DeliveryRow>()).map((r) => {
    const d = toDelivery(r);
    return filter.withBody === false ? { ...d, body: '' } : d;
  });
}

/** Which of these delivery ids already have a row (a transition is written once). */
export async function existingDeliveryIds(
  client: ClickHouseClient,
  ids: readonly string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rs = await client.query({
    query: 'SELECT DISTINCT delivery_id FROM alert_deliveries WHERE has({ids:Array(String)}, delivery_id)',
    query_params: { ids },
    format: 'JSONEachRow',
  });
  return new Set((await rs.json<{ delivery_id: string }>()).map((r) => r.delivery_id));
}

/**
 * Records re-sends of failed deliveries (the history the delivery row itself does not keep), one row
 * per (delivery, re-send number): writing the same re-send again replaces its row.
 */
export async function writeDeliveryRetries(
  client: ClickHouseClient,
  retries: readonly DeliveryRetry[],
): Promise<void> {
  if (retries.length === 0) return;
  await client.insert({
    table: 'alert_delivery_resends',
    values: retries.map((r) => ({
      delivery_id: r.deliveryId,
      retry: r.retry,
      retried_at: ts(r.at),
      retried_by: r.by,
      attempts: r.attempts,
      last_status: r.lastStatus,
      last_error: r.lastError.slice(0, 2000),
    })),
    format: 'JSONEachRow',
  });
}

/** The re-sends of a delivery, oldest first. */
export async function listDeliveryRetries(
  client: ClickHouseClient,
  deliveryId: string,
): Promise<DeliveryRetry[]> {
  const rs = await client.query({
    query: `SELECT delivery_id, retry, toString(retried_at) AS retried_at, retried_by, attempts, last_status,
              last_error
            FROM alert_delivery_resends FINAL WHERE delivery_id = {id:String} ORDER BY retry`,
    query_params: { id: deliveryId },
    format: 'JSONEachRow',
  });
  return (
    await rs.json<{
      delivery_id: string;
      retry: number;
      retried_at: string;
      retried_by: string;
      attempts: number;
      last_status: number;
      last_error: string;
    }>()
  ).map((r) => ({
    deliveryId: r.delivery_id,
    retry: Number(r.retry),
    at: iso(r.retried_at),
    by: r.retried_by,
    attempts: Number(r.attempts),
    lastStatus: Number(r.last_status),
    lastError: r.last_error,
  }));
}

/** One row per refused ingest batch and source (the data-quality alert's numerator). */
export async function recordRejections(
  client: ClickHouseClient,
  rows: readonly { source: string; team: string; rejected: number; reason: string }[],
): Promise<void> {
  if (rows.length === 0) return;
  await client.insert({
    table: 'ingest_rejections',
    values: rows.map((r) => ({ ...r, reason: r.reason.slice(0, 500) })),
    format: 'JSONEachRow',
  });
}
