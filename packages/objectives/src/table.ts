import type { ClickHouseClient } from '@clickhouse/client';
import { findKpi, type KpiDefinition } from '@shewhart/kpi';
import type { Objective } from './schema.js';

/**
 * Records the objectives a process runs with in `objective_definitions` (migration 0041), one set per
 * load, so that dashboards, which read ClickHouse only, see them (`objectives_current`, 0042). Called once
 * at start-up by the process that loaded the configuration file; an empty list records nothing (the
 * previous set stays current).
 */
export async function recordObjectives(
  client: ClickHouseClient,
  objectives: readonly Objective[],
  loadedAt = new Date(),
): Promise<void> {
  if (objectives.length === 0) return;
  const at = loadedAt.toISOString().replace('T', ' ').replace('Z', '');
  await client.insert({
    table: 'objective_definitions',
    values: objectives.map((o) => ({
      loaded_at: at,
      id: o.id,
      title: o.title ?? o.id,
      kpi: o.kpi,
      team: o.scope === 'org' ? '' : o.scope.team,
      project: o.scope === 'org' ? '' : (o.scope.project ?? ''),
      // The series the objective is evaluated on: its unit or phase, else the KPI's default one.
      dim: o.unit ?? o.phase ?? (findKpi(o.kpi) as KpiDefinition | undefined)?.dimension?.default ?? '',
      period: o.period,
      direction: o.direction,
      target: o.target ?? null,
      band_low: o.band?.low ?? null,
      band_high: o.band?.high ?? null,
      lsl: o.spec?.lsl ?? null,
      usl: o.spec?.usl ?? null,
      owner: o.owner,
      due: o.due ?? null,
      baseline: o.baseline ?? null,
    })),
    format: 'JSONEachRow',
  });
}
