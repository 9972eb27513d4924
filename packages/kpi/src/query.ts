import { z } from 'zod';
import { findKpi, type KpiDefinition } from './catalogue.js';
import { GRAINS, type Grain, PERIOD_BOUNDS } from './sql/common.js';
import type { EntityStates } from './states/catch-up.js';

export interface KpiPoint {
  periodStart: string;
  value: number | null;
  numerator: number | null;
  denominator: number | null;
  n: number;
  /** True while the value can still change by definition (e.g. a release younger than its 90-day window). */
  provisional: boolean;
  /** P85 beside the median, for the KPIs whose definition lists the `p85` extra. */
  p85?: number | null;
}

export interface KpiSeries {
  kpi: string;
  period: Grain;
  points: KpiPoint[];
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const bound = z
  .string()
  .refine(
    (s) =>
      DATE_ONLY.test(s)
        ? !Number.isNaN(Date.parse(`${s}T00:00:00Z`))
        : z.iso.datetime({ offset: true }).safeParse(s).success,
    { message: 'must be YYYY-MM-DD or an RFC 3339 timestamp with offset' },
  )
  .transform((s) => new Date(DATE_ONLY.test(s) ? `${s}T00:00:00Z` : s));

/** The query parameters of `GET /v1/kpis/:id` and `shewhart kpi show`. */
export const KpiQuery = z
  .object({
    period: z.enum(GRAINS).default('week'),
    from: bound.optional(),
    to: bound.optional(),
    team: z.string().min(1).max(128).optional(),
    project: z.string().min(1).max(128).optional(),
    /** Evaluate as of this instant (provisional windows, "now"); default: the current time. */
    asOf: bound.optional(),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'must not be before from', path: ['to'] })
  .refine((q) => !q.project || q.team, {
    message: 'needs team (a project is scoped inside a team)',
    path: ['project'],
  });

export type KpiQueryInput = z.input<typeof KpiQuery>;
export type KpiQueryParams = z.output<typeof KpiQuery> & { dimension?: string };

/** Errors a caller can act on carry a kind; the HTTP API maps each kind to one status in one place. */
export class UnknownKpiError extends Error {
  override readonly name = 'UnknownKpiError';
  readonly kind = 'not_found' as const;
}

export class InvalidKpiQueryError extends Error {
  override readonly name = 'InvalidKpiQueryError';
  readonly kind = 'invalid' as const;
  constructor(readonly issues: { path: string; message: string }[]) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  }
}

/** Validates query parameters; a KPI with a dimension (e.g. `unit`) also takes that parameter. */
export function parseKpiQuery(input: Record<string, unknown>, kpi?: KpiDefinition): KpiQueryParams {
  const parsed = KpiQuery.safeParse(input);
  const issues = parsed.success
    ? []
    : parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  let dimension: string | undefined;
  if (kpi?.dimension) {
    const d = kpi.dimension;
    const raw = input[d.name];
    dimension = raw === undefined || raw === '' ? d.default : String(raw);
    if (!d.values.includes(dimension))
      issues.push({ path: d.name, message: `must be one of: ${d.values.join(', ')}` });
  }
  if (!parsed.success || issues.length > 0) throw new InvalidKpiQueryError(issues);
  return { ...parsed.data, dimension };
}

const chTime = (d: Date | undefined) => (d ? d.toISOString().replace('T', ' ').replace('Z', '') : null);
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** The bound parameters every KPI query receives. */
export function kpiQueryParams(q: KpiQueryParams): Record<string, unknown> {
  return {
    team: q.team ?? null,
    project: q.project ?? null,
    from: chTime(q.from),
    to: chTime(q.to),
    now: chTime(q.asOf ?? new Date()),
    dim: q.dimension ?? '',
  };
}

/**
 * Computes one KPI series. Only periods with data are listed, oldest first. The entity states are brought
 * up to the events stored so far first, so a query always sees every stored event.
 */
export async function queryKpi(
  states: EntityStates,
  id: string,
  input: KpiQueryInput | Record<string, unknown>,
): Promise<KpiSeries> {
  const kpi = findKpi(id);
  if (!kpi) throw new UnknownKpiError(`unknown KPI: ${id}`);
  const q = parseKpiQuery(input as Record<string, unknown>, kpi);
  const extras = kpi.extras ?? [];
  await states.catchUp();
  const rows = await states.reading(async () => {
    const rs = await states.client.query({
      query: `SELECT toString(period_start) AS period_start, numerator, denominator, n, value, provisional${extras.map((e) => `, ${e}`).join('')}
              FROM (${kpi.sql(q.period)})
              WHERE ${PERIOD_BOUNDS}
              ORDER BY period_start`,
      query_params: kpiQueryParams(q),
      format: 'JSONEachRow',
    });
    return rs.json<Record<string, unknown>>();
  });
  // An empty series is an answer only for a scope that exists: a mistyped team is not "no data".
  if (rows.length === 0) await assertKnownScope(states, q);
  return { kpi: kpi.id, period: q.period, points: rows.map((r) => kpiPointOf(r, extras)) };
}

/** A team or project no event ever named. */
export class UnknownScopeError extends Error {
  override readonly name = 'UnknownScopeError';
  readonly kind = 'not_found' as const;
}

/**
 * Throws `UnknownScopeError` when the team (or the team's project) has no stored event at all. An existing
 * team with no data in a range is not unknown. Asked only when a result is empty, so it costs nothing on
 * the common path.
 */
export async function assertKnownScope(
  states: EntityStates,
  scope: { team?: string | undefined; project?: string | undefined },
): Promise<void> {
  if (!scope.team) return;
  const rs = await states.client.query({
    query: `SELECT countIf(team = {team:String}) > 0 AS team_known,
                   countIf(team = {team:String} AND project = {project:String}) > 0 AS project_known
            FROM events_raw WHERE team = {team:String}`,
    query_params: { team: scope.team, project: scope.project ?? '' },
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ team_known: number | boolean; project_known: number | boolean }>();
  if (!Number(row?.team_known))
    throw new UnknownScopeError(`unknown team: ${scope.team} (no event names it)`);
  if (scope.project && !Number(row?.project_known)) {
    throw new UnknownScopeError(
      `unknown project: ${scope.project} of team ${scope.team} (no event names it)`,
    );
  }
}

/** One point from a row of a KPI's SQL (`period_start, numerator, denominator, n, value, provisional`, extras). */
export function kpiPointOf(r: Record<string, unknown>, extras: readonly string[] = []): KpiPoint {
  return {
    periodStart: String(r.period_start),
    value: finite(num(r.value)),
    numerator: num(r.numerator),
    denominator: num(r.denominator),
    n: Number(r.n),
    provisional: Number(r.provisional) === 1 || r.provisional === true,
    ...Object.fromEntries(extras.map((e) => [e, finite(num(r[e]))])),
  };
}

/** ClickHouse returns inf/nan for some float edge cases; the API speaks null for "not computable". */
function finite(v: number | null): number | null {
  return v === null || Number.isFinite(v) ? v : null;
}
