import { type ChartDocument, nextPeriodStart } from '@shewhart/baselines';
import { findKpi, type Grain } from '@shewhart/kpi';
import {
  evaluateObjective,
  type Objective,
  type PeriodEvaluation,
  progressFromBaseline,
  scopeOf,
  seriesQuery,
} from '@shewhart/objectives';
import { type InputDistribution, mean, monteCarlo, sampleSd } from '@shewhart/spc';
import type { PackContext, SeriesRef } from '../context.js';
import { trendWord } from '../context.js';
import type { Block, Cell } from '../pack.js';
import { nextQuarter, previousQuarter, type Quarter } from '../quarter.js';

/** docs/methods.md §7.2: iterations of the Monte Carlo prediction (seeded per objective). */
export const PREDICTION_ITERATIONS = 10_000;
/** Fewer values than this in the current stage: no prediction (the same minimum as a provisional baseline). */
export const PREDICTION_MIN_VALUES = 8;

/** What the pack knows about one objective in the quarter (c2, the prediction, f). */
export interface ObjectiveInQuarter {
  objective: Objective;
  series: SeriesRef | null;
  quarter: Tally;
  previous: Tally;
  baseline: number | null;
  baselineSource: string | null;
  progress: number | null;
  last: PeriodEvaluation | null;
  prediction: Prediction;
}

interface Tally {
  met: number;
  evaluable: number;
  periods: number;
  meanActual: number | null;
}

export interface Prediction {
  method: 'bootstrap' | 'normal' | 'lognormal' | 'none';
  n: number;
  /** P(a period of the next quarter meets the objective). */
  pPeriod: number | null;
  interval: [number, number] | null;
  periodsNext: number;
  expectedMet: number | null;
  p50: number | null;
  p85: number | null;
  p95: number | null;
  seed: number | null;
  note: string | null;
}

/** The objectives a pack covers: the team's (and its projects') for a team pack, all for the organisation's. */
export function objectivesInScope(ctx: PackContext): Objective[] {
  const all = ctx.sources.objectives?.objectives ?? [];
  return ctx.team === null ? [...all] : all.filter((o) => scopeOf(o).team === ctx.team);
}

/** The series an objective is judged on (its KPI, scope, size unit or phase, and period). */
export function objectiveSeries(o: Objective): SeriesRef | null {
  const def = findKpi(o.kpi);
  if (!def) return null;
  const s = scopeOf(o);
  return {
    kpi: o.kpi,
    team: s.team ?? '',
    project: s.project ?? '',
    dim: def.dimension ? (o.unit ?? o.phase ?? def.dimension.default) : '',
    grain: o.period,
  };
}

function isOpen(periodStart: string, grain: Grain, asOf: Date): boolean {
  return nextPeriodStart(new Date(`${periodStart}T00:00:00Z`), grain).getTime() > asOf.getTime();
}

function tally(periods: readonly PeriodEvaluation[], q: Quarter, grain: Grain, asOf: Date): Tally {
  const inQ = periods.filter(
    (p) => p.periodStart >= q.from && p.periodStart <= q.to && !isOpen(p.periodStart, grain, asOf),
  );
  const actuals = inQ.map((p) => p.actual).filter((v): v is number => v !== null);
  return {
    met: inQ.filter((p) => p.status === 'met').length,
    evaluable: inQ.filter((p) => p.status !== 'not_evaluable').length,
    periods: inQ.length,
    meanActual: actuals.length > 0 ? mean(actuals) : null,
  };
}

/** Period starts of `grain` that begin inside the quarter. */
export function periodsIn(q: Quarter, grain: Grain): number {
  let n = 0;
  // The first period starting on or after the quarter's first day.
  let t = new Date(`${q.from}T00:00:00Z`);
  if (grain === 'week') {
    const dow = (t.getUTCDay() + 6) % 7;
    if (dow !== 0) t = new Date(t.getTime() + (7 - dow) * 86_400_000);
  }
  while (t.getTime() < q.end.getTime()) {
    n++;
    t = nextPeriodStart(t, grain);
  }
  return n;
}

/** FNV-1a: a stable seed per objective, so a pack run twice draws the same numbers. */
function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * docs/methods.md §7.2: the probability that a period of the next quarter meets the objective, by Monte
 * Carlo over the current stage's baseline values (closed periods of the stage in force at the quarter's
 * end): a bootstrap from 20 values, a fitted normal (lognormal for KPIs charted on logs) from 8.
 */
export function predict(
  o: Objective,
  doc: ChartDocument | null,
  grain: Grain,
  next: Quarter,
  asOf: Date,
): Prediction {
  const periodsNext = periodsIn(next, grain);
  const none = (note: string, n = 0): Prediction => ({
    method: 'none',
    n,
    pPeriod: null,
    interval: null,
    periodsNext,
    expectedMet: null,
    p50: null,
    p85: null,
    p95: null,
    seed: null,
    note,
  });
  if (!doc) return none('the KPI has no control chart');
  const last = doc.stages.length - 1;
  const values = doc.points
    .filter((p) => p.stage === last && !isOpen(p.periodStart, grain, asOf))
    .map((p) => p.value)
    .filter((v) => Number.isFinite(v));
  if (values.length < PREDICTION_MIN_VALUES) {
    return none(
      `${values.length} closed value(s) in the current stage; ${PREDICTION_MIN_VALUES} are needed`,
      values.length,
    );
  }
  let input: InputDistribution;
  let method: Prediction['method'];
  if (values.length >= 20) {
    input = { kind: 'empirical', values };
    method = 'bootstrap';
  } else if (doc.chart.endsWith('-ln') && values.every((v) => v > 0)) {
    const logs = values.map(Math.log);
    input = { kind: 'lognormal', meanLog: mean(logs), sdLog: sampleSd(logs) };
    method = 'lognormal';
  } else {
    input = { kind: 'normal', mean: mean(values), sd: sampleSd(values) };
    method = 'normal';
  }
  const seed = seedOf(o.id);
  // A band is met inside [low, high]: the model's outcome is then "met" (1) or not (0).
  const band = o.direction === 'range' ? (o.band as { low: number; high: number }) : null;
  const r = monteCarlo({
    inputs: { y: input },
    model: band
      ? (s) => ((s.y as number) >= band.low && (s.y as number) <= band.high ? 1 : 0)
      : (s) => s.y as number,
    objective: band
      ? { direction: 'higher', target: 1 }
      : { direction: o.direction as 'lower' | 'higher', target: o.target as number },
    iterations: PREDICTION_ITERATIONS,
    seed,
  });
  const outcome = band
    ? monteCarlo({
        inputs: { y: input },
        model: (s) => s.y as number,
        objective: { direction: 'higher', target: band.low },
        iterations: PREDICTION_ITERATIONS,
        seed,
      })
    : r;
  return {
    method,
    n: values.length,
    pPeriod: r.pAttain,
    interval: r.wilson95,
    periodsNext,
    expectedMet: r.pAttain * periodsNext,
    p50: outcome.p50,
    p85: outcome.p85,
    p95: outcome.p95,
    seed,
    note: null,
  };
}

export function targetText(o: Objective): string {
  if (o.direction === 'range') return `${o.band?.low}–${o.band?.high}`;
  return `${o.direction === 'lower' ? '≤' : '≥'} ${o.target}`;
}

function scopeText(o: Objective): string {
  const s = scopeOf(o);
  return s.team ? `${s.team}${s.project ? `/${s.project}` : ''}` : 'org';
}

function statusOf(t: Tally): string {
  if (t.evaluable === 0) return 'not evaluable';
  if (t.met === t.evaluable) return 'met';
  return t.met === 0 ? 'missed' : 'partly met';
}

/** Evaluates every objective in scope over the quarter and the one before, with its prediction. */
export async function objectivesInQuarter(ctx: PackContext): Promise<ObjectiveInQuarter[]> {
  const q = ctx.quarter;
  const prev = previousQuarter(q);
  const next = nextQuarter(q);
  const out: ObjectiveInQuarter[] = [];
  for (const o of objectivesInScope(ctx)) {
    const query = seriesQuery(o, { to: q.to });
    const points = await ctx.series(o.kpi, query);
    const ev = evaluateObjective(o, points);
    const series = objectiveSeries(o);
    const doc = series ? await ctx.chart(series) : null;
    const cur = tally(ev.periods, q, o.period, ctx.asOf);
    const closed = ev.periods.filter(
      (p) => !isOpen(p.periodStart, o.period, ctx.asOf) && p.periodStart <= q.to,
    );
    out.push({
      objective: o,
      series,
      quarter: cur,
      previous: tally(ev.periods, prev, o.period, ctx.asOf),
      baseline: ev.baseline,
      baselineSource: ev.baselineSource,
      progress:
        cur.meanActual === null ? null : progressFromBaseline(o, cur.meanActual, ev.baseline ?? undefined),
      last: closed.at(-1) ?? null,
      prediction: predict(o, doc, o.period, next, ctx.asOf),
    });
  }
  return out;
}

const share = (t: Tally) => (t.evaluable === 0 ? null : (t.met / t.evaluable) * 100);

/** c2: the extent to which quality objectives have been met. */
export function objectiveBlocks(ctx: PackContext, list: readonly ObjectiveInQuarter[]): Block[] {
  const q = ctx.quarter;
  const prev = previousQuarter(q);
  if (list.length === 0) {
    return [
      {
        kind: 'text',
        text: 'No quality objectives are configured for this scope (the `objectives` section of the configuration file).',
      },
      {
        kind: 'placeholder',
        label: 'Objectives',
        prompt: 'Record the quality objectives reviewed and their status.',
      },
    ];
  }
  const better = (o: Objective) => (o.direction === 'range' ? 'band' : o.direction);
  const rows = list.map(
    (x): Record<string, Cell> => ({
      objective: x.objective.id,
      title: x.objective.title ?? x.objective.id,
      kpi: x.objective.kpi,
      scope: scopeText(x.objective),
      period: x.objective.period,
      target: targetText(x.objective),
      status: statusOf(x.quarter),
      met: x.quarter.met,
      evaluable: x.quarter.evaluable,
      share: share(x.quarter),
      previousShare: share(x.previous),
      trend: trendWord(x.previous.meanActual, x.quarter.meanActual, better(x.objective)),
      meanActual: x.quarter.meanActual,
      baseline: x.baseline,
      progress: x.progress === null ? null : x.progress * 100,
      owner: x.objective.owner,
    }),
  );
  const totals = (pick: (x: ObjectiveInQuarter) => Tally) => {
    const met = list.reduce((s, x) => s + pick(x).met, 0);
    const evaluable = list.reduce((s, x) => s + pick(x).evaluable, 0);
    return { met, evaluable, share: evaluable === 0 ? null : (met / evaluable) * 100 };
  };
  const now = totals((x) => x.quarter);
  const before = totals((x) => x.previous);
  return [
    {
      kind: 'text',
      text:
        `Objective attainment (periods met / periods evaluable, all objectives): ` +
        `${now.met} of ${now.evaluable} in ${q.id}` +
        (before.evaluable > 0 ? `, against ${before.met} of ${before.evaluable} in ${prev.id}.` : '.'),
    },
    {
      kind: 'table',
      id: 'objective-attainment',
      caption: `Quality objectives in ${q.id}: closed periods met, the trend of the mean value against ${prev.id}, and progress from the baseline (docs/methods.md §2.1)`,
      columns: [
        { key: 'objective', label: 'Objective', format: 'text' },
        { key: 'kpi', label: 'KPI', format: 'text' },
        { key: 'scope', label: 'Scope', format: 'text' },
        { key: 'period', label: 'Per', format: 'text' },
        { key: 'target', label: 'Target', format: 'text' },
        { key: 'status', label: `${q.id}`, format: 'status' },
        { key: 'met', label: 'Met', format: 'int' },
        { key: 'evaluable', label: 'Evaluable', format: 'int' },
        { key: 'share', label: 'Share met', format: 'percent' },
        { key: 'previousShare', label: `Share met ${prev.id}`, format: 'percent' },
        { key: 'meanActual', label: 'Mean value', format: 'number' },
        { key: 'trend', label: 'Trend', format: 'status' },
        { key: 'baseline', label: 'Baseline', format: 'number' },
        { key: 'progress', label: 'Progress from baseline', format: 'percent' },
        { key: 'owner', label: 'Owner', format: 'text' },
      ],
      rows,
      empty: 'no objectives',
      note: "Mean value: the mean of the closed periods' values in the quarter. Progress = (mean − baseline) / (target − baseline); the baseline is the objective's own or its first evaluable period.",
    },
  ];
}

/** The prediction table (docs/methods.md §7.2), in c2 beside the attainment. */
export function predictionBlock(ctx: PackContext, list: readonly ObjectiveInQuarter[]): Block {
  const next = nextQuarter(ctx.quarter);
  return {
    kind: 'table',
    id: 'objective-prediction',
    caption: `Probability of meeting each objective in ${next.id}, from its current process performance baseline (Monte Carlo, ${PREDICTION_ITERATIONS.toLocaleString('en')} iterations, xoshiro128** seeded per objective; docs/methods.md §7.2)`,
    columns: [
      { key: 'objective', label: 'Objective', format: 'text' },
      { key: 'target', label: 'Target', format: 'text' },
      { key: 'method', label: 'Model', format: 'text' },
      { key: 'n', label: 'Values', format: 'int' },
      { key: 'pPeriod', label: 'P(period met)', format: 'ratio' },
      { key: 'low', label: '95 % low', format: 'ratio' },
      { key: 'high', label: '95 % high', format: 'ratio' },
      { key: 'expectedMet', label: `Expected periods met`, format: 'number' },
      { key: 'periodsNext', label: `Periods in ${next.id}`, format: 'int' },
      { key: 'p50', label: 'P50', format: 'number' },
      { key: 'p85', label: 'P85', format: 'number' },
      { key: 'p95', label: 'P95', format: 'number' },
      { key: 'note', label: 'Note', format: 'text' },
    ],
    rows: list.map((x) => ({
      objective: x.objective.id,
      target: targetText(x.objective),
      method: x.prediction.method,
      n: x.prediction.n,
      pPeriod: x.prediction.pPeriod,
      low: x.prediction.interval?.[0] ?? null,
      high: x.prediction.interval?.[1] ?? null,
      expectedMet: x.prediction.expectedMet,
      periodsNext: x.prediction.periodsNext,
      p50: x.prediction.p50,
      p85: x.prediction.p85,
      p95: x.prediction.p95,
      seed: x.prediction.seed,
      note: x.prediction.note,
    })),
    empty: 'no objectives',
    note: "The probability is reported beside the observed values and never replaces them. P50/P85/P95: percentiles of a period's simulated value.",
  };
}
