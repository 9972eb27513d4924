import { writeFileSync } from 'node:fs';
import { type ChartDocument, kpiChart, renderKpiChartSvg } from '@shewhart/baselines';
import { findKpi, GRAINS, parseKpiQuery } from '@shewhart/kpi';
import type { Command } from 'commander';
import { printChart } from '../chart-table.js';
import { addCommonFlags, type CommonFlags, configFrom, openDirect, runningApi } from '../context.js';
import { objectiveServiceFor } from '../objectives-config.js';

interface ChartFlags extends CommonFlags {
  period: string;
  from?: string;
  to?: string;
  team?: string;
  project?: string;
  unit?: string;
  phase?: string;
  format: 'table' | 'json';
  plot?: string;
}

/** `shewhart kpi chart <id>`: the KPI on its control chart, with stages, limits and signals. */
export function registerChart(kpi: Command): void {
  addCommonFlags(
    kpi
      .command('chart <id>')
      .description('a KPI on its control chart: stages (process changes), baselines, limits and signals')
      .option('--period <period>', `one of ${GRAINS.join('|')}`, 'week')
      .option('--from <date>', 'first period start to show (limits always use the whole history)')
      .option('--to <date>', 'last period start to show')
      .option('--team <team>', 'scope: one team (default: the organisation)')
      .option('--project <project>', 'scope: one project of the team')
      .option('--unit <unit>', 'size unit, for KPIs with one series per unit')
      .option('--phase <phase>', 'introduced phase, for phase_containment')
      .option('--format <format>', 'table or json (json prints exactly the API document)', 'table')
      .option('--plot <file.svg>', 'also write the control chart as an SVG picture'),
  ).action(async (id: string, flags: ChartFlags) => {
    const def = findKpi(id);
    if (!def) throw new Error(`unknown KPI "${id}"; run \`shewhart kpi list\` for the catalogue`);
    const query = {
      period: flags.period,
      from: flags.from,
      to: flags.to,
      team: flags.team,
      project: flags.project,
      unit: flags.unit,
      phase: flags.phase,
    };
    const q = parseKpiQuery(query, def);
    const config = configFrom(flags);
    const api = runningApi(flags, config);
    let doc: ChartDocument;
    if (api) doc = await api.get<ChartDocument>(`/v1/kpis/${encodeURIComponent(id)}/chart`, query);
    else {
      const storage = await openDirect(config);
      try {
        const objective = objectiveServiceFor(storage.states, config)?.find({
          kpi: id,
          team: q.team,
          project: q.project,
          period: q.period,
        });
        doc = await kpiChart(storage.states, id, query, { spec: objective?.spec, objective });
      } finally {
        await storage.close();
      }
    }
    if (flags.plot) {
      writeFileSync(flags.plot, renderKpiChartSvg(doc));
      process.stderr.write(`chart written to ${flags.plot}\n`);
    }
    if (flags.format === 'json') {
      process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
      return;
    }
    process.stdout.write(printChart(doc, `${def.title} (${def.unit})`));
  });
}
