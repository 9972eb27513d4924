import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import type { KpiId } from '@shewhart/kpi';
import { kpiTimeSeries, note, shewhartDashboard } from '../presets.js';
import { kpiSeriesSql } from '../sql.js';
import { grainVariable, projectVariable, teamVariable } from '../variables.js';

/**
 * Reference bands of the four keys, drawn as threshold areas: the elite and high clusters of the
 * Accelerate State of DevOps report 2021 (deployment frequency on demand / at least weekly; lead time
 * under an hour / under a week; time to restore under an hour / under a day; change failure rate 0–15 %).
 * Reference points for the reader, not objectives: objectives come from the configuration file.
 */
const DORA_BANDS: Record<string, { better: 'higher' | 'lower'; elite: number; high?: number }> = {
  deployment_frequency: { better: 'higher', elite: 1, high: 1 / 7 },
  lead_time_for_changes: { better: 'lower', elite: 1, high: 168 },
  time_to_restore: { better: 'lower', elite: 1, high: 24 },
  change_failure_rate: { better: 'lower', elite: 15 },
};

function withBands(id: KpiId, panel: ReturnType<typeof kpiTimeSeries>) {
  const b = DORA_BANDS[id];
  if (!b) return panel;
  const base = null as unknown as number;
  const steps: dashboard.Threshold[] =
    b.better === 'higher'
      ? [
          { value: base, color: 'transparent' },
          ...(b.high !== undefined ? [{ value: b.high, color: 'blue' }] : []),
          { value: b.elite, color: 'green' },
        ]
      : [
          { value: base, color: 'green' },
          ...(b.high !== undefined ? [{ value: b.elite, color: 'blue' }] : []),
          { value: b.high ?? b.elite, color: 'transparent' },
        ];
  return panel
    .thresholds(new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps))
    .thresholdsStyle(
      new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Area),
    );
}

const KEYS: readonly KpiId[] = [
  'deployment_frequency',
  'lead_time_for_changes',
  'change_failure_rate',
  'time_to_restore',
];
const RELEASES: readonly KpiId[] = [
  'on_time_delivery',
  'schedule_slippage',
  'schedule_variance',
  'effort_variance',
];

export function delivery() {
  const d = shewhartDashboard(
    'shewhart-delivery',
    'Delivery',
    'How fast and how safely do we deliver, and do releases ship when we said they would?',
  )
    .withVariable(teamVariable())
    .withVariable(projectVariable())
    .withVariable(grainVariable('week'))
    .withPanel(
      note(
        '**How fast and how safely do we deliver?** The four keys (docs/methods.md §3.2) per period, closed periods only; green/blue areas are the elite/high clusters of the DORA 2021 report, for reference. Below: release delivery against the first committed dates.',
      ),
    );
  for (const id of KEYS)
    d.withPanel(
      withBands(id, kpiTimeSeries(id, kpiSeriesSql(id, id)))
        .height(8)
        .span(12),
    );
  for (const id of RELEASES) d.withPanel(kpiTimeSeries(id, kpiSeriesSql(id, id)).height(7).span(12));
  return d;
}
