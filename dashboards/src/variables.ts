import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { GRAINS, type Grain, KPIS } from '@shewhart/kpi';
import { DATASOURCE } from './datasource.js';

/**
 * Template variables the dashboards share. A scope variable's "All" is `*`, which the SQL turns into NULL
 * (the organisation, or every project of the team) with `nullIf('${team}', '*')`: a KPI view takes one
 * team, never a list.
 */
export const ALL = '*';

const option = (value: string, text = value): dashboard.VariableOption => ({
  text,
  value,
  selected: false,
});

/** Teams that sent events (`default` holds organisation-wide process changes, not a team). */
export const teamVariable = () =>
  new dashboard.QueryVariableBuilder('team')
    .label('Team')
    .allowCustomValue(false)
    .datasource(DATASOURCE)
    .query("SELECT DISTINCT team FROM events_raw WHERE team NOT IN ('', 'default') ORDER BY team")
    .includeAll(true)
    .allValue(ALL)
    .current({ text: 'All', value: '$__all', selected: true })
    .refresh(dashboard.VariableRefresh.OnDashboardLoad)
    .sort(dashboard.VariableSort.AlphabeticalAsc);

/** Projects of the chosen team (none when the team is All). */
export const projectVariable = () =>
  new dashboard.QueryVariableBuilder('project')
    .label('Project')
    .allowCustomValue(false)
    .datasource(DATASOURCE)
    .query(
      "SELECT DISTINCT project FROM events_raw WHERE team = '${team}' AND project != '' ORDER BY project",
    )
    .includeAll(true)
    .allValue(ALL)
    .current({ text: 'All', value: '$__all', selected: true })
    .refresh(dashboard.VariableRefresh.OnDashboardLoad)
    .sort(dashboard.VariableSort.AlphabeticalAsc);

/** The reporting period of the KPI views (`kpi_<id>_${grain}`). */
export const grainVariable = (initial: Grain = 'week', grains: readonly Grain[] = GRAINS) =>
  new dashboard.CustomVariableBuilder('grain')
    .label('Period')
    .allowCustomValue(false)
    .values(grains.join(','))
    .options(grains.map((g) => ({ ...option(g), selected: g === initial })))
    .current(option(initial));

/** A KPI of the catalogue, by id (the options come from the catalogue at build time). */
export const kpiVariable = (initial: string) =>
  new dashboard.CustomVariableBuilder('kpi')
    .label('KPI')
    .allowCustomValue(false)
    .values(KPIS.map((k) => `${k.title} : ${k.id}`).join(','))
    .options(KPIS.map((k) => ({ ...option(k.id, k.title), selected: k.id === initial })))
    .current(option(initial, KPIS.find((k) => k.id === initial)?.title ?? initial));

/** The SQL of the scope parameters every KPI view takes, from the team and project variables. */
export const SCOPE_ARGS = `team = nullIf('\${team}', '${ALL}'), project = nullIf('\${project}', '${ALL}')`;
