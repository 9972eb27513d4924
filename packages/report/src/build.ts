import { allCauses, type ChartDocument, listBaselines, listSignals, seriesId } from '@shewhart/baselines';
import { findKpi, type Grain, STATES_GENERATION } from '@shewhart/kpi';
import { CONSTANTS_TABLE_ID, PRNG_ALGORITHM } from '@shewhart/spc';
import { PackContext, type PackSources, type SeriesRef, trendColumns, trendRow } from './context.js';
import { type Block, type Cell, packId, type ReviewPack, type Section, type SectionId } from './pack.js';
import { nextQuarter, parseQuarter, previousQuarter, quartersEndingWith } from './quarter.js';
import { capaFlow, capaOrigins, eventCounts, processChanges, rootCausePareto } from './queries.js';
import {
  objectiveBlocks,
  objectivesInQuarter,
  PREDICTION_ITERATIONS,
  predictionBlock,
} from './sections/objectives.js';
import { listActions } from './store.js';
import { type ChangeVerdict, changeVerdict, MIN_AFTER, minEffectFor } from './verdict.js';

export interface BuildOptions {
  /** `YYYY-Qn`. */
  quarter: string;
  team?: string | null;
  /** The exact command or request, recorded in the provenance. */
  command: string;
  /** Generation time (default now); numbers never depend on it, only `generatedAt` does. */
  now?: Date;
  /** Called before each step of the work, for progress on long packs. */
  onProgress?: (step: string, done: number, total: number) => void;
  /** Signals of this many series at most get a chart (the rest are listed in the table). */
  maxCharts?: number;
}

/** The quarters a trend table shows: the review's and the four before it. */
const TREND_QUARTERS = 5;
const CUSTOMER_KPIS = ['csat', 'nps', 'complaints', 'customer_reported_defects'];
const CONFORMITY_KPIS = [
  'defect_escape_rate',
  'defect_removal_efficiency',
  'change_failure_rate',
  'on_time_delivery',
  'schedule_slippage',
];
const CAPA_KPIS = ['capa_on_time', 'capa_effectiveness', 'capa_closure_time', 'capa_recurrence_rate'];
const PHASES = ['requirements', 'design', 'code', 'test'];
/** A KPI's default chart grain (`GET /v1/kpis/:id/chart` without `period`): verdicts of KPIs with no objective. */
const DEFAULT_GRAIN: Grain = 'week';

/**
 * The series a process change is judged on (docs/methods.md §6.4), at the grain the KPI is charted and
 * judged at: each objective's own series (KPI, scope, unit or phase, period) for the KPIs with an
 * objective in the change's scope — `kpi: "*"`: every KPI with one — and the KPI's default weekly chart
 * for a named KPI without one. Each series is judged, and labelled, in its own scope.
 *
 * In the change's scope, for `kpi: "*"`: the objectives of the change's team — those of the change's
 * project and the team-wide ones when the change names a project (the team-wide series contains the
 * project's work, so it is judged too, as the team's series), every one of the team's when it names none.
 * Never another project's. A named KPI: the objective of exactly the change's scope.
 */
function verdictSeries(
  change: { kpi: string; project: string },
  team: string,
  objectives: readonly { series: SeriesRef | null }[],
): SeriesRef[] {
  const refs = new Map<string, SeriesRef>();
  for (const o of objectives) {
    const s = o.series;
    if (!s || s.team !== team) continue;
    if (change.kpi === '*') {
      if (change.project && s.project !== change.project && s.project !== '') continue;
    } else if (s.kpi !== change.kpi || s.project !== change.project) continue;
    if (findKpi(s.kpi)) refs.set(seriesId(s), s);
  }
  const def = findKpi(change.kpi);
  if (change.kpi !== '*' && refs.size === 0 && def) {
    const ref: SeriesRef = {
      kpi: change.kpi,
      team,
      project: change.project,
      dim: def.dimension?.default ?? '',
      grain: DEFAULT_GRAIN,
    };
    refs.set(seriesId(ref), ref);
  }
  return [...refs.values()];
}

const TITLES: Record<SectionId, [string, string]> = {
  a: ['9.3.2 a)', 'Status of actions from previous management reviews'],
  b: ['9.3.2 b)', 'Changes in external and internal issues relevant to the QMS'],
  c1: ['9.3.2 c) 1', 'Customer satisfaction and feedback from relevant interested parties'],
  c2: ['9.3.2 c) 2', 'The extent to which quality objectives have been met'],
  c3: ['9.3.2 c) 3', 'Process performance, and conformity of products and services'],
  c4: ['9.3.2 c) 4', 'Nonconformities and corrective actions'],
  c5: ['9.3.2 c) 5', 'Monitoring and measurement results'],
  c6: ['9.3.2 c) 6', 'Audit results'],
  c7: ['9.3.2 c) 7', 'The performance of external providers'],
  d: ['9.3.2 d)', 'The adequacy of resources'],
  e: ['9.3.2 e)', 'The effectiveness of actions taken to address risks and opportunities'],
  f: ['9.3.2 f)', 'Opportunities for improvement'],
};

function section(id: SectionId, source: Section['source'], blocks: Block[]): Section {
  const [clause, title] = TITLES[id];
  return { id, clause, title, source, blocks };
}

const scopeText = (team: string, project: string) =>
  team ? `${team}${project ? `/${project}` : ''}` : 'org';

/**
 * Builds the review pack of a quarter: the ISO 9001 9.3.2 inputs in order, every number evaluated as of
 * the quarter's end (so the same command on the same data gives the same numbers), with its provenance.
 */
export async function buildReviewPack(sources: PackSources, options: BuildOptions): Promise<ReviewPack> {
  const q = parseQuarter(options.quarter);
  const team = options.team ?? null;
  const ctx = new PackContext(sources, q, team);
  const client = sources.states.client;
  const steps = 9;
  let done = 0;
  const step = (name: string) => options.onProgress?.(name, done++, steps);
  const trend = quartersEndingWith(q, TREND_QUARTERS);
  const prev = previousQuarter(q);

  step('objectives and predictions');
  const objectives = await objectivesInQuarter(ctx);

  step('signals and their charts');
  const causeMap = await allCauses(client);
  const signals = (await listSignals(client, { ...(team ? { team } : {}), since: q.from }))
    .filter((s) => s.periodStart <= q.to)
    .sort(
      (a, b) =>
        a.kpi.localeCompare(b.kpi) ||
        a.team.localeCompare(b.team) ||
        a.grain.localeCompare(b.grain) ||
        a.periodStart.localeCompare(b.periodStart) ||
        a.rule.localeCompare(b.rule),
    );
  const chartRefs = new Map<string, SeriesRef>();
  for (const o of objectives) if (o.series) chartRefs.set(seriesId(o.series), o.series);
  const signalSeries = new Map<string, SeriesRef>();
  for (const s of signals) {
    const ref = { kpi: s.kpi, team: s.team, project: s.project, dim: s.dim, grain: s.grain as Grain };
    signalSeries.set(seriesId(ref), ref);
  }
  const maxCharts = options.maxCharts ?? 60;
  let omitted = 0;
  for (const [id, ref] of signalSeries) {
    if (chartRefs.has(id)) continue;
    if (chartRefs.size >= maxCharts) omitted++;
    else chartRefs.set(id, ref);
  }
  const charts: { ref: SeriesRef; doc: ChartDocument }[] = [];
  for (const ref of chartRefs.values()) {
    const doc = await ctx.chart(ref);
    if (doc) charts.push({ ref, doc });
  }

  step('process performance baselines');
  const baselines = (await listBaselines(client, team ? { team } : {})).filter((b) => b.stageFrom <= q.to);
  const latest = new Map<string, (typeof baselines)[number]>();
  for (const b of baselines) latest.set(`${seriesId(b as SeriesRef)}|${b.stageFrom}`, b);
  const ppb = [...latest.values()];

  step('customer and conformity trends');
  const customerRows = [];
  for (const k of CUSTOMER_KPIS) customerRows.push(await trendRow(ctx, k, trend));
  const conformityRows = [];
  for (const k of CONFORMITY_KPIS) conformityRows.push(await trendRow(ctx, k, trend));
  const containmentRows = [];
  for (const p of PHASES)
    containmentRows.push({
      ...(await trendRow(ctx, 'phase_containment', trend, { phase: p })),
      kpi: `phase_containment (${p})`,
    });

  step('corrective actions');
  const capaRows = [];
  for (const k of CAPA_KPIS) capaRows.push(await trendRow(ctx, k, trend));
  const flow = await capaFlow(sources.states, q, team);
  const origins = await capaOrigins(sources.states, q, team);
  const pareto = await rootCausePareto(sources.states, q, team);

  step('improvement verdicts');
  const changes = await processChanges(sources.states, q, team);
  const verdicts: ChangeVerdict[] = [];
  for (const c of changes) {
    const t = c.team === 'default' ? '' : c.team;
    for (const ref of verdictSeries(c, t, objectives)) {
      const doc = await ctx.chart(ref);
      if (!doc) continue;
      // The series' own scope (a team-wide objective judged for a project's change is the team's).
      verdicts.push(
        changeVerdict(
          { ...c, kpi: ref.kpi, team: t, project: ref.project, dim: ref.dim },
          doc,
          ctx.asOf,
          minEffectFor(sources.objectives, ref.kpi, t || undefined, ref.project || undefined),
        ),
      );
    }
  }

  step('actions of earlier reviews');
  const actions = await listActions(client, { before: q.id, team });

  step('provenance');
  const events = await eventCounts(sources.states, q, team);
  const generatedAt = (options.now ?? new Date()).toISOString();

  step('sections');
  const quarterSignals = signals.map((s) => {
    const cause = (causeMap.get(seriesId({ ...s, grain: s.grain as Grain })) ?? []).find(
      (c) => c.periodStart === s.periodStart,
    );
    return {
      kpi: s.kpi,
      scope: scopeText(s.team, s.project),
      dim: s.dim,
      grain: s.grain,
      periodStart: s.periodStart,
      rule: s.rule,
      value: s.value,
      z: s.z,
      stageFrom: s.stageFrom,
      status: cause ? 'explained' : 'no cause recorded',
      cause: cause ? `${cause.causeCode} (${cause.reference})` : null,
      detectedAt: s.detectedAt,
    };
  });
  const capabilityOf = new Map<string, ChartDocument['capability']>();
  for (const { ref, doc } of charts)
    if (doc.capability)
      capabilityOf.set(`${seriesId(ref)}|${doc.stages[doc.capability.stage]?.from}`, doc.capability);

  const signalCount = new Map<string, number>();
  for (const s of quarterSignals)
    signalCount.set(`${s.kpi} · ${s.scope}`, (signalCount.get(`${s.kpi} · ${s.scope}`) ?? 0) + 1);
  const missed = objectives.filter((o) => o.quarter.evaluable > o.quarter.met);
  const atRisk = objectives.filter((o) => o.prediction.pPeriod !== null && o.prediction.pPeriod < 0.5);

  const sections: Section[] = [
    section('a', actions.length > 0 ? 'data' : 'mixed', [
      {
        kind: 'table',
        id: 'previous-actions',
        caption: `Decisions and actions recorded at earlier reviews (${team ? `team ${team}` : 'organisation'}), with their current status`,
        columns: [
          { key: 'id', label: 'Id', format: 'text' },
          { key: 'quarter', label: 'Review', format: 'text' },
          { key: 'kind', label: 'Kind', format: 'text' },
          { key: 'title', label: 'Action', format: 'text' },
          { key: 'owner', label: 'Owner', format: 'text' },
          { key: 'due', label: 'Due', format: 'date' },
          { key: 'status', label: 'Status', format: 'status' },
          { key: 'overdue', label: 'Overdue at quarter end', format: 'status' },
          { key: 'note', label: 'Note', format: 'text' },
        ],
        rows: actions.map((a) => ({
          id: a.id,
          quarter: a.quarter,
          kind: a.kind,
          title: a.title,
          owner: a.owner,
          due: a.due,
          status: a.status,
          overdue:
            a.due !== null && a.due <= q.to && (a.status === 'open' || a.status === 'in_progress')
              ? 'overdue'
              : '',
          note: a.note,
          revision: a.revision,
        })),
        empty: 'No actions were recorded at an earlier review (`shewhart review action add`).',
      },
      ...(actions.length === 0
        ? [
            {
              kind: 'placeholder' as const,
              label: 'Actions from previous reviews',
              prompt:
                'Record the status of actions decided at earlier reviews that were not recorded in Shewhart.',
            },
          ]
        : []),
    ]),
    section('b', 'mixed', [
      {
        kind: 'table',
        id: 'process-changes',
        caption: `Internal changes: process changes recorded in ${q.id}`,
        columns: [
          { key: 'time', label: 'When', format: 'date' },
          { key: 'changeId', label: 'Change', format: 'text' },
          { key: 'scope', label: 'Scope', format: 'text' },
          { key: 'kpi', label: 'KPI', format: 'text' },
          { key: 'description', label: 'Description', format: 'text' },
        ],
        rows: changes
          .filter((c) => c.time >= q.start)
          .map((c) => ({
            time: c.time.toISOString().slice(0, 10),
            changeId: c.changeId,
            scope: c.team === 'default' ? 'org' : scopeText(c.team, c.project),
            kpi: c.kpi,
            description: c.description,
          })),
        empty: `No process change was recorded in ${q.id}.`,
      },
      {
        kind: 'placeholder',
        label: 'External issues',
        prompt:
          'Changes in external issues (market, regulation, technology, customers, suppliers) relevant to the QMS.',
      },
      {
        kind: 'placeholder',
        label: 'Internal issues',
        prompt:
          'Other changes in internal issues (organisation, people, knowledge, culture) not recorded as process changes.',
      },
    ]),
    section('c1', 'data', [
      {
        kind: 'table',
        id: 'customer-trend',
        caption: `Customer satisfaction and feedback per quarter (docs/methods.md §2.3); charts of the KPIs with objectives or signals are in c5`,
        columns: trendColumns(trend),
        rows: customerRows,
        empty: 'no customer feedback data',
      },
    ]),
    section('c2', objectives.length > 0 ? 'data' : 'mixed', [
      ...objectiveBlocks(ctx, objectives),
      ...(objectives.length > 0 ? [predictionBlock(ctx, objectives)] : []),
    ]),
    section('c3', 'data', [
      {
        kind: 'table',
        id: 'conformity-trend',
        caption: 'Conformity of products and services per quarter (docs/methods.md §3)',
        columns: trendColumns(trend),
        rows: conformityRows,
        empty: 'no data',
      },
      {
        kind: 'table',
        id: 'process-performance-baselines',
        caption: `Process performance baselines in force at the end of ${q.id}: the latest version of every stage (CMMI OPP; docs/methods.md §5.9), with capability where an objective sets specification limits (§5.8)`,
        columns: [
          { key: 'kpi', label: 'KPI', format: 'text' },
          { key: 'scope', label: 'Scope', format: 'text' },
          { key: 'grain', label: 'Per', format: 'text' },
          { key: 'dim', label: 'Unit/phase', format: 'text' },
          { key: 'stage', label: 'Stage', format: 'int' },
          { key: 'stageFrom', label: 'From', format: 'date' },
          { key: 'chart', label: 'Chart', format: 'text' },
          { key: 'center', label: 'Centre', format: 'number' },
          { key: 'sigma', label: 'Sigma', format: 'number' },
          { key: 'lcl', label: 'LCL', format: 'number' },
          { key: 'ucl', label: 'UCL', format: 'number' },
          { key: 'points', label: 'Points', format: 'int' },
          { key: 'window', label: 'Window', format: 'text' },
          { key: 'status', label: 'Status', format: 'status' },
          { key: 'version', label: 'Version', format: 'int' },
          { key: 'cpk', label: 'Cpk', format: 'number' },
          { key: 'ppk', label: 'Ppk', format: 'number' },
          { key: 'capabilityNote', label: 'Capability', format: 'text' },
        ],
        rows: ppb.map((b) => {
          const cap = capabilityOf.get(`${seriesId(b as SeriesRef)}|${b.stageFrom}`);
          return {
            kpi: b.kpi,
            scope: scopeText(b.team, b.project),
            grain: b.grain,
            dim: b.dim,
            stage: b.stage + 1,
            stageFrom: b.stageFrom,
            chart: b.transform === 'ln' ? `${b.chart}-ln` : b.chart,
            center: b.centerDisplay,
            sigma: b.sigma,
            lcl: b.lclDisplay,
            ucl: b.uclDisplay,
            points: b.nPoints,
            window: `${b.windowFrom}..${b.windowTo}`,
            status: b.status,
            version: b.version,
            cpk: cap?.cpk ?? null,
            ppk: cap?.ppk ?? null,
            capabilityNote: cap ? capabilityText(cap) : 'no specification limits',
            baselineId: b.baselineId,
          };
        }),
        empty: 'No baseline is stored yet (`shewhart baseline refresh`).',
        note: "Sigma is in the chart's statistic space (logs for -ln charts, proportions for p charts); centre and limits are in KPI units. Limits of attribute charts vary with the subgroup size: see the charts.",
      },
      {
        kind: 'table',
        id: 'root-cause-pareto',
        caption: `Root causes of the valid defects reported in ${q.id} (Pareto, CMMI CAR)`,
        columns: [
          { key: 'cause', label: 'Root-cause category', format: 'text' },
          { key: 'defects', label: 'Defects', format: 'int' },
          { key: 'share', label: 'Share', format: 'percent' },
          { key: 'cumulative', label: 'Cumulative', format: 'percent' },
        ],
        rows: paretoRows(pareto),
        empty: `No valid defect was reported in ${q.id}.`,
      },
      {
        kind: 'table',
        id: 'phase-containment',
        caption:
          'Phase containment effectiveness per quarter, by the phase the defects were introduced in (docs/methods.md §3.1)',
        columns: trendColumns(trend),
        rows: containmentRows,
        empty: 'no data',
      },
    ]),
    section('c4', 'data', [
      {
        kind: 'table',
        id: 'capa-flow',
        caption: `Corrective actions in ${q.id} (ISO 9001 10.2; docs/methods.md §2.6)`,
        columns: [
          { key: 'measure', label: 'Measure', format: 'text' },
          { key: 'value', label: 'Value', format: 'int' },
        ],
        rows: [
          { measure: 'opened in the quarter', value: flow.opened },
          { measure: 'closed in the quarter', value: flow.closed },
          { measure: 'open at the quarter end', value: flow.openAtEnd },
          { measure: 'open and past their due date at the quarter end', value: flow.overdueAtEnd },
          { measure: 'open 0–30 days', value: flow.age['0-30'] },
          { measure: 'open 31–60 days', value: flow.age['31-60'] },
          { measure: 'open 61–90 days', value: flow.age['61-90'] },
          { measure: 'open more than 90 days', value: flow.age['>90'] },
        ],
        empty: 'no corrective actions',
      },
      {
        kind: 'table',
        id: 'capa-origins',
        caption: `Corrective actions opened in ${q.id} by origin`,
        columns: [
          { key: 'origin', label: 'Origin', format: 'text' },
          { key: 'opened', label: 'Opened', format: 'int' },
        ],
        rows: origins,
        empty: `No corrective action was opened in ${q.id}.`,
      },
      {
        kind: 'table',
        id: 'capa-trend',
        caption: 'Corrective-action KPIs per quarter',
        columns: trendColumns(trend),
        rows: capaRows,
        empty: 'no data',
      },
    ]),
    section('c5', 'data', [
      {
        kind: 'text',
        text: `${quarterSignals.length} special-cause signal(s) on periods of ${q.id}, in ${signalSeries.size} series. Charts follow for every KPI series with an objective or a signal in the quarter${omitted > 0 ? ` (${omitted} further series with signals are listed in the table only)` : ''}.`,
      },
      {
        kind: 'table',
        id: 'signals',
        caption: `Special-cause signals on periods of ${q.id} and their status (an assignable cause recorded, or not)`,
        columns: [
          { key: 'kpi', label: 'KPI', format: 'text' },
          { key: 'scope', label: 'Scope', format: 'text' },
          { key: 'grain', label: 'Per', format: 'text' },
          { key: 'periodStart', label: 'Period', format: 'date' },
          { key: 'rule', label: 'Rule', format: 'text' },
          { key: 'value', label: 'Value', format: 'number' },
          { key: 'z', label: 'z', format: 'number' },
          { key: 'status', label: 'Status', format: 'status' },
          { key: 'cause', label: 'Cause', format: 'text' },
        ],
        rows: quarterSignals,
        empty: `No signal on a period of ${q.id}.`,
      },
      ...charts.map(
        ({ ref, doc }): Block => ({
          kind: 'chart',
          id: `chart-${ref.kpi}-${ref.team || 'org'}${ref.project ? `-${ref.project}` : ''}${ref.dim ? `-${ref.dim}` : ''}-${ref.grain}`.replace(
            /[^a-zA-Z0-9_-]/g,
            '_',
          ),
          caption: `${findKpi(ref.kpi)?.title ?? ref.kpi} — ${scopeText(ref.team, ref.project)}, per ${ref.grain}${ref.dim ? `, ${ref.dim}` : ''}`,
          document: doc,
        }),
      ),
    ]),
    section('c6', 'mixed', [
      {
        kind: 'text',
        text: `Corrective actions opened from audit findings in ${q.id}: ${origins.find((o) => o.origin === 'audit_finding')?.opened ?? 0}.`,
      },
      {
        kind: 'placeholder',
        label: 'Audit results',
        prompt:
          'Internal and external audit results of the quarter: audits held, findings by severity, open findings.',
      },
    ]),
    section('c7', 'mixed', [
      {
        kind: 'text',
        text: `Corrective actions opened against suppliers in ${q.id}: ${origins.find((o) => o.origin === 'supplier')?.opened ?? 0}.`,
      },
      {
        kind: 'placeholder',
        label: 'External providers',
        prompt:
          'Performance of external providers: supplier defect escape rate, on-time delivery, evaluations (no supplier events are recorded).',
      },
    ]),
    section('d', 'human', [
      {
        kind: 'placeholder',
        label: 'Adequacy of resources',
        prompt:
          'People, infrastructure, environment, monitoring and measuring resources, organisational knowledge: are they adequate? Needs for the next quarter.',
      },
    ]),
    section('e', 'mixed', [
      {
        kind: 'table',
        id: 'improvement-verdicts',
        caption: `Improvement verdicts for the process changes recorded up to the end of ${q.id} (ISO 9001 10.3; docs/methods.md §6.4)`,
        columns: [
          { key: 'changeId', label: 'Change', format: 'text' },
          { key: 'kpi', label: 'KPI', format: 'text' },
          { key: 'scope', label: 'Scope', format: 'text' },
          { key: 'grain', label: 'Per', format: 'text' },
          { key: 'verdict', label: 'Verdict', format: 'status' },
          { key: 'reasons', label: 'Why', format: 'text' },
          { key: 'date', label: 'Recorded', format: 'date' },
          { key: 'stageFrom', label: 'New stage', format: 'date' },
          { key: 'nBefore', label: 'Points before', format: 'int' },
          { key: 'nAfter', label: 'Points after', format: 'int' },
          { key: 'medianBefore', label: 'Median before', format: 'number' },
          { key: 'medianAfter', label: 'Median after', format: 'number' },
          { key: 'effect', label: 'Shift (HL)', format: 'number' },
          { key: 'minEffect', label: 'Min. effect', format: 'number' },
          { key: 'pOneSided', label: 'p (one-sided)', format: 'p' },
          { key: 'spcRules', label: 'Signals vs old limits', format: 'text' },
        ],
        rows: verdicts.map((v) => ({
          changeId: v.changeId,
          description: v.description,
          date: v.time.slice(0, 10),
          kpi: v.kpi,
          scope: scopeText(v.team, v.project),
          grain: v.grain,
          dim: v.dim,
          stageFrom: v.stageFrom,
          nBefore: v.nBefore,
          nAfter: v.nAfter,
          medianBefore: v.medianBefore,
          medianAfter: v.medianAfter,
          effect: v.effect,
          minEffect: v.minEffect,
          pOneSided: v.pOneSided,
          alpha: v.alpha,
          spcRules: v.spcRules.join(', '),
          verdict: v.verdict,
          reasons: v.reasons.join('; '),
        })),
        empty: `No process change was recorded up to the end of ${q.id}.`,
        note: `Each KPI is judged on its stored series at the grain it is charted and judged at: its objective's period (Per), or per ${DEFAULT_GRAIN} for a KPI without an objective. Improved = a signal of the new stage against the old stage's frozen limits in the desired direction, AND the one-sided Mann–Whitney test p < α = 0.05, AND the Hodges–Lehmann shift (before − after; positive = lower after) at least the objective's minimum effect; fewer than ${MIN_AFTER} closed points after the change: insufficient data.`,
      },
      {
        kind: 'placeholder',
        label: 'Risks and opportunities',
        prompt: 'Actions taken on the risks and opportunities of planning (ISO 9001 6.1) and their effect.',
      },
    ]),
    section('f', 'mixed', [
      {
        kind: 'table',
        id: 'improvement-candidates',
        caption:
          'Candidates for improvement: objectives missed in the quarter, objectives unlikely to be met next quarter, and series with signals',
        columns: [
          { key: 'what', label: 'What', format: 'text' },
          { key: 'why', label: 'Why', format: 'text' },
        ],
        rows: [
          ...missed.map((o) => ({
            what: `objective ${o.objective.id}`,
            why: `missed in ${o.quarter.evaluable - o.quarter.met} of ${o.quarter.evaluable} period(s) of ${q.id}`,
          })),
          ...atRisk.map((o) => ({
            what: `objective ${o.objective.id}`,
            why: `P(a period of ${nextQuarter(q).id} meets it) = ${(o.prediction.pPeriod as number).toFixed(2)}`,
          })),
          ...[...signalCount.entries()].map(([k, n]) => ({ what: k, why: `${n} signal(s) in ${q.id}` })),
        ] as Record<string, Cell>[],
        empty: 'No objective was missed and no signal was raised.',
      },
      {
        kind: 'placeholder',
        label: 'Opportunities for improvement',
        prompt:
          'Opportunities the review selects, and CAR proposals; record them as actions (`shewhart review action add`).',
      },
    ]),
  ];

  const formulas = [...ctx.usedKpis].sort().map((k) => {
    const def = findKpi(k);
    return def
      ? { kpi: k, ref: def.formula.ref, version: def.formula.version }
      : { kpi: k, ref: 'docs/methods.md §2.1', version: 1 };
  });
  const usedBaselines = new Map<string, ReviewPack['provenance']['baselines'][number]>();
  for (const b of ppb)
    usedBaselines.set(b.baselineId, {
      baselineId: b.baselineId,
      kpi: b.kpi,
      team: b.team,
      grain: b.grain,
      stageFrom: b.stageFrom,
      version: b.version,
      status: b.status,
    });
  for (const { doc } of charts) {
    for (const s of doc.stages) {
      if (s.baselineId && !usedBaselines.has(s.baselineId)) {
        usedBaselines.set(s.baselineId, {
          baselineId: s.baselineId,
          kpi: doc.kpi,
          team: doc.scope.team ?? '',
          grain: doc.period,
          stageFrom: s.from,
          version: (s as { version?: number | null }).version ?? 0,
          status: s.status,
        });
      }
    }
  }
  options.onProgress?.('done', steps, steps);
  return {
    id: packId(q.id, team),
    quarter: q.id,
    team,
    generatedAt,
    title: `Quarterly improvement review ${q.id}${team ? ` — team ${team}` : ''}`,
    sections,
    provenance: {
      command: options.command,
      generatedAt,
      asOf: ctx.asOf.toISOString(),
      quarter: { id: q.id, from: q.from, to: q.to },
      scope: { team },
      dataWindow: { firstEvent: events.first, lastEvent: events.last },
      events: events.counts,
      baselines: [...usedBaselines.values()].sort(
        (a, b) =>
          a.kpi.localeCompare(b.kpi) ||
          a.team.localeCompare(b.team) ||
          a.grain.localeCompare(b.grain) ||
          a.stageFrom.localeCompare(b.stageFrom),
      ),
      formulas,
      methods: {
        constantsTable: CONSTANTS_TABLE_ID,
        entityStatesGeneration: STATES_GENERATION,
        predictionAlgorithm: PRNG_ALGORITHM,
        predictionIterations: PREDICTION_ITERATIONS,
        predictionSeed: 'FNV-1a 32-bit hash of the objective id',
        verdictTest: 'Mann–Whitney U, one-sided, α = 0.05; Hodges–Lehmann shift',
        verdictGrain: `the objective's period (KPI, scope, unit or phase); per ${DEFAULT_GRAIN} for a KPI without an objective`,
        trendQuarters: trend.map((t) => t.id).join(', '),
        previousQuarter: prev.id,
      },
    },
  };
}

function capabilityText(cap: NonNullable<ChartDocument['capability']>): string {
  if (cap.reason === 'unstable') return 'not computed: the baseline has unexplained signals';
  const spec = [cap.lsl !== null ? `LSL ${cap.lsl}` : '', cap.usl !== null ? `USL ${cap.usl}` : '']
    .filter(Boolean)
    .join(', ');
  return `against ${spec}`;
}

function paretoRows(pareto: { cause: string; defects: number }[]): Record<string, Cell>[] {
  const total = pareto.reduce((s, p) => s + p.defects, 0);
  let cum = 0;
  return pareto.map((p) => {
    cum += p.defects;
    return {
      cause: p.cause,
      defects: p.defects,
      share: total ? (p.defects / total) * 100 : null,
      cumulative: total ? (cum / total) * 100 : null,
    };
  });
}
