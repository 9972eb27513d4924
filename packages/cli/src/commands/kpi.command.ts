import { findKpi, GRAINS, type KpiSeries, parseKpiQuery } from '@shewhart/kpi';
import { isKnownKpi, kpiCatalogue, OBJECTIVE_ATTAINMENT, querySeries } from '@shewhart/objectives';
import type { Command } from 'commander';
import { addCommonFlags, type CommonFlags, configFrom, openDirect, runningApi } from '../context.js';
import { formatNumber, sparkline, table } from '../format.js';
import { objectiveServiceFor } from '../objectives-config.js';
import { registerChart } from './chart.command.js';

interface ShowFlags extends CommonFlags {
  period: string;
  from?: string;
  to?: string;
  team?: string;
  project?: string;
  format?: 'table' | 'json';
  unit?: string;
  phase?: string;
  asOf?: string;
}

export function register(program: Command): void {
  const kpi = program.command('kpi').description('KPIs: the catalogue and their series');

  kpi
    .command('list')
    .description('list the KPI catalogue')
    .option('--format <format>', 'table or json', 'table')
    .action((flags: { format: string }) => {
      const list = kpiCatalogue();
      if (flags.format === 'json') {
        process.stdout.write(`${JSON.stringify({ kpis: list }, null, 2)}\n`);
        return;
      }
      process.stdout.write(
        table(
          ['id', 'unit', 'better', 'chart', 'formula'],
          list.map((k) => [k.id, k.unit, k.better, k.chart, k.formula.ref]),
        ),
      );
    });

  registerChart(kpi);

  addCommonFlags(
    kpi
      .command('show <id>')
      .description('a KPI per period and scope (org by default)')
      .option('--period <period>', `one of ${GRAINS.join('|')}`, 'week')
      .option('--from <date>', 'first period start to list (YYYY-MM-DD or RFC 3339)')
      .option('--to <date>', 'last period start to list (YYYY-MM-DD or RFC 3339)')
      .option('--team <team>', 'scope: one team')
      .option('--project <project>', 'scope: one project of the team')
      .option('--unit <unit>', 'size unit, for KPIs with one series per unit (e.g. defect_density)')
      .option('--phase <phase>', 'introduced phase, for phase_containment')
      .option('--as-of <time>', 'evaluate as of this instant (provisional windows)')
      .option('--format <format>', 'table or json (json prints exactly the API document)', 'table'),
  ).action(async (id: string, flags: ShowFlags) => {
    if (!isKnownKpi(id)) throw new Error(`unknown KPI "${id}"; run \`shewhart kpi list\` for the catalogue`);
    const query = {
      period: flags.period,
      from: flags.from,
      to: flags.to,
      team: flags.team,
      project: flags.project,
      unit: flags.unit,
      phase: flags.phase,
      asOf: flags.asOf,
    };
    parseKpiQuery(query, findKpi(id)); // fail fast with the same messages as the API
    const config = configFrom(flags);
    const api = runningApi(flags, config);
    let series: KpiSeries;
    if (api) series = await api.get<KpiSeries>(`/v1/kpis/${encodeURIComponent(id)}`, query);
    else {
      const storage = await openDirect(config);
      try {
        series = await querySeries(storage.states, objectiveServiceFor(storage.states, config), id, query);
      } finally {
        await storage.close();
      }
    }
    if (flags.format === 'json') {
      process.stdout.write(`${JSON.stringify(series, null, 2)}\n`);
      return;
    }
    const def = findKpi(id) ?? OBJECTIVE_ATTAINMENT;
    const scope = [flags.team ? `team ${flags.team}` : 'org', flags.project ? `project ${flags.project}` : '']
      .filter(Boolean)
      .join(', ');
    process.stdout.write(`${def?.title} (${def?.unit}), per ${series.period}, ${scope}\n`);
    if (series.points.length === 0) {
      process.stdout.write('no data in this range\n');
      return;
    }
    process.stdout.write(`${sparkline(series.points.map((p) => p.value))}\n\n`);
    process.stdout.write(
      table(
        ['period', 'value', 'numerator', 'denominator', 'n'],
        series.points.map((p) => [
          `${p.periodStart}${p.provisional ? ' *' : ''}`,
          formatNumber(p.value),
          formatNumber(p.numerator),
          formatNumber(p.denominator),
          String(p.n),
        ]),
        [false, true, true, true, true],
      ),
    );
    if (series.points.some((p) => p.provisional)) {
      process.stdout.write(
        '* provisional: the value can still change (its observation window is not complete)\n',
      );
    }
  });
}
