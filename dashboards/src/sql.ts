import { type Grain, type KpiId, kpiViewName } from '@shewhart/kpi';
import { SCOPE_ARGS } from './variables.js';

/**
 * The call of a KPI view (packages/kpi/src/views.ts) for the dashboard's time range and scope: periods
 * whose start lies in the range, evaluated now. `grain` is a fixed grain or the `${grain}` variable.
 */
export function kpiView(
  id: KpiId,
  options: { grain?: Grain | '${grain}'; dim?: string; scope?: string } = {},
): string {
  const grain = options.grain ?? '${grain}';
  const name = grain === '${grain}' ? `kpi_${id}_\${grain}` : kpiViewName(id, grain);
  return `${name}(${options.scope ?? SCOPE_ARGS}, from = $__fromTime, to = $__toTime, now = now64(3), dim = '${options.dim ?? ''}')`;
}

/** Time series of one KPI: `time` and the value under `label`, closed periods only unless `open`. */
export function kpiSeriesSql(
  id: KpiId,
  label: string,
  options: { grain?: Grain | '${grain}'; dim?: string; open?: boolean } = {},
): string {
  return `
    SELECT toDateTime(period_start, 'UTC') AS time, value AS "${label}"
    FROM ${kpiView(id, options)}
    ${options.open ? '' : 'WHERE open = 0\n    '}ORDER BY time`;
}
