import {
  type EntityStates,
  findKpi,
  type KpiPoint,
  type KpiQueryParams,
  type KpiSeries,
  kpiPointOf,
  kpiQueryParams,
  parseKpiQuery,
  UnknownKpiError,
} from '@shewhart/kpi';

/** The bound parameters of a KPI's SQL (packages/kpi: `kpiQueryParams`, `PERIOD_BOUNDS`). */
const PARAMS = ['team', 'project', 'from', 'to', 'now', 'dim'] as const;
const PARAM_REF = new RegExp(`\\{(${PARAMS.join('|')}):`, 'g');

/** Periods inside `from`/`to` (packages/kpi `PERIOD_BOUNDS`, with this branch's parameters). */
const bounds = (i: number) =>
  `({from_${i}:Nullable(DateTime64(3, 'UTC'))} IS NULL OR toDateTime64(period_start, 3, 'UTC') >= {from_${i}:Nullable(DateTime64(3, 'UTC'))})
  AND ({to_${i}:Nullable(DateTime64(3, 'UTC'))} IS NULL OR toDateTime64(period_start, 3, 'UTC') <= {to_${i}:Nullable(DateTime64(3, 'UTC'))})`;

/**
 * Several KPI series in one statement: each request is its KPI's own SQL (the catalogue's, as
 * `queryKpi` runs it, with its parameters renamed per branch), and the branches are joined with UNION ALL.
 * The embedded engine runs one statement at a time on its one session, so eleven series cost one
 * round trip rather than eleven queued ones. Same SQL, same parameters: the same numbers as
 * `GET /v1/kpis/:id`. A series with no rows is empty (an unknown team is not told apart here).
 */
export async function queryKpiBatch(
  states: EntityStates,
  requests: readonly { kpi: string; query: Record<string, unknown> }[],
): Promise<KpiSeries[]> {
  if (requests.length === 0) return [];
  const parsed = requests.map((r) => {
    const kpi = findKpi(r.kpi);
    if (!kpi) throw new UnknownKpiError(`unknown KPI: ${r.kpi}`);
    return { kpi, q: parseKpiQuery(r.query, kpi) as KpiQueryParams };
  });
  const params: Record<string, unknown> = {};
  const branches = parsed.map(({ kpi, q }, i) => {
    for (const [k, v] of Object.entries(kpiQueryParams(q))) params[`${k}_${i}`] = v;
    const sql = kpi.sql(q.period).replace(PARAM_REF, (_m, name: string) => `{${name}_${i}:`);
    const p85 = kpi.extras?.includes('p85')
      ? 'toNullable(toFloat64(p85))'
      : "CAST(NULL, 'Nullable(Float64)')";
    return `SELECT toUInt16(${i}) AS q, toString(period_start) AS period_start,
       toNullable(toFloat64(numerator)) AS numerator, toNullable(toFloat64(denominator)) AS denominator,
       toUInt64(n) AS n, toNullable(toFloat64(value)) AS value, toUInt8(provisional) AS provisional, ${p85} AS p85
FROM (${sql})
WHERE ${bounds(i)}`;
  });
  await states.catchUp();
  const rows = await states.reading(async () => {
    const rs = await states.client.query({
      query: `SELECT * FROM (${branches.join('\nUNION ALL\n')}) ORDER BY q, period_start`,
      query_params: params,
      format: 'JSONEachRow',
    });
    return rs.json<Record<string, unknown>>();
  });
  const points: KpiPoint[][] = parsed.map(() => []);
  for (const r of rows) {
    const { kpi } = parsed[Number(r.q)] as (typeof parsed)[number];
    points[Number(r.q)]?.push(kpiPointOf(r, kpi.extras ?? []));
  }
  return parsed.map(({ kpi, q }, i) => ({ kpi: kpi.id, period: q.period, points: points[i] ?? [] }));
}
