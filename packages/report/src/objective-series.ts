import { refreshSeries, type SeriesKey, seriesId } from '@shewhart/baselines';
import { type EntityStates, findKpi, UnknownScopeError } from '@shewhart/kpi';
import type { Objective } from '@shewhart/objectives';
import { objectiveSeries } from './sections/objectives.js';

/**
 * The series objectives are charted and judged at that the default refresh (`refreshAll`: every KPI for
 * the organisation and each team, weekly, default unit or phase) does not store baselines for: an objective
 * per month or quarter, per project, or on another unit or phase. Without their baselines the chart an
 * objective's tile opens has no limits, and an improvement verdict at the objective's grain has no frozen
 * limits to test the new stage against.
 */
export function objectiveSeriesToRefresh(objectives: readonly Objective[]): SeriesKey[] {
  const keys = new Map<string, SeriesKey>();
  for (const o of objectives) {
    const ref = objectiveSeries(o);
    if (!ref) continue;
    const defaultDim = findKpi(ref.kpi)?.dimension?.default ?? '';
    const covered = ref.grain === 'week' && ref.project === '' && ref.dim === defaultDim;
    if (!covered) keys.set(seriesId(ref), ref);
  }
  return [...keys.values()];
}

/**
 * Stores the baselines and signals of the objectives' own series (`objectiveSeriesToRefresh`), one series
 * at a time, each in its exclusive section like every refresh. Run after each default refresh (the embedded
 * refresher, the scaled worker) and by tests that need them. An objective whose team or project no event
 * names yet (a new installation, a team that has not sent anything) has no series to store: it is counted
 * in `waiting`, not as a failure.
 */
export async function refreshObjectiveSeries(
  states: EntityStates,
  objectives: readonly Objective[],
  options: { asOf?: Date } = {},
): Promise<{
  series: number;
  newVersions: number;
  newSignals: number;
  waiting: number;
  failed: { key: SeriesKey; error: string }[];
}> {
  let series = 0;
  let newVersions = 0;
  let newSignals = 0;
  let waiting = 0;
  const failed: { key: SeriesKey; error: string }[] = [];
  const asOf = options.asOf ?? new Date();
  for (const key of objectiveSeriesToRefresh(objectives)) {
    try {
      const r = await refreshSeries(states, key, { asOf });
      series++;
      newVersions += r.newVersions;
      newSignals += r.newSignals;
    } catch (error) {
      if (error instanceof UnknownScopeError) waiting++;
      else failed.push({ key, error: (error as Error).message });
    }
  }
  return { series, newVersions, newSignals, waiting, failed };
}
