/** `shewhart compare --kpi ID --before A..B --after C..D`: the §6 tests on a KPI's stored series. */
import { GRAINS, type Grain } from '@shewhart/kpi';
import {
  compareStored,
  parseRange,
  type StoredComparison,
  storedComparisonReport,
  storedComparisonTable,
} from '@shewhart/report';
import { addCommonFlags, type CommonFlags, configFrom, openDirect, runningApi } from '../context.js';
import { objectiveServiceFor } from '../objectives-config.js';

export interface StoredCompareFlags extends CommonFlags {
  kpi: string;
  before: string;
  after: string;
  team?: string;
  project?: string;
  period: string;
  unit?: string;
  phase?: string;
  alpha?: number;
  minEffect?: number;
  test: 'mann-whitney' | 'welch';
  format: 'json' | 'table';
}

export { addCommonFlags };

/** Runs on the running server when there is one (`GET /v1/kpis/:id/compare`), else on the data directly. */
export async function compareStoredCommand(flags: StoredCompareFlags): Promise<void> {
  if (!(GRAINS as readonly string[]).includes(flags.period))
    throw new Error(`--period must be one of ${GRAINS.join(', ')} (got "${flags.period}")`);
  const before = parseRange(flags.before, 'before');
  const after = parseRange(flags.after, 'after');
  const config = configFrom(flags);
  const api = runningApi(flags, config);
  if (api) {
    const doc = await api.get<Record<string, unknown>>(`/v1/kpis/${encodeURIComponent(flags.kpi)}/compare`, {
      before: flags.before,
      after: flags.after,
      period: flags.period,
      team: flags.team,
      project: flags.project,
      unit: flags.unit,
      phase: flags.phase,
      alpha: flags.alpha?.toString(),
      minEffect: flags.minEffect?.toString(),
      test: flags.test,
    });
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    return;
  }
  const storage = await openDirect(config);
  let c: StoredComparison;
  try {
    c = await compareStored(storage.states, objectiveServiceFor(storage.states, config), {
      kpi: flags.kpi,
      grain: flags.period as Grain,
      before,
      after,
      ...(flags.team ? { team: flags.team } : {}),
      ...(flags.project ? { project: flags.project } : {}),
      ...(flags.unit ? { unit: flags.unit } : {}),
      ...(flags.phase ? { phase: flags.phase } : {}),
      ...(flags.alpha !== undefined ? { alpha: flags.alpha } : {}),
      ...(flags.minEffect !== undefined ? { minEffect: flags.minEffect } : {}),
      test: flags.test,
    });
  } finally {
    await storage.close();
  }
  process.stdout.write(
    flags.format === 'json'
      ? `${JSON.stringify(storedComparisonReport(c), null, 2)}\n`
      : storedComparisonTable(c),
  );
}
