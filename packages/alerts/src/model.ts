import { createHash } from 'node:crypto';

/** The three alert classes of docs/methods.md §8, never mixed. */
export type AlertClass = 'signal' | 'objective' | 'data_quality';
/** What raised it, within its class. */
export type AlertKind =
  | 'special_cause'
  | 'objective_missed'
  | 'attainment_at_risk'
  | 'rejected_share'
  | 'late_change';
export type AlertState = 'firing' | 'resolved';
export type Severity = 'info' | 'warning' | 'critical';
export type Transition = 'firing' | 'resolved';

export interface Limits {
  center: number | null;
  ucl: number | null;
  lcl: number | null;
}

/**
 * One alert: one episode of one configured rule. `fingerprint` names what is watched (the rule and
 * the series, objective or source); `alertId` names the episode (fingerprint + where it started), so
 * every evaluation of the same data finds the same ids.
 */
export interface Alert {
  alertId: string;
  fingerprint: string;
  class: AlertClass;
  kind: AlertKind;
  /** The configured rule (alerts.rules[].id). */
  ruleId: string;
  severity: Severity;
  kpi: string;
  team: string;
  project: string;
  dim: string;
  grain: string;
  objectiveId: string;
  source: string;
  /** The period the episode started on (signal, objective), or null (data quality over a window). */
  periodStart: string | null;
  state: AlertState;
  title: string;
  value: number | null;
  limits: Limits | null;
  /** The SPC rule (WE1…, N1…) of a signal alert. */
  spcRule: string;
  evidence: Record<string, unknown>;
  /** Path of the chart (`/v1/kpis/:id/chart?…`), relative to the server. */
  chartPath: string;
  startedAt: string;
  resolvedAt: string | null;
  resolution: string;
  routes: string[];
}

export interface Acknowledgement {
  alertId: string;
  by: string;
  note: string;
  at: string;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed' | 'cancelled';

/** One message to one route about one transition of one alert; `deliveryId` is its idempotency key. */
export interface Delivery {
  deliveryId: string;
  alertId: string;
  transition: Transition;
  routeId: string;
  state: DeliveryState;
  /** Every attempt ever made, across re-sends. */
  attempts: number;
  /**
   * `attempts` when the latest re-send began (0 before any): the route's retry budget counts from here,
   * so a re-sent delivery gets its attempts afresh while `attempts` stays the whole truth.
   */
  roundStart?: number;
  /** How many times the delivery was re-sent after it failed (`alerts deliveries retry`). */
  retries?: number;
  /**
   * The route's retry policy when the delivery was made (0/absent on rows from before it was kept): a
   * process that re-adds its job without the routes loaded (a collector, a command) backs off the same.
   */
  retryAttempts?: number;
  backoffMs?: number;
  lastError: string;
  lastStatus: number;
  /** The exact body sent on every attempt (signed at send time, so each attempt carries the same signature). */
  body: string;
  createdAt: string;
  /** Not before this instant (quiet hours). */
  notBefore: string;
  updatedAt: string;
}

const hash = (s: string) => createHash('sha256').update(s).digest('hex');

/** The fingerprint of what a rule watches: stable across evaluations and processes. */
export function fingerprintOf(parts: readonly (string | number)[]): string {
  return hash(parts.join('\u0000')).slice(0, 32);
}

/** The id of an episode: its fingerprint and where it started. */
export function alertIdOf(fingerprint: string, episodeStart: string): string {
  return hash(`${fingerprint}\u0000${episodeStart}`).slice(0, 24);
}

/** A transition is delivered once per route: the delivery id is derived, never drawn. */
export function deliveryIdOf(alertId: string, transition: Transition, routeId: string): string {
  return hash(`${alertId}\u0000${transition}\u0000${routeId}`).slice(0, 32);
}

let lastVersion = 0;
/**
 * Row versions of the ReplacingMergeTree tables: microseconds since the epoch, strictly increasing
 * within the process (the latest write of a row wins).
 */
export function nextVersion(): number {
  lastVersion = Math.max(lastVersion + 1, Date.now() * 1000);
  return lastVersion;
}

/** Attempts made in the current round (since the latest re-send): what the retry budget and backoff count. */
export const roundAttempts = (d: Pick<Delivery, 'attempts' | 'roundStart'>): number =>
  d.attempts - (d.roundStart ?? 0);

/** One re-send of a failed delivery, and the failure it answered. */
export interface DeliveryRetry {
  deliveryId: string;
  /** Which re-send this was (1 for the first): with the id, the history row's key. */
  retry: number;
  at: string;
  by: string;
  /** The delivery's attempts, status and error when it was re-sent. */
  attempts: number;
  lastStatus: number;
  lastError: string;
}
