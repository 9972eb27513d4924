/**
 * The demo history in a temporary embedded warehouse, as the dashboards see it: KPI views installed, the
 * entity states caught up, baselines and signals stored for every default series, and the example
 * objectives recorded. Shared by the tests that run dashboard and view SQL (one per test file: chDB binds
 * one data directory per process).
 */
import { fileURLToPath } from 'node:url';
import { refreshAll } from '@shewhart/baselines';
import { generateDemo } from '@shewhart/cli/demo';
import { installKpiViews } from '@shewhart/kpi';
import { type KpiWarehouse, openKpiWarehouse } from '@shewhart/kpi/testing';
import { loadObjectivesFile, recordObjectives } from '@shewhart/objectives';

/** A fixed end (a Monday) so that every run sees the same history; "now" is evaluated after it. */
export const DEMO_END = new Date('2026-03-02T00:00:00Z');
export const EXAMPLE_CONFIG = fileURLToPath(
  new URL('../../infra/config/shewhart.example.yaml', import.meta.url),
);
export const DEMO_TEAMS = ['payments', 'mobile', 'platform', 'data'] as const;

export async function openDemoWarehouse(options: { weeks?: number } = {}): Promise<KpiWarehouse> {
  const kw = await openKpiWarehouse();
  try {
    await installKpiViews(kw.client);
    const events = [
      ...generateDemo({ weeks: options.weeks ?? 52, teams: DEMO_TEAMS.length, seed: 7, end: DEMO_END }),
    ];
    for (let i = 0; i < events.length; i += 5_000) await kw.write(events.slice(i, i + 5_000));
    await kw.states.catchUp();
    await refreshAll(kw.states, { grains: ['week', 'month'] });
    await recordObjectives(kw.client, loadObjectivesFile(EXAMPLE_CONFIG));
    return kw;
  } catch (error) {
    await kw.dispose();
    throw error;
  }
}
