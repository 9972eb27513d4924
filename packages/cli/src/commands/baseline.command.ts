import { addCause, listBaselines, rebase, refreshAll, seriesKeyOf } from '@shewhart/baselines';
import { findKpi, GRAINS, parseKpiQuery } from '@shewhart/kpi';
import type { Command } from 'commander';
import { addCommonFlags, type CommonFlags, configFrom, openDirect, runningApi } from '../context.js';
import { formatNumber, table } from '../format.js';

interface ListFlags extends CommonFlags {
  kpi?: string;
  team?: string;
  all?: boolean;
  format: 'table' | 'json';
}

interface RebaseFlags extends CommonFlags {
  reason?: string;
  period: string;
  team?: string;
  project?: string;
  from?: string;
  by?: string;
}

type BaselineRow = Awaited<ReturnType<typeof listBaselines>>[number];

export function register(program: Command): void {
  const baseline = program
    .command('baseline')
    .description('process performance baselines: versions, refresh and re-baselining');

  addCommonFlags(
    baseline
      .command('list')
      .description('stored baseline versions (latest per stage unless --all)')
      .option('--kpi <id>', 'only this KPI')
      .option('--team <team>', 'only this team')
      .option('--all', 'every version, not only the latest of each stage')
      .option('--format <format>', 'table or json', 'table'),
  ).action(async (flags: ListFlags) => {
    const config = configFrom(flags);
    const api = runningApi(flags, config);
    let rows: BaselineRow[];
    if (api)
      rows = (
        await api.get<{ baselines: BaselineRow[] }>('/v1/baselines', { kpi: flags.kpi, team: flags.team })
      ).baselines;
    else {
      const storage = await openDirect(config);
      try {
        rows = await listBaselines(storage.warehouse.client, { kpi: flags.kpi, team: flags.team });
      } finally {
        await storage.close();
      }
    }
    if (!flags.all) {
      const latest = new Map<string, BaselineRow>();
      for (const r of rows) latest.set([r.kpi, r.team, r.project, r.dim, r.grain, r.stageFrom].join('|'), r);
      rows = [...latest.values()];
    }
    if (flags.format === 'json') {
      process.stdout.write(`${JSON.stringify({ baselines: rows }, null, 2)}\n`);
      return;
    }
    if (rows.length === 0) {
      process.stdout.write(
        'no baselines yet: run `shewhart baseline refresh` (a running server stores them after new data)\n',
      );
      return;
    }
    process.stdout.write(
      table(
        [
          'kpi',
          'scope',
          'grain',
          'stage from',
          'v',
          'status',
          'chart',
          'centre',
          'UCL',
          'LCL',
          'points',
          'window',
          'reason',
        ],
        rows.map((r) => [
          r.kpi + (r.dim ? `[${r.dim}]` : ''),
          r.team ? `${r.team}${r.project ? `/${r.project}` : ''}` : 'org',
          r.grain,
          r.stageFrom,
          String(r.version),
          r.status,
          r.transform === 'ln' ? `${r.chart}-ln` : r.chart,
          formatNumber(r.centerDisplay),
          r.uclDisplay === null ? 'varies' : formatNumber(r.uclDisplay),
          r.lclDisplay === null ? 'varies' : formatNumber(r.lclDisplay),
          String(r.nPoints),
          `${r.windowFrom}…${r.windowTo}`,
          r.reason,
        ]),
      ),
    );
  });

  addCommonFlags(
    baseline
      .command('refresh')
      .description('bring every baseline and signal up to date (each KPI for the organisation and each team)')
      .option('--period <period>', `grain: ${GRAINS.join('|')}`, 'week'),
  ).action(async (flags: CommonFlags & { period: string }) => {
    const config = configFrom(flags);
    if (runningApi(flags, config)) {
      throw new Error(
        'a server is running on this data directory and keeps its baselines current; stop it to refresh offline',
      );
    }
    const storage = await openDirect(config);
    try {
      const grain = parseKpiQuery({ period: flags.period }).period;
      const started = Date.now();
      const r = await refreshAll(storage.states, { grains: [grain] });
      process.stdout.write(
        `${r.series} series refreshed in ${((Date.now() - started) / 1000).toFixed(1)} s: ${r.newVersions} new baseline versions, ${r.signals} signals (${r.newSignals} new)\n`,
      );
      for (const f of r.failed)
        process.stderr.write(`failed ${f.key.kpi} ${f.key.team || 'org'}: ${f.error}\n`);
      if (r.failed.length > 0) process.exitCode = 1;
    } finally {
      await storage.close();
    }
  });

  addCommonFlags(
    baseline
      .command('rebase <kpi>')
      .description(
        're-establish a baseline by a recorded decision (never silently): a new stage starts at --from',
      )
      .requiredOption('--reason <text>', 'why (recorded with the decision; required)')
      .option('--period <period>', `grain: ${GRAINS.join('|')}`, 'week')
      .option('--team <team>', 'scope: one team (default: the organisation)')
      .option('--project <project>', 'scope: one project of the team')
      .option(
        '--from <date>',
        'first period of the new baseline (default: re-establish the current stage from its data)',
      )
      .option('--by <name>', 'who decided (recorded)', process.env.USER ?? 'cli'),
  ).action(async (kpiId: string, flags: RebaseFlags) => {
    const kpi = findKpi(kpiId);
    if (!kpi) throw new Error(`unknown KPI "${kpiId}"`);
    const config = configFrom(flags);
    const api = runningApi(flags, config);
    const body = {
      reason: flags.reason,
      period: flags.period,
      team: flags.team,
      project: flags.project,
      from: flags.from,
      decidedBy: flags.by,
    };
    let result: {
      decision: { decisionId: string; effectiveFrom: string };
      stages: { from: string; status: string; center: number | null }[];
    };
    if (api) result = await api.post(`/v1/baselines/${encodeURIComponent(kpiId)}/rebase`, body, 'rebase');
    else {
      const storage = await openDirect(config);
      try {
        result = await rebase(storage.states, seriesKeyOf(kpi, flags), {
          from: flags.from,
          reason: flags.reason ?? '',
          decidedBy: flags.by ?? 'cli',
        });
      } finally {
        await storage.close();
      }
    }
    process.stdout.write(
      `recorded decision ${result.decision.decisionId}: new baseline from ${result.decision.effectiveFrom}\n`,
    );
    for (const [k, s] of result.stages.entries()) {
      process.stdout.write(
        `  stage ${k + 1} from ${s.from}: ${s.status}, centre ${formatNumber(s.center)}\n`,
      );
    }
  });

  addCommonFlags(
    baseline
      .command('cause <kpi>')
      .description(
        'record an assignable cause against one point (cause code + NC/CAR); a flagged Phase-I point with a cause leaves a baseline that is not yet frozen',
      )
      .requiredOption('--period-start <date>', 'the point: any date inside its period (YYYY-MM-DD)')
      .requiredOption('--code <code>', 'cause code')
      .requiredOption('--ref <id>', 'the nonconformity / corrective action that found the cause')
      .option('--note <text>', 'free text')
      .option('--period <period>', `grain: ${GRAINS.join('|')}`, 'week')
      .option('--team <team>', 'scope: one team (default: the organisation)')
      .option('--project <project>', 'scope: one project of the team')
      .option('--by <name>', 'who recorded it', process.env.USER ?? 'cli'),
  ).action(
    async (
      kpiId: string,
      flags: CommonFlags & {
        periodStart: string;
        code: string;
        ref: string;
        note?: string;
        period: string;
        team?: string;
        project?: string;
        by: string;
      },
    ) => {
      const kpi = findKpi(kpiId);
      if (!kpi) throw new Error(`unknown KPI "${kpiId}"`);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(flags.periodStart))
        throw new Error('--period-start must be YYYY-MM-DD');
      const config = configFrom(flags);
      const api = runningApi(flags, config);
      const body = {
        period: flags.period,
        team: flags.team,
        project: flags.project,
        periodStart: flags.periodStart,
        causeCode: flags.code,
        reference: flags.ref,
        note: flags.note,
        recordedBy: flags.by,
      };
      let result: { cause: { causeId: string; periodStart: string }; excluded: boolean };
      if (api) result = await api.post(`/v1/baselines/${encodeURIComponent(kpiId)}/causes`, body, 'cause');
      else {
        const storage = await openDirect(config);
        try {
          result = await addCause(storage.states, seriesKeyOf(kpi, flags), {
            ...body,
            date: flags.periodStart,
          });
        } finally {
          await storage.close();
        }
      }
      process.stdout.write(
        `recorded cause ${result.cause.causeId} for the period starting ${result.cause.periodStart}: ` +
          (result.excluded
            ? 'the point left its baseline\n'
            : 'the point stays in its baseline (not flagged, or the baseline is frozen: use `baseline rebase`)\n'),
      );
    },
  );
}
