import type { ClickHouseClient } from '@clickhouse/client';
import { type EntityStates, findKpi } from '@shewhart/kpi';
import type { ObjectiveService } from '@shewhart/objectives';
import type { Rule, ScopeLevel } from './config.js';
import type { Alert } from './model.js';

/** What one evaluation reads: the same instant (`asOf`) for every rule. */
export interface EvalContext {
  states: EntityStates;
  client: ClickHouseClient;
  asOf: Date;
  objectives?: ObjectiveService;
  /** Stored alerts by fingerprint (an episode over a window keeps its id while it lasts). */
  storedByFingerprint: Map<string, Alert[]>;
  /**
   * Writes that record what this evaluation has seen (e.g. published values): run only once its alerts
   * and deliveries are stored, so a crash in between makes the next evaluation see it again.
   */
  afterStore: (() => Promise<void>)[];
}

export function scopeLevel(team: string, project: string): ScopeLevel {
  return team === '' ? 'org' : project === '' ? 'team' : 'project';
}

export function ruleCovers(rule: Rule, kpi: string, team: string, project: string): boolean {
  if (rule.kpis && !rule.kpis.includes(kpi)) return false;
  if (rule.scopes && !rule.scopes.includes(scopeLevel(team, project))) return false;
  return true;
}

/** `/v1/kpis/:id/chart?…` for a series: the chart the alert's evidence is drawn on. */
export function chartPathOf(s: {
  kpi: string;
  team: string;
  project: string;
  dim: string;
  grain: string;
}): string {
  const q = new URLSearchParams({ period: s.grain });
  if (s.team) q.set('team', s.team);
  if (s.project) q.set('project', s.project);
  const dimName = findKpi(s.kpi)?.dimension?.name;
  if (dimName && s.dim) q.set(dimName, s.dim);
  return `/v1/kpis/${encodeURIComponent(s.kpi)}/chart?${q}`;
}

export function scopeLabel(team: string, project: string): string {
  return team === '' ? 'organisation' : project === '' ? team : `${team}/${project}`;
}

/** Fields every alert of a rule shares. */
export function base(rule: Rule): Pick<Alert, 'ruleId' | 'severity' | 'routes'> {
  return { ruleId: rule.id, severity: rule.severity, routes: rule.routes };
}

export const NO_SERIES = { kpi: '', team: '', project: '', dim: '', grain: '' };
