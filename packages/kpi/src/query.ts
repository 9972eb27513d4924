import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { findKpi } from './catalogue.js';
import { GRAINS, type Grain, PERIOD_BOUNDS } from './sql/common.js';

export interface KpiPoint {
  periodStart: string;
  value: number | null;
  numerator: number | null;
  denominator: number | null;
  n: number;
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
    {
      message: 'must be YYYY-MM-DD or an RFC 3339 timestamp with offset',
    },
  )
  .transform((s) => new Date(DATE_ONLY.test(s) ? `${s}T00:00:00Z` : s));

/** The query parameters of `GET /v1/kpis/:id` and `shewhart kpi show`. */
export const KpiQuery = z
  .object({
    period: z.enum(GRAINS as [Grain, ...Grain[]]).default('week'),
    from: bound.optional(),
    to: bound.optional(),
    team: z.string().min(1).max(128).optional(),
    project: z.string().min(1).max(128).optional(),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'must not be before from', path: ['to'] });

export type KpiQueryInput = z.input<typeof KpiQuery>;

export class UnknownKpiError extends Error {
  override readonly name = 'UnknownKpiError';
}

export class InvalidKpiQueryError extends Error {
  override readonly name = 'InvalidKpiQueryError';
  constructor(readonly issues: { path: string; message: string }[]) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  }
}

export function parseKpiQuery(input: Record<string, unknown>): z.output<typeof KpiQuery> {
  const parsed = KpiQuery.safeParse(input);
  if (!parsed.success) {
    throw new InvalidKpiQueryError(
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  return parsed.data;
}

const chTime = (d: Date | undefined) => (d ? d.toISOString().replace('T', ' ').replace('Z', '') : null);
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** Computes one KPI series. Only periods with data are listed, oldest first. */
export async function queryKpi(
  client: ClickHouseClient,
  id: string,
  input: KpiQueryInput,
): Promise<KpiSeries> {
  const kpi = findKpi(id);
  if (!kpi) throw new UnknownKpiError(`unknown KPI: ${id}`);
  const q = parseKpiQuery(input as Record<string, unknown>);
  const rs = await client.query({
    query: `SELECT toString(period_start) AS period_start, numerator, denominator, n, value
            FROM (${kpi.sql(q.period)})
            WHERE ${PERIOD_BOUNDS}
            ORDER BY period_start`,
    query_params: {
      team: q.team ?? null,
      project: q.project ?? null,
      from: chTime(q.from),
      to: chTime(q.to),
    },
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{
    period_start: string;
    numerator: unknown;
    denominator: unknown;
    n: unknown;
    value: unknown;
  }>();
  return {
    kpi: kpi.id,
    period: q.period,
    points: rows.map((r) => ({
      periodStart: r.period_start,
      value: num(r.value),
      numerator: num(r.numerator),
      denominator: num(r.denominator),
      n: Number(r.n),
    })),
  };
}
