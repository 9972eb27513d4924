import { type ChartDocument, kpiChart, seriesId } from '@shewhart/baselines';
import { type EntityStates, findKpi, type Grain, type KpiPoint, UnknownScopeError } from '@shewhart/kpi';
import { type ObjectiveService, querySeries } from '@shewhart/objectives';
import type { Column } from './pack.js';
import type { Quarter } from './quarter.js';

/** Where a pack's numbers come from, built by the caller (the CLI, the API, the scheduler). */
export interface PackSources {
  states: EntityStates;
  objectives?: ObjectiveService;
}

/** One series of a KPI, as the chart and baselines key it. */
export interface SeriesRef {
  kpi: string;
  team: string;
  project: string;
  dim: string;
  grain: Grain;
}

/** State shared by the section builders of one pack. */
export class PackContext {
  readonly usedKpis = new Set<string>();
  readonly #charts = new Map<string, Promise<ChartDocument | null>>();

  constructor(
    readonly sources: PackSources,
    readonly quarter: Quarter,
    readonly team: string | null,
  ) {}

  get states(): EntityStates {
    return this.sources.states;
  }

  /** The evaluation time of every number: the quarter's exclusive end. */
  get asOf(): Date {
    return this.quarter.end;
  }

  /**
   * A KPI's series (any catalogue KPI), as `GET /v1/kpis/:id` answers for `query` evaluated as of the
   * quarter's end; a team with no events yet has an empty series.
   */
  async series(kpi: string, query: Record<string, string | undefined>): Promise<KpiPoint[]> {
    this.usedKpis.add(kpi);
    const q = Object.fromEntries(
      Object.entries({ ...query, asOf: this.asOf.toISOString() }).filter(([, v]) => v !== undefined),
    );
    try {
      return (await querySeries(this.states, this.sources.objectives, kpi, q)).points;
    } catch (error) {
      if (error instanceof UnknownScopeError) return [];
      throw error;
    }
  }

  /** The API query string that reproduces a series read with `series` (provenance of a number). */
  apiQuery(kpi: string, query: Record<string, string | undefined>): string {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...query, asOf: this.asOf.toISOString() }))
      if (v !== undefined) q.set(k, v);
    return `/v1/kpis/${kpi}?${q.toString()}`;
  }

  /**
   * The chart document of a series as of the quarter's end, up to the quarter's last period (the same
   * document as `GET /v1/kpis/:id/chart` with those parameters), with the objective that applies to it.
   */
  chart(ref: SeriesRef): Promise<ChartDocument | null> {
    const id = seriesId(ref);
    let doc = this.#charts.get(id);
    if (!doc) {
      this.usedKpis.add(ref.kpi);
      // An objective may name a team that has sent nothing yet: no chart, not an error.
      doc = kpiChart(this.states, ref.kpi, this.chartQuery(ref), this.chartExtras(ref)).catch(
        (error: unknown) => {
          if (error instanceof UnknownScopeError) return null;
          throw error;
        },
      );
      this.#charts.set(id, doc);
    }
    return doc;
  }

  chartQuery(ref: SeriesRef): Record<string, string> {
    const def = findKpi(ref.kpi);
    return {
      period: ref.grain,
      to: this.quarter.to,
      asOf: this.asOf.toISOString(),
      ...(ref.team ? { team: ref.team } : {}),
      ...(ref.project ? { project: ref.project } : {}),
      ...(def?.dimension && ref.dim ? { [def.dimension.name]: ref.dim } : {}),
    };
  }

  chartExtras(ref: SeriesRef): { spec?: import('@shewhart/spc').SpecLimits; objective?: unknown } {
    const o = this.sources.objectives?.find({
      kpi: ref.kpi,
      ...(ref.team ? { team: ref.team } : {}),
      ...(ref.project ? { project: ref.project } : {}),
      period: ref.grain,
    });
    if (!o) return {};
    const def = findKpi(ref.kpi);
    const dimOk =
      !def?.dimension || (o.unit ?? o.phase ?? def.dimension.default) === (ref.dim || def.dimension.default);
    return dimOk ? { ...(o.spec ? { spec: o.spec } : {}), objective: o } : {};
  }
}

/** Columns of a quarter-by-quarter KPI trend table. */
export function trendColumns(quarters: readonly Quarter[]): Column[] {
  return [
    { key: 'kpi', label: 'KPI', format: 'text' },
    { key: 'title', label: 'Measure', format: 'text' },
    { key: 'unit', label: 'Unit', format: 'text' },
    ...quarters.map((q) => ({ key: q.id, label: q.id, format: 'number' as const })),
    { key: 'trend', label: 'Against previous quarter', format: 'status' as const },
  ];
}

/**
 * A trend row: the KPI's value per quarter (null where it was not computable) and the direction of the
 * change between the last two quarters, judged by which way is better for the KPI.
 */
export async function trendRow(
  ctx: PackContext,
  kpi: string,
  quarters: readonly Quarter[],
  extra: Record<string, string | undefined> = {},
): Promise<Record<string, string | number | null>> {
  const def = findKpi(kpi);
  const first = quarters[0] as Quarter;
  const last = quarters.at(-1) as Quarter;
  const query = { period: 'quarter', from: first.from, to: last.from, team: ctx.team ?? undefined, ...extra };
  const points = await ctx.series(kpi, query);
  const byStart = new Map(points.map((p) => [p.periodStart, p.value]));
  const values = quarters.map((q) => byStart.get(q.from) ?? null);
  const [prev, cur] = values.slice(-2);
  return {
    kpi,
    title: def?.title ?? kpi,
    unit: def?.unit ?? '',
    ...Object.fromEntries(quarters.map((q, i) => [q.id, values[i] ?? null])),
    trend: trendWord(prev ?? null, cur ?? null, def?.better ?? 'higher'),
    source: ctx.apiQuery(kpi, query),
  };
}

/** `better`, `worse`, `unchanged` or `n/a`, for a change from `prev` to `cur`. */
export function trendWord(prev: number | null, cur: number | null, better: string): string {
  if (prev === null || cur === null) return 'n/a';
  if (cur === prev) return 'unchanged';
  if (better === 'band') return cur > prev ? 'up' : 'down';
  return cur < prev === (better === 'lower') ? 'better' : 'worse';
}
