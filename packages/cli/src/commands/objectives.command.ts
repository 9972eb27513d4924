import type { KpiSeries } from '@shewhart/kpi';
import {
  loadObjectivesFile,
  type ObjectiveReport,
  reportObjectives,
  seriesQuery,
} from '@shewhart/objectives';
import type { Command } from 'commander';
import { addCommonFlags, type CommonFlags, configFrom, openDirect, runningApi } from '../context.js';
import { formatNumber, table } from '../format.js';
import { objectiveServiceFor } from '../objectives-config.js';

interface ObjectivesFlags extends CommonFlags {
  from?: string;
  to?: string;
  format: 'table' | 'json';
}

export function register(program: Command): void {
  addCommonFlags(
    program
      .command('objectives')
      .description(
        'quality objectives (SHEWHART_CONFIG / --config) and their status per period: met, missed, not evaluable; ' +
          "beside a running server, --config FILE evaluates that file on the server's data",
      )
      .option('--from <date>', 'first period start to evaluate')
      .option('--to <date>', 'last period start to evaluate')
      .option('--format <format>', 'table or json (json prints exactly the API document)', 'table'),
  ).action(async (flags: ObjectivesFlags) => {
    const config = configFrom(flags);
    const api = runningApi(flags, config);
    let doc: { configured: boolean; objectives: ObjectiveReport[] };
    const range = { from: flags.from, to: flags.to };
    if (api && flags.config) {
      // The server evaluates the objectives it was started with; a file named here is evaluated by this
      // process on the server's KPI series (the same queries the server's own objectives read).
      const objectives = loadObjectivesFile(flags.config);
      doc = {
        configured: true,
        objectives: await reportObjectives(
          objectives,
          (o, r) =>
            api
              .get<KpiSeries>(`/v1/kpis/${encodeURIComponent(o.kpi)}`, seriesQuery(o, r))
              // A team that has sent nothing yet (404): its objectives are not evaluable.
              .catch((error: unknown) => {
                if (/^404 /.test(String((error as Error).message)))
                  return { kpi: o.kpi, period: o.period, points: [] };
                throw error;
              }),
          range,
        ),
      };
      if (flags.format !== 'json')
        process.stdout.write(`objectives of ${flags.config}, evaluated on the data of ${api.baseUrl}\n`);
    } else if (api) doc = await api.get('/v1/objectives', range);
    else {
      if (!config.objectivesFile) {
        throw new Error(
          'no objectives file: set SHEWHART_CONFIG or pass --config objectives.yaml (see README, "Objectives")',
        );
      }
      const storage = await openDirect(config);
      try {
        const service = objectiveServiceFor(storage.states, config);
        doc = {
          configured: true,
          objectives: service ? await service.report({ from: flags.from, to: flags.to }) : [],
        };
      } finally {
        await storage.close();
      }
    }
    if (flags.format === 'json') {
      process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
      return;
    }
    if (!doc.configured) {
      process.stdout.write(
        'the server has no objectives file configured (SHEWHART_CONFIG); ' +
          "pass --config FILE to evaluate a file on the server's data\n",
      );
      return;
    }
    const rows = doc.objectives.map((r) => {
      const o = r.objective;
      const target =
        o.direction === 'range'
          ? `${o.band?.low}–${o.band?.high}`
          : `${o.direction === 'lower' ? '≤' : '≥'} ${o.target}`;
      const met = r.periods.filter((p) => p.status === 'met').length;
      const evaluable = r.periods.filter((p) => p.status !== 'not_evaluable').length;
      return [
        o.id,
        o.kpi,
        o.scope === 'org' ? 'org' : `${o.scope.team}${o.scope.project ? `/${o.scope.project}` : ''}`,
        o.period,
        target,
        r.latest ? `${r.latest.periodStart} ${formatNumber(r.latest.actual)}` : 'no data',
        r.latest?.status ?? 'not_evaluable',
        r.latest?.attainment === null || r.latest === null
          ? 'n/a'
          : `${Math.round((r.latest.attainment ?? 0) * 100)} %`,
        `${met}/${evaluable}`,
        o.owner,
        o.due ?? '',
      ];
    });
    process.stdout.write(
      table(
        [
          'objective',
          'kpi',
          'scope',
          'period',
          'target',
          'latest',
          'status',
          'attainment',
          'met',
          'owner',
          'due',
        ],
        rows,
      ),
    );
  });
}
