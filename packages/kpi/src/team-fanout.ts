import type { KpiDefinition } from './catalogue.js';
import { type KpiPoint, kpiPointOf, kpiQueryParams, parseKpiQuery } from './query.js';
import type { Grain } from './sql/common.js';
import type { EntityStates } from './states/catch-up.js';

/**
 * One KPI for every team in a single query. Every KPI's SQL ends in an outer
 * `SELECT <period> AS period_start, … FROM <entities with team> WHERE <scope> GROUP BY period_start`
 * (optionally `HAVING <aggregate condition>`);
 * with the scope unbound (all teams) and `team` added to that outer SELECT and GROUP BY, the same SQL
 * yields each team's series at once — the per-query overhead of the engine (15–100 ms) is paid once
 * per KPI instead of once per team. SQL that does not have that shape returns undefined, and callers
 * fall back to one query per team. Tests check the result equals the per-team queries for every KPI.
 */
export function byTeamSql(sql: string): string | undefined {
  const trimmed = sql.trimEnd();
  // The outer GROUP BY, optionally followed by a HAVING on aggregates (e.g. `HAVING sum(sign) > 0`).
  const tail = /GROUP BY period_start(\s+HAVING\s[^']*)?$/.exec(trimmed);
  if (!tail) return undefined;
  const select = lastTopLevelSelect(trimmed);
  if (select === undefined || select > tail.index) return undefined;
  const head = trimmed.slice(0, select + 'SELECT'.length);
  const body = trimmed.slice(select + 'SELECT'.length, tail.index);
  return `${head} team AS scope_team,${body}GROUP BY scope_team, period_start${tail[1] ?? ''}`;
}

/** Index of the last `SELECT` outside parentheses and string literals. */
function lastTopLevelSelect(sql: string): number | undefined {
  let depth = 0;
  let quoted = false;
  let found: number | undefined;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === "'") quoted = false;
      continue;
    }
    if (c === "'") quoted = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (
      depth === 0 &&
      (c === 'S' || c === 's') &&
      /^select\b/i.test(sql.slice(i, i + 7)) &&
      !/\w/.test(sql[i - 1] ?? ' ')
    ) {
      found = i;
    }
  }
  return found;
}

/** Every team's series of one KPI, or undefined when the KPI's SQL cannot be fanned out. */
export async function queryByTeam(
  states: EntityStates,
  kpi: KpiDefinition,
  grain: Grain,
  options: { dim?: string; asOf?: Date } = {},
): Promise<Map<string, KpiPoint[]> | undefined> {
  const sql = kpi.byTeamSql?.(grain) ?? byTeamSql(kpi.sql(grain));
  if (!sql) return undefined;
  const q = parseKpiQuery(
    {
      period: grain,
      ...(kpi.dimension && options.dim ? { [kpi.dimension.name]: options.dim } : {}),
      ...(options.asOf ? { asOf: options.asOf.toISOString() } : {}),
    },
    kpi,
  );
  const extras = kpi.extras ?? [];
  await states.catchUp();
  const rows = await states.reading(async () => {
    const rs = await states.client.query({
      query: `SELECT scope_team, toString(period_start) AS period_start, numerator, denominator, n, value, provisional${extras
        .map((e) => `, ${e}`)
        .join('')}
              FROM (${sql}) ORDER BY scope_team, period_start`,
      query_params: kpiQueryParams(q),
      format: 'JSONEachRow',
    });
    return rs.json<Record<string, unknown>>();
  });
  const byTeam = new Map<string, KpiPoint[]>();
  for (const r of rows) {
    const team = String(r.scope_team);
    const list = byTeam.get(team) ?? [];
    list.push(kpiPointOf(r, extras));
    byTeam.set(team, list);
  }
  return byTeam;
}
