import type { ClickHouseClient } from '@clickhouse/client';
import { type SeriesKey, seriesId, seriesPoints } from '@shewhart/baselines';
import {
  type EntityStates,
  findKpi,
  type Grain,
  type KpiDefinition,
  type KpiPoint,
  queryByTeam,
} from '@shewhart/kpi';
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
  /** The KPI series this evaluation has read (each read once, shared by every rule and class). */
  reads: SeriesReads;
}

/** Points of a series and when the read of them finished. */
export interface SeriesRead {
  points: KpiPoint[];
  readAt: Date;
}

/**
 * The KPI series one evaluation reads, each read once: the signal rules and the late-change rules look
 * at the same series (a KPI for every team in one query, and the organisation's), all as of the same
 * instant. At 10 M events the KPI queries are most of an evaluation, and without sharing every series
 * was read twice (`pnpm bench alerts`, docs/benchmarks.md).
 */
export class SeriesReads {
  private readonly teams = new Map<
    string,
    Promise<{ byTeam: Map<string, KpiPoint[]>; readAt: Date } | undefined>
  >();
  private readonly single = new Map<string, Promise<SeriesRead>>();

  constructor(
    private readonly states: EntityStates,
    private readonly asOf: Date,
  ) {}

  /**
   * Every team's series of a KPI in one query, or undefined when the KPI's SQL cannot be fanned out by
   * team or the query failed (the caller then reads each team's series on its own).
   */
  byTeam(
    kpi: KpiDefinition,
    grain: Grain,
    dim: string,
  ): Promise<{ byTeam: Map<string, KpiPoint[]>; readAt: Date } | undefined> {
    const id = [kpi.id, grain, dim].join('\u0000');
    let read = this.teams.get(id);
    if (!read) {
      read = queryByTeam(this.states, kpi, grain, { dim, asOf: this.asOf }).then(
        (byTeam) => (byTeam ? { byTeam, readAt: new Date() } : undefined),
        () => undefined,
      );
      this.teams.set(id, read);
    }
    return read;
  }

  /** One series: from this evaluation's read of every team when there was one, else its own query. */
  async series(kpi: KpiDefinition, key: SeriesKey): Promise<SeriesRead> {
    if (key.team !== '' && key.project === '') {
      const all = await this.teams.get([kpi.id, key.grain, key.dim].join('\u0000'));
      if (all) return { points: all.byTeam.get(key.team) ?? [], readAt: all.readAt };
    }
    const id = seriesId(key);
    let read = this.single.get(id);
    if (!read) {
      read = seriesPoints(this.states, kpi, key, this.asOf).then((points) => ({
        points,
        readAt: new Date(),
      }));
      this.single.set(id, read);
      // A failed read is not kept: the next rule that needs the series asks again.
      read.catch(() => this.single.delete(id));
    }
    return read;
  }
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
